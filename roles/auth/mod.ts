/**
 * `audiod auth`: registers users and signs them in. Accounts live in the bootstrap's shared store; this
 * instance does the expensive part, the memory-hard password hash.
 *
 * Permissions: net (listen, call the bootstrap), env.
 *
 * @module
 */

import { type PeerAccess, peerAccess, UnreachableError } from "../../daemon/cluster/peer_client.ts";
import { callBootstrap } from "../../daemon/cluster/bootstrap_set.ts";
import { bearer } from "../../daemon/http/bearer.ts";
import { HttpError } from "../../daemon/http/http_error.ts";
import { guardInternal } from "../../daemon/cluster/join_secret.ts";
import { LoadMeter } from "../../daemon/cluster/load_meter.ts";
import { Metrics } from "../../daemon/http/metrics.ts";
import { createLogger, type LogFormat, type Logger } from "../../daemon/runtime/log.ts";
import { type Handler, Router } from "../../daemon/http/router.ts";
import type { Check } from "../../protocol/schema.ts";
import {
  accountDeletion,
  credentials,
  passwordChange,
  sessionAnswer,
  sessionOwner,
} from "../../protocol/session.ts";
import {
  type AttemptKind,
  revokedCount,
  type UserRecord,
  userRecord,
  userRef,
} from "../../protocol/account.ts";
import { readJson } from "../../daemon/http/body.ts";
import { adminNewUser, adminPasswordReset, signUp } from "../../protocol/admin.ts";
import { passwordCheck, type PasswordChecked } from "../../protocol/stream_access.ts";
import { type InstancePlacement, runInstance } from "../_instance.ts";
import { burnVerify, hashPassword, needsRehash, verifyPassword } from "./password.ts";

const WRONG = "Cannot sign in: wrong user name or password";

/** What the auth handler needs. */
export interface AuthDeps {
  bootstrap: string;
  logger: Logger;
  /** The join secret (and CA) for calls to the bootstrap's internal routes. */
  peer: PeerAccess;
  /** Told the outcome of every sign-in (login or registration) once it is known. */
  onSignIn?: (kind: "login" | "register", outcome: SignInOutcome) => void;
}

/** How a sign-in ended: signed in, refused (wrong password, taken name, weak password), or over the limits. */
export type SignInOutcome = "ok" | "refused" | "limited" | "error";

function outcomeOf(error: unknown): SignInOutcome {
  if (!(error instanceof HttpError)) return "error";
  if (error.status === 429) return "limited";
  return error.status >= 500 ? "error" : "refused";
}

/**
 * Builds the auth instance's request handler: register, login, logout, renew, password change and account
 * deletion. Accounts, sessions and the sign-in limits live in the bootstrap (shared by every auth instance).
 */
