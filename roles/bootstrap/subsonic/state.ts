/**
 * The per-user methods, kept in the bootstrap's store: stars (star, unstar, getStarred, getStarred2), ratings
 * (setRating), plays (scrobble — the only thing that counts a play), playlists (getPlaylists, getPlaylist,
 * createPlaylist, updatePlaylist, deletePlaylist) and the saved play queue (getPlayQueue, savePlayQueue).
 *
 * @module
 */

import { albumChild, albumItem, artistItem, songItem } from "./library.ts";
import type { Call, Method } from "./mod.ts";
import { ErrorCode, type Item, missing, notFound, SubsonicError } from "./response.ts";
import type { Playlist, PlaylistInfo, StarKind } from "./user_data.ts";

const SONG_ID = /^[0-9a-f]{64}$/;
const PLAYLIST_MAX = 10_000;

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The kind of item an id names (songs are track ids, albums `al-…`, artists `ar-…`). */
function kindOf(id: string): StarKind | undefined {
  if (SONG_ID.test(id)) return "song";
  if (/^al-[0-9a-f]{24}$/.test(id)) return "album";
  if (/^ar-[0-9a-f]{24}$/.test(id)) return "artist";
  return undefined;
}

function starTargets(call: Call): { kind: StarKind; id: string }[] {
  const items: { kind: StarKind; id: string }[] = [];
  for (const name of ["id", "albumId", "artistId"]) {
    for (const id of call.params.all(name)) {
      const kind = kindOf(id);
      if (!kind) throw notFound(`item ${id.slice(0, 80)}`);
      items.push({ kind, id });
    }
  }
  if (items.length === 0) throw missing("id", call.method);
  if (items.length > 1000) {
    throw new SubsonicError(ErrorCode.GENERIC, `Cannot run ${call.method}: at most 1000 items at once`);
  }
  return items;
}

function songIds(call: Call, name: string): string[] {
  const ids = call.params.all(name).filter((id) => id !== "");
  if (ids.length > PLAYLIST_MAX) {
    throw new SubsonicError(ErrorCode.GENERIC, `Cannot run ${call.method}: at most ${PLAYLIST_MAX} songs`);
  }
  for (const id of ids) {
    if (!SONG_ID.test(id)) throw notFound(`song ${id.slice(0, 80)}`);
  }
  return ids;
}

function playlistInfo(call: Call, info: PlaylistInfo, songs?: string[]): Item {
  let duration = 0;
  for (const id of songs ?? []) duration += call.deps.catalog.get(id)?.duration ?? 0;
  return {
    id: info.id,
    name: info.name,
    comment: info.comment,
    owner: info.owner,
    public: info.public,
    songCount: info.songCount,
    duration: Math.round(duration),
    created: iso(info.createdAt),
    changed: iso(info.changedAt),
  };
}

async function playlistAnswer(call: Call, playlist: Playlist): Promise<Item> {
  const lib = await call.library();
  const marks = await call.marks();
  const entry: Item[] = [];
  for (const id of playlist.songs) {
    const song = call.deps.catalog.get(id);
    // A song that left the catalog (its files are gone for now) is kept in the list but not shown.
    if (song) entry.push(songItem(song, lib.albumOf(song), marks));
  }
  return { playlist: { ...playlistInfo(call, playlist, playlist.songs), entry } };
}

async function ownPlaylist(call: Call, id: string): Promise<Playlist> {
  const playlist = await call.userData().playlist(call.caller.userId, id);
  if (!playlist) throw notFound(`playlist ${id.slice(0, 80)}`);
  if (playlist.userId !== call.caller.userId) {
    throw new SubsonicError(
      ErrorCode.NOT_AUTHORIZED,
      `Cannot change playlist ${id.slice(0, 80)}: it is not yours`,
    );
  }
  return playlist;
}

async function starred(call: Call) {
  const lib = await call.library();
  const marks = await call.marks();
  const stars = [...marks.starred.entries()].sort(([, a], [, b]) => b - a).map(([id]) => id);
  const songs = [];
  const albums = [];
  const artists = [];
  for (const id of stars) {
    const kind = kindOf(id);
    if (kind === "song") {
      const song = call.deps.catalog.get(id);
      if (song) songs.push(song);
    } else if (kind === "album") {
      const album = lib.albumById.get(id);
      if (album) albums.push(album);
    } else if (kind === "artist") {
      const artist = lib.artistById.get(id);
      if (artist) artists.push(artist);
    }
  }
  return { lib, marks, songs, albums, artists };
}

