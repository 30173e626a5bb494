/**
 * The store's per-user facet ({@linkcode UserDataStore}): what the OpenSubsonic API and the player keep for each
 * account — stars, ratings, plays (count and last play), playlists, the saved play queue and API keys (only
 * their SHA-256). Ids are the API's: a song is its track id, an album `al-…`, an artist `ar-…`. Everything of a
 * user goes with the account when it is deleted.
 *
 * @module
 */

/** What can be starred. */
export type StarKind = "song" | "album" | "artist";

/** A playlist without its songs. */
export interface PlaylistInfo {
  id: string;
  userId: number;
  owner: string;
  name: string;
  comment: string;
  public: boolean;
  songCount: number;
  createdAt: number;
  changedAt: number;
}

/** A playlist and its songs (track ids, in order; a song may repeat). */
export interface Playlist extends PlaylistInfo {
  songs: string[];
}

/** A change to a playlist (`updatePlaylist`). */
export interface PlaylistChange {
  name?: string;
  comment?: string;
  public?: boolean;
  /** Indexes (before this change) of songs to remove. */
  removeIndexes?: number[];
  /** Songs to append. */
  add?: string[];
  /** Replaces the whole list. */
  replace?: string[];
}

/** The saved play queue. */
export interface PlayQueue {
  songs: string[];
  current: string | null;
  /** Milliseconds into the current song. */
  position: number;
  changedAt: number;
  changedBy: string;
}

/** An API key as the store finds it by its hash (never the key itself). */
export interface ApiKeyRecord {
  id: string;
  userId: number;
  user: string;
  name: string;
  createdAt: number;
}

/** An API key as listed. */
export type ApiKeyInfo = Omit<ApiKeyRecord, "user" | "userId">;

/** Per-user state. */
export interface UserDataStore {
  /** Stars items (again: keeps the first time). */
  star(userId: number, items: { kind: StarKind; id: string }[], at: number): Promise<void>;
  unstar(userId: number, ids: string[]): Promise<void>;
  stars(userId: number): Promise<{ id: string; kind: StarKind; at: number }[]>;
  /** 1..5; 0 removes the rating. */
  setRating(userId: number, id: string, rating: number): Promise<void>;
  ratings(userId: number): Promise<{ id: string; rating: number }[]>;
  /** Counts one play of a song at `at` (the last play is the latest `at`). */
  scrobble(userId: number, songId: string, at: number): Promise<void>;
  plays(userId: number): Promise<{ id: string; count: number; lastPlayed: number }[]>;
  /** The user's own playlists and the public ones of others, by name. */
  playlists(userId: number): Promise<PlaylistInfo[]>;
  /** A playlist the user may see (own or public). */
  playlist(userId: number, id: string): Promise<Playlist | undefined>;
  createPlaylist(userId: number, name: string, songs: string[], at: number): Promise<Playlist>;
  /** False when the user owns no such playlist. */
  updatePlaylist(userId: number, id: string, change: PlaylistChange, at: number): Promise<boolean>;
  /** False when the user owns no such playlist. */
  deletePlaylist(userId: number, id: string): Promise<boolean>;
  playQueue(userId: number): Promise<PlayQueue | undefined>;
  savePlayQueue(userId: number, queue: Omit<PlayQueue, "changedAt">, at: number): Promise<void>;
  /** Stores a new key's SHA-256 (the key is shown once and never stored). */
  createApiKey(userId: number, name: string, keyHash: string, at: number): Promise<ApiKeyInfo>;
  apiKeys(userId: number): Promise<ApiKeyInfo[]>;
  /** False when the user has no such key. */
  revokeApiKey(userId: number, id: string): Promise<boolean>;
  findApiKey(keyHash: string): Promise<ApiKeyRecord | undefined>;
}

/** A playlist's songs after `change`. */
export function changedSongs(songs: readonly string[], change: PlaylistChange): string[] {
  if (change.replace) return [...change.replace];
  const remove = new Set(change.removeIndexes ?? []);
  return [...songs.filter((_, i) => !remove.has(i)), ...(change.add ?? [])];
}

/** A new API key's id: 12 random hex digits. */
export function newApiKeyId(): string {
  return [...crypto.getRandomValues(new Uint8Array(6))].map((b) => b.toString(16).padStart(2, "0")).join("");
}
