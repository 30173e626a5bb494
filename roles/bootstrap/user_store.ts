/**
 * Accounts and sessions in SQLite (WAL, synchronous=FULL so an acknowledged registration survives a crash).
 * Tokens are 256 random bits; only their SHA-256 is stored.
 *
 * @module
 */

import { DatabaseSync, type StatementSync } from "node:sqlite";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { HttpError } from "../../daemon/http/http_error.ts";
import { randomToken } from "../../daemon/cluster/join_secret.ts";

/** A stored account. */
export interface UserRecord {
  id: number;
  name: string;
  hash: string;
}

/** A valid session. */
export interface SessionInfo {
  userId: number;
  user: string;
  expiresAt: number;
  tokenHash: string;
}

/** Session timing: idle timeout and absolute lifetime. */
export interface SessionTiming {
  idleMs: number;
  lifetimeMs: number;
}

/** 30 minutes idle, 12 hours at most. */
export const DEFAULT_SESSION_TIMING: SessionTiming = { idleMs: 30 * 60_000, lifetimeMs: 12 * 3600_000 };

/** The key usernames are unique by: NFKC, lowercase. */
export function userKey(name: string): string {
  return name.normalize("NFKC").toLowerCase();
}

/** SHA-256 of a token, hex: what is stored and what file instances cache by. */
export function tokenHash(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** Accounts and sessions. */
export class UserStore {
  #db: DatabaseSync;
  #now: () => number;
  #timing: SessionTiming;
  #q: Record<string, StatementSync>;

  constructor(path: string, options: { now?: () => number; timing?: SessionTiming } = {}) {
    this.#now = options.now ?? Date.now;
    this.#timing = options.timing ?? DEFAULT_SESSION_TIMING;
    try {
      if (path !== ":memory:") {
        mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
        // SQLite would take an empty file for a new store: a truncated store must not come back empty.
        const size = fileSize(path);
        if (size === 0) throw new Error("it is empty (0 bytes), which a store audiod wrote never is");
      }
      this.#db = new DatabaseSync(path);
      this.#db.exec("PRAGMA busy_timeout = 5000");
      this.#db.exec("PRAGMA journal_mode = WAL");
      this.#db.exec("PRAGMA synchronous = FULL");
      const check = this.#db.prepare("PRAGMA quick_check").get() as { quick_check?: string } | undefined;
      if (check?.quick_check !== "ok") {
        throw new Error(`integrity check failed (${check?.quick_check ?? "no answer"})`);
      }
      this.#db.exec(`
        CREATE TABLE IF NOT EXISTS users (
          id INTEGER PRIMARY KEY,
          name TEXT NOT NULL,
          name_key TEXT NOT NULL UNIQUE,
          hash TEXT NOT NULL,
          created_at INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS sessions (
          token_hash TEXT PRIMARY KEY,
          user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          created_at INTEGER NOT NULL,
          last_seen INTEGER NOT NULL,
          expires_at INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user_id);
      `);
      // Password hashes and token hashes: readable by the owner only (the WAL files inherit the mode).
      if (path !== ":memory:") chmodSync(path, 0o600);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new Error(
        `Cannot open the user store ${path}: ${why} (restore it from a backup or move it aside to start empty)`,
      );
    }
    const db = this.#db;
    this.#q = {
      insertUser: db.prepare("INSERT INTO users (name, name_key, hash, created_at) VALUES (?, ?, ?, ?)"),
      findUser: db.prepare("SELECT id, name, hash FROM users WHERE name_key = ?"),
      setHash: db.prepare("UPDATE users SET hash = ? WHERE id = ?"),
      insertSession: db.prepare(
        "INSERT INTO sessions (token_hash, user_id, created_at, last_seen, expires_at) VALUES (?, ?, ?, ?, ?)",
      ),
      findSession: db.prepare(
        "SELECT s.user_id AS userId, u.name AS user, s.last_seen AS lastSeen, s.expires_at AS expiresAt " +
          "FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?",
      ),
      touch: db.prepare("UPDATE sessions SET last_seen = ? WHERE token_hash = ?"),
      deleteSession: db.prepare("DELETE FROM sessions WHERE token_hash = ?"),
      sessionsOf: db.prepare("SELECT token_hash AS hash FROM sessions WHERE user_id = ?"),
      deleteSessionsOf: db.prepare("DELETE FROM sessions WHERE user_id = ? AND token_hash != ?"),
      deleteUser: db.prepare("DELETE FROM users WHERE id = ?"),
      deleteExpired: db.prepare("DELETE FROM sessions WHERE expires_at <= ? OR last_seen <= ?"),
      countUsers: db.prepare("SELECT count(*) AS n FROM users"),
    };
  }

  /** Creates an account; 409 when the name is taken (case-insensitively). */
  createUser(name: string, hash: string): UserRecord {
    try {
      const result = this.#q.insertUser!.run(name, userKey(name), hash, this.#now());
      return { id: Number(result.lastInsertRowid), name, hash };
    } catch (error) {
      if (error instanceof Error && /UNIQUE/.test(error.message)) {
        throw new HttpError(409, "user_exists", `Cannot register "${name}": that name is taken`);
      }
      throw error;
    }
  }

  findUser(name: string): UserRecord | undefined {
    const row = this.#q.findUser!.get(userKey(name)) as
      | { id: number; name: string; hash: string }
      | undefined;
    return row ? { id: Number(row.id), name: row.name, hash: row.hash } : undefined;
  }

  /** Replaces a user's password hash (an upgrade of its parameters). */
  setHash(userId: number, hash: string): void {
    this.#q.setHash!.run(hash, userId);
  }

  /**
   * Sets a new password hash and ends every session of the user but `keepToken`'s (the one that asked);
   * returns the hashes of the ended sessions, for the revocation push.
   */
  changePassword(userId: number, hash: string, keepToken: string): string[] {
    const keep = tokenHash(keepToken);
    return this.#transaction(() => {
      const ended = this.#sessionsOf(userId).filter((h) => h !== keep);
      this.#q.setHash!.run(hash, userId);
      this.#q.deleteSessionsOf!.run(userId, keep);
      return ended;
    });
  }

  /** Deletes an account and its sessions; returns the hashes of the ended sessions. */
  deleteUser(userId: number): string[] {
    return this.#transaction(() => {
      const ended = this.#sessionsOf(userId);
      this.#q.deleteSessionsOf!.run(userId, "");
      this.#q.deleteUser!.run(userId);
      return ended;
    });
  }

  #sessionsOf(userId: number): string[] {
    return (this.#q.sessionsOf!.all(userId) as { hash: string }[]).map((r) => r.hash);
  }

  #transaction<T>(work: () => T): T {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const result = work();
      this.#db.exec("COMMIT");
      return result;
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  /** Number of accounts. */
  countUsers(): number {
    return Number((this.#q.countUsers!.get() as { n: number }).n);
  }

  /** Starts a session and returns its token (shown once, never stored). */
  createSession(userId: number): { token: string; expiresAt: number; issuedAt: number } {
    const token = randomToken();
    const now = this.#now();
    const expiresAt = now + this.#timing.lifetimeMs;
    this.#q.insertSession!.run(tokenHash(token), userId, now, now, expiresAt);
    return { token, expiresAt, issuedAt: now };
  }

  /**
   * Trades a valid token for a new one with a fresh lifetime and revokes the old one (a client renews before
   * its token expires, so playback is never cut off). Undefined when the token is not valid now.
   */
  renew(
    token: string,
  ): { user: string; token: string; expiresAt: number; issuedAt: number; revoked: string } | undefined {
    return this.#transaction(() => {
      const session = this.verify(token);
      if (!session) return undefined;
      const fresh = this.createSession(session.userId);
      this.#q.deleteSession!.run(session.tokenHash);
      return { user: session.user, ...fresh, revoked: session.tokenHash };
    });
  }

  /** The session a token belongs to, if it is valid now; renews its idle timer. */
  verify(token: string): SessionInfo | undefined {
    const hash = tokenHash(token);
    const row = this.#q.findSession!.get(hash) as
      | { userId: number; user: string; lastSeen: number; expiresAt: number }
      | undefined;
    if (!row) return undefined;
    const now = this.#now();
    if (now >= row.expiresAt || now - row.lastSeen >= this.#timing.idleMs) {
      this.#q.deleteSession!.run(hash);
      return undefined;
    }
    // Renew the idle timer, writing at most every tenth of the idle timeout (at most every 10 s).
    if (now - row.lastSeen >= Math.min(10_000, this.#timing.idleMs / 10)) this.#q.touch!.run(now, hash);
    return { userId: Number(row.userId), user: row.user, expiresAt: Number(row.expiresAt), tokenHash: hash };
  }

  /** Ends a session; returns the token's hash when there was one. */
  revoke(token: string): string | undefined {
    const hash = tokenHash(token);
    const result = this.#q.deleteSession!.run(hash);
    return result.changes > 0 ? hash : undefined;
  }

  /** Deletes expired and idle sessions. */
  prune(): number {
    const now = this.#now();
    return Number(this.#q.deleteExpired!.run(now, now - this.#timing.idleMs).changes);
  }

  close(): void {
    try {
      this.#db.close();
    } catch { /* already closed */ }
  }
}

function fileSize(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}
