/**
 * The browsing methods: system (ping, getLicense, getOpenSubsonicExtensions, getUser, tokenInfo), folders
 * (getMusicFolders, getIndexes, getMusicDirectory), ID3 (getArtists, getArtist, getAlbum, getSong), lists
 * (getAlbumList, getAlbumList2, getRandomSongs, getGenres, getSongsByGenre) and search (search2, search3: an
 * empty query, or `""`, matches everything, paged — how clients sync a whole library).
 *
 * @module
 */

import type { CatalogEntry } from "../catalog.ts";
import { foldText } from "../catalog.ts";
import {
  type Album,
  albumChild,
  albumItem,
  type Artist,
  artistItem,
  IGNORED_ARTICLES,
  indexLetter,
  type LibrarySnapshot,
  type NameIndex,
  songItem,
  type UserMarks,
} from "./library.ts";
import type { Call, Method } from "./mod.ts";
import { ErrorCode, type Item, notFound, SubsonicError } from "./response.ts";

/** The one music folder: the whole cluster. */
export const MUSIC_FOLDER = { id: 1, name: "audiod" };

/** The OpenSubsonic extensions served. */
export const EXTENSIONS = [
  { name: "formPost", versions: [1] },
  { name: "apiKeyAuthentication", versions: [1] },
  { name: "songLyrics", versions: [1] },
];

const LIST_MAX = 500;

function song(lib: LibrarySnapshot, entry: CatalogEntry, marks: UserMarks): Item {
  return songItem(entry, lib.albumOf(entry), marks);
}

function indexOf(artists: readonly Artist[], marks: UserMarks, item: (a: Artist) => Item): Item[] {
  const groups = new Map<string, Item[]>();
  for (const artist of artists) {
    const letter = indexLetter(artist);
    let group = groups.get(letter);
    if (!group) groups.set(letter, group = []);
    group.push(item(artist));
  }
  void marks;
  return [...groups.entries()]
    .sort(([a], [b]) => (a === "#" ? 1 : b === "#" ? -1 : a.localeCompare(b)))
    .map(([name, artist]) => ({ name, artist }));
}

async function albumOf(call: Call, id: string): Promise<Album> {
  const album = (await call.library()).albumById.get(id);
  if (!album) throw notFound(`album ${id.slice(0, 80)}`);
  return album;
}

async function artistOf(call: Call, id: string): Promise<Artist> {
  const artist = (await call.library()).artistById.get(id);
  if (!artist) throw notFound(`artist ${id.slice(0, 80)}`);
  return artist;
}

function songOf(call: Call, id: string): CatalogEntry {
  const entry = call.deps.catalog.get(id);
  if (!entry) throw notFound(`song ${id.slice(0, 80)}`);
  return entry;
}

/** Random sample of `count` items (a partial Fisher–Yates over a copy). */
function sample<T>(items: readonly T[], count: number): T[] {
  const copy = [...items];
  const n = Math.min(count, copy.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(Math.random() * (copy.length - i));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, n);
}

/** The albums a getAlbumList(2) call asks for, in order. */
async function albumList(call: Call): Promise<Album[]> {
  const { params } = call;
  const type = params.required("type");
  const size = params.int("size", 10, 1, LIST_MAX);
  const offset = params.int("offset", 0, 0);
  const lib = await call.library();
  const page = (albums: readonly Album[]) => albums.slice(offset, offset + size);
  switch (type) {
    case "random":
      return sample(lib.albums, size);
    case "newest":
      return page(lib.albumsNewest);
    case "alphabeticalByName":
      return page(lib.albumsByName);
    case "alphabeticalByArtist":
      return page(lib.albumsByArtist);
    case "frequent":
    case "recent": {
      const marks = await call.marks();
      const played: [Album, { count: number; lastPlayed: number }][] = [];
      for (const [id, plays] of marks.albums ?? []) {
        const album = lib.albumById.get(id);
        if (album) played.push([album, plays]);
      }
      played.sort(
        type === "frequent"
          ? ([, a], [, b]) => b.count - a.count || b.lastPlayed - a.lastPlayed
          : ([, a], [, b]) => b.lastPlayed - a.lastPlayed,
      );
      return page(played.map(([album]) => album));
    }
    case "starred": {
      const marks = await call.marks();
      const starred = lib.albumsByName.filter((a) => marks.starred.has(a.id));
      return page(starred);
    }
    case "byYear": {
      const from = params.requiredInt("fromYear", 0, 9999);
      const to = params.requiredInt("toYear", 0, 9999);
      const low = Math.min(from, to);
      const high = Math.max(from, to);
      const within = lib.albums.filter((a) => a.year !== undefined && a.year >= low && a.year <= high)
        .sort((a, b) => (from <= to ? a.year! - b.year! : b.year! - a.year!) || a.name.localeCompare(b.name));
      return page(within);
    }
    case "byGenre": {
      const genre = params.required("genre");
      return page(lib.albumsByName.filter((a) => a.genres.includes(genre)));
    }
    default:
      throw new SubsonicError(
        ErrorCode.GENERIC,
        `Cannot run ${call.method}: unknown type ${type.slice(0, 40)} (random, newest, frequent, recent, ` +
          "starred, alphabeticalByName, alphabeticalByArtist, byYear, byGenre)",
      );
  }
}