export function createHandler(deps: AuthDeps): Handler {
  const { bootstrap, logger, peer } = deps;
  const router = new Router((error, req) => logger.error("request.failed", { method: req.method, error }));
  guardInternal(router, peer.joinSecret ?? "");
  /** Calls the account store; `answer` checks what it answers (nothing is read without it). */
  async function store<T>(
    method: string,
    path: string,
    call: { body?: unknown; answer: Check<T> },
  ): Promise<T>;
  async function store(method: string, path: string, call?: { body?: unknown }): Promise<void>;
  async function store<T>(
    method: string,
    path: string,
    call: { body?: unknown; answer?: Check<T> } = {},
  ): Promise<T | void> {
    // A bootstrap that stopped answering is left after 3 s for the next one (several on one store).
    const options = { ...peer, timeoutMs: 3000, ...(call.body === undefined ? {} : { body: call.body }) };
    try {
      return call.answer
        ? await callBootstrap(bootstrap, method, path, { ...options, answer: call.answer })
        : await callBootstrap(bootstrap, method, path, options);
    } catch (error) {
      if (error instanceof UnreachableError) {
        throw new HttpError(503, "store_unavailable", "Cannot reach the account store: try again shortly", {
          "retry-after": "2",
        });
      }
      throw error;
    }
  }
  const userPath = (user: string) => `/v1/internal/users/${encodeURIComponent(user)}`;
  /** Asks the bootstrap whether this attempt is within the limits (429 with Retry-After when not). */
  const attempt = (kind: AttemptKind, address: string, user: string) =>
    store("POST", "/v1/internal/sign-in/attempt", { body: { kind, address: address || "unknown", user } });
  const failed = (user: string, address: string) =>
    store("POST", "/v1/internal/sign-in/failed", { body: { user, address: address || "unknown" } });
  /** The account behind a token, or a 401. */
  const owner = async (token: string): Promise<string> =>
    (await store("POST", "/v1/internal/sessions/verify", { body: { token }, answer: sessionOwner })).user;
  /** The stored hash of `user`, or null for an unknown user. */
  const lookup = async (user: string): Promise<UserRecord | null> => {
    try {
      return await store("GET", userPath(user), { answer: userRecord });
    } catch (error) {
      if (error instanceof HttpError && error.status === 404) return null;
      throw error;
    }
  };
  /**
   * Checks `user`'s password, counting a failure against the account; null when wrong or unknown. (A disabled
   * account's right password passes here: the store refuses its session, and logs the refusal.)
   */
  const check = async (user: string, given: string, address: string): Promise<UserRecord | null> => {
    const record = await lookup(user);
    const ok = record ? await verifyPassword(given, record.hash) : await burnVerify(given);
    if (record && ok) return record;
    await failed(user, address);
    return null;
  };
  /** The admin a token belongs to, or a 401 (no session) or 403 (not an admin), before any hashing. */
  const adminOf = async (token: string, toDo: string): Promise<string> => {
    const session = await store("POST", "/v1/internal/sessions/verify", {
      body: { token },
      answer: sessionOwner,
    });
    if (!session.admin) {
      throw new HttpError(403, "not_admin", `Cannot ${toDo}: only an admin of this cluster may`);
    }
    return session.user;
  };

  /** Runs a sign-in and reports how it ended. */
  const signIn = async (kind: "login" | "register", run: () => Promise<Response>): Promise<Response> => {
    try {
      const res = await run();
      deps.onSignIn?.(kind, "ok");
      return res;
    } catch (error) {
      deps.onSignIn?.(kind, outcomeOf(error));
      throw error;
    }
  };

  router
    .get("/v1/health", () => Response.json({ ok: true, role: "auth" }))
    .post("/v1/register", (req, ctx) =>
      signIn("register", async () => {
        const { user, password, invite } = await readJson(req, signUp);
        checkPassword(password);
        const address = ctx.remoteAddr || "unknown";
        await attempt("register", address, user);
        const hash = await hashPassword(password);
        // The bootstrap decides by its registration policy (and uses the invite) as it stores the account.
        const created = await store("POST", "/v1/internal/users", {
          body: { user, hash, address, ...(invite !== undefined ? { invite } : {}) },
          answer: userRef,
        });
        const session = await store("POST", "/v1/internal/sessions", {
          body: { user: created.user, address },
          answer: sessionAnswer,
        });
        logger.info("register.ok", { user: created.user });
        return Response.json(session, { status: 201 });
      }))
    .post("/v1/login", (req, ctx) =>
      signIn("login", async () => {
        const { user, password } = await readJson(req, credentials);
        await attempt("login", ctx.remoteAddr, user);
        const record = await check(user, password, ctx.remoteAddr);
        if (!record) {
          logger.info("login.failed", { reason: "wrong user or password" });
          throw new HttpError(401, "bad_credentials", WRONG);
        }
        if (needsRehash(record.hash)) {
          const hash = await hashPassword(password);
          await store("POST", `${userPath(record.user)}/hash`, { body: { hash } });
          logger.info("password.rehashed", { user: record.user });
        }
        const session = await store("POST", "/v1/internal/sessions", {
          body: { user: record.user, address: ctx.remoteAddr || "unknown" },
          answer: sessionAnswer,
        });
        logger.info("login.ok", { user: record.user });
        return Response.json(session);
      }))
    .post("/v1/logout", async (req) => {
      const token = bearer(req);
      await store("POST", "/v1/internal/sessions/revoke", { body: { token } });
      return new Response(null, { status: 204 });
    })
    .post("/v1/renew", async (req) => {
      const token = bearer(req);
      const session = await store("POST", "/v1/internal/sessions/renew", {
        body: { token },
        answer: sessionAnswer,
      });
      logger.info("session.renewed", { user: session.user });
      return Response.json(session, { status: 201 });
    })
    .post("/v1/password", async (req, { remoteAddr }) => {
      const token = bearer(req);
      const body = await readJson(req, passwordChange);
      checkPassword(body.newPassword);
      const user = await owner(token);
      await attempt("password", remoteAddr, user);
      if (!await check(user, body.oldPassword, remoteAddr)) {
        throw new HttpError(
          401,
          "bad_credentials",
          "Cannot change the password: the current password is wrong",
        );
      }
      const hash = await hashPassword(body.newPassword);
      const answer = await store("POST", `${userPath(user)}/password`, {
        body: { hash, keep: token },
        answer: revokedCount,
      });
      logger.info("password.changed", { user, revoked: answer.revoked });
      return Response.json({ user, revoked: answer.revoked });
    })
    .delete("/v1/account", async (req, { remoteAddr }) => {
      const token = bearer(req);
      const body = await readJson(req, accountDeletion);
      const user = await owner(token);
      await attempt("delete", remoteAddr, user);
      if (!await check(user, body.password, remoteAddr)) {
        throw new HttpError(401, "bad_credentials", "Cannot delete the account: the password is wrong");
      }
      const answer = await store("DELETE", userPath(user), { answer: revokedCount });
      logger.info("account.deleted", { user, revoked: answer.revoked });
      return Response.json({ user, revoked: answer.revoked });
    })
    .post("/v1/admin/users", async (req, { remoteAddr }) => {
      // An admin adds an account with a password: hashed here, stored by the bootstrap whatever its policy.
      const token = bearer(req);
      const body = await readJson(req, adminNewUser);
      checkPassword(body.password);
      const by = await adminOf(token, "add an account");
      const hash = await hashPassword(body.password);
      const created = await store("POST", "/v1/internal/users", {
        body: { user: body.user, hash, by: token, address: remoteAddr || "unknown" },
        answer: userRef,
      });
      logger.info("admin.user_added", { by, user: created.user });
      return Response.json({ user: created.user, sessionsEnded: 0 }, { status: 201 });
    })
    .post("/v1/admin/users/:name/password", async (req, { params }) => {
      // An admin resets an account's password: hashed here; the bootstrap ends the account's sessions.
      const token = bearer(req);
      const body = await readJson(req, adminPasswordReset);
      checkPassword(body.password);
      const by = await adminOf(token, "reset a password");
      const name = params.name!;
      const hash = await hashPassword(body.password);
      const answer = await store("POST", `${userPath(name)}/reset`, {
        body: { hash, by: token },
        answer: revokedCount,
      });
      logger.info("admin.password_reset", { by, user: name, revoked: answer.revoked });
      return Response.json({ user: name, sessionsEnded: answer.revoked });
    })
    .post("/v1/internal/password-check", (req) =>
      // The bootstrap's OpenSubsonic API checks `u`+`p` here (it never hashes passwords itself): a login's
      // limits and failure count, without a session.
      signIn("login", async () => {
        const { user, password, address } = await readJson(req, passwordCheck);
        await attempt("login", address, user);
        const record = await check(user, password, address);
        if (!record) throw new HttpError(401, "bad_credentials", WRONG);
        if (record.disabled) {
          throw new HttpError(
            403,
            "account_disabled",
            "Cannot sign in: the account is disabled (ask an admin of this cluster)",
          );
        }
        return Response.json({ user: record.user } satisfies PasswordChecked);
      }));
  return router.handle;
}

