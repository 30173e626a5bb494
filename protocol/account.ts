/**
 * The account store, the bootstrap's internal routes the auth instances call: sign-in limits
 * (`/v1/internal/sign-in/…`), accounts (`/v1/internal/users/…`) and sessions (`/v1/internal/sessions/…`). The
 * expensive password hashing happens in the auth instances; the store keeps hashes, sessions and counters.
 *
 * @module
 */

import { bool, type Infer, int, obj, oneOf, optional, str } from "./schema.ts";
import { token } from "./session.ts";

/** A user name as the store takes it (the auth instances check the format). */
export const storeUser = str({ min: 1, max: 64 });

const hash = str({ max: 512 });

/** What a sign-in attempt is for; the store limits them per address and (but registrations) per account. */
export const attemptKind = oneOf(["login", "register", "password", "delete"] as const);
/** What a sign-in attempt is for. */
export type AttemptKind = Infer<typeof attemptKind>;

/** `POST /v1/internal/sign-in/attempt` (204, or 429 with Retry-After over the limits). */
export const signInAttempt = obj({ kind: attemptKind, address: str({ max: 64 }), user: storeUser });
/** `POST /v1/internal/sign-in/attempt` */
export type SignInAttempt = Infer<typeof signInAttempt>;

/**
 * `POST /v1/internal/sign-in/failed` (204) and `POST /v1/internal/sessions` (a session for this user); `address`
 * is the client's, for the bootstrap's sign-in log lines.
 */
export const userRef = obj({ user: storeUser, address: optional(str({ max: 64 })) });
/** `POST /v1/internal/sign-in/failed` and `POST /v1/internal/sessions`. */
export type UserRef = Infer<typeof userRef>;

/**
 * `POST /v1/internal/users` (201, answered with a {@linkcode userRef}), under the bootstrap's registration policy:
 * `invite` is the code a `--registration invite` cluster needs; `by` an admin's token (an account an admin adds,
 * whatever the policy). `address` is the client's, for the log.
 */
export const newUser = obj({
  user: storeUser,
  hash,
  invite: optional(str({ min: 1, max: 128 })),
  by: optional(token),
  address: optional(str({ max: 64 })),
});
/** `POST /v1/internal/users` */
export type NewUser = Infer<typeof newUser>;

/** `GET /v1/internal/users/:name`: the account, its password hash, and whether an admin disabled it. */
export const userRecord = obj({ user: str({ max: 256 }), hash, disabled: optional(bool()) });
/** `GET /v1/internal/users/:name` */
export type UserRecord = Infer<typeof userRecord>;

/** `POST /v1/internal/users/:name/hash` (204): a rehashed password. */
export const newHash = obj({ hash });
/** `POST /v1/internal/users/:name/hash` */
export type NewHash = Infer<typeof newHash>;

/** `POST /v1/internal/users/:name/password`: the new hash, and the one session to keep. */
export const newPassword = obj({ hash, keep: token });
/** `POST /v1/internal/users/:name/password` */
export type NewPassword = Infer<typeof newPassword>;

/** The answer to a password change or deletion in the store: how many sessions ended. */
export const revokedCount = obj({ revoked: int({ min: 0 }) });
/** The answer to a password change or deletion in the store. */
export type RevokedCount = Infer<typeof revokedCount>;

/** `POST /v1/internal/sessions/verify`, `…/renew` and `…/revoke`: the token in question. */
export const tokenRef = obj({ token });
/** `POST /v1/internal/sessions/verify`, `…/renew` and `…/revoke`. */
export type TokenRef = Infer<typeof tokenRef>;
