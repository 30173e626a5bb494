/**
 * The admin's commands (issue 17): `audiod invite` makes a one-time code for `audiod register --invite`, and
 * `audiod users` lists the accounts and adds, removes, disables, enables, signs out, promotes, demotes and resets
 * them. They run as the saved session, which must be an admin's (anyone else gets the bootstrap's 403).
 *
 * `users add NAME` and `users reset-password NAME` take the new password here (`--password-stdin`, else
 * AUDIOD_PASSWORD, else a hidden prompt) and send it, with the admin's token, to an auth instance, which hashes
 * it: the bootstrap never sees a password. The admin hands the password to the person out of band.
 *
 * @module
 */

import { callJson, UnreachableError } from "../daemon/cluster/peer_client.ts";
import { callBootstrap } from "../daemon/cluster/bootstrap_set.ts";
import { HttpError } from "../daemon/http/http_error.ts";
import { printOut } from "../daemon/runtime/log.ts";
import { CommandError, UsageError } from "../cli/usage_error.ts";
import { parseDuration } from "../cli/duration.ts";
import type { CallOptions } from "../daemon/cluster/peer_client.ts";
import type { Check } from "../protocol/schema.ts";
import {
  accountList,
  type AccountSummary,
  type AdminAction,
  adminActionAnswer,
  inviteAnswer,
  type InviteRequest,
} from "../protocol/admin.ts";
import { table } from "./format.ts";
import { readPassword } from "./password_input.ts";
import { resolveHost, sessionClient } from "./commands.ts";

/** Options every admin command takes. */
export interface AdminOptions {
  host?: string;
  ca?: string;
}

/** The bootstrap and the admin's token, renewed when near its end; an error saying how to sign in without one. */
async function asAdmin(toDo: string, options: AdminOptions) {
  const { host, session } = await resolveHost(options.host);
  const client = await sessionClient(host, session, options.ca);
  if (!client.token) {
    throw new CommandError(
      `Cannot ${toDo}: not signed in on ${host} (run audiod login --host ${host} --user NAME)`,
    );
  }
  const base: CallOptions = {
    token: client.token,
    ...(client.httpClient ? { httpClient: client.httpClient } : {}),
  };
  return {
    host,
    /** Calls the bootstrap's admin routes. */
    boot<T>(method: string, path: string, call: { body?: unknown; answer: Check<T> }): Promise<T> {
      return callBootstrap(host, method, path, { ...base, ...call });
    },
    /** Calls an auth instance (the next candidate when one cannot be reached before it got the request). */
    async auth<T>(method: string, path: string, call: { body: unknown; answer: Check<T> }): Promise<T> {
      const candidates = await client.candidates("auth");
      if (candidates.length === 0) {
        throw new HttpError(
          503,
          "no_auth",
          `Cannot ${toDo}: ${host} has no auth instance up yet (retry shortly)`,
        );
      }
      let last: unknown;
      for (const c of candidates) {
        try {
          return await callJson(c.url, method, path, { ...base, ...call });
        } catch (error) {
          last = error;
          if (error instanceof UnreachableError && error.notSent) continue;
          if (error instanceof HttpError && error.status === 503) continue;
          throw error;
        }
      }
      throw last;
    },
  };
}

