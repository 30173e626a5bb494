/**
 * The account-administration facet on PostgreSQL (schema version 5). A registration runs in one transaction
 * under an advisory lock, so bootstraps sharing the database count accounts and use invites one at a time.
 *
 * @module
 */

import type postgres from "postgres";
import { type AccountAdminStore, type AccountRow, admission, REFUSALS } from "./account_admin.ts";
import { type SessionTiming, userExists, userKey } from "./mod.ts";

type Sql = postgres.Sql;
type Tx = postgres.TransactionSql;
type Row = Record<string, unknown>;

/** The advisory lock registrations and admin changes run under ("audi", 5). */
const ACCOUNTS_LOCK = [0x61756469, 5] as const;

function rowOf(row: Row): AccountRow {
  return {
    id: Number(row.id),
    name: String(row.name),
    admin: row.admin === true,
    disabled: row.disabled === true,
    createdAt: Number(row.created_at),
    lastSignIn: row.last_sign_in === null || row.last_sign_in === undefined ? null : Number(row.last_sign_in),
    sessions: Number(row.sessions),
  };
}

/** The facet; `call` runs work on the pool, turning an unreachable database into a 503. */
export function postgresAccountAdmin(
  call: <T>(work: (sql: Sql) => Promise<T>) => Promise<T>,
  options: { now: () => number; timing: SessionTiming },
): AccountAdminStore {
  const { now, timing } = options;
  const lock = (tx: Tx) =>
    tx`SELECT pg_advisory_xact_lock(${ACCOUNTS_LOCK[0]}::int, ${ACCOUNTS_LOCK[1]}::int)`;
  const select = (sql: Sql, where: (sql: Sql) => postgres.PendingQuery<postgres.Row[]>) => {
    const at = now();
    return sql`SELECT u.id, u.name, u.admin, u.disabled, u.created_at, u.last_sign_in,
      (SELECT count(*)::int FROM sessions s WHERE s.user_id = u.id AND s.expires_at > ${at}
        AND s.last_seen > ${at - timing.idleMs}) AS sessions
      FROM users u ${where(sql)}`;
  };
  const keepAnAdmin = async (tx: Tx, userId: number, what: string) => {
    const [row] = await tx`SELECT admin, disabled FROM users WHERE id = ${userId}`;
    if (!row || row.admin !== true || row.disabled === true) return;
    const [others] = await tx`SELECT count(*)::int AS n FROM users
      WHERE admin AND NOT disabled AND id <> ${userId}`;
    if (Number(others!.n) === 0) throw REFUSALS.lastAdmin(what);
  };
  const ended = (rows: readonly Row[]) => rows.map((r) => String(r.token_hash));
  return {
    register: (name, hash, rule) =>
      call((sql) =>
        sql.begin(async (tx) => {
          await lock(tx);
          const [count] = await tx`SELECT count(*)::int AS n FROM users`;
          const via = admission(rule, Number(count!.n));
          if (via === "invite") {
            const used = await tx`UPDATE invites SET uses_left = uses_left - 1
              WHERE code_hash = ${rule.inviteHash!} AND uses_left > 0 AND expires_at > ${now()}
              RETURNING code_hash`;
            if (used.length === 0) throw REFUSALS.badInvite();
          }
          const admin = via === "first";
          const [taken] = await tx`SELECT 1 AS x FROM users WHERE name_key = ${userKey(name)}`;
          if (taken) throw userExists(name);
          const [row] = await tx`INSERT INTO users (name, name_key, hash, created_at, admin)
            VALUES (${name}, ${userKey(name)}, ${hash}, ${now()}, ${admin}) RETURNING id`;
          return { id: Number(row!.id), name, hash, admin, via };
        })
      ),
    account: (name) =>
      call(async (sql) => {
        const [row] = await select(sql, (s) => s`WHERE u.name_key = ${userKey(name)}`);
        return row ? rowOf(row) : undefined;
      }),
    list: () => call(async (sql) => (await select(sql, (s) => s`ORDER BY u.name_key`)).map(rowOf)),
    setAdmin: (userId, admin) =>
      call((sql) =>
        sql.begin(async (tx) => {
          await lock(tx);
          if (!admin) await keepAnAdmin(tx, userId, "demote the account");
          await tx`UPDATE users SET admin = ${admin} WHERE id = ${userId}`;
        })
      ),
    setDisabled: (userId, disabled) =>
      call((sql) =>
        sql.begin(async (tx) => {
          await lock(tx);
          if (!disabled) {
            await tx`UPDATE users SET disabled = false WHERE id = ${userId}`;
            return [];
          }
          await keepAnAdmin(tx, userId, "disable the account");
          await tx`UPDATE users SET disabled = true WHERE id = ${userId}`;
          return ended(await tx`DELETE FROM sessions WHERE user_id = ${userId} RETURNING token_hash`);
        })
      ),
    endSessions: (userId) =>
      call(async (sql) =>
        ended(await sql`DELETE FROM sessions WHERE user_id = ${userId} RETURNING token_hash`)
      ),
    recordSignIn: (userId) =>
      call(async (sql) => {
        await sql`UPDATE users SET last_sign_in = ${now()} WHERE id = ${userId}`;
      }),
    createInvite: (invite) =>
      call(async (sql) => {
        await sql`DELETE FROM invites WHERE expires_at <= ${now()} OR uses_left <= 0`;
        await sql`INSERT INTO invites (code_hash, uses_left, expires_at, created_by, created_at)
          VALUES (${invite.codeHash}, ${invite.uses}, ${invite.expiresAt}, ${invite.createdBy}, ${now()})`;
      }),
  };
}
