/**
 * Sessions, the auth instances' public routes: register (`POST /v1/register`), sign in (`POST /v1/login`),
 * renew (`POST /v1/renew`, the token as bearer), change the password (`POST /v1/password`), delete the account
 * (`DELETE /v1/account`), and who a token belongs to (`GET /v1/session` on the bootstrap).
 *
 * @module
 */

import { arrayOf, bool, type Infer, int, obj, optional, str } from "./schema.ts";
import { HEX64 } from "./catalog.ts";
import { HASHES_PER_REVOCATION, renewedSession } from "./events.ts";

/** Usernames: letters, digits, `.`, `_`, `-`; 1 to 64 characters, starting with a letter or digit. */
export const USERNAME = /^[\p{L}\p{N}][\p{L}\p{N}._-]{0,63}$/u;

const password = () => str({ min: 1, max: 1024 });

/** A session token as it travels (256 random bits, encoded). */
export const token = str({ min: 16, max: 512 });

/** A user name in an answer (the account store accepts up to 64 characters). */
const userName = str({ max: 256 });

/** `POST /v1/register` and `POST /v1/login`. */
export const credentials = obj({
  user: str({ max: 64, pattern: USERNAME, hint: "use 1-64 letters, digits, '.', '_' or '-'" }),
  password: password(),
});
/** `POST /v1/register` and `POST /v1/login`. */
export type Credentials = Infer<typeof credentials>;

/** `POST /v1/password` (with the token as bearer): the current password and the new one. */
export const passwordChange = obj({ oldPassword: password(), newPassword: password() });
/** `POST /v1/password` */
export type PasswordChange = Infer<typeof passwordChange>;

/** `DELETE /v1/account` (with the token as bearer): the password, once more. */
export const accountDeletion = obj({ password: password() });
/** `DELETE /v1/account` */
export type AccountDeletion = Infer<typeof accountDeletion>;

/** What sign-in, registration and renewal answer (and the account store's `POST /v1/internal/sessions`). */
export const sessionAnswer = obj({
  user: userName,
  token,
  /** Unix ms after which the token is no longer accepted (absolute lifetime). */
  expiresAt: int({ min: 0 }),
  /** Unix ms when the token was issued: clients renew it when less than a tenth of its lifetime is left. */
  issuedAt: int({ min: 0 }),
});
/** What sign-in, registration and renewal answer. */
export type SessionAnswer = Infer<typeof sessionAnswer>;

/** Who a token belongs to and until when: `GET /v1/session`, and the account store's verification. */
export const sessionOwner = obj({ user: userName, expiresAt: int({ min: 0 }), admin: optional(bool()) });
/** Who a token belongs to and until when. */
export type SessionOwner = Infer<typeof sessionOwner>;

/** The answer to a password change or an account deletion: how many other sessions ended. */
export const accountChanged = obj({ user: userName, revoked: int({ min: 0 }) });
/** The answer to a password change or an account deletion. */
export type AccountChanged = Infer<typeof accountChanged>;

/**
 * What the client saves after signing in (not a wire shape: the session answer and the bootstrap it came from).
 * `issuedAt` may be missing in a session saved by an older version.
 */
export type Session = Omit<SessionAnswer, "issuedAt"> & {
  /** Base URL of the bootstrap, e.g. `http://127.0.0.1:7700` (or several, comma-separated, as given). */
  host: string;
  issuedAt?: number;
  /** Every bootstrap of the cluster as last listed (`GET /v1/bootstraps`): where to go when `host` fails. */
  bootstraps?: string[];
};

const tokenHash = () => str({ pattern: HEX64, hint: "must be a SHA-256 in hex" });

/**
 * `POST /v1/internal/sessions/touch` (members only): a file instance's streams in flight, by session. Each
 * listed session that is valid counts as used (its idle timer starts again).
 */
export const sessionsTouch = obj({ tokenHashes: arrayOf(tokenHash(), { max: HASHES_PER_REVOCATION }) });
/** `POST /v1/internal/sessions/touch` */
export type SessionsTouch = Infer<typeof sessionsTouch>;

/**
 * The answer to a touch: the listed sessions still valid, with their absolute end; one renewed lately is listed
 * with the session it was traded for (its streams go on as that one's). Those not listed ended. `idleMs` is the
 * bootstrap's idle timeout: touches come often enough to keep sessions with streams alive.
 */
export const sessionsTouched = obj({
  sessions: arrayOf(
    obj({ tokenHash: tokenHash(), expiresAt: int({ min: 0 }), renewedAs: optional(renewedSession) }),
    { max: HASHES_PER_REVOCATION },
  ),
  idleMs: int({ min: 0 }),
});
/** The answer to a touch. */
export type SessionsTouched = Infer<typeof sessionsTouched>;
