/**
 * The account-administration facet on SQLite (schema version 5): synchronous statements behind the async
 * interface; a registration is one `BEGIN IMMEDIATE` transaction.
 *
 * @module
 */

import type { DatabaseSync } from "node:sqlite";
import { type AccountAdminStore, type AccountRow, admission, REFUSALS } from "./account_admin.ts";
import { type SessionTiming, userExists, userKey } from "./mod.ts";

type Row = Record<string, unknown>;

/** What the facet needs of its store. */
export interface SqliteAdminDeps {
  db: DatabaseSync;
  transaction: <T>(work: () => T) => T;
  now: () => number;
  timing: SessionTiming;
}

const ACCOUNT = `SELECT u.id, u.name, u.admin, u.disabled, u.created_at, u.last_sign_in,
  (SELECT count(*) FROM sessions s WHERE s.user_id = u.id AND s.expires_at > ? AND s.last_seen > ?) AS sessions
  FROM users u`;

function rowOf(row: Row): AccountRow {
  return {
    id: Number(row.id),
    name: String(row.name),
    admin: Number(row.admin) === 1,
    disabled: Number(row.disabled) === 1,
    createdAt: Number(row.created_at),
    lastSignIn: row.last_sign_in === null || row.last_sign_in === undefined ? null : Number(row.last_sign_in),
    sessions: Number(row.sessions),
  };
}

/** The facet over `deps.db`. */
export function sqliteAccountAdmin(deps: SqliteAdminDeps): AccountAdminStore {
  const { db, transaction, now, timing } = deps;
  const q = {
    count: db.prepare("SELECT count(*) AS n FROM users"),
    useInvite: db.prepare(
      "UPDATE invites SET uses_left = uses_left - 1 WHERE code_hash = ? AND uses_left > 0 AND expires_at > ?",
    ),
    insert: db.prepare(
      "INSERT INTO users (name, name_key, hash, created_at, admin) VALUES (?, ?, ?, ?, ?)",
    ),
    account: db.prepare(`${ACCOUNT} WHERE u.name_key = ?`),
    list: db.prepare(`${ACCOUNT} ORDER BY u.name_key`),
    otherAdmins: db.prepare("SELECT count(*) AS n FROM users WHERE admin = 1 AND disabled = 0 AND id != ?"),
    isAdmin: db.prepare("SELECT admin, disabled FROM users WHERE id = ?"),
    setAdmin: db.prepare("UPDATE users SET admin = ? WHERE id = ?"),
    setDisabled: db.prepare("UPDATE users SET disabled = ? WHERE id = ?"),
    endSessions: db.prepare("DELETE FROM sessions WHERE user_id = ? RETURNING token_hash AS hash"),
    signedIn: db.prepare("UPDATE users SET last_sign_in = ? WHERE id = ?"),
    invite: db.prepare(
      "INSERT INTO invites (code_hash, uses_left, expires_at, created_by, created_at) VALUES (?, ?, ?, ?, ?)",
    ),
    pruneInvites: db.prepare("DELETE FROM invites WHERE expires_at <= ? OR uses_left <= 0"),
  };
  const live = () => [now(), now() - timing.idleMs] as const;
  /** Refuses taking the last enabled admin away. */
  const keepAnAdmin = (userId: number, what: string) => {
    const row = q.isAdmin.get(userId) as Row | undefined;
    if (!row || Number(row.admin) !== 1 || Number(row.disabled) === 1) return;
    if (Number((q.otherAdmins.get(userId) as Row).n) === 0) throw REFUSALS.lastAdmin(what);
  };
  const ended = (rows: unknown[]) => (rows as { hash: string }[]).map((r) => r.hash);
  const sync: { [K in keyof AccountAdminStore]: (...args: Parameters<AccountAdminStore[K]>) => unknown } = {
    register: (name, hash, rule) =>
      transaction(() => {
        const via = admission(rule, Number((q.count.get() as Row).n));
        if (via === "invite" && q.useInvite.run(rule.inviteHash!, now()).changes === 0) {
          throw REFUSALS.badInvite();
        }
        const admin = via === "first";
        try {
          const result = q.insert.run(name, userKey(name), hash, now(), admin ? 1 : 0);
          return { id: Number(result.lastInsertRowid), name, hash, admin, via };
        } catch (error) {
          if (error instanceof Error && /UNIQUE/.test(error.message)) throw userExists(name);
          throw error;
        }
      }),
    account: (name) => {
      const row = q.account.get(...live(), userKey(name)) as Row | undefined;
      return row ? rowOf(row) : undefined;
    },
    list: () => (q.list.all(...live()) as Row[]).map(rowOf),
    setAdmin: (userId, admin) =>
      transaction(() => {
        if (!admin) keepAnAdmin(userId, "demote the account");
        q.setAdmin.run(admin ? 1 : 0, userId);
      }),
    setDisabled: (userId, disabled) =>
      transaction(() => {
        if (!disabled) {
          q.setDisabled.run(0, userId);
          return [];
        }
        keepAnAdmin(userId, "disable the account");
        q.setDisabled.run(1, userId);
        return ended(q.endSessions.all(userId));
      }),
    endSessions: (userId) => ended(q.endSessions.all(userId)),
    recordSignIn: (userId) => {
      q.signedIn.run(now(), userId);
    },
    createInvite: (invite) => {
      q.pruneInvites.run(now());
      q.invite.run(invite.codeHash, invite.uses, invite.expiresAt, invite.createdBy, now());
    },
  };
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(sync) as [string, (...args: unknown[]) => unknown][]) {
    out[name] = (...args: unknown[]) => {
      try {
        return Promise.resolve(fn(...args));
      } catch (error) {
        return Promise.reject(error);
      }
    };
  }
  return out as unknown as AccountAdminStore;
}
