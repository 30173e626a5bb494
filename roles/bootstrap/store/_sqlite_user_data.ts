/**
 * The per-user facet on SQLite (schema version 3): synchronous statements behind the async interface.
 *
 * @module
 */

import type { DatabaseSync } from "node:sqlite";
import {
  type ApiKeyInfo,
  changedSongs,
  newApiKeyId,
  type Playlist,
  type StarKind,
  type UserDataStore,
} from "./user_data.ts";

type Row = Record<string, unknown>;

function playlistOf(row: Row): Playlist {
  const songs = JSON.parse(String(row.songs)) as string[];
  return {
    id: String(row.id),
    userId: Number(row.user_id),
    owner: String(row.owner),
    name: String(row.name),
    comment: String(row.comment),
    public: Number(row.public) === 1,
    songCount: songs.length,
    createdAt: Number(row.created_at),
    changedAt: Number(row.changed_at),
    songs,
  };
}

function keyOf(row: Row): ApiKeyInfo {
  return { id: String(row.id), name: String(row.name), createdAt: Number(row.created_at) };
}

/** Deletes every per-user row of an account (SQLite enforces no foreign keys here). */
export function deleteUserData(db: DatabaseSync, userId: number): void {
  for (const table of ["user_stars", "user_ratings", "user_plays", "playlists", "play_queues", "api_keys"]) {
    db.prepare(`DELETE FROM ${table} WHERE user_id = ?`).run(userId);
  }
}

