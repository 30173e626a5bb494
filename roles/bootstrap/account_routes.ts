/**
 * The bootstrap's account routes (internal: callers with the join secret only): the account store and the
 * sign-in limits every auth instance shares. The auth instances do the password hashing; these keep the
 * hashes, the sessions and the counters.
 *
 * @module
 */

import { HttpError } from "../../daemon/http/http_error.ts";
import type { Router } from "../../daemon/http/router.ts";
import { readJson } from "../../daemon/http/body.ts";
import {
  type AttemptKind,
  newHash,
  newPassword,
  newUser,
  type RevokedCount,
  signInAttempt,
  storeUser,
  tokenRef,
  type UserRecord,
  userRef,
} from "../../protocol/account.ts";
import type { SessionAnswer, SessionOwner } from "../../protocol/session.ts";
import type { BootstrapDeps } from "./handler.ts";
import { addressKey } from "./sign_in_limits.ts";
import { userKey } from "./user_store.ts";

/** What each kind of sign-in attempt is called in a refusal. */
const ATTEMPT_VERB: Record<AttemptKind, string> = {
  login: "sign in",
  register: "register",
  password: "change the password",
  delete: "delete the account",
};

function tooMany(kind: AttemptKind, waitMs: number): HttpError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return new HttpError(
    429,
    "too_many_attempts",
    `Cannot ${ATTEMPT_VERB[kind]}: too many attempts, try again in ${seconds} s`,
    { "retry-after": String(seconds) },
  );
}

function badToken(): HttpError {
  return new HttpError(
    401,
    "bad_token",
    "Cannot accept the token: it is unknown, expired or revoked (sign in again with audiod login)",
  );
}

/** Adds the account routes to `router` (its internal guard demands the join secret). */
export function accountRoutes(router: Router, deps: BootstrapDeps): void {
  const { users, logger, limits } = deps;
  const revoked = async (hashes: string[]) => {
    if (hashes.length === 0) return;
    logger.info("session.revoked", { sessions: hashes.length });
    await deps.onRevoked?.(hashes);
  };
  const userNamed = (name: string) => {
    const user = users.findUser(storeUser(name, "name"));
    if (!user) throw new HttpError(404, "unknown_user", "Cannot find that user");
    return user;
  };

  router
    .post("/v1/internal/sign-in/attempt", async (req) => {
      const body = await readJson(req, signInAttempt);
      if (body.kind !== "register") {
        const wait = limits.accountWait(userKey(body.user));
        if (wait > 0) {
          logger.warn("sign_in.limited", { limit: "account", user: body.user, waitMs: wait });
          throw tooMany(body.kind, wait);
        }
      }
      const wait = limits.takeAddress(addressKey(body.address));
      if (wait > 0) {
        logger.warn("sign_in.limited", { limit: "address", address: body.address, waitMs: wait });
        throw tooMany(body.kind, wait);
      }
      return new Response(null, { status: 204 });
    })
    .post("/v1/internal/sign-in/failed", async (req) => {
      const body = await readJson(req, userRef);
      limits.recordFailure(userKey(body.user));
      return new Response(null, { status: 204 });
    })
    .post("/v1/internal/users", async (req) => {
      const body = await readJson(req, newUser);
      const user = users.createUser(body.user, body.hash);
      logger.info("user.registered", { user: user.name });
      return Response.json({ user: user.name }, { status: 201 });
    })
    .get("/v1/internal/users/:name", (_req, { params }) => {
      const user = userNamed(params.name!);
      return Response.json({ user: user.name, hash: user.hash } satisfies UserRecord);
    })
    .delete("/v1/internal/users/:name", async (_req, { params }) => {
      const user = userNamed(params.name!);
      const ended = users.deleteUser(user.id);
      limits.clearFailures(userKey(user.name));
      logger.info("user.deleted", { user: user.name, sessions: ended.length });
      await revoked(ended);
      return Response.json({ revoked: ended.length } satisfies RevokedCount);
    })
    .post("/v1/internal/users/:name/hash", async (req, { params }) => {
      const body = await readJson(req, newHash);
      users.setHash(userNamed(params.name!).id, body.hash);
      return new Response(null, { status: 204 });
    })
    .post("/v1/internal/users/:name/password", async (req, { params }) => {
      const body = await readJson(req, newPassword);
      const user = userNamed(params.name!);
      const ended = users.changePassword(user.id, body.hash, body.keep);
      logger.info("user.password_changed", { user: user.name, sessionsEnded: ended.length });
      await revoked(ended);
      return Response.json({ revoked: ended.length } satisfies RevokedCount);
    })
    .post("/v1/internal/sessions", async (req) => {
      const body = await readJson(req, userRef);
      const user = users.findUser(body.user);
      if (!user) throw new HttpError(404, "unknown_user", "Cannot find that user");
      limits.clearFailures(userKey(user.name));
      const session: SessionAnswer = { user: user.name, ...users.createSession(user.id) };
      return Response.json(session, { status: 201 });
    })
    .post("/v1/internal/sessions/verify", async (req) => {
      const body = await readJson(req, tokenRef);
      const session = users.verify(body.token);
      if (!session) throw badToken();
      return Response.json({ user: session.user, expiresAt: session.expiresAt } satisfies SessionOwner);
    })
    .post("/v1/internal/sessions/renew", async (req) => {
      const body = await readJson(req, tokenRef);
      const renewed = users.renew(body.token);
      if (!renewed) throw badToken();
      const { revoked: old, ...fresh } = renewed;
      await revoked([old]);
      const session: SessionAnswer = fresh;
      return Response.json(session, { status: 201 });
    })
    .post("/v1/internal/sessions/revoke", async (req) => {
      const body = await readJson(req, tokenRef);
      const hash = users.revoke(body.token);
      if (hash) await revoked([hash]);
      return new Response(null, { status: 204 });
    });
}
