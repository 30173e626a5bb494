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
import {
  type SessionAnswer,
  type SessionOwner,
  sessionsTouch,
  type SessionsTouched,
} from "../../protocol/session.ts";
import type { RenewedSession } from "../../protocol/events.ts";
import type { BootstrapDeps, RevocationDetails } from "./handler.ts";
import { addressKey } from "./sign_in_limits.ts";
import { type RegistrationRule, tokenHash, userKey } from "./store/mod.ts";
import { storeReset } from "../../protocol/admin.ts";
import { notAdmin } from "./admin_routes.ts";

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

/** The refusal of a disabled account's sign-in (403 `account_disabled`). */
export function accountDisabled(): HttpError {
  return new HttpError(
    403,
    "account_disabled",
    "Cannot sign in: the account is disabled (ask an admin of this cluster)",
  );
}

function badToken(): HttpError {
  return new HttpError(
    401,
    "bad_token",
    "Cannot accept the token: it is unknown, expired or revoked (sign in again with audiod login)",
  );
}

/** Renewals remembered, so that a file instance that missed one moves its streams rather than cutting them. */
const RENEWALS_KEPT = 10_000;

/** Adds the account routes to `router` (its internal guard demands the join secret). */
export function accountRoutes(router: Router, deps: BootstrapDeps): void {
  const { users, logger, limits } = deps;
  const revoked = async (hashes: string[], details: RevocationDetails = {}) => {
    if (hashes.length === 0) return;
    logger.info("session.revoked", {
      sessions: hashes.length,
      ...(details.renewedAs ? { renewed: true } : {}),
    });
    await deps.onRevoked?.(hashes, details);
  };
  /** Old token hash → the session it was renewed into (recent renewals, oldest first). */
  const renewals = new Map<string, RenewedSession>();
  /** Where a renewed session went, following renewals of renewals; undefined when it was not renewed. */
  const renewedAs = (hash: string): RenewedSession | undefined => {
    let last: RenewedSession | undefined;
    for (let hops = 0, next = renewals.get(hash); next && hops < 16; hops++) {
      last = next;
      next = renewals.get(next.tokenHash);
    }
    return last;
  };
  const userNamed = async (name: string) => {
    const user = await users.findUser(storeUser(name, "name"));
    if (!user) throw new HttpError(404, "unknown_user", "Cannot find that user");
    return user;
  };

  router
    .post("/v1/internal/sign-in/attempt", async (req) => {
      const body = await readJson(req, signInAttempt);
      if (body.kind !== "register") {
        const wait = await limits.accountWait(userKey(body.user));
        if (wait > 0) {
          logger.warn("sign_in.limited", {
            limit: "account",
            user: body.user,
            address: body.address,
            waitMs: wait,
          });
          throw tooMany(body.kind, wait);
        }
      }
      const wait = await limits.takeAddress(addressKey(body.address));
      if (wait > 0) {
        logger.warn("sign_in.limited", { limit: "address", address: body.address, waitMs: wait });
        throw tooMany(body.kind, wait);
      }
      return new Response(null, { status: 204 });
    })
    .post("/v1/internal/sign-in/failed", async (req) => {
      const body = await readJson(req, userRef);
      await limits.recordFailure(userKey(body.user));
      logger.info("sign_in.failed", { user: body.user, address: body.address ?? "unknown" });
      return new Response(null, { status: 204 });
    })
    .post("/v1/internal/users", async (req) => {
      const body = await readJson(req, newUser);
      const address = body.address ?? "unknown";
      if (!deps.accountAdmin) {
        const user = await users.createUser(body.user, body.hash);
        logger.info("user.registered", { user: user.name, address });
        return Response.json({ user: user.name }, { status: 201 });
      }
      // The policy check and the invite's use happen in the store, in one transaction with the insert.
      let by: string | undefined;
      if (body.by !== undefined) {
        const session = await users.verify(body.by);
        if (!session?.admin) throw notAdmin("add an account");
        by = session.user;
      }
      const rule: RegistrationRule = {
        policy: deps.registration ?? "open",
        ...(body.invite !== undefined ? { inviteHash: tokenHash(body.invite) } : {}),
        ...(by !== undefined ? { byAdmin: true } : {}),
      };
      let user;
      try {
        user = await deps.accountAdmin.register(body.user, body.hash, rule);
      } catch (error) {
        if (error instanceof HttpError && error.status < 500) {
          logger.info("user.register_refused", { user: body.user, address, reason: error.code });
        }
        throw error;
      }
      if (by !== undefined) logger.info("admin.user_added", { by, user: user.name, address });
      else logger.info("user.registered", { user: user.name, admin: user.admin, via: user.via, address });
      return Response.json({ user: user.name }, { status: 201 });
    })
    .get("/v1/internal/users/:name", async (_req, { params }) => {
      const user = await userNamed(params.name!);
      const row = await deps.accountAdmin?.account(user.name);
      return Response.json(
        {
          user: user.name,
          hash: user.hash,
          ...(row?.disabled ? { disabled: true } : {}),
        } satisfies UserRecord,
      );
    })
    .post("/v1/internal/users/:name/reset", async (req, { params }) => {
      // An auth instance resets a password for an admin: it hashed the new one, the admin's token says who asks.
      const body = await readJson(req, storeReset);
      const session = await users.verify(body.by);
      if (!session?.admin) throw notAdmin("reset a password");
      const user = await userNamed(params.name!);
      const grants = (await deps.grantsOf?.(user, "password")) ?? [];
      const ended = await users.changePassword(user.id, body.hash, "");
      logger.info("admin.password_reset", { by: session.user, user: user.name, sessionsEnded: ended.length });
      await revoked([...ended, ...grants], { user: user.name });
      return Response.json({ revoked: ended.length } satisfies RevokedCount);
    })
    .delete("/v1/internal/users/:name", async (_req, { params }) => {
      const user = await userNamed(params.name!);
      const grants = (await deps.grantsOf?.(user, "deleted")) ?? [];
      const ended = await users.deleteUser(user.id);
      await limits.clearFailures(userKey(user.name));
      logger.info("user.deleted", { user: user.name, sessions: ended.length });
      await revoked([...ended, ...grants], { user: user.name, accountEnded: true });
      return Response.json({ revoked: ended.length } satisfies RevokedCount);
    })
    .post("/v1/internal/users/:name/hash", async (req, { params }) => {
      const body = await readJson(req, newHash);
      await users.setHash((await userNamed(params.name!)).id, body.hash);
      return new Response(null, { status: 204 });
    })
    .post("/v1/internal/users/:name/password", async (req, { params }) => {
      const body = await readJson(req, newPassword);
      const user = await userNamed(params.name!);
      const grants = (await deps.grantsOf?.(user, "password")) ?? [];
      const ended = await users.changePassword(user.id, body.hash, body.keep);
      logger.info("user.password_changed", { user: user.name, sessionsEnded: ended.length });
      await revoked([...ended, ...grants], { user: user.name });
      return Response.json({ revoked: ended.length } satisfies RevokedCount);
    })
    .post("/v1/internal/sessions", async (req) => {
      const body = await readJson(req, userRef);
      const address = body.address ?? "unknown";
      const user = await users.findUser(body.user);
      if (!user) throw new HttpError(404, "unknown_user", "Cannot find that user");
      if ((await deps.accountAdmin?.account(user.name))?.disabled) {
        logger.info("sign_in.refused", { user: user.name, address, reason: "account disabled" });
        throw accountDisabled();
      }
      await limits.clearFailures(userKey(user.name));
      const session: SessionAnswer = { user: user.name, ...(await users.createSession(user.id)) };
      await deps.accountAdmin?.recordSignIn(user.id);
      logger.info("sign_in.ok", { user: user.name, address });
      return Response.json(session, { status: 201 });
    })
    .post("/v1/internal/sessions/verify", async (req) => {
      const body = await readJson(req, tokenRef);
      const session = await users.verify(body.token);
      if (!session) throw badToken();
      return Response.json(
        {
          user: session.user,
          expiresAt: session.expiresAt,
          ...(session.admin ? { admin: true } : {}),
        } satisfies SessionOwner,
      );
    })
    .post("/v1/internal/sessions/touch", async (req) => {
      const body = await readJson(req, sessionsTouch);
      const valid = new Map((await users.touch(body.tokenHashes)).map((s) => [s.tokenHash, s]));
      const sessions: SessionsTouched["sessions"] = [];
      for (const hash of body.tokenHashes) {
        const session = valid.get(hash);
        if (session) {
          sessions.push({ tokenHash: hash, expiresAt: session.expiresAt });
          continue;
        }
        // Renewed: the new session carries the streams on, while it is valid (and counts as used by them).
        const renewed = renewedAs(hash);
        const fresh = renewed && (await users.touch([renewed.tokenHash]))[0];
        if (fresh) sessions.push({ tokenHash: hash, expiresAt: fresh.expiresAt, renewedAs: renewed });
      }
      return Response.json({ sessions, idleMs: users.idleMs } satisfies SessionsTouched);
    })
    .post("/v1/internal/sessions/renew", async (req) => {
      const body = await readJson(req, tokenRef);
      const renewed = await users.renew(body.token);
      if (!renewed) throw badToken();
      const { revoked: old, ...fresh } = renewed;
      const successor = { tokenHash: tokenHash(fresh.token), expiresAt: fresh.expiresAt };
      renewals.set(old, successor);
      for (const key of renewals.keys()) {
        if (renewals.size <= RENEWALS_KEPT) break;
        renewals.delete(key);
      }
      await revoked([old], { user: fresh.user, renewedAs: successor });
      const session: SessionAnswer = fresh;
      return Response.json(session, { status: 201 });
    })
    .post("/v1/internal/sessions/revoke", async (req) => {
      const body = await readJson(req, tokenRef);
      const hash = await users.revoke(body.token);
      if (hash) await revoked([hash]);
      // A logout asked again (its first answer was lost, say with the bootstrap that took it) finds no session,
      // but that bootstrap may have died before telling the file instances: tell them (again).
      else await deps.onRevoked?.([tokenHash(body.token)]);
      return new Response(null, { status: 204 });
    });
}
