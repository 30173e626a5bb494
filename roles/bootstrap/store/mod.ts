/**
 * The bootstrap's store: one async interface over everything a bootstrap keeps, with two implementations —
 * SQLite in the data dir (`node:sqlite`, WAL; the default, one machine) and PostgreSQL (`--store
 * postgres://USER@HOST:PORT/DB`, shared by every bootstrap of a cluster).
 *
 * The store is a set of facets, one interface each, so that what comes next is added beside what is here, in
 * both backends and in the one test suite (`store_test.ts`) that runs against both:
 *
 * - {@linkcode AccountStore}: users and sessions (token hashes only; idle and absolute expiry) — durable;
 * - {@linkcode SignInLimitStore}: failed sign-ins per account, attempts per address — durable, so neither a
 *   restart nor spreading attempts over several bootstraps gains an attacker anything;
 * - {@linkcode Store.joinSecret}: the cluster's join secret, one per cluster (in PostgreSQL it lives in the
 *   database and every bootstrap on it shares it; with SQLite it stays the `<data dir>/join-secret` file);
 * - {@linkcode AccountAdminStore} (`account_admin.ts`): registration under a policy (open, invite, closed),
 *   invites (hashes only), the admin and disabled flags, the last sign-in — durable;
 * - {@linkcode UserDataStore} (`user_data.ts`): per-user data for the OpenSubsonic API and the player — stars,
 *   ratings, play counts, playlists, the play queue, API keys (hashes only) — durable, gone with the account.
 *
 * Planned facets, each a property of {@linkcode Store} and a versioned migration in `_migrations.ts`: soft
 * state (members and leases, catalog and replicas, pending spawns, recent events: unlogged tables in
 * PostgreSQL, rebuilt from re-registration after a database crash) and a leader lease with a fencing epoch.
 *
 * Every call may fail with {@linkcode StoreUnavailableError} (an HttpError 503 `store_unavailable`) while
 * PostgreSQL cannot be reached; the router answers it as is, and the store recovers by itself when the
 * database is back. Schema migrations are applied at open by whichever bootstrap comes first (safe when several
 * start at once).
 *
 * @module
 */

import { createHash } from "node:crypto";
import { join } from "node:path";
import type { BootstrapSecret } from "../../../daemon/cluster/join_secret.ts";
import { HttpError } from "../../../daemon/http/http_error.ts";
import type { Logger } from "../../../daemon/runtime/log.ts";
import { UsageError } from "../../../cli/usage_error.ts";
import type { UserDataStore } from "./user_data.ts";
import type { ClusterStore } from "./cluster.ts";
import type { AccountAdminStore } from "./account_admin.ts";

export type { BootstrapSecret };
export type { UserDataStore } from "./user_data.ts";
export type { AccountAdminStore, AccountRow, Policy, RegistrationRule } from "./account_admin.ts";
export type {
  ClusterStore,
  LeaderLease,
  LiveBootstrap,
  StoredEvent,
  StoredMember,
  StoredSpawn,
} from "./cluster.ts";

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
  /** Whether its account is an admin (`account_admin.ts`). */
  admin?: boolean;
}

/** A session just started: its token is shown once and never stored. */
export interface NewSession {
  token: string;
  expiresAt: number;
  issuedAt: number;
}

