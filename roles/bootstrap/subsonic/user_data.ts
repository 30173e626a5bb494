/**
 * The per-user state the API reads (the store's `userData` facet, `../store/user_data.ts`), as items show it.
 *
 * @module
 */

import type { UserDataStore } from "../store/user_data.ts";
import type { UserMarks } from "./library.ts";

export type {
  ApiKeyInfo,
  ApiKeyRecord,
  Playlist,
  PlaylistChange,
  PlaylistInfo,
  PlayQueue,
  StarKind,
  UserDataStore,
} from "../store/user_data.ts";

/** A user's stars, ratings and plays, as items show them. */
export async function marksOf(data: UserDataStore | undefined, userId: number): Promise<UserMarks> {
  if (!data || userId === 0) return { starred: new Map(), ratings: new Map(), plays: new Map() };
  const [stars, ratings, plays] = await Promise.all([
    data.stars(userId),
    data.ratings(userId),
    data.plays(userId),
  ]);
  return {
    starred: new Map(stars.map((s) => [s.id, s.at])),
    ratings: new Map(ratings.map((r) => [r.id, r.rating])),
    plays: new Map(plays.map((p) => [p.id, { count: p.count, lastPlayed: p.lastPlayed }])),
  };
}
