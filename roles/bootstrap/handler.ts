/**
 * The bootstrap's HTTP API, composed of three groups of routes: public ones (status, catalog, events, service
 * candidates: `public_routes.ts`), membership (join, heartbeat, announce: `member_routes.ts`) and the shared
 * account store and sign-in limits the auth instances use (`account_routes.ts`). The internal ones demand the
 * join secret. The shapes of every body are declared in `protocol/`.
 *
 * @module
 */

import { guardInternal } from "../../daemon/cluster/join_secret.ts";
import type { Logger } from "../../daemon/runtime/log.ts";
import { type Handler, Router } from "../../daemon/http/router.ts";
import type { StatusEntry } from "../../protocol/status.ts";
import type { RevokedEvent } from "../../protocol/events.ts";
import { accountRoutes } from "./account_routes.ts";
import { bootstrapRoutes } from "./bootstrap_routes.ts";
import type { BootstrapList } from "../../protocol/bootstraps.ts";
import type { Catalog } from "./catalog.ts";
import type { EventHub } from "./events.ts";
import { memberRoutes } from "./member_routes.ts";
import { publicRoutes } from "./public_routes.ts";
import { mountSubsonic, type SubsonicOptions } from "./subsonic/mod.ts";
import type { Member, Registry } from "./registry.ts";
import type { AccountAdminStore, AccountStore, Policy, SignInLimitStore, UserRecord } from "./store/mod.ts";
import { adminRoutes } from "./admin_routes.ts";

export { DEFAULT_PAGE, MAX_PAGE } from "../../protocol/catalog.ts";

/** What the bootstrap handler works on. */
export interface BootstrapDeps {
  registry: Registry;
  catalog: Catalog;
  /** Accounts and sessions (the store's). */
  users: AccountStore;
  logger: Logger;
  /** The cluster's join secret, demanded on every internal route. */
  joinSecret: string;
  /** Failed sign-ins per account, attempts per address. */
  limits: SignInLimitStore;
  /** Registration under the policy, invites, the admin and disabled flags (the store's); the admin routes. */
  accountAdmin?: AccountAdminStore;
  /** `--registration`: who may create an account (default open). */
  registration?: Policy;
  /** The bootstrap serves HTTPS: members must too, so secrets and tokens never travel in clear. */
  httpsOnly?: boolean;
  /** The push channel (`GET /v1/events`). */
  events: EventHub;
  /** The bootstrap's own row in `status`. */
  self: () => StatusEntry;
  /** The other live bootstraps' rows in `status` (several on one store). */
  peers?: () => StatusEntry[];
  /** `GET /v1/bootstraps`: the live bootstraps and which leads (default: this one alone). */
  bootstraps?: () => BootstrapList;
  /** A member registered (the scheduler settles its pending spawn). */
  onRegistered?: (member: Member) => void;
  /** A member left or was replaced: its tracks are gone. */
  onGone?: (member: Member) => void;
  /** Tokens were revoked: tell the file instances (answered once they were told, or gave up). */
  onRevoked?: (tokenHashes: string[], details?: RevocationDetails) => Promise<void> | void;
  /** Serve the OpenSubsonic API (`/rest`, `subsonic/`). */
  subsonic?: SubsonicOptions;
  /** Stream grants (besides sessions) a password change or account deletion ends (set by `subsonic/`). */
  grantsOf?: (user: UserRecord, why: "password" | "deleted") => Promise<string[]>;
}

/** What a revocation says besides the token hashes (see `revokedEvent`): whose, and why. */
export type RevocationDetails = Omit<RevokedEvent, "tokenHashes">;

/** Builds the bootstrap's request handler. */
export function createHandler(deps: BootstrapDeps): Handler {
  const router = new Router((error, req) =>
    deps.logger.error("request.failed", { method: req.method, error })
  );
  guardInternal(router, deps.joinSecret);
  // The OpenSubsonic API's stream grants are sessions to the account routes' eyes (`subsonic/grants.ts`).
  if (deps.subsonic) deps = mountSubsonic(router, deps, deps.subsonic);
  publicRoutes(router, deps);
  bootstrapRoutes(router, deps);
  memberRoutes(router, deps);
  accountRoutes(router, deps);
  adminRoutes(router, deps);
  return router.handle;
}
