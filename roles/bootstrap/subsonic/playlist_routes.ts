/**
 * The playlist routes (`/v1/playlists`, for the terminal player): a signed-in user lists the playlists the
 * OpenSubsonic API's `getPlaylists` shows and reads one's tracks as catalog tracks, in order, from the same
 * store, so `audiod play` and a Subsonic app see the same playlists.
 *
 * @module
 */

import { HttpError } from "../../../daemon/http/http_error.ts";
import type { Router } from "../../../daemon/http/router.ts";
import type { CatalogTrack } from "../../../protocol/catalog.ts";
import type { PlaylistList, PlaylistSummary, PlaylistTracks } from "../../../protocol/playlists.ts";
import type { BootstrapDeps } from "../handler.ts";
import { signedIn } from "../_access.ts";
import { catalogTrackOf } from "../publishing.ts";
import type { SessionInfo } from "../store/mod.ts";
import type { PlaylistInfo, UserDataStore } from "./user_data.ts";

/** What a playlist id looks like in the store (a row number). */
const PLAYLIST_ID = /^\d{1,15}$/;

/** Adds `/v1/playlists` and `/v1/playlists/:id` to `router`. */
export function playlistRoutes(router: Router, deps: BootstrapDeps, data: UserDataStore): void {
  const session = (req: Request): Promise<SessionInfo> => signedIn(req, deps.users);
  /** Seconds of the songs the catalog holds now. */
  const durationOf = (songs: readonly string[]): number => {
    let seconds = 0;
    for (const id of songs) seconds += deps.catalog.get(id)?.duration ?? 0;
    return Math.round(seconds);
  };
  const summaryOf = (info: PlaylistInfo, songs: readonly string[]): PlaylistSummary => ({
    id: info.id,
    name: info.name,
    songCount: info.songCount,
    duration: durationOf(songs),
  });
  router
    .get("/v1/playlists", async (req) => {
      const { userId } = await session(req);
      const lists = await data.playlists(userId);
      const full = await Promise.all(lists.map((l) => data.playlist(userId, l.id)));
      const playlists = lists.map((l, i) => summaryOf(l, full[i]?.songs ?? []));
      return Response.json({ playlists } satisfies PlaylistList);
    })
    .get("/v1/playlists/:id", async (req, { params }) => {
      const { userId } = await session(req);
      const id = params.id!;
      if (!PLAYLIST_ID.test(id)) {
        throw new HttpError(
          400,
          "bad_playlist",
          `Cannot open the playlist: ${id.slice(0, 80)} is not a playlist id (up to 15 digits)`,
        );
      }
      const playlist = await data.playlist(userId, id);
      if (!playlist) {
        throw new HttpError(
          404,
          "unknown_playlist",
          `Cannot open playlist ${id}: there is none you may see`,
        );
      }
      const tracks: CatalogTrack[] = [];
      for (const song of playlist.songs) {
        const entry = deps.catalog.get(song);
        // A song whose files are gone for now stays in the list but cannot be played.
        if (entry) tracks.push(catalogTrackOf(deps.registry, entry));
      }
      return Response.json(
        { ...summaryOf(playlist, playlist.songs), tracks } satisfies PlaylistTracks,
      );
    });
}
