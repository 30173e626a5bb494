/**
 * The embedded store: SQLite through `node:sqlite` in the data dir (WAL, synchronous=FULL so an acknowledged
 * registration survives a crash), file mode 0600. The join secret stays the `<data dir>/join-secret` file.
 * Calls are synchronous underneath; the async interface is the one PostgreSQL needs.
 *
 * @module
 */

import { DatabaseSync, type StatementSync } from "node:sqlite";
import { chmodSync, linkSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { ensureJoinSecret, randomToken } from "../../../daemon/cluster/join_secret.ts";
import { MIGRATIONS, SCHEMA_VERSION, tooNew } from "./_migrations.ts";
import { deleteUserData, sqliteUserData } from "./_sqlite_user_data.ts";
import type { UserDataStore } from "./user_data.ts";
import type { AccountAdminStore } from "./account_admin.ts";
import { sqliteAccountAdmin } from "./_sqlite_account_admin.ts";
import {
  type AccountStore,
  type BootstrapSecret,
  DEFAULT_SESSION_TIMING,
  type FullSignInPolicy,
  type NewSession,
  type RenewedSession,
  type SessionInfo,
  type SessionTiming,
  sessionValid,
  type SignInLimitStore,
  signInPolicy,
  type Store,
  type StoreOptions,
  tokenHash,
  touchDue,
  userExists,
  userKey,
  type UserRecord,
} from "./mod.ts";

type Statements = Record<string, StatementSync>;

/** The store in one SQLite file (`:memory:` for tests). */
export class SqliteStore implements Store {
  readonly kind = "sqlite";
  readonly location: string;
  readonly accounts: AccountStore;
  readonly signInLimits: SignInLimitStore;
  readonly accountAdmin: AccountAdminStore;
  readonly userData: UserDataStore;
  #db: DatabaseSync;
  /**
   * The sign-in counters' own connection to the same file, with synchronous=NORMAL: they survive a crash of the
   * process (not always of the machine) and cost no fsync per attempt, so sign-ins stay as fast as they were.
   */
  #limitsDb: DatabaseSync;
  #dataDir: string;
  #now: () => number;
  #timing: SessionTiming;
  #policy: FullSignInPolicy;
  #q: Statements;

  constructor(path: string, options: StoreOptions) {
    this.location = path;
    this.#dataDir = options.dataDir;
    this.#now = options.now ?? Date.now;
    this.#timing = options.timing ?? DEFAULT_SESSION_TIMING;
    this.#policy = signInPolicy(options.signIn);
    let db: DatabaseSync | undefined;
    try {
      if (path !== ":memory:") {
        mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
        // SQLite would take an empty file for a new store: a truncated store must not come back empty.
        const size = fileSize(path);
        if (size === undefined) createFresh(path);
        else if (size === 0) throw new Error("it is empty (0 bytes), which a store audiod wrote never is");
      }
      db = this.#db = new DatabaseSync(path);
      setUp(this.#db);
      const check = this.#db.prepare("PRAGMA quick_check").get() as { quick_check?: string } | undefined;
      if (check?.quick_check !== "ok") {
        throw new Error(`integrity check failed (${check?.quick_check ?? "no answer"})`);
      }
      migrate(this.#db);
      // Password hashes and token hashes: readable by the owner only (the WAL files inherit the mode).
      if (path !== ":memory:") chmodSync(path, 0o600);
    } catch (error) {
      try {
        db?.close();
      } catch { /* not open */ }
      const why = error instanceof Error ? error.message : String(error);
      throw new Error(
        `Cannot open the user store ${path}: ${why} (restore it from a backup or move it aside to start empty)`,
      );
    }
    this.#limitsDb = this.#db;
    if (path !== ":memory:") {
      this.#limitsDb = new DatabaseSync(path);
      this.#limitsDb.exec("PRAGMA busy_timeout = 5000");
      this.#limitsDb.exec("PRAGMA synchronous = NORMAL");
    }
    this.#q = { ...prepare(this.#db), ...prepareLimits(this.#limitsDb) };
    this.accounts = this.#accounts();
    this.signInLimits = this.#limits();
    this.userData = sqliteUserData(this.#db, (work) => this.#transaction(work));
    this.accountAdmin = sqliteAccountAdmin({
      db: this.#db,
      transaction: (work) => this.#transaction(work),
      now: () => this.#now(),
      timing: this.#timing,
    });
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

  #accounts(): AccountStore {
    const q = this.#q;
    const now = () => this.#now();
    const timing = this.#timing;
    const endedHashes = (rows: unknown[]) => (rows as { hash: string }[]).map((r) => r.hash);
    const createSession = (userId: number): NewSession => {
      const token = randomToken();
      const at = now();
      const expiresAt = at + timing.lifetimeMs;
      q.insertSession!.run(tokenHash(token), userId, at, at, expiresAt);
      return { token, expiresAt, issuedAt: at };
    };
    const verifyHash = (hash: string): SessionInfo | undefined => {
      const row = q.findSession!.get(hash) as
        | { userId: number; user: string; lastSeen: number; expiresAt: number; admin: number }
        | undefined;
      if (!row) return undefined;
      const at = now();
      const times = { lastSeen: Number(row.lastSeen), expiresAt: Number(row.expiresAt) };
      if (!sessionValid(times, at, timing)) {
        q.deleteSession!.run(hash);
        return undefined;
      }
      if (touchDue(times.lastSeen, at, timing)) q.touch!.run(at, hash);
      return {
        userId: Number(row.userId),
        user: row.user,
        expiresAt: times.expiresAt,
        tokenHash: hash,
        admin: Number(row.admin) === 1,
      };
    };
    const verify = (token: string) => verifyHash(tokenHash(token));
    const methods = promised<Omit<AccountStore, "idleMs">>({
      createUser: (name, hash) => {
        try {
          const result = q.insertUser!.run(name, userKey(name), hash, now());
          return { id: Number(result.lastInsertRowid), name, hash };
        } catch (error) {
          if (error instanceof Error && /UNIQUE/.test(error.message)) throw userExists(name);
          throw error;
        }
      },
      findUser: (name) => {
        const row = q.findUser!.get(userKey(name)) as UserRecord | undefined;
        return row ? { id: Number(row.id), name: row.name, hash: row.hash } : undefined;
      },
      setHash: (userId, hash) => {
        q.setHash!.run(hash, userId);
      },
      changePassword: (userId, hash, keepToken) =>
        this.#transaction(() => {
          q.setHash!.run(hash, userId);
          return endedHashes(q.deleteSessionsOf!.all(userId, tokenHash(keepToken)));
        }),
      deleteUser: (userId) =>
        this.#transaction(() => {
          const ended = endedHashes(q.deleteSessionsOf!.all(userId, ""));
          deleteUserData(this.#db, userId);
          q.deleteUser!.run(userId);
          return ended;
        }),
      countUsers: () => Number((q.countUsers!.get() as { n: number }).n),
      createSession,
      renew: (token) =>
        this.#transaction((): RenewedSession | undefined => {
          const session = verify(token);
          if (!session) return undefined;
          const fresh = createSession(session.userId);
          q.deleteSession!.run(session.tokenHash);
          return { user: session.user, ...fresh, revoked: session.tokenHash };
        }),
      verify,
      touch: (hashes) => hashes.map(verifyHash).filter((s): s is SessionInfo => s !== undefined),
      revoke: (token) => {
        const hash = tokenHash(token);
        return q.deleteSession!.run(hash).changes > 0 ? hash : undefined;
      },
    });
    return { ...methods, idleMs: timing.idleMs };
  }

  #limits(): SignInLimitStore {
    const q = this.#q;
    const p = this.#policy;
    const rate = p.addressBurst / p.addressPeriodMs;
    return promised<SignInLimitStore>({
      accountWait: (account) => {
        const now = this.#now();
        const row = q.nthFailure!.get(account, now - p.accountWindowMs, p.accountFailures - 1) as
          | { at: number }
          | undefined;
        return row ? Number(row.at) + p.accountWindowMs - now : 0;
      },
      recordFailure: (account) => {
        q.insertFailure!.run(account, this.#now());
      },
      clearFailures: (account) => {
        q.clearFailures!.run(account);
      },
      takeAddress: (address) => {
        const row = q.takeToken!.get(address, p.addressBurst, this.#now(), rate) as {
          tokens: number;
          granted: number;
        };
        return row.granted ? 0 : Math.ceil((1 - Number(row.tokens)) / rate);
      },
    });
  }

  joinSecret(): Promise<BootstrapSecret> {
    return ensureJoinSecret(this.#dataDir);
  }

  prune(): Promise<void> {
    try {
      return Promise.resolve(this.#prune());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #prune(): void {
    const now = this.#now();
    const p = this.#policy;
    const q = this.#q;
    q.deleteExpired!.run(now, now - this.#timing.idleMs);
    q.deleteOldFailures!.run(now - p.accountWindowMs);
    q.deleteFullBuckets!.run(now - p.addressPeriodMs);
    q.trimFailures!.run(p.maxTracked);
    q.trimBuckets!.run(p.maxTracked);
  }

  close(): Promise<void> {
    try {
      if (this.#limitsDb !== this.#db) this.#limitsDb.close();
      this.#db.close();
    } catch { /* already closed */ }
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function setUp(db: DatabaseSync): void {
  db.exec("PRAGMA busy_timeout = 5000");
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = FULL");
}

/** Applies the missing migrations; BEGIN IMMEDIATE makes a second process wait for the first. */
function migrate(db: DatabaseSync): void {
  db.exec("BEGIN IMMEDIATE");
  try {
    db.exec(
      "CREATE TABLE IF NOT EXISTS schema_version " +
        "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
    );
    const row = db.prepare("SELECT max(version) AS v FROM schema_version").get() as { v: number | null };
    const current = Number(row.v ?? 0);
    if (current > SCHEMA_VERSION) throw new Error(tooNew(current));
    const record = db.prepare("INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)");
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      db.exec(m.sqlite);
      record.run(m.version, m.name, Date.now());
    }
    db.exec("COMMIT");
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
}

/**
 * Creates a new store file whole: built under a temporary name, then linked into place, so no process ever
 * sees it half made (an empty file is refused as a truncated store) and of several starting at once one wins.
 */
function createFresh(path: string): void {
  const temp = `${path}.new-${Deno.pid}-${randomToken().slice(0, 8)}`;
  try {
    const db = new DatabaseSync(temp);
    try {
      setUp(db);
      migrate(db);
    } finally {
      db.close();
    }
    chmodSync(temp, 0o600);
    try {
      linkSync(temp, path);
    } catch (error) {
      const code = (error as { code?: string }).code;
      // A filesystem without hard links: a plain rename (one bootstrap per SQLite store is the rule anyway).
      if (code !== "EEXIST" && fileSize(path) === undefined) renameSync(temp, path);
    }
  } finally {
    for (const suffix of ["", "-wal", "-shm"]) rmSync(temp + suffix, { force: true });
  }
}

function prepare(db: DatabaseSync): Statements {
  return {
    insertUser: db.prepare("INSERT INTO users (name, name_key, hash, created_at) VALUES (?, ?, ?, ?)"),
    findUser: db.prepare("SELECT id, name, hash FROM users WHERE name_key = ?"),
    setHash: db.prepare("UPDATE users SET hash = ? WHERE id = ?"),
    insertSession: db.prepare(
      "INSERT INTO sessions (token_hash, user_id, created_at, last_seen, expires_at) VALUES (?, ?, ?, ?, ?)",
    ),
    findSession: db.prepare(
      "SELECT s.user_id AS userId, u.name AS user, s.last_seen AS lastSeen, s.expires_at AS expiresAt, " +
        "u.admin AS admin FROM sessions s JOIN users u ON u.id = s.user_id " +
        "WHERE s.token_hash = ? AND u.disabled = 0",
    ),
    touch: db.prepare("UPDATE sessions SET last_seen = ? WHERE token_hash = ?"),
    deleteSession: db.prepare("DELETE FROM sessions WHERE token_hash = ?"),
    deleteSessionsOf: db.prepare(
      "DELETE FROM sessions WHERE user_id = ? AND token_hash != ? RETURNING token_hash AS hash",
    ),
    deleteUser: db.prepare("DELETE FROM users WHERE id = ?"),
    deleteExpired: db.prepare("DELETE FROM sessions WHERE expires_at <= ? OR last_seen <= ?"),
    countUsers: db.prepare("SELECT count(*) AS n FROM users"),
  };
}

function prepareLimits(db: DatabaseSync): Statements {
  return {
    // The failure that, when it ages out, lets the account try again: the Nth newest within the window.
    nthFailure: db.prepare(
      "SELECT at FROM sign_in_failures WHERE account = ? AND at > ? ORDER BY at DESC, id DESC LIMIT 1 OFFSET ?",
    ),
    insertFailure: db.prepare("INSERT INTO sign_in_failures (account, at) VALUES (?, ?)"),
    clearFailures: db.prepare("DELETE FROM sign_in_failures WHERE account = ?"),
    // One statement, so it is atomic: refill by the time passed, take one token if there is one.
    takeToken: db.prepare(`
      INSERT INTO sign_in_buckets (address, tokens, at, granted) VALUES (?1, ?2 - 1, ?3, 1)
      ON CONFLICT (address) DO UPDATE SET
        tokens = min(?2, sign_in_buckets.tokens + max(0, ?3 - sign_in_buckets.at) * ?4)
          - (min(?2, sign_in_buckets.tokens + max(0, ?3 - sign_in_buckets.at) * ?4) >= 1),
        granted = min(?2, sign_in_buckets.tokens + max(0, ?3 - sign_in_buckets.at) * ?4) >= 1,
        at = ?3
      RETURNING tokens, granted`),
    deleteOldFailures: db.prepare("DELETE FROM sign_in_failures WHERE at <= ?"),
    // A bucket untouched for a whole period is full again: the same as no bucket.
    deleteFullBuckets: db.prepare("DELETE FROM sign_in_buckets WHERE at <= ?"),
    trimFailures: db.prepare(
      "DELETE FROM sign_in_failures WHERE account IN (SELECT account FROM sign_in_failures " +
        "GROUP BY account ORDER BY max(id) DESC LIMIT -1 OFFSET ?)",
    ),
    trimBuckets: db.prepare(
      "DELETE FROM sign_in_buckets WHERE address IN " +
        "(SELECT address FROM sign_in_buckets ORDER BY at DESC LIMIT -1 OFFSET ?)",
    ),
  };
}

/** The synchronous twin of an async interface. */
type Sync<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => R : never;
};

/** Turns synchronous methods into ones that return promises (and reject rather than throw). */
function promised<T>(methods: Sync<T>): T {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(methods as Record<string, (...args: unknown[]) => unknown>)) {
    out[name] = (...args: unknown[]) => {
      try {
        return Promise.resolve(fn(...args));
      } catch (error) {
        return Promise.reject(error);
      }
    };
  }
  return out as T;
}

function fileSize(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}