/** The per-user methods by name. */
export const STATE_METHODS: Record<string, Method> = {
  star: async (call) => {
    await call.userData().star(call.caller.userId, starTargets(call), call.now());
    return {};
  },
  unstar: async (call) => {
    await call.userData().unstar(call.caller.userId, starTargets(call).map((t) => t.id));
    return {};
  },
  getStarred2: async (call) => {
    const s = await starred(call);
    return {
      starred2: {
        artist: s.artists.map((a) => artistItem(a, s.marks)),
        album: s.albums.map((a) => albumItem(a, s.marks)),
        song: s.songs.map((song) => songItem(song, s.lib.albumOf(song), s.marks)),
      },
    };
  },
  getStarred: async (call) => {
    const s = await starred(call);
    return {
      starred: {
        artist: s.artists.map((a) => ({ id: a.id, name: a.name, starred: iso(s.marks.starred.get(a.id)!) })),
        album: s.albums.map((a) => albumChild(a, s.marks)),
        song: s.songs.map((song) => songItem(song, s.lib.albumOf(song), s.marks)),
      },
    };
  },
  setRating: async (call) => {
    const id = call.params.required("id");
    const rating = call.params.requiredInt("rating", 0, 5);
    if (!kindOf(id)) throw notFound(`item ${id.slice(0, 80)}`);
    await call.userData().setRating(call.caller.userId, id, rating);
    return {};
  },
  scrobble: async (call) => {
    const ids = call.params.all("id");
    if (ids.length === 0) throw missing("id", call.method);
    const times = call.params.all("time");
    // Only a submission counts a play; "now playing" notifications (submission=false) do not.
    if (!call.params.bool("submission", true)) return {};
    for (const [i, id] of ids.entries()) {
      if (!call.deps.catalog.get(id)) throw notFound(`song ${id.slice(0, 80)}`);
      const time = times[i];
      const at = time !== undefined && /^\d{1,16}$/.test(time) ? Number(time) : call.now();
      await call.userData().scrobble(call.caller.userId, id, at);
    }
    return {};
  },
  getPlaylists: async (call) => {
    const username = call.params.get("username");
    if (username !== undefined && username.toLowerCase() !== call.caller.user.toLowerCase()) {
      throw new SubsonicError(ErrorCode.NOT_AUTHORIZED, "Cannot list another user's playlists");
    }
    const lists = await call.userData().playlists(call.caller.userId);
    const full = await Promise.all(lists.map((l) => call.userData().playlist(call.caller.userId, l.id)));
    return {
      playlists: {
        playlist: lists.map((l, i) => playlistInfo(call, l, full[i]?.songs)),
      },
    };
  },
  getPlaylist: async (call) => {
    const id = call.params.required("id");
    const playlist = await call.userData().playlist(call.caller.userId, id);
    if (!playlist) throw notFound(`playlist ${id.slice(0, 80)}`);
    return await playlistAnswer(call, playlist);
  },
  createPlaylist: async (call) => {
    const songs = songIds(call, "songId");
    const existing = call.params.get("playlistId");
    const data = call.userData();
    if (existing !== undefined && existing !== "") {
      await ownPlaylist(call, existing);
      const name = call.params.get("name");
      await data.updatePlaylist(call.caller.userId, existing, {
        replace: songs,
        ...(name !== undefined && name !== "" ? { name: name.slice(0, 256) } : {}),
      }, call.now());
      return await playlistAnswer(call, (await data.playlist(call.caller.userId, existing))!);
    }
    const name = call.params.get("name");
    if (name === undefined || name === "") throw missing("name", call.method);
    const created = await data.createPlaylist(call.caller.userId, name.slice(0, 256), songs, call.now());
    return await playlistAnswer(call, created);
  },
  updatePlaylist: async (call) => {
    const id = call.params.required("playlistId");
    await ownPlaylist(call, id);
    const name = call.params.get("name");
    const comment = call.params.get("comment");
    const isPublic = call.params.get("public");
    const remove = call.params.all("songIndexToRemove").map((text) => {
      if (!/^\d{1,6}$/.test(text)) {
        throw new SubsonicError(
          ErrorCode.GENERIC,
          `Cannot run updatePlaylist: songIndexToRemove=${text.slice(0, 20)}`,
        );
      }
      return Number(text);
    });
    await call.userData().updatePlaylist(call.caller.userId, id, {
      ...(name !== undefined ? { name: name.slice(0, 256) } : {}),
      ...(comment !== undefined ? { comment: comment.slice(0, 1024) } : {}),
      ...(isPublic !== undefined ? { public: isPublic === "true" } : {}),
      removeIndexes: remove,
      add: songIds(call, "songIdToAdd"),
    }, call.now());
    return {};
  },
  deletePlaylist: async (call) => {
    const id = call.params.required("id");
    await ownPlaylist(call, id);
    await call.userData().deletePlaylist(call.caller.userId, id);
    return {};
  },
  getPlayQueue: async (call) => {
    const queue = await call.userData().playQueue(call.caller.userId);
    if (!queue) return {};
    const lib = await call.library();
    const marks = await call.marks();
    const entry: Item[] = [];
    for (const id of queue.songs) {
      const song = call.deps.catalog.get(id);
      if (song) entry.push(songItem(song, lib.albumOf(song), marks));
    }
    return {
      playQueue: {
        ...(queue.current !== null ? { current: queue.current } : {}),
        position: queue.position,
        username: call.caller.user,
        changed: iso(queue.changedAt),
        changedBy: queue.changedBy,
        entry,
      },
    };
  },
  savePlayQueue: async (call) => {
    const songs = songIds(call, "id");
    const current = call.params.get("current");
    if (current !== undefined && current !== "" && !songs.includes(current)) {
      throw new SubsonicError(ErrorCode.GENERIC, "Cannot save the play queue: current is not in it");
    }
    await call.userData().savePlayQueue(call.caller.userId, {
      songs,
      current: current || (songs[0] ?? null),
      position: call.params.int("position", 0, 0),
      changedBy: (call.params.get("c") ?? "").slice(0, 64),
    }, call.now());
    return {};
  },
};
