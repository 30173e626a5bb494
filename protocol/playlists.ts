/**
 * Playlists of the signed-in user, the same the OpenSubsonic API's `getPlaylists`/`getPlaylist`/`createPlaylist`
 * keep (the bootstrap's store): `GET /v1/playlists` lists them and `GET /v1/playlists/:id` gives one with its
 * tracks in order. Both take the caller's session token (`Authorization: Bearer`); the terminal player uses them,
 * so it and a Subsonic app see the same playlists.
 *
 * @module
 */

import { arrayOf, type Infer, int, obj, str } from "./schema.ts";
import { catalogTrack } from "./catalog.ts";

/** A playlist's id (the store's: what `getPlaylists` answers as `id`). */
export const playlistId = str({ min: 1, max: 128 });

/** A playlist without its tracks. */
export const playlistSummary = obj({
  id: playlistId,
  name: str({ min: 0, max: 1024 }),
  /** Songs in the list (those whose files are gone for now included). */
  songCount: int({ min: 0 }),
  /** Seconds, of the songs the catalog holds now. */
  duration: int({ min: 0 }),
});
/** A playlist without its tracks. */
export type PlaylistSummary = Infer<typeof playlistSummary>;

/** `GET /v1/playlists`: the user's own playlists and the public ones of others, by name. */
export const playlistList = obj({ playlists: arrayOf(playlistSummary) });
/** `GET /v1/playlists` */
export type PlaylistList = Infer<typeof playlistList>;

/**
 * `GET /v1/playlists/:id`: the playlist and its tracks in order (a track may repeat; one no instance holds now
 * is left out, so `tracks` may be shorter than `songCount`).
 */
export const playlistTracks = obj({
  id: playlistId,
  name: str({ min: 0, max: 1024 }),
  songCount: int({ min: 0 }),
  duration: int({ min: 0 }),
  tracks: arrayOf(catalogTrack),
});
/** `GET /v1/playlists/:id` */
export type PlaylistTracks = Infer<typeof playlistTracks>;