/** A session traded for a new one: the new token and the hash of the revoked one. */
export interface RenewedSession extends NewSession {
  user: string;
  revoked: string;
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

/** Accounts and sessions. Tokens are 256 random bits; only their SHA-256 is stored. */
export interface AccountStore {
  /** Creates an account; an HttpError 409 `user_exists` when the name is taken (case-insensitively). */
  createUser(name: string, hash: string): Promise<UserRecord>;
  findUser(name: string): Promise<UserRecord | undefined>;
  /** Replaces a user's password hash (an upgrade of its parameters). */
  setHash(userId: number, hash: string): Promise<void>;
  /**
   * Sets a new password hash and ends every session of the user but `keepToken`'s (the one that asked);
   * returns the hashes of the ended sessions, for the revocation push.
   */
  changePassword(userId: number, hash: string, keepToken: string): Promise<string[]>;
  /** Deletes an account and its sessions; returns the hashes of the ended sessions. */
  deleteUser(userId: number): Promise<string[]>;
  /** Number of accounts. */
  countUsers(): Promise<number>;
  /** Starts a session and returns its token (shown once, never stored). */
  createSession(userId: number): Promise<NewSession>;
  /**
   * Trades a valid token for a new one with a fresh lifetime and revokes the old one (a client renews before
   * its token expires, so playback is never cut off). Undefined when the token is not valid now.
   */
  renew(token: string): Promise<RenewedSession | undefined>;
  /** The session a token belongs to, if it is valid now; renews its idle timer. */
  verify(token: string): Promise<SessionInfo | undefined>;
  /**
   * Of the sessions of these token hashes (a file instance's streams in flight), those valid now, in the order
   * asked; each counts as used (its idle timer starts again), as a verification does.
   */
  touch(tokenHashes: string[]): Promise<SessionInfo[]>;
  /** How long a session may go unused. */
  readonly idleMs: number;
  /** Ends a session; returns the token's hash when there was one. */
  revoke(token: string): Promise<string | undefined>;
}

/**
 * Limits on sign-in attempts, kept in the store because every auth instance and every bootstrap shares them:
 *
 * - per account, at most `accountFailures` failed password checks within `accountWindowMs` (100 per hour);
 * - per client address, a token bucket of `addressBurst` attempts refilled over `addressPeriodMs`
 *   (20 per minute), on login, register, password change and account deletion alike.
 *
 * Neither ever refuses for longer than its window: a refused attempt is not counted, the oldest failure ages
 * out after the window, and the bucket refills at its rate. Keys are {@linkcode userKey}s and
 * `addressKey`s (`../sign_in_limits.ts`).
 */
export interface SignInLimitStore {
  /**
   * Milliseconds until `account` may try a password again (0: now). Counts nothing: only a failed check, told
   * by {@linkcode recordFailure}, does.
   */
  accountWait(account: string): Promise<number>;
  /** Counts a failed password check against `account`. */
  recordFailure(account: string): Promise<void>;
  /** Forgets `account`'s failures (it signed in). */
  clearFailures(account: string): Promise<void>;
  /** Takes one attempt from `address`'s bucket: 0 when allowed, else milliseconds until one is. */
  takeAddress(address: string): Promise<number>;
}

/** How many sign-in attempts are allowed. */
export interface SignInPolicy {
  /** Failed attempts allowed per account within the window (default 100). */
  accountFailures?: number;
  /** Default one hour. */
  accountWindowMs?: number;
  /** Attempts an address may make at once (default 20). */
  addressBurst?: number;
  /** Time in which an empty bucket refills completely (default one minute). */
  addressPeriodMs?: number;
  /** Accounts and addresses remembered at most; {@linkcode Store.prune} forgets the least recently touched. */
  maxTracked?: number;
}

/** {@linkcode SignInPolicy} with its defaults filled in. */
export type FullSignInPolicy = Required<SignInPolicy>;

/** Fills in the defaults of a {@linkcode SignInPolicy}. */
export function signInPolicy(policy: SignInPolicy = {}): FullSignInPolicy {
  return {
    accountFailures: policy.accountFailures ?? 100,
    accountWindowMs: policy.accountWindowMs ?? 3600_000,
    addressBurst: policy.addressBurst ?? 20,
    addressPeriodMs: policy.addressPeriodMs ?? 60_000,
    maxTracked: policy.maxTracked ?? 100_000,
  };
}

/** Everything a bootstrap keeps. */
export interface Store extends AsyncDisposable {
  /** Which backend. */
  readonly kind: "sqlite" | "postgres";
  /** Where the store is, for logs: a file path, or the PostgreSQL URL without its password. */
  readonly location: string;
  readonly accounts: AccountStore;
  readonly signInLimits: SignInLimitStore;
  /** Registration under a policy, invites, the admin and disabled flags (`account_admin.ts`). */
  readonly accountAdmin: AccountAdminStore;
  /** Per-user data: stars, ratings, plays, playlists, the play queue, API keys (`user_data.ts`). */
  readonly userData: UserDataStore;
  /**
   * What several bootstraps share (`cluster.ts`): the leader lease, live bootstraps, members, the catalog and
   * the event sequence. PostgreSQL only: a SQLite store has one bootstrap, which keeps all of it in memory.
   */
  readonly cluster?: ClusterStore;
  /**
   * The cluster's join secret, created by the first bootstrap to ask. `path` is the file nodes on this machine
   * can read it from (`<data dir>/join-secret`; with PostgreSQL a copy of the shared one).
   */
  joinSecret(): Promise<BootstrapSecret>;
  /** Deletes expired and idle sessions and aged-out sign-in counters. */
  prune(): Promise<void>;
  close(): Promise<void>;
}

/** Which store: SQLite in a file, or a PostgreSQL database. */
export type StoreSpec = { kind: "sqlite"; path: string } | { kind: "postgres"; url: string };

/** The environment variable `--store` defaults to. */
export const STORE_ENV = "AUDIOD_STORE";

/** The SQLite file inside the data dir. */
export const SQLITE_FILE = "users.db";

/**
 * Reads `--store` (or AUDIOD_STORE): absent or empty means SQLite in `<dataDir>/users.db`; `postgres://…` or
 * `postgresql://…` a PostgreSQL database. A UsageError for anything else.
 */
export function parseStoreSpec(text: string | undefined, dataDir: string): StoreSpec {
  const value = text?.trim() ?? "";
  if (value === "") return { kind: "sqlite", path: join(dataDir, SQLITE_FILE) };
  if (/^postgres(ql)?:\/\//i.test(value)) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new UsageError(`Cannot use the store ${value}: it is not a URL (postgres://USER@HOST:PORT/DB)`);
    }
    if (url.hostname === "" || url.pathname.replace(/^\//, "") === "") {
      throw new UsageError(
        `Cannot use the store ${
          redactUrl(value)
        }: it needs a host and a database (postgres://USER@HOST:PORT/DB)`,
      );
    }
    return { kind: "postgres", url: value };
  }
  throw new UsageError(
    `Cannot use the store ${value}: expected postgres://USER@HOST:PORT/DB (or no --store for SQLite in --data)`,
  );
}

/** A PostgreSQL URL with its password replaced, for logs and messages. */
export function redactUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.password !== "") url.password = "***";
    return url.toString();
  } catch {
    return text.replace(/:[^:@/]*@/, ":***@");
  }
}