/** `audiod invite`: a one-time code for `audiod register --invite` (shown once; the cluster keeps its hash). */
export async function invite(
  options: AdminOptions & { uses?: string; expires?: string; json?: boolean },
): Promise<void> {
  const request: InviteRequest = {};
  if (options.uses !== undefined) {
    const uses = Number(options.uses);
    if (!/^\d+$/.test(options.uses.trim()) || uses < 1 || uses > 10_000) {
      throw new UsageError(`Cannot use --uses ${options.uses}: expected a whole number from 1 to 10000`);
    }
    request.uses = uses;
  }
  if (options.expires !== undefined) {
    const ms = parseDuration(options.expires, "--expires");
    if (ms > 366 * 86_400_000) throw new UsageError(`Cannot use --expires ${options.expires}: at most 366d`);
    request.expiresInMs = ms;
  }
  const admin = await asAdmin("make an invite", options);
  const made = await admin.boot("POST", "/v1/admin/invites", { body: request, answer: inviteAnswer });
  if (options.json) {
    printOut(JSON.stringify(made, null, 2));
    return;
  }
  printOut(made.code);
  printOut(
    `(an invite for ${made.uses} account${made.uses === 1 ? "" : "s"}, valid until ${
      new Date(made.expiresAt).toISOString()
    }: audiod register --host ${admin.host} --user NAME --invite CODE)`,
  );
}

/** `audiod users`: every account with its flags, creation, last sign-in and sessions valid now. */
export async function usersList(options: AdminOptions & { json?: boolean }): Promise<void> {
  const admin = await asAdmin("list the accounts", options);
  const { users } = await admin.boot("GET", "/v1/admin/users", { answer: accountList });
  if (options.json) {
    printOut(JSON.stringify(users, null, 2));
    return;
  }
  const when = (ms: number | null) =>
    ms === null ? "never" : new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");
  printOut(table(
    ["USER", "ADMIN", "STATE", "CREATED", "LAST SIGN-IN", "SESSIONS"],
    users.map((u: AccountSummary) => [
      u.user,
      u.admin ? "admin" : "",
      u.disabled ? "disabled" : "active",
      when(u.createdAt),
      when(u.lastSignIn),
      String(u.sessions),
    ]),
  ));
  printOut(`${users.length} account${users.length === 1 ? "" : "s"}`);
}

/** What each action reports. */
const DONE: Record<AdminAction | "remove", string> = {
  disable: "Disabled",
  enable: "Enabled",
  "sign-out": "Signed out",
  promote: "Promoted to admin:",
  demote: "Demoted (no longer an admin):",
  remove: "Removed",
};

/** `audiod users disable|enable|sign-out|promote|demote|remove NAME`. */
export async function usersAction(
  action: AdminAction | "remove",
  name: string,
  options: AdminOptions,
): Promise<void> {
  const admin = await asAdmin(`${action} ${name}`, options);
  const path = `/v1/admin/users/${encodeURIComponent(name)}`;
  const done = action === "remove"
    ? await admin.boot("DELETE", path, { answer: adminActionAnswer })
    : await admin.boot("POST", `${path}/${action}`, { answer: adminActionAnswer });
  const ended = done.sessionsEnded > 0
    ? `; ${done.sessionsEnded} session${done.sessionsEnded === 1 ? "" : "s"} ended`
    : "";
  printOut(`${DONE[action]} ${done.user}${ended}`);
}

/** `audiod users add NAME` and `audiod users reset-password NAME`: the new password goes to an auth instance. */
export async function usersPassword(
  mode: "add" | "reset-password",
  name: string,
  options: AdminOptions & { passwordStdin?: boolean },
): Promise<void> {
  const toDo = mode === "add" ? `add the account ${name}` : `reset the password of ${name}`;
  const admin = await asAdmin(toDo, options);
  const password = await readPassword({ stdin: options.passwordStdin ?? false, confirm: true });
  if (mode === "add") {
    const done = await admin.auth("POST", "/v1/admin/users", {
      body: { user: name, password },
      answer: adminActionAnswer,
    });
    printOut(`Added the account ${done.user} (it signs in with audiod login --user ${done.user})`);
    return;
  }
  const done = await admin.auth("POST", `/v1/admin/users/${encodeURIComponent(name)}/password`, {
    body: { password },
    answer: adminActionAnswer,
  });
  printOut(
    `Reset the password of ${done.user}; ${done.sessionsEnded} session${
      done.sessionsEnded === 1 ? "" : "s"
    } ended`,
  );
}
