/**
 * The admin's account management on the bootstrap (issue 17): list accounts, make invites, remove, disable and
 * enable accounts, end their sessions, promote and demote admins. Every route needs the session of an admin as
 * bearer (a member's join secret counts as one: an operator on a node's machine); a signed-in non-admin gets 403,
 * no session 401. Adding an account with a password and resetting one go through an auth instance, which hashes
 * (`roles/auth/mod.ts`): the bootstrap never hashes passwords. Every action is logged as an `admin.*` event line.
 *
 * A disabled or removed account's sessions end, and the revocation push says the account ended, so every file
 * instance cuts all its streams at once.
 *
 * @module
 */

import { randomToken } from "../../daemon/cluster/join_secret.ts";
import { HttpError } from "../../daemon/http/http_error.ts";
import type { Router } from "../../daemon/http/router.ts";
import { readJson } from "../../daemon/http/body.ts";
import {
  type AccountList,
  ADMIN_ACTIONS,
  type AdminAction,
  type AdminActionAnswer,
  DEFAULT_INVITE_MS,
  type InviteAnswer,
  inviteRequest,
} from "../../protocol/admin.ts";
import { storeUser } from "../../protocol/account.ts";
import { viewerOf } from "./_access.ts";
import type { BootstrapDeps } from "./handler.ts";
import { tokenHash, userKey } from "./store/mod.ts";

/** The refusal of a signed-in non-admin (403 `not_admin`). */
export function notAdmin(toDo: string): HttpError {
  return new HttpError(403, "not_admin", `Cannot ${toDo}: only an admin of this cluster may`);
}

/** What each action is called in messages. */
const ACTION_VERB: Record<AdminAction, string> = {
  disable: "disable an account",
  enable: "enable an account",
  "sign-out": "sign an account out",
  promote: "promote an account",
  demote: "demote an account",
};

/** Adds the admin routes to `router` (nothing without the store's account-administration facet). */
export function adminRoutes(router: Router, deps: BootstrapDeps): void {
  const admin = deps.accountAdmin;
  if (!admin) return;
  const { users, logger, limits } = deps;
  /** The admin asking, or a 401/403. */
  const requireAdmin = async (req: Request, url: URL, toDo: string): Promise<string> => {
    const viewer = await viewerOf(req, deps, { toDo, host: url.host });
    if (viewer.kind === "member") return "member (join secret)";
    if (!viewer.admin) {
      logger.warn("admin.refused", { user: viewer.user, action: toDo });
      throw notAdmin(toDo);
    }
    return viewer.user;
  };
  const accountNamed = async (text: string) => {
    const name = storeUser(text, "name");
    const row = await admin.account(name);
    if (!row) throw new HttpError(404, "unknown_user", `Cannot find the account "${name.slice(0, 64)}"`);
    return row;
  };
  const answer = (user: string, sessionsEnded: number) =>
    Response.json({ user, sessionsEnded } satisfies AdminActionAnswer);
  const ended = async (hashes: string[], user: string, accountEnded: boolean) => {
    if (hashes.length === 0 && !accountEnded) return;
    await deps.onRevoked?.(hashes, { user, ...(accountEnded ? { accountEnded: true } : {}) });
  };

  router
    .get("/v1/admin/users", async (req, { url }) => {
      const by = await requireAdmin(req, url, "list the accounts");
      const rows = await admin.list();
      logger.info("admin.users_listed", { by, accounts: rows.length });
      const list: AccountList = {
        users: rows.map((r) => ({
          user: r.name,
          admin: r.admin,
          disabled: r.disabled,
          createdAt: r.createdAt,
          lastSignIn: r.lastSignIn,
          sessions: r.sessions,
        })),
      };
      return Response.json(list);
    })
    .post("/v1/admin/invites", async (req, { url }) => {
      const by = await requireAdmin(req, url, "make an invite");
      const body = await readJson(req, inviteRequest);
      const code = randomToken();
      const uses = body.uses ?? 1;
      const expiresAt = Date.now() + (body.expiresInMs ?? DEFAULT_INVITE_MS);
      await admin.createInvite({ codeHash: tokenHash(code), uses, expiresAt, createdBy: by });
      logger.info("admin.invite_created", { by, uses, expiresAt: new Date(expiresAt).toISOString() });
      return Response.json({ code, uses, expiresAt } satisfies InviteAnswer, { status: 201 });
    })
    .delete("/v1/admin/users/:name", async (req, { params, url }) => {
      const by = await requireAdmin(req, url, "remove an account");
      const row = await accountNamed(params.name!);
      if (row.admin && !row.disabled) {
        const others = (await admin.list()).filter((r) => r.admin && !r.disabled && r.id !== row.id);
        if (others.length === 0) {
          throw new HttpError(
            409,
            "last_admin",
            "Cannot remove the account: it is the last admin (promote another account first)",
          );
        }
      }
      const user = await users.findUser(row.name);
      if (!user) throw new HttpError(404, "unknown_user", `Cannot find the account "${row.name}"`);
      const grants = (await deps.grantsOf?.(user, "deleted")) ?? [];
      const hashes = await users.deleteUser(user.id);
      await limits.clearFailures(userKey(user.name));
      logger.info("admin.user_removed", { by, user: user.name, sessionsEnded: hashes.length });
      await ended([...hashes, ...grants], user.name, true);
      return answer(user.name, hashes.length);
    });

  for (const action of ADMIN_ACTIONS) {
    router.post(`/v1/admin/users/:name/${action}`, async (req, { params, url }) => {
      const by = await requireAdmin(req, url, ACTION_VERB[action]);
      const row = await accountNamed(params.name!);
      let hashes: string[] = [];
      /** The OpenSubsonic API's stream grants that end with the account's sessions. */
      const grants: string[] = [];
      switch (action) {
        case "disable": {
          hashes = await admin.setDisabled(row.id, true);
          // The OpenSubsonic API's stream grants of the account end too.
          const user = await users.findUser(row.name);
          if (user) grants.push(...(await deps.grantsOf?.(user, "deleted")) ?? []);
          break;
        }
        case "enable":
          await admin.setDisabled(row.id, false);
          break;
        case "sign-out":
          hashes = await admin.endSessions(row.id);
          break;
        case "promote":
          await admin.setAdmin(row.id, true);
          break;
        case "demote":
          await admin.setAdmin(row.id, false);
          break;
      }
      logger.info(`admin.${action.replace("-", "_")}`, { by, user: row.name, sessionsEnded: hashes.length });
      await ended([...hashes, ...grants], row.name, action === "disable");
      return answer(row.name, hashes.length);
    });
  }
}