/** A search query as clients send it: `""` (two quotes) and `*` mean everything. */
export function searchWords(query: string): string {
  let q = query.trim();
  if (q.length >= 2 && q.startsWith('"') && q.endsWith('"')) q = q.slice(1, -1).trim();
  if (q === "*") return "";
  return q;
}

/** The artists, albums and songs a search matches, paged. */
async function search(call: Call, marks: UserMarks) {
  const { params } = call;
  const query = searchWords(params.get("query") ?? "");
  if (query.length > 256) {
    throw new SubsonicError(ErrorCode.GENERIC, `Cannot run ${call.method}: the query is over 256 characters`);
  }
  const lib = await call.library();
  const counts = {
    artist: [params.int("artistCount", 20, 0, LIST_MAX), params.int("artistOffset", 0, 0)],
    album: [params.int("albumCount", 20, 0, LIST_MAX), params.int("albumOffset", 0, 0)],
    song: [params.int("songCount", 20, 0, LIST_MAX), params.int("songOffset", 0, 0)],
  } as const;
  const words = foldText(query).split(/\s+/).filter(Boolean);
  const take = <T>(index: NameIndex<T>, [count, offset]: readonly [number, number]): T[] => {
    if (count === 0) return [];
    const items = words.length === 0 ? index.items : index.matching(words);
    return items.slice(offset, offset + count);
  };
  const artists = take(lib.artistNames, counts.artist);
  const albums = take(lib.albumNames, counts.album);
  const [songCount, songOffset] = counts.song;
  // Only the page asked for is read from the catalog: reading every match cost 15 µs each (270 ms for a word
  // in a fifth of 100,000 tracks).
  const songs = songCount === 0 ? [] : call.deps.catalog.page(query, songOffset, songCount).entries;
  return { artists, albums, songs, lib, marks };
}

/** `count` distinct numbers below `total`, at random (all of them when there are no more). */
function ranksBelow(total: number, count: number): number[] {
  if (total <= count * 2) return Array.from({ length: total }, (_, i) => i);
  const picked = new Set<number>();
  while (picked.size < count) picked.add(Math.floor(Math.random() * total));
  return [...picked];
}

/**
 * Up to `size` random songs passing the call's genre and year filters. The albums that can hold such songs
 * are found first (by their genres and years); their songs are then drawn at random and read, a few more than
 * asked for each round, until enough passed or none are left.
 */
function randomSongsOf(filter: SongFilter, call: Call, lib: LibrarySnapshot, size: number): CatalogEntry[] {
  const { genre, years } = filter;
  const rows: number[] = [];
  for (const album of lib.albums) {
    if (genre && !album.genres.includes(genre)) continue;
    if (years && (album.year === undefined || album.lastYear! < years.from || album.year > years.to)) {
      continue;
    }
    for (const n of album.songs) rows.push(n);
  }
  const out: CatalogEntry[] = [];
  let left = rows.length;
  while (out.length < size && left > 0) {
    // A partial Fisher–Yates: the drawn rows gather at the end, each drawn once.
    const batch: number[] = [];
    const want = Math.min(left, Math.max(16, (size - out.length) * 2));
    for (let k = 0; k < want; k++) {
      const i = Math.floor(Math.random() * left--);
      [rows[i], rows[left]] = [rows[left]!, rows[i]!];
      batch.push(rows[left]!);
    }
    out.push(...call.deps.catalog.rows(batch).filter(filter.passes).slice(0, size - out.length));
  }
  return out;
}

