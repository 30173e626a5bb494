/**
 * `GET /v1/bootstraps` (public, no names in it): the live bootstraps of the cluster and which one leads, so
 * clients and members keep every address and move to the next when one fails.
 *
 * @module
 */

import type { Router } from "../../daemon/http/router.ts";
import type { BootstrapList } from "../../protocol/bootstraps.ts";
import type { BootstrapDeps } from "./handler.ts";

/** Adds `GET /v1/bootstraps` to `router`. */
export function bootstrapRoutes(router: Router, deps: BootstrapDeps): void {
  router.get("/v1/bootstraps", () => {
    const list: BootstrapList = deps.bootstraps?.() ?? {
      bootstraps: [{ id: "bootstrap", url: deps.self().url, leader: true, since: deps.self().since }],
      epoch: 0,
    };
    return Response.json(list);
  });
}
