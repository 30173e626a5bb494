/**
 * Stream grants in the account store's eyes. File instances re-check the sessions of their open streams
 * (`POST /v1/internal/sessions/touch`) and cut those the store no longer knows; a Subsonic stream is registered
 * under its grant, so the account store the bootstrap's routes use is wrapped here:
 *
 * - `touch` answers a grant this bootstrap minted accesses for as valid while its credential is (the API key
 *   exists, the password is unchanged), so the streams go on, and as ended otherwise, so they are cut;
 * - {@linkcode grantEnder} names the grants a password change or an account deletion ends, which the account
 *   routes push with the sessions they end, so the Subsonic streams are cut too (and the password cache forgets
 *   the user).
 *
 * @module
 */

import type { AccountStore, SessionInfo, UserRecord } from "../store/mod.ts";
import { apiKeyGrant, type Authenticator, passwordGrant } from "./auth.ts";
import type { UserDataStore } from "./user_data.ts";

/** How long a grant's streams may go on without another re-check. */
const GRANT_CONFIRM_MS = 10 * 60_000;

/**
 * The stream grants a password change (`"password"`: the password's grant) or an account deletion
 * (`"deleted"`: the password's and every API key's) ends, for the account routes to push with the sessions
 * they end; the password cache forgets the user. Asked before the change, while the old hash and keys exist.
 */
export function grantEnder(
  auth: Authenticator,
  userData: UserDataStore | undefined,
): (user: UserRecord, why: "password" | "deleted") => Promise<string[]> {
  return async (user, why) => {
    const grants = [passwordGrant(user.name, user.hash)];
    // Only the password grant ends with a password change: API keys outlive it.
    if (why === "deleted") {
      for (const key of (await userData?.apiKeys(user.id)) ?? []) grants.push(apiKeyGrant(key.id));
    }
    auth.forgetUser(user.name);
    return grants;
  };
}

/** `users` with stream grants known to `touch`: a live grant's streams go on like a session's. */
export function grantAwareAccounts(
  users: AccountStore,
  auth: Authenticator,
  now: () => number = Date.now,
): AccountStore {
  const wrapped: AccountStore = {
    createUser: (name, hash) => users.createUser(name, hash),
    findUser: (name) => users.findUser(name),
    setHash: (userId, hash) => users.setHash(userId, hash),
    changePassword: (userId, hash, keepToken) => users.changePassword(userId, hash, keepToken),
    deleteUser: (userId) => users.deleteUser(userId),
    countUsers: () => users.countUsers(),
    createSession: (userId) => users.createSession(userId),
    renew: (token) => users.renew(token),
    verify: (token) => users.verify(token),
    touch: async (tokenHashes) => {
      const sessions = await users.touch(tokenHashes);
      if (sessions.length === tokenHashes.length) return sessions;
      const found = new Set(sessions.map((s) => s.tokenHash));
      const out: SessionInfo[] = [...sessions];
      for (const hash of tokenHashes) {
        if (found.has(hash)) continue;
        if (await auth.grantStatus(hash) === "valid") {
          out.push({ userId: 0, user: "", tokenHash: hash, expiresAt: now() + GRANT_CONFIRM_MS });
        }
      }
      return out;
    },
    get idleMs() {
      return users.idleMs;
    },
    revoke: (token) => users.revoke(token),
  };
  return wrapped;
}
