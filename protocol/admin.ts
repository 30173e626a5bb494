/**
 * Who may join and who manages the accounts (issue 17): the registration policy, invites, and the admin's routes.
 *
 * - `POST /v1/register` on an auth instance takes an optional invite code ({@linkcode signUp});
 * - the bootstrap's admin routes (a session of an admin as bearer; anyone else gets 403): `GET /v1/admin/users`,
 *   `POST /v1/admin/invites`, `DELETE /v1/admin/users/:name`, `POST /v1/admin/users/:name/ACTION` for each of
 *   {@linkcode ADMIN_ACTIONS};
 * - an auth instance's admin routes, because only auth instances hash passwords: `POST /v1/admin/users` (create an
 *   account with a password) and `POST /v1/admin/users/:name/password` (reset one);
 * - the account store's internal routes these use (`account.ts`): `POST /v1/internal/users` takes an invite or the
 *   admin's token, `POST /v1/internal/users/:name/reset` a new hash and the admin's token.
 *
 * @module
 */

import { arrayOf, bool, type Infer, int, nullable, obj, oneOf, optional, str } from "./schema.ts";
import { token, USERNAME } from "./session.ts";

/** Who may create an account: anyone, the holders of an invite code, or an admin only. */
export const registrationPolicy = oneOf(["open", "invite", "closed"] as const);
/** Who may create an account. */
export type RegistrationPolicy = Infer<typeof registrationPolicy>;

/** An invite code as it travels (256 random bits, encoded; only its SHA-256 is stored). */
export const inviteCode = str({
  min: 16,
  max: 128,
  pattern: /^[A-Za-z0-9_-]+$/,
  hint: "paste the whole code",
});

const userName = () => str({ max: 64, pattern: USERNAME, hint: "use 1-64 letters, digits, '.', '_' or '-'" });
const password = () => str({ min: 1, max: 1024 });

/** `POST /v1/register` on an auth instance: credentials, and the invite a `--registration invite` cluster needs. */
export const signUp = obj({ user: userName(), password: password(), invite: optional(inviteCode) });
/** `POST /v1/register` */
export type SignUp = Infer<typeof signUp>;

/** `POST /v1/admin/users` on an auth instance (an admin's bearer): a new account and its password. */
export const adminNewUser = obj({ user: userName(), password: password() });
/** `POST /v1/admin/users` */
export type AdminNewUser = Infer<typeof adminNewUser>;

/** `POST /v1/admin/users/:name/password` on an auth instance (an admin's bearer): the account's new password. */
export const adminPasswordReset = obj({ password: password() });
/** `POST /v1/admin/users/:name/password` */
export type AdminPasswordReset = Infer<typeof adminPasswordReset>;

/** Invites expire after 7 days unless asked otherwise; at most after a year. */
export const DEFAULT_INVITE_MS = 7 * 86_400_000;
export const MAX_INVITE_MS = 366 * 86_400_000;

/** `POST /v1/admin/invites`: how many accounts the code may create (default 1) and for how long (ms, default 7 d). */
export const inviteRequest = obj({
  uses: optional(int({ min: 1, max: 10_000 })),
  expiresInMs: optional(int({ min: 1000, max: MAX_INVITE_MS })),
});
/** `POST /v1/admin/invites` */
export type InviteRequest = Infer<typeof inviteRequest>;

/** The answer to `POST /v1/admin/invites` (201): the code, shown once. */
export const inviteAnswer = obj({ code: inviteCode, uses: int({ min: 1 }), expiresAt: int({ min: 0 }) });
/** The answer to `POST /v1/admin/invites`. */
export type InviteAnswer = Infer<typeof inviteAnswer>;

/** One account as `GET /v1/admin/users` lists it. */
export const accountSummary = obj({
  user: str({ max: 256 }),
  admin: bool(),
  disabled: bool(),
  /** Unix ms. */
  createdAt: int({ min: 0 }),
  /** Unix ms of the last successful sign-in, null when never. */
  lastSignIn: nullable(int({ min: 0 })),
  /** Sessions valid now. */
  sessions: int({ min: 0 }),
});
/** One account as `GET /v1/admin/users` lists it. */
export type AccountSummary = Infer<typeof accountSummary>;

/** `GET /v1/admin/users`: every account, by name. */
export const accountList = obj({ users: arrayOf(accountSummary) });
/** `GET /v1/admin/users` */
export type AccountList = Infer<typeof accountList>;

/** What an admin may do to an account by `POST /v1/admin/users/:name/ACTION` (removal is `DELETE`). */
export const ADMIN_ACTIONS = ["disable", "enable", "sign-out", "promote", "demote"] as const;
/** What an admin may do to an account. */
export type AdminAction = typeof ADMIN_ACTIONS[number];

/** The answer to every admin action: the account as it is now, and how many sessions ended. */
export const adminActionAnswer = obj({ user: str({ max: 256 }), sessionsEnded: int({ min: 0 }) });
/** The answer to every admin action. */
export type AdminActionAnswer = Infer<typeof adminActionAnswer>;

/** `POST /v1/internal/users/:name/reset` (an auth instance for an admin): the new hash and the admin's token. */
export const storeReset = obj({ hash: str({ max: 512 }), by: token });
/** `POST /v1/internal/users/:name/reset` */
export type StoreReset = Infer<typeof storeReset>;
