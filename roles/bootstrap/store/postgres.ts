/**
 * The shared store: a PostgreSQL database every bootstrap of a cluster uses (npm `postgres`, postgres.js: a
 * pool that reconnects by itself). The join secret lives in the database (one per cluster) and each bootstrap
 * keeps a copy in `<data dir>/join-secret` for the nodes on its machine.
 *
 * While the database cannot be reached every call fails with a {@linkcode StoreUnavailableError} (503
 * `store_unavailable`); the first failure and the recovery are logged once each.
 *
 * @module
 */

import postgres from "postgres";
import { join } from "node:path";
import { JOIN_SECRET_FILE, randomToken, resolveJoinSecret } from "../../../daemon/cluster/join_secret.ts";
import { CommandError } from "../../../cli/usage_error.ts";
import { MIGRATIONS, SCHEMA_VERSION, tooNew } from "./_migrations.ts";
import { postgresUserData } from "./_postgres_user_data.ts";
import type { UserDataStore } from "./user_data.ts";
import type { AccountAdminStore } from "./account_admin.ts";
import { postgresAccountAdmin } from "./_postgres_account_admin.ts";
import { postgresCluster } from "./_postgres_cluster.ts";
import type { ClusterStore } from "./cluster.ts";
import {
  type AccountStore,
  type BootstrapSecret,
  DEFAULT_SESSION_TIMING,
  type FullSignInPolicy,
  type NewSession,
  redactUrl,
  type SessionInfo,
  type SessionTiming,
  sessionValid,
  type SignInLimitStore,
  signInPolicy,
  type Store,
  type StoreOptions,
  StoreUnavailableError,
  tokenHash,
  touchDue,
  userExists,
  userKey,
} from "./mod.ts";

type Sql = postgres.Sql;

/**
 * How long one store call may take before it counts as "unreachable": a database behind a cut link does not
 * refuse, it just never answers (the call itself carries on in the background and its answer is dropped).
 */
const CALL_TIMEOUT_MS = 10_000;

/** How long connecting may take, in seconds (postgres.js's default is 30). */
const CONNECT_TIMEOUT_S = 5;

/** The advisory lock migrations run under ("audi", 1): one bootstrap migrates, the others wait. */
const MIGRATION_LOCK = [0x61756469, 1] as const;

/** Error codes of a database that cannot be reached (postgres.js, the OS, PostgreSQL's SQLSTATE). */
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (starting up, shutting down, recovering)
  "53300", // too_many_connections
]);

const UNREACHABLE_NAMES = new Set([
  "ConnectionRefused",
  "ConnectionReset",
  "ConnectionAborted",
  "NotConnected",
  "BrokenPipe",
  "TimedOut",
  "HostUnreachable",
  "NetworkUnreachable",
  "AddrNotAvailable",
]);

/** True when `error` says the database cannot be reached (rather than that a statement was refused). */
export function isUnreachable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && (UNREACHABLE_CODES.has(code) || code.startsWith("08"))) return true;
  return UNREACHABLE_NAMES.has(error.name);
}

let closedWritesGuarded = false;

/**
 * postgres.js 3.4.9 can throw from a write it queued (with `setImmediate`) for a connection that closed before
 * it ran: "Cannot read properties of null (reading 'write')" in `nextWrite` (porsager/postgres#1154 and #1208,
 * not fixed in a release). Thrown from a timer, it is uncaught and ends the process: a bootstrap died this way
 * while its database restarted. The queries of that connection were already failed with CONNECTION_CLOSED, and
 * every call here has a time limit, so the write is dropped and logged instead. Any other error still ends the
 * process.
 */
export function guardClosedWrites(logger: StoreOptions["logger"], location: string): void {
  if (closedWritesGuarded) return;
  closedWritesGuarded = true;
  globalThis.addEventListener("error", (event) => {
    const error = event.error;
    if (
      error instanceof TypeError && error.message.includes("reading 'write'") &&
      /postgres[/\\]src[/\\]connection\.js/.test(String(error.stack))
    ) {
      event.preventDefault();
      logger?.warn("store.write_after_close", { store: location, error });
    }
  });
}

/** Opens the store in the database at `url`, applying the missing migrations. */
export async function openPostgresStore(url: string, options: StoreOptions): Promise<PostgresStore> {
  const location = redactUrl(url);
  guardClosedWrites(options.logger, location);
  const sql = postgres(url, {
    max: 10,
    connect_timeout: CONNECT_TIMEOUT_S,
    onnotice: () => {},
    connection: { application_name: "audiod" },
  });
  try {
    await migrate(sql);
  } catch (error) {
    await sql.end({ timeout: 1 }).catch(() => {});
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`Cannot open the PostgreSQL store ${location}: ${why}`);
  }
  return new PostgresStore(sql, location, options);
}