/**
 * Songs `offset` to `offset + count` of those with `genre`, album by album (by artist): albums before the page
 * are skipped by their counts of the genre's songs, and only the albums on the page are read.
 */
function songsOfGenre(
  call: Call,
  lib: LibrarySnapshot,
  genre: string,
  offset: number,
  count: number,
): CatalogEntry[] {
  const out: CatalogEntry[] = [];
  let skip = offset;
  for (const album of lib.albumsByArtist) {
    if (out.length >= count) break;
    const at = album.genres.indexOf(genre);
    if (at < 0) continue;
    const songs = album.genreSongs[at]!;
    if (skip >= songs) {
      skip -= songs;
      continue;
    }
    const matching = call.deps.catalog.rows(album.songs).filter((s) =>
      (s.details?.genres ?? []).includes(genre)
    );
    out.push(...matching.slice(skip, skip + count - out.length));
    skip = 0;
  }
  return out;
}

/** A call's `genre`, `fromYear` and `toYear`, and whether a song passes them. */
interface SongFilter {
  genre: string | undefined;
  years: { from: number; to: number } | undefined;
  passes: (song: CatalogEntry) => boolean;
}

/** The song filter a call asks for; undefined when it asks for none. */
function songFilterOf(call: Call): SongFilter | undefined {
  const { params } = call;
  const genre = params.get("genre") || undefined;
  const years = params.get("fromYear") || params.get("toYear")
    ? { from: params.int("fromYear", 0, 0, 9999), to: params.int("toYear", 9999, 0, 9999) }
    : undefined;
  if (!genre && !years) return undefined;
  return {
    genre,
    years,
    passes: (s) => {
      if (genre && !(s.details?.genres ?? []).includes(genre)) return false;
      const year = s.details?.year;
      return !years || (year !== undefined && year >= years.from && year <= years.to);
    },
  };
}