/** The facet over `db`; `transaction` runs work under BEGIN IMMEDIATE. */
export function sqliteUserData(db: DatabaseSync, transaction: <T>(work: () => T) => T): UserDataStore {
  const q = {
    star: db.prepare(
      "INSERT INTO user_stars (user_id, item_id, kind, at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
    ),
    unstar: db.prepare("DELETE FROM user_stars WHERE user_id = ? AND item_id = ?"),
    stars: db.prepare("SELECT item_id, kind, at FROM user_stars WHERE user_id = ? ORDER BY at DESC"),
    rate: db.prepare(
      "INSERT INTO user_ratings (user_id, item_id, rating) VALUES (?, ?, ?) " +
        "ON CONFLICT (user_id, item_id) DO UPDATE SET rating = excluded.rating",
    ),
    unrate: db.prepare("DELETE FROM user_ratings WHERE user_id = ? AND item_id = ?"),
    ratings: db.prepare("SELECT item_id, rating FROM user_ratings WHERE user_id = ?"),
    scrobble: db.prepare(
      "INSERT INTO user_plays (user_id, song_id, count, last_played) VALUES (?, ?, 1, ?) " +
        "ON CONFLICT (user_id, song_id) DO UPDATE SET count = count + 1, " +
        "last_played = max(last_played, excluded.last_played)",
    ),
    plays: db.prepare("SELECT song_id, count, last_played FROM user_plays WHERE user_id = ?"),
    playlists: db.prepare(
      "SELECT p.*, u.name AS owner FROM playlists p JOIN users u ON u.id = p.user_id " +
        "WHERE p.user_id = ? OR p.public = 1 ORDER BY p.name, p.id",
    ),
    playlist: db.prepare(
      "SELECT p.*, u.name AS owner FROM playlists p JOIN users u ON u.id = p.user_id " +
        "WHERE p.id = ? AND (p.user_id = ? OR p.public = 1)",
    ),
    insertPlaylist: db.prepare(
      "INSERT INTO playlists (user_id, name, comment, public, songs, created_at, changed_at) " +
        "VALUES (?, ?, '', 0, ?, ?, ?)",
    ),
    ownPlaylist: db.prepare("SELECT * FROM playlists WHERE id = ? AND user_id = ?"),
    updatePlaylist: db.prepare(
      "UPDATE playlists SET name = ?, comment = ?, public = ?, songs = ?, changed_at = ? WHERE id = ?",
    ),
    deletePlaylist: db.prepare("DELETE FROM playlists WHERE id = ? AND user_id = ?"),
    queue: db.prepare("SELECT * FROM play_queues WHERE user_id = ?"),
    saveQueue: db.prepare(
      "INSERT INTO play_queues (user_id, songs, current, position, changed_at, changed_by) " +
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET songs = excluded.songs, " +
        "current = excluded.current, position = excluded.position, changed_at = excluded.changed_at, " +
        "changed_by = excluded.changed_by",
    ),
    insertKey: db.prepare(
      "INSERT INTO api_keys (id, user_id, name, key_hash, created_at) VALUES (?, ?, ?, ?, ?)",
    ),
    keys: db.prepare("SELECT id, name, created_at FROM api_keys WHERE user_id = ? ORDER BY created_at, id"),
    revokeKey: db.prepare("DELETE FROM api_keys WHERE user_id = ? AND id = ?"),
    findKey: db.prepare(
      "SELECT k.id, k.user_id, u.name AS user, k.name, k.created_at FROM api_keys k " +
        "JOIN users u ON u.id = k.user_id WHERE k.key_hash = ?",
    ),
  };
  const playlistId = (id: string) => (/^\d{1,15}$/.test(id) ? Number(id) : -1);
  const methods: UserDataStore = {
    star: (userId, items, at) =>
      run(() => transaction(() => items.forEach((item) => q.star.run(userId, item.id, item.kind, at)))),
    unstar: (userId, ids) => run(() => transaction(() => ids.forEach((id) => q.unstar.run(userId, id)))),
    stars: (userId) =>
      run(() =>
        (q.stars.all(userId) as Row[]).map((r) => ({
          id: String(r.item_id),
          kind: String(r.kind) as StarKind,
          at: Number(r.at),
        }))
      ),
    setRating: (userId, id, rating) =>
      run(() => {
        if (rating === 0) q.unrate.run(userId, id);
        else q.rate.run(userId, id, rating);
      }),
    ratings: (userId) =>
      run(() =>
        (q.ratings.all(userId) as Row[]).map((r) => ({ id: String(r.item_id), rating: Number(r.rating) }))
      ),
    scrobble: (userId, songId, at) =>
      run(() => {
        q.scrobble.run(userId, songId, at);
      }),
    plays: (userId) =>
      run(() =>
        (q.plays.all(userId) as Row[]).map((r) => ({
          id: String(r.song_id),
          count: Number(r.count),
          lastPlayed: Number(r.last_played),
        }))
      ),
    playlists: (userId) =>
      run(() =>
        (q.playlists.all(userId) as Row[]).map((r) => {
          const { songs: _songs, ...info } = playlistOf(r);
          return info;
        })
      ),
    playlist: (userId, id) =>
      run(() => {
        const row = q.playlist.get(playlistId(id), userId) as Row | undefined;
        return row ? playlistOf(row) : undefined;
      }),
    createPlaylist: (userId, name, songs, at) =>
      run(() =>
        transaction(() => {
          const result = q.insertPlaylist.run(userId, name, JSON.stringify(songs), at, at);
          const row = q.playlist.get(Number(result.lastInsertRowid), userId) as Row;
          return playlistOf(row);
        })
      ),
    updatePlaylist: (userId, id, change, at) =>
      run(() =>
        transaction(() => {
          const row = q.ownPlaylist.get(playlistId(id), userId) as Row | undefined;
          if (!row) return false;
          const songs = changedSongs(JSON.parse(String(row.songs)) as string[], change);
          q.updatePlaylist.run(
            change.name ?? String(row.name),
            change.comment ?? String(row.comment),
            change.public === undefined ? Number(row.public) : change.public ? 1 : 0,
            JSON.stringify(songs),
            at,
            Number(row.id),
          );
          return true;
        })
      ),
    deletePlaylist: (userId, id) => run(() => q.deletePlaylist.run(playlistId(id), userId).changes > 0),
    playQueue: (userId) =>
      run(() => {
        const row = q.queue.get(userId) as Row | undefined;
        if (!row) return undefined;
        return {
          songs: JSON.parse(String(row.songs)) as string[],
          current: row.current === null ? null : String(row.current),
          position: Number(row.position),
          changedAt: Number(row.changed_at),
          changedBy: String(row.changed_by),
        };
      }),
    savePlayQueue: (userId, queue, at) =>
      run(() => {
        q.saveQueue.run(
          userId,
          JSON.stringify(queue.songs),
          queue.current,
          queue.position,
          at,
          queue.changedBy,
        );
      }),
    createApiKey: (userId, name, keyHash, at) =>
      run(() => {
        const id = newApiKeyId();
        q.insertKey.run(id, userId, name, keyHash, at);
        return { id, name, createdAt: at };
      }),
    apiKeys: (userId) => run(() => (q.keys.all(userId) as Row[]).map(keyOf)),
    revokeApiKey: (userId, id) => run(() => q.revokeKey.run(userId, id).changes > 0),
    findApiKey: (keyHash) =>
      run(() => {
        const row = q.findKey.get(keyHash) as Row | undefined;
        return row
          ? {
            id: String(row.id),
            userId: Number(row.user_id),
            user: String(row.user),
            name: String(row.name),
            createdAt: Number(row.created_at),
          }
          : undefined;
      }),
  };
  return methods;
}

/** Runs synchronous work as a promise (rejecting rather than throwing). */
function run<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error);
  }
}