async function migrate(sql: Sql): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK[0]}::int, ${MIGRATION_LOCK[1]}::int)`;
    await tx.unsafe(
      "CREATE TABLE IF NOT EXISTS schema_version " +
        "(version int PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)",
    );
    const [row] = await tx`SELECT coalesce(max(version), 0)::int AS v FROM schema_version`;
    const current = Number(row?.v ?? 0);
    if (current > SCHEMA_VERSION) throw new Error(tooNew(current));
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      await tx.unsafe(m.postgres);
      await tx`INSERT INTO schema_version (version, name, applied_at) VALUES (${m.version}, ${m.name}, ${Date.now()})`;
    }
  });
}

/** The store in a PostgreSQL database. */
export class PostgresStore implements Store {
  readonly kind = "postgres";
  readonly location: string;
  readonly accounts: AccountStore;
  readonly signInLimits: SignInLimitStore;
  readonly accountAdmin: AccountAdminStore;
  readonly userData: UserDataStore;
  readonly cluster: ClusterStore;
  #sql: Sql;
  #dataDir: string;
  #now: () => number;
  #timing: SessionTiming;
  #policy: FullSignInPolicy;
  #logger: StoreOptions["logger"];
  #down = false;
  #callTimeoutMs: number;

  constructor(sql: Sql, location: string, options: StoreOptions) {
    this.#sql = sql;
    this.location = location;
    this.#dataDir = options.dataDir;
    this.#now = options.now ?? Date.now;
    this.#timing = options.timing ?? DEFAULT_SESSION_TIMING;
    this.#policy = signInPolicy(options.signIn);
    this.#logger = options.logger;
    this.#callTimeoutMs = options.callTimeoutMs ?? CALL_TIMEOUT_MS;
    this.accounts = this.#accounts();
    this.signInLimits = this.#limits();
    this.userData = postgresUserData((work) => this.#call(work));
    this.accountAdmin = postgresAccountAdmin((work) => this.#call(work), {
      now: () => this.#now(),
      timing: this.#timing,
    });
    this.cluster = postgresCluster(sql, (work) => this.#call(work));
  }

  /** Runs `work`, turning "cannot reach the database" into a StoreUnavailableError. */
  async #call<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const call = work(this.#sql);
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          call.catch(() => {}); // answered too late: nobody waits for it any more
          const error = new Error(`no answer within ${this.#callTimeoutMs / 1000} s`);
          reject(Object.assign(error, { code: "ETIMEDOUT" }));
        }, this.#callTimeoutMs);
      });
      const result = await Promise.race([call, late]);
      if (this.#down) {
        this.#down = false;
        this.#logger?.info("store.recovered", { store: this.location });
      }
      return result;
    } catch (error) {
      if (!isUnreachable(error)) throw error;
      if (!this.#down) {
        this.#down = true;
        this.#logger?.warn("store.unavailable", { store: this.location, error });
      }
      throw new StoreUnavailableError(`PostgreSQL at ${this.location}`, error);
    } finally {
      clearTimeout(timer);
    }
  }

  #accounts(): AccountStore {
    const now = () => this.#now();
    const timing = this.#timing;
    const hashes = (rows: readonly { token_hash?: unknown }[]) => rows.map((r) => String(r.token_hash));
    const insertSession = async (sql: Sql | postgres.TransactionSql, userId: number): Promise<NewSession> => {
      const token = randomToken();
      const at = now();
      const expiresAt = at + timing.lifetimeMs;
      await sql`INSERT INTO sessions (token_hash, user_id, created_at, last_seen, expires_at)
        VALUES (${tokenHash(token)}, ${userId}, ${at}, ${at}, ${expiresAt})`;
      return { token, expiresAt, issuedAt: at };
    };
    return {
      idleMs: timing.idleMs,
      createUser: (name, hash) =>
        this.#call(async (sql) => {
          try {
            const [row] = await sql`INSERT INTO users (name, name_key, hash, created_at)
              VALUES (${name}, ${userKey(name)}, ${hash}, ${now()}) RETURNING id`;
            return { id: Number(row!.id), name, hash };
          } catch (error) {
            if ((error as { code?: unknown }).code === "23505") throw userExists(name);
            throw error;
          }
        }),
      findUser: (name) =>
        this.#call(async (sql) => {
          const [row] = await sql`SELECT id, name, hash FROM users WHERE name_key = ${userKey(name)}`;
          return row ? { id: Number(row.id), name: String(row.name), hash: String(row.hash) } : undefined;
        }),
      setHash: (userId, hash) =>
        this.#call(async (sql) => {
          await sql`UPDATE users SET hash = ${hash} WHERE id = ${userId}`;
        }),
      changePassword: (userId, hash, keepToken) =>
        this.#call((sql) =>
          sql.begin(async (tx) => {
            await tx`UPDATE users SET hash = ${hash} WHERE id = ${userId}`;
            return hashes(
              await tx`DELETE FROM sessions WHERE user_id = ${userId} AND token_hash <> ${
                tokenHash(keepToken)
              }
                RETURNING token_hash`,
            );
          })
        ),
      deleteUser: (userId) =>
        this.#call((sql) =>
          sql.begin(async (tx) => {
            const ended = hashes(
              await tx`DELETE FROM sessions WHERE user_id = ${userId} RETURNING token_hash`,
            );
            await tx`DELETE FROM users WHERE id = ${userId}`;
            return ended;
          })
        ),
      countUsers: () =>
        this.#call(async (sql) => {
          const [row] = await sql`SELECT count(*)::int AS n FROM users`;
          return Number(row!.n);
        }),
      createSession: (userId) => this.#call((sql) => insertSession(sql, userId)),
      renew: (token) =>
        this.#call((sql) =>
          sql.begin(async (tx) => {
            // Taking the old session out first makes a second renewal of the same token (on any bootstrap)
            // find nothing.
            const [row] = await tx`DELETE FROM sessions s USING users u
              WHERE s.token_hash = ${tokenHash(token)} AND u.id = s.user_id AND NOT u.disabled
              RETURNING s.token_hash, s.user_id, u.name, s.last_seen, s.expires_at`;
            if (!row) return undefined;
            const times = { lastSeen: Number(row.last_seen), expiresAt: Number(row.expires_at) };
            if (!sessionValid(times, now(), timing)) return undefined;
            const fresh = await insertSession(tx, Number(row.user_id));
            return { user: String(row.name), ...fresh, revoked: String(row.token_hash) };
          })
        ),
      verify: (token) =>
        this.#call(async (sql) => {
          const hash = tokenHash(token);
          const [row] = await sql`SELECT s.user_id, u.name, s.last_seen, s.expires_at, u.admin
            FROM sessions s JOIN users u ON u.id = s.user_id
            WHERE s.token_hash = ${hash} AND NOT u.disabled`;
          if (!row) return undefined;
          const at = now();
          const times = { lastSeen: Number(row.last_seen), expiresAt: Number(row.expires_at) };
          if (!sessionValid(times, at, timing)) {
            await sql`DELETE FROM sessions WHERE token_hash = ${hash}`;
            return undefined;
          }
          if (touchDue(times.lastSeen, at, timing)) {
            await sql`UPDATE sessions SET last_seen = ${at} WHERE token_hash = ${hash}`;
          }
          return {
            userId: Number(row.user_id),
            user: String(row.name),
            expiresAt: times.expiresAt,
            tokenHash: hash,
            admin: row.admin === true,
          };
        }),
      touch: (tokenHashes) =>
        this.#call(async (sql) => {
          if (tokenHashes.length === 0) return [];
          const rows = await sql`SELECT s.token_hash, s.user_id, u.name, s.last_seen, s.expires_at
            FROM sessions s JOIN users u ON u.id = s.user_id WHERE NOT u.disabled AND s.token_hash = ANY(${
            sql.array(tokenHashes)
          })`;
          const at = now();
          const found = new Map<string, SessionInfo>();
          const ended: string[] = [];
          const due: string[] = [];
          for (const row of rows) {
            const hash = String(row.token_hash);
            const times = { lastSeen: Number(row.last_seen), expiresAt: Number(row.expires_at) };
            if (!sessionValid(times, at, timing)) {
              ended.push(hash);
              continue;
            }
            if (touchDue(times.lastSeen, at, timing)) due.push(hash);
            found.set(hash, {
              userId: Number(row.user_id),
              user: String(row.name),
              expiresAt: times.expiresAt,
              tokenHash: hash,
            });
          }
          if (ended.length > 0) await sql`DELETE FROM sessions WHERE token_hash = ANY(${sql.array(ended)})`;
          if (due.length > 0) {
            await sql`UPDATE sessions SET last_seen = ${at} WHERE token_hash = ANY(${sql.array(due)})`;
          }
          return tokenHashes.map((h) => found.get(h)).filter((s): s is SessionInfo => s !== undefined);
        }),
      revoke: (token) =>
        this.#call(async (sql) => {
          const hash = tokenHash(token);
          const rows = await sql`DELETE FROM sessions WHERE token_hash = ${hash} RETURNING token_hash`;
          return rows.length > 0 ? hash : undefined;
        }),
    };
  }

  #limits(): SignInLimitStore {
    const p = this.#policy;
    const rate = p.addressBurst / p.addressPeriodMs;
    return {
      accountWait: (account) =>
        this.#call(async (sql) => {
          const now = this.#now();
          const [row] = await sql`SELECT at FROM sign_in_failures
            WHERE account = ${account} AND at > ${now - p.accountWindowMs}
            ORDER BY at DESC, id DESC LIMIT 1 OFFSET ${p.accountFailures - 1}`;
          return row ? Number(row.at) + p.accountWindowMs - now : 0;
        }),
      recordFailure: (account) =>
        this.#call(async (sql) => {
          await sql`INSERT INTO sign_in_failures (account, at) VALUES (${account}, ${this.#now()})`;
        }),
      clearFailures: (account) =>
        this.#call(async (sql) => {
          await sql`DELETE FROM sign_in_failures WHERE account = ${account}`;
        }),
      // One statement, so it is atomic across bootstraps: refill by the time passed, take a token if there is one.
      takeAddress: (address) =>
        this.#call(async (sql) => {
          const now = this.#now();
          const burst = p.addressBurst;
          const [row] = await sql`
            INSERT INTO sign_in_buckets AS b (address, tokens, at, granted)
            VALUES (${address}, ${burst}::float8 - 1, ${now}, true)
            ON CONFLICT (address) DO UPDATE SET
              tokens = least(${burst}::float8, b.tokens + greatest(0, ${now}::bigint - b.at) * ${rate}::float8)
                - CASE WHEN least(${burst}::float8, b.tokens + greatest(0, ${now}::bigint - b.at) * ${rate}::float8)
                  >= 1 THEN 1 ELSE 0 END,
              granted = least(${burst}::float8, b.tokens + greatest(0, ${now}::bigint - b.at) * ${rate}::float8)
                >= 1,
              at = ${now}
            RETURNING tokens, granted`;
          return row!.granted ? 0 : Math.ceil((1 - Number(row!.tokens)) / rate);
        }),
    };
  }

  /**
   * The cluster's secret from the database; the first bootstrap creates it, adopting the data dir's existing
   * `join-secret` when there is one (so a cluster moved from SQLite keeps its nodes). Copied to
   * `<data dir>/join-secret` (0600) when the file differs.
   */
  async joinSecret(): Promise<BootstrapSecret> {
    const path = join(this.#dataDir, JOIN_SECRET_FILE);
    let local: string | undefined;
    try {
      local = await resolveJoinSecret({ file: path });
    } catch { /* none yet, or unreadable: the database's wins */ }
    const candidate = local ?? randomToken();
    const { secret, created } = await this.#call(async (sql) => {
      const inserted = await sql`INSERT INTO cluster_secret (id, secret, created_at)
        VALUES (1, ${candidate}, ${Date.now()}) ON CONFLICT (id) DO NOTHING RETURNING secret`;
      if (inserted.length > 0) return { secret: candidate, created: local === undefined };
      const [row] = await sql`SELECT secret FROM cluster_secret WHERE id = 1`;
      return { secret: String(row!.secret), created: false };
    });
    if (local !== secret) {
      try {
        await Deno.mkdir(this.#dataDir, { recursive: true, mode: 0o700 });
        await Deno.writeTextFile(path, secret + "\n", { mode: 0o600 });
        await Deno.chmod(path, 0o600);
      } catch (error) {
        throw new CommandError(`Cannot write the join secret ${path}: ${(error as Error).message}`);
      }
    }
    return { path, secret, created, exposed: false };
  }

  prune(): Promise<void> {
    const now = this.#now();
    const p = this.#policy;
    return this.#call(async (sql) => {
      await sql`DELETE FROM sessions WHERE expires_at <= ${now} OR last_seen <= ${now - this.#timing.idleMs}`;
      await sql`DELETE FROM sign_in_failures WHERE at <= ${now - p.accountWindowMs}`;
      await sql`DELETE FROM sign_in_buckets WHERE at <= ${now - p.addressPeriodMs}`;
      await sql`DELETE FROM sign_in_failures WHERE account IN (SELECT account FROM sign_in_failures
        GROUP BY account ORDER BY max(id) DESC OFFSET ${p.maxTracked})`;
      await sql`DELETE FROM sign_in_buckets WHERE address IN
        (SELECT address FROM sign_in_buckets ORDER BY at DESC OFFSET ${p.maxTracked})`;
    });
  }

  async close(): Promise<void> {
    await this.#sql.end({ timeout: 2 }).catch(() => {});
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
