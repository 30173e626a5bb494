/**
 * Who is asking the bootstrap's private routes (the catalog, status, events): a member presenting the join
 * secret, or a user with a signed-in session. Anyone else gets a 401 that says how to sign in.
 *
 * @module
 */

import { JOIN_SECRET_HEADER, requireJoinSecret } from "../../daemon/cluster/join_secret.ts";
import { bearer } from "../../daemon/http/bearer.ts";
import { HttpError } from "../../daemon/http/http_error.ts";
import type { AccountStore, SessionInfo } from "./store/mod.ts";

/** Who a request comes from. */
export type Viewer =
  | { kind: "member"; admin: true }
  | { kind: "user"; user: string; admin: boolean };

/** What {@linkcode viewerOf} checks against. */
export interface AccessDeps {
  users: AccountStore;
  joinSecret: string;
}

const BEARER = /^Bearer\s+([A-Za-z0-9_-]{16,512})$/;

/**
 * The viewer of `req`, or a 401 naming what it could not do (`toDo`, e.g. "list the catalog") and how to sign
 * in on this bootstrap (`host`, as the client reached it). A join secret that is given must be right: a wrong one
 * is refused rather than treated as no secret, so a misconfigured member notices.
 */
export async function viewerOf(
  req: Request,
  deps: AccessDeps,
  options: { toDo: string; host: string },
): Promise<Viewer> {
  const given = req.headers.get(JOIN_SECRET_HEADER);
  if (given !== null && given !== "") {
    requireJoinSecret(req, deps.joinSecret);
    return { kind: "member", admin: true };
  }
  const how = `audiod login --host ${options.host} --user NAME`;
  const m = BEARER.exec(req.headers.get("authorization") ?? "");
  if (!m) {
    throw new HttpError(401, "no_token", `Cannot ${options.toDo}: not signed in (run ${how})`);
  }
  const session = await deps.users.verify(m[1]!);
  if (!session) {
    throw new HttpError(
      401,
      "bad_token",
      `Cannot ${options.toDo}: the session is unknown, expired or revoked (sign in again: ${how})`,
    );
  }
  return { kind: "user", user: session.user, admin: isAdmin(session) };
}

/**
 * The session of a request that must come from a signed-in user (the per-user routes: stars, playlists, API
 * keys): 401 `bad_token` when its bearer token is unknown, expired or revoked.
 */
export async function signedIn(req: Request, users: AccountStore): Promise<SessionInfo> {
  const found = await users.verify(bearer(req));
  if (!found) {
    throw new HttpError(
      401,
      "bad_token",
      "Cannot accept the token: it is unknown, expired or revoked (audiod login)",
    );
  }
  return found;
}

/** Whether a session's account is an admin (the store says so once it keeps the flag). */
function isAdmin(session: object): boolean {
  return "admin" in session && session.admin === true;
}