function checkPassword(password: string): void {
  const bytes = new TextEncoder().encode(password).length;
  if (bytes < 8) {
    throw new HttpError(400, "weak_password", "Cannot accept the password: use at least 8 characters");
  }
  if (bytes > 1024) {
    throw new HttpError(400, "invalid_request", "Cannot accept the password: at most 1024 bytes");
  }
}

/** Options of `audiod auth`. */
export interface AuthOptions extends InstancePlacement {
  logFormat: LogFormat;
}

/** Runs an auth instance until `signal` aborts. */
export async function run(options: AuthOptions, signal: AbortSignal): Promise<void> {
  const logger = createLogger({ role: "auth", format: options.logFormat });
  const meter = new LoadMeter({ logins: true });
  const metrics = new Metrics();
  const signIns = metrics.counter(
    "audiod_sign_ins_total",
    "Sign-ins by kind (login, register) and outcome (ok, refused, limited, error)",
  );
  const peer = peerAccess(options);
  const handler = createHandler({
    bootstrap: options.bootstrap,
    logger,
    peer,
    // Sign-ins per second drive autoscaling: count those the limits let through (the costly password work).
    onSignIn: (kind, outcome) => {
      signIns.inc({ kind, outcome });
      if (outcome === "ok" || outcome === "refused") meter.addLogin();
    },
  });
  await runInstance({ ...options, role: "auth", handler, meter, logger, peer, metrics }, signal);
}
