/**
 * The per-user facet on PostgreSQL (schema version 3). Rows go with the account (`ON DELETE CASCADE`).
 *
 * @module
 */

import type postgres from "postgres";
import {
  type ApiKeyInfo,
  changedSongs,
  newApiKeyId,
  type Playlist,
  type StarKind,
  type UserDataStore,
} from "./user_data.ts";

type Sql = postgres.Sql;
type Row = Record<string, unknown>;

function playlistOf(row: Row): Playlist {
  const songs = (typeof row.songs === "string" ? JSON.parse(row.songs) : row.songs) as string[];
  return {
    id: String(row.id),
    userId: Number(row.user_id),
    owner: String(row.owner),
    name: String(row.name),
    comment: String(row.comment),
    public: row.public === true,
    songCount: songs.length,
    createdAt: Number(row.created_at),
    changedAt: Number(row.changed_at),
    songs,
  };
}

function keyOf(row: Row): ApiKeyInfo {
  return { id: String(row.id), name: String(row.name), createdAt: Number(row.created_at) };
}

/** The facet; `call` runs work on the pool, turning an unreachable database into a 503. */
export function postgresUserData(call: <T>(work: (sql: Sql) => Promise<T>) => Promise<T>): UserDataStore {
  const playlistId = (id: string) => (/^\d{1,15}$/.test(id) ? Number(id) : -1);
  return {
    star: (userId, items, at) =>
      call(async (sql) => {
        if (items.length === 0) return;
        await sql.begin(async (tx) => {
          for (const item of items) {
            await tx`INSERT INTO user_stars (user_id, item_id, kind, at)
              VALUES (${userId}, ${item.id}, ${item.kind}, ${at}) ON CONFLICT DO NOTHING`;
          }
        });
      }),
    unstar: (userId, ids) =>
      call(async (sql) => {
        if (ids.length === 0) return;
        await sql`DELETE FROM user_stars WHERE user_id = ${userId} AND item_id = ANY(${sql.array(ids)})`;
      }),
    stars: (userId) =>
      call(async (sql) => {
        const rows = await sql`SELECT item_id, kind, at FROM user_stars WHERE user_id = ${userId}
          ORDER BY at DESC`;
        return rows.map((r) => ({
          id: String(r.item_id),
          kind: String(r.kind) as StarKind,
          at: Number(r.at),
        }));
      }),
    setRating: (userId, id, rating) =>
      call(async (sql) => {
        if (rating === 0) {
          await sql`DELETE FROM user_ratings WHERE user_id = ${userId} AND item_id = ${id}`;
        } else {
          await sql`INSERT INTO user_ratings (user_id, item_id, rating) VALUES (${userId}, ${id}, ${rating})
            ON CONFLICT (user_id, item_id) DO UPDATE SET rating = excluded.rating`;
        }
      }),
    ratings: (userId) =>
      call(async (sql) => {
        const rows = await sql`SELECT item_id, rating FROM user_ratings WHERE user_id = ${userId}`;
        return rows.map((r) => ({ id: String(r.item_id), rating: Number(r.rating) }));
      }),
    scrobble: (userId, songId, at) =>
      call(async (sql) => {
        await sql`INSERT INTO user_plays AS p (user_id, song_id, count, last_played)
          VALUES (${userId}, ${songId}, 1, ${at})
          ON CONFLICT (user_id, song_id) DO UPDATE SET count = p.count + 1,
            last_played = greatest(p.last_played, excluded.last_played)`;
      }),
    plays: (userId) =>
      call(async (sql) => {
        const rows = await sql`SELECT song_id, count, last_played FROM user_plays WHERE user_id = ${userId}`;
        return rows.map((r) => ({
          id: String(r.song_id),
          count: Number(r.count),
          lastPlayed: Number(r.last_played),
        }));
      }),
    playlists: (userId) =>
      call(async (sql) => {
        const rows = await sql`SELECT p.*, u.name AS owner FROM playlists p JOIN users u ON u.id = p.user_id
          WHERE p.user_id = ${userId} OR p.public ORDER BY p.name, p.id`;
        return rows.map((r) => {
          const { songs: _songs, ...info } = playlistOf(r);
          return info;
        });
      }),
    playlist: (userId, id) =>
      call(async (sql) => {
        const [row] = await sql`SELECT p.*, u.name AS owner FROM playlists p JOIN users u ON u.id = p.user_id
          WHERE p.id = ${playlistId(id)} AND (p.user_id = ${userId} OR p.public)`;
        return row ? playlistOf(row) : undefined;
      }),
    createPlaylist: (userId, name, songs, at) =>
      call(async (sql) => {
        const [row] = await sql`WITH p AS (
            INSERT INTO playlists (user_id, name, comment, public, songs, created_at, changed_at)
            VALUES (${userId}, ${name}, '', false, ${sql.json(songs)}, ${at}, ${at}) RETURNING *)
          SELECT p.*, u.name AS owner FROM p JOIN users u ON u.id = p.user_id`;
        return playlistOf(row!);
      }),
    updatePlaylist: (userId, id, change, at) =>
      call((sql) =>
        sql.begin(async (tx) => {
          const [row] = await tx`SELECT * FROM playlists WHERE id = ${playlistId(id)} AND user_id = ${userId}
            FOR UPDATE`;
          if (!row) return false;
          const current = (typeof row.songs === "string" ? JSON.parse(row.songs) : row.songs) as string[];
          const songs = changedSongs(current, change);
          await tx`UPDATE playlists SET name = ${change.name ?? String(row.name)},
            comment = ${change.comment ?? String(row.comment)},
            public = ${change.public ?? row.public === true}, songs = ${tx.json(songs)}, changed_at = ${at}
            WHERE id = ${Number(row.id)}`;
          return true;
        })
      ),
    deletePlaylist: (userId, id) =>
      call(async (sql) => {
        const rows = await sql`DELETE FROM playlists WHERE id = ${playlistId(id)} AND user_id = ${userId}
          RETURNING id`;
        return rows.length > 0;
      }),
    playQueue: (userId) =>
      call(async (sql) => {
        const [row] = await sql`SELECT * FROM play_queues WHERE user_id = ${userId}`;
        if (!row) return undefined;
        return {
          songs: (typeof row.songs === "string" ? JSON.parse(row.songs) : row.songs) as string[],
          current: row.current === null ? null : String(row.current),
          position: Number(row.position),
          changedAt: Number(row.changed_at),
          changedBy: String(row.changed_by),
        };
      }),
    savePlayQueue: (userId, queue, at) =>
      call(async (sql) => {
        await sql`INSERT INTO play_queues (user_id, songs, current, position, changed_at, changed_by)
          VALUES (${userId}, ${sql.json(queue.songs)}, ${queue.current}, ${queue.position}, ${at},
            ${queue.changedBy})
          ON CONFLICT (user_id) DO UPDATE SET songs = excluded.songs, current = excluded.current,
            position = excluded.position, changed_at = excluded.changed_at, changed_by = excluded.changed_by`;
      }),
    createApiKey: (userId, name, keyHash, at) =>
      call(async (sql) => {
        const id = newApiKeyId();
        await sql`INSERT INTO api_keys (id, user_id, name, key_hash, created_at)
          VALUES (${id}, ${userId}, ${name}, ${keyHash}, ${at})`;
        return { id, name, createdAt: at };
      }),
    apiKeys: (userId) =>
      call(async (sql) => {
        const rows = await sql`SELECT id, name, created_at FROM api_keys WHERE user_id = ${userId}
          ORDER BY created_at, id`;
        return rows.map(keyOf);
      }),
    revokeApiKey: (userId, id) =>
      call(async (sql) => {
        const rows = await sql`DELETE FROM api_keys WHERE user_id = ${userId} AND id = ${id} RETURNING id`;
        return rows.length > 0;
      }),
    findApiKey: (keyHash) =>
      call(async (sql) => {
        const [row] = await sql`SELECT k.id, k.user_id, u.name AS user, k.name, k.created_at
          FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.key_hash = ${keyHash}`;
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
}