/** Options for {@linkcode openStore}. */
export interface StoreOptions {
  /** The bootstrap's data dir: where the join secret file is (and the SQLite store by default). */
  dataDir: string;
  now?: () => number;
  timing?: SessionTiming;
  signIn?: SignInPolicy;
  /** Told when the store becomes unreachable and when it is back. */
  logger?: Logger;
  /** PostgreSQL: how long a call may go unanswered before it fails as unreachable (default 10 s). */
  callTimeoutMs?: number;
}

/**
 * Opens the store `spec` names (SQLite by default), applying its schema migrations. Throws an Error that says
 * "Cannot open the … store" when it cannot.
 */
export async function openStore(spec: StoreSpec, options: StoreOptions): Promise<Store> {
  if (spec.kind === "sqlite") {
    const { SqliteStore } = await import("./sqlite.ts");
    return new SqliteStore(spec.path, options);
  }
  const { openPostgresStore } = await import("./postgres.ts");
  return await openPostgresStore(spec.url, options);
}

/** The store cannot be reached: every call fails with this until it is back. */
export class StoreUnavailableError extends HttpError {
  constructor(where: string, cause: unknown) {
    super(
      503,
      "store_unavailable",
      `Cannot reach the bootstrap's store (${where}): ${
        describe(cause)
      } (the bootstrap reconnects by itself; ` +
        "try again shortly)",
      { "retry-after": "2" },
    );
    this.name = "StoreUnavailableError";
    this.cause = cause;
  }
}

function describe(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  return String(cause);
}

/** The refusal of a taken name (409 `user_exists`). */
export function userExists(name: string): HttpError {
  return new HttpError(409, "user_exists", `Cannot register "${name}": that name is taken`);
}

/** A session's validity at `now`, as every backend decides it. */
export function sessionValid(
  row: { lastSeen: number; expiresAt: number },
  now: number,
  timing: SessionTiming,
): boolean {
  return now < row.expiresAt && now - row.lastSeen < timing.idleMs;
}

/** Whether a verified session's idle timer is written now: at most every tenth of the idle timeout (10 s). */
export function touchDue(lastSeen: number, now: number, timing: SessionTiming): boolean {
  return now - lastSeen >= Math.min(10_000, timing.idleMs / 10);
}
