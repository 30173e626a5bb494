/**
 * The favourites routes (`/v1/stars`, for the terminal player): a signed-in user lists, stars and unstars tracks
 * in the same store the OpenSubsonic API's `star`, `unstar` and `getStarred2` use, so `audiod play` and a
 * Subsonic app see the same favourites.
 *
 * @module
 */

import { HttpError } from "../../../daemon/http/http_error.ts";
import type { Router } from "../../../daemon/http/router.ts";
import { HEX64 } from "../../../protocol/catalog.ts";
import type { StarChange, StarList } from "../../../protocol/stars.ts";
import type { BootstrapDeps } from "../handler.ts";
import { signedIn } from "../_access.ts";
import type { SessionInfo } from "../store/mod.ts";
import type { UserDataStore } from "./user_data.ts";

/** Adds `/v1/stars` to `router`. */
export function starRoutes(router: Router, deps: BootstrapDeps, data: UserDataStore): void {
  const session = (req: Request): Promise<SessionInfo> => signedIn(req, deps.users);
  const trackOf = (id: string, toDo: string): string => {
    if (!HEX64.test(id)) {
      throw new HttpError(
        400,
        "bad_track",
        `Cannot ${toDo}: ${id.slice(0, 80)} is not a track id (64 hex digits)`,
      );
    }
    return id;
  };
  router
    .get("/v1/stars", async (req) => {
      const { userId } = await session(req);
      const stars = (await data.stars(userId)).filter((s) => s.kind === "song" && HEX64.test(s.id));
      stars.sort((a, b) => b.at - a.at);
      return Response.json({ ids: stars.map((s) => s.id) } satisfies StarList);
    })
    .on("PUT", "/v1/stars/:id", async (req, { params }) => {
      const { userId } = await session(req);
      const id = trackOf(params.id!, "star the track");
      if (!deps.catalog.get(id)) {
        throw new HttpError(
          404,
          "unknown_track",
          `Cannot star track ${id.slice(0, 12)}: no instance holds it`,
        );
      }
      await data.star(userId, [{ kind: "song", id }], Date.now());
      return Response.json({ id, starred: true } satisfies StarChange);
    })
    .delete("/v1/stars/:id", async (req, { params }) => {
      const { userId } = await session(req);
      const id = trackOf(params.id!, "unstar the track");
      await data.unstar(userId, [id]);
      return Response.json({ id, starred: false } satisfies StarChange);
    });
}