/** The browsing methods by name. */
export const BROWSE_METHODS: Record<string, Method> = {
  ping: () => ({}),
  getLicense: () => ({ license: { valid: true, email: "", licenseExpires: "2999-12-31T00:00:00.000Z" } }),
  getOpenSubsonicExtensions: () => ({ openSubsonicExtensions: EXTENSIONS }),
  getUser: (call) => {
    const username = call.params.get("username") ?? call.caller.user;
    if (username.normalize("NFKC").toLowerCase() !== call.caller.user.normalize("NFKC").toLowerCase()) {
      throw new SubsonicError(
        ErrorCode.NOT_AUTHORIZED,
        `Cannot show user ${username.slice(0, 64)}: you may only see your own account`,
      );
    }
    return {
      user: {
        username: call.caller.user,
        email: "",
        scrobblingEnabled: true,
        adminRole: false,
        settingsRole: false,
        downloadRole: true,
        uploadRole: false,
        playlistRole: true,
        coverArtRole: true,
        commentRole: false,
        podcastRole: false,
        streamRole: true,
        jukeboxRole: false,
        shareRole: false,
        videoConversionRole: false,
        folder: [MUSIC_FOLDER.id],
      },
    };
  },
  tokenInfo: (call) => ({ tokenInfo: { username: call.caller.user } }),
  getMusicFolders: () => ({ musicFolders: { musicFolder: [MUSIC_FOLDER] } }),
  getIndexes: async (call) => {
    const marks = await call.marks();
    const lib = await call.library();
    return {
      indexes: {
        lastModified: Date.now(),
        ignoredArticles: IGNORED_ARTICLES.join(" "),
        index: indexOf(lib.artists, marks, (a) => ({
          id: a.id,
          name: a.name,
          albumCount: a.albums.length,
          ...(marks.starred.has(a.id) ? { starred: new Date(marks.starred.get(a.id)!).toISOString() } : {}),
        })),
      },
    };
  },
  getMusicDirectory: async (call) => {
    const id = call.params.required("id");
    const marks = await call.marks();
    const lib = await call.library();
    if (id === String(MUSIC_FOLDER.id)) {
      return {
        directory: {
          id,
          name: MUSIC_FOLDER.name,
          child: lib.artists.map((a) => ({
            id: a.id,
            parent: id,
            isDir: true,
            title: a.name,
            artist: a.name,
          })),
        },
      };
    }
    const artist = lib.artistById.get(id);
    if (artist) {
      return {
        directory: {
          id,
          parent: String(MUSIC_FOLDER.id),
          name: artist.name,
          child: artist.albums.map((a) => albumChild(a, marks)),
        },
      };
    }
    const album = lib.albumById.get(id);
    if (album) {
      return {
        directory: {
          id,
          parent: album.artistId,
          name: album.name,
          child: call.deps.catalog.rows(album.songs).map((s) => songItem(s, album, marks)),
        },
      };
    }
    throw notFound(`directory ${id.slice(0, 80)}`);
  },
  getArtists: async (call) => {
    const marks = await call.marks();
    return {
      artists: {
        ignoredArticles: IGNORED_ARTICLES.join(" "),
        index: indexOf((await call.library()).artists, marks, (a) => artistItem(a, marks)),
      },
    };
  },
  getArtist: async (call) => {
    const artist = await artistOf(call, call.params.required("id"));
    const marks = await call.marks();
    return { artist: { ...artistItem(artist, marks), album: artist.albums.map((a) => albumItem(a, marks)) } };
  },
  getAlbum: async (call) => {
    const album = await albumOf(call, call.params.required("id"));
    const marks = await call.marks();
    const songs = call.deps.catalog.rows(album.songs);
    return { album: { ...albumItem(album, marks), song: songs.map((s) => songItem(s, album, marks)) } };
  },
  getSong: async (call) => {
    const entry = songOf(call, call.params.required("id"));
    return { song: song(await call.library(), entry, await call.marks()) };
  },
  getAlbumList2: async (call) => {
    const albums = await albumList(call);
    const marks = await call.marks();
    return { albumList2: { album: albums.map((a) => albumItem(a, marks)) } };
  },
  getAlbumList: async (call) => {
    const albums = await albumList(call);
    const marks = await call.marks();
    return { albumList: { album: albums.map((a) => albumChild(a, marks)) } };
  },
  getRandomSongs: async (call) => {
    const size = call.params.int("size", 10, 1, LIST_MAX);
    const lib = await call.library();
    const marks = await call.marks();
    const filter = songFilterOf(call);
    const songs = filter
      ? randomSongsOf(filter, call, lib, size)
      : call.deps.catalog.entriesAt(sample(ranksBelow(call.deps.catalog.size, size), size));
    return { randomSongs: { song: songs.map((s) => song(lib, s, marks)) } };
  },
  getGenres: async (call) => {
    const genres = [...(await call.library()).genres.entries()].sort(([a], [b]) => a.localeCompare(b));
    return {
      genres: {
        genre: genres.map(([value, count]) => ({ value, songCount: count.songs, albumCount: count.albums })),
      },
    };
  },
  getSongsByGenre: async (call) => {
    const genre = call.params.required("genre");
    const count = call.params.int("count", 10, 1, LIST_MAX);
    const offset = call.params.int("offset", 0, 0);
    const lib = await call.library();
    const marks = await call.marks();
    const songs = songsOfGenre(call, lib, genre, offset, count);
    return { songsByGenre: { song: songs.map((s) => song(lib, s, marks)) } };
  },
  search3: async (call) => {
    const found = await search(call, await call.marks());
    return {
      searchResult3: {
        artist: found.artists.map((a) => artistItem(a, found.marks)),
        album: found.albums.map((a) => albumItem(a, found.marks)),
        song: found.songs.map((s) => song(found.lib, s, found.marks)),
      },
    };
  },
  search2: async (call) => {
    const found = await search(call, await call.marks());
    return {
      searchResult2: {
        artist: found.artists.map((a) => ({ id: a.id, name: a.name })),
        album: found.albums.map((a) => albumChild(a, found.marks)),
        song: found.songs.map((s) => song(found.lib, s, found.marks)),
      },
    };
  },
};
