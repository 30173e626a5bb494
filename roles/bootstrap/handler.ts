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
import { accountRoutes } from "./account_routes.ts";
import type { Catalog } from "./catalog.ts";
import type { EventHub } from "./events.ts";
import { memberRoutes } from "./member_routes.ts";
import { publicRoutes } from "./public_routes.ts";
import type { Member, Registry } from "./registry.ts";
import type { SignInLimits } from "./sign_in_limits.ts";
import type { UserStore } from "./user_store.ts";

export { DEFAULT_PAGE, MAX_PAGE } from "../../protocol/catalog.ts";

/** What the bootstrap handler works on. */
export interface BootstrapDeps {
  registry: Registry;
  catalog: Catalog;
  users: UserStore;
  logger: Logger;
  /** The cluster's join secret, demanded on every internal route. */
  joinSecret: string;
  /** Failed sign-ins per account, attempts per address. */
  limits: SignInLimits;
  /** The bootstrap serves HTTPS: members must too, so secrets and tokens never travel in clear. */
  httpsOnly?: boolean;
  /** The push channel (`GET /v1/events`). */
  events: EventHub;
  /** The bootstrap's own row in `status`. */
  self: () => StatusEntry;
  /** A member registered (the scheduler settles its pending spawn). */
  onRegistered?: (member: Member) => void;
  /** A member left or was replaced: its tracks are gone. */
  onGone?: (member: Member) => void;
  /** Tokens were revoked: tell the file instances (answered once they were told, or gave up). */
  onRevoked?: (tokenHashes: string[]) => Promise<void> | void;
}

/** Builds the bootstrap's request handler. */
export function createHandler(deps: BootstrapDeps): Handler {
  const router = new Router((error, req) =>
    deps.logger.error("request.failed", { method: req.method, error })
  );
  guardInternal(router, deps.joinSecret);
  publicRoutes(router, deps);
  memberRoutes(router, deps);
  accountRoutes(router, deps);
  return router.handle;
}
