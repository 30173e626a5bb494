/**
 * Sessions, the auth instances' public routes: register (`POST /v1/register`), sign in (`POST /v1/login`),
 * renew (`POST /v1/renew`, the token as bearer), change the password (`POST /v1/password`), delete the account
 * (`DELETE /v1/account`), and who a token belongs to (`GET /v1/session` on the bootstrap).
 *
 * @module
 */

import { type Infer, int, obj, str } from "./schema.ts";

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
export const sessionOwner = obj({ user: userName, expiresAt: int({ min: 0 }) });
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
  /** Base URL of the bootstrap, e.g. `http://127.0.0.1:7700`. */
  host: string;
  issuedAt?: number;
};
