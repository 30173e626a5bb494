/**
 * The catalog as OpenSubsonic clients see it: artists, albums and songs. Songs are catalog tracks (their id is
 * the track id); albums group tracks by album artist and album name, artists by album artist. Album and artist
 * ids are derived from the normalized names (`al-`/`ar-` and part of a SHA-256), so they stay the same across
 * rescans, restarts and machines holding the same files — what clients' offline caches and playlists rely on.
 *
 * The albums are summed up by the catalog's database ({@linkcode Catalog.albums}); an album holds its songs'
 * row numbers, not the songs, which are read a page at a time when asked for. A million tracks make some
 * 80,000 albums here, not a million entries in the heap. From 50,000 tracks on, SQLite's part (4–5 s for a
 * million tracks) runs in a worker of its own, and the view before is served meanwhile; the rest (about 1 s)
 * runs here. The view is rebuilt when the catalog changed, at most once per change; when a build took long here
 * (over 100 ms), a view younger than ten builds is kept through further changes (tracks announced in the last
 * seconds may then be missing from albums).
 *
 * @module
 */

import { createHash } from "node:crypto";
import { canLoadWorker } from "../../../daemon/runtime/workers.ts";
import {
  albumArtistOf,
  type AlbumRow,
  type Catalog,
  type CatalogEntry,
  foldText,
  GENRE_SEPARATOR,
  UNKNOWN_ALBUM,
  UNKNOWN_ARTIST,
} from "../catalog.ts";
import type { Item } from "./response.ts";

export { UNKNOWN_ALBUM, UNKNOWN_ARTIST } from "../catalog.ts";

/** Articles left out when sorting and indexing artists (`ignoredArticles`). */
export const IGNORED_ARTICLES = [
  "The",
  "A",
  "An",
  "Les",
  "Le",
  "La",
  "Die",
  "Der",
  "Das",
  "El",
  "Los",
  "Las",
];

/** An album: tracks of one album artist with one album name. */
export interface Album {
  id: string;
  name: string;
  artist: string;
  artistId: string;
  /** Its songs' rows in the catalog ({@linkcode Catalog.rows} reads them), in disc, track and title order. */
  songs: Int32Array;
  duration: number;
  /** The earliest year of its songs. */
  year: number | undefined;
  /** The latest year of its songs. */
  lastYear: number | undefined;
  genres: string[];
  /** How many of its songs have each of {@linkcode genres}. */
  genreSongs: number[];
  /** Unix ms: the newest file's time (or when the bootstrap first saw the album). */
  created: number;
  /** The row of the song whose cover stands for the album (-1: none has one). */
  coverRow: number;
  /** Folded "album artist" for search and sorting. */
  folded: string;
}

/** An artist: the albums with this album artist. */
export interface Artist {
  id: string;
  name: string;
  albums: Album[];
  /** Folded name for search. */
  folded: string;
  /** Folded name without a leading article, for sorting and indexing. */
  sortKey: string;
}

/**
 * Folded names joined into one string ("\0" between them): finding the entries that hold every word is one
 * `indexOf` scan per word over contiguous memory, not a visit to 100,000 objects.
 */
export class NameIndex<T> {
  readonly items: readonly T[];
  #text: string;
  #starts: Int32Array;

  constructor(items: readonly T[], name: (item: T) => string) {
    this.items = items;
    this.#starts = new Int32Array(items.length);
    let at = 0;
    const parts: string[] = [];
    items.forEach((item, i) => {
      const text = name(item).replaceAll("\0", " ");
      this.#starts[i] = at;
      at += text.length + 1;
      parts.push(text);
    });
    this.#text = parts.join("\0") + "\0";
  }

  /** The items whose name holds every (folded) word, in order; all of them for no words. */
  matching(words: readonly string[]): T[] {
    if (words.length === 0) return [...this.items];
    const counts = new Uint8Array(this.items.length);
    const starts = this.#starts;
    words.forEach((word, round) => {
      if (round > 250) return;
      for (let at = this.#text.indexOf(word); at !== -1;) {
        // The entry holding position `at`: the last start at or before it.
        let lo = 0;
        let hi = starts.length - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (starts[mid]! <= at) lo = mid;
          else hi = mid - 1;
        }
        if (counts[lo] === round) counts[lo] = round + 1;
        at = lo + 1 < starts.length ? this.#text.indexOf(word, starts[lo + 1]!) : -1;
      }
    });
    const want = Math.min(words.length, 251);
    return this.items.filter((_, i) => counts[i] === want);
  }
}

/** The derived view, rebuilt when the catalog changes. */
export interface LibrarySnapshot {
  albums: readonly Album[];
  artists: readonly Artist[];
  albumById: ReadonlyMap<string, Album>;
  artistById: ReadonlyMap<string, Artist>;
  /** The album a song is on, if the view knows it. */
  albumOf(song: CatalogEntry): Album | undefined;
  /** The album holding a catalog row, if the view knows it. */
  albumOfRow(row: number): Album | undefined;
  /** Songs in all the albums. */
  songCount: number;
  /** Albums by name, then by artist. */
  albumsByName: readonly Album[];
  albumsByArtist: readonly Album[];
  /** Newest first. */
  albumsNewest: readonly Album[];
  /** Genre → song count, album count. */
  genres: ReadonlyMap<string, { songs: number; albums: number }>;
  /** Search over albums (by name) and artists. */
  albumNames: NameIndex<Album>;
  artistNames: NameIndex<Artist>;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function shortHash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 24);
}

/** The stable id of an artist name. */
export function artistIdOf(name: string): string {
  return `ar-${shortHash(foldText(name.trim()))}`;
}

/** The stable id of an album of an album artist. */
export function albumIdOf(albumArtist: string, album: string): string {
  return `al-${shortHash(`${foldText(albumArtist.trim())}\n${foldText(album.trim())}`)}`;
}

function sortKeyOf(folded: string): string {
  for (const article of IGNORED_ARTICLES) {
    const prefix = article.toLowerCase() + " ";
    if (folded.startsWith(prefix) && folded.length > prefix.length) return folded.slice(prefix.length);
  }
  return folded;
}

/** The letter an artist is indexed under: A–Z, or "#". */
export function indexLetter(artist: Artist): string {
  const first = artist.sortKey.charAt(0).toUpperCase();
  return /[A-Z]/.test(first) ? first : "#";
}

/**
 * The songs' rows of every album of one build, one after another: each album's are a view of this one array
 * (a typed array of its own per album cost 150 bytes more each, 13 MB at 80,000 albums).
 */
class RowList {
  data = new Int32Array(1 << 16);
  length = 0;

  /** Appends numbers written with "," between them; returns where they start. */
  add(text: string): number {
    const start = this.length;
    for (let at = 0; at < text.length;) {
      let v = 0;
      for (let c = text.charCodeAt(at); c >= 48 && c <= 57; c = text.charCodeAt(++at)) v = v * 10 + c - 48;
      at++;
      if (this.length === this.data.length) {
        const grown = new Int32Array(this.data.length * 2);
        grown.set(this.data);
        this.data = grown;
      }
      this.data[this.length++] = v;
    }
    return start;
  }
}

const NO_ROWS = new Int32Array(0);

/** What an album row sums up, besides its songs' rows. */
type AlbumSums = Omit<AlbumRow, "rows">;

/**
 * The albums of {@linkcode Catalog.albums} as a few arrays: what a worker that summed them up hands over (the
 * typed arrays are moved, not copied), and what {@linkcode Library} builds its view from either way.
 */
export interface PackedAlbums {
  /** The album artist's and the album's names (unknown ones named). */
  artist: string[];
  album: string[];
  /** The album's and the artist's ids, and the album's folded names, worked out where SQLite ran. */
  id: string[];
  artistId: string[];
  folded: string[];
  genres: (string | null)[];
  /** Per album, {@linkcode NUMBERS} of them: duration, year, last year, added at, cover row (NaN: none). */
  numbers: Float64Array;
  /** Album `i`'s rows are `rows[starts[i]]` up to `rows[starts[i + 1]]`. */
  starts: Int32Array;
  rows: Int32Array;
}

const NUMBERS = 5;

/** Packs the albums SQLite summed up (see {@linkcode PackedAlbums}). */
export function packAlbums(source: Iterable<AlbumRow>): PackedAlbums {
  const artist: string[] = [];
  const album: string[] = [];
  const id: string[] = [];
  const artistId: string[] = [];
  const folded: string[] = [];
  const genres: (string | null)[] = [];
  const numbers: number[] = [];
  const starts: number[] = [];
  const rows = new RowList();
  const num = (v: number | null) => v === null ? NaN : Number(v);
  const artistIds = new Map<string, string>();
  for (const row of source) {
    const artistName = row.artist || UNKNOWN_ARTIST;
    const albumName = row.album || UNKNOWN_ALBUM;
    artist.push(artistName);
    album.push(albumName);
    // Hashing the names is most of this loop's time: each artist's once.
    id.push(albumIdOf(artistName, albumName));
    let ofArtist = artistIds.get(artistName);
    if (ofArtist === undefined) artistIds.set(artistName, ofArtist = artistIdOf(artistName));
    artistId.push(ofArtist);
    folded.push(foldText(`${albumName}\n${artistName}`));
    genres.push(row.genres);
    numbers.push(Number(row.duration), num(row.year), num(row.lastYear), num(row.addedAt), num(row.cover));
    starts.push(rows.add(row.rows));
  }
  starts.push(rows.length);
  return {
    artist,
    album,
    id,
    artistId,
    folded,
    genres,
    numbers: Float64Array.from(numbers),
    starts: Int32Array.from(starts),
    rows: rows.data,
  };
}

/** Album `i` of `packed`, as a row without its songs. */
function sumsAt(packed: PackedAlbums, i: number): AlbumSums {
  const n = packed.numbers;
  const at = i * NUMBERS;
  const orNull = (v: number) => Number.isNaN(v) ? null : v;
  return {
    artist: packed.artist[i]!,
    album: packed.album[i]!,
    genres: packed.genres[i]!,
    duration: n[at]!,
    year: orNull(n[at + 1]!),
    lastYear: orNull(n[at + 2]!),
    addedAt: orNull(n[at + 3]!),
    cover: orNull(n[at + 4]!),
  };
}

/** How many of an album row's songs have each genre. */
function genreCounts(row: AlbumSums): Map<string, number> {
  const counts = new Map<string, number>();
  for (const genre of row.genres ? row.genres.split(GENRE_SEPARATOR) : []) {
    counts.set(genre, (counts.get(genre) ?? 0) + 1);
  }
  return counts;
}

/** Adds another spelling's row to `album` (its songs are placed after the loop). */
function merge(album: Album, row: AlbumSums, genres: Map<string, { songs: number; albums: number }>): void {
  // The genre lists may be shared with other albums.
  album.genres = [...album.genres];
  album.genreSongs = [...album.genreSongs];
  album.duration += row.duration;
  if (row.year !== null) album.year = Math.min(album.year ?? Infinity, row.year);
  if (row.lastYear !== null) album.lastYear = Math.max(album.lastYear ?? 0, row.lastYear);
  if (row.addedAt !== null) album.created = Math.max(album.created, row.addedAt);
  if (album.coverRow < 0 && row.cover !== null) album.coverRow = row.cover;
  for (const [genre, count] of genreCounts(row)) {
    const at = album.genres.indexOf(genre);
    const total = genres.get(genre) ?? { songs: 0, albums: 0 };
    total.songs += count;
    if (at >= 0) album.genreSongs[at]! += count;
    else {
      album.genres.push(genre);
      album.genreSongs.push(count);
      total.albums++;
    }
    genres.set(genre, total);
  }
}

/** A build that took at least this long (ms) is kept through changes for ten times as long. */
const SLOW_BUILD_MS = 100;

/** From this many tracks on, the albums are summed up by a worker (below, on this thread: a few ms). */
const WORKER_FROM = 50_000;

/** What the album worker is asked: the catalog's file. */
export type AlbumJob = { file: string };
/** What it answers. */
export type AlbumReply = { packed: PackedAlbums } | { failed: string };

const WORKER_URL = new URL("./album_worker.ts", import.meta.url);

/** The albums of the catalog in `file`, summed up by a worker thread of their own. */
function packInWorker(file: string): Promise<PackedAlbums> {
  const worker = new Worker(WORKER_URL.href, { type: "module", name: "audiod-albums" });
  return new Promise<PackedAlbums>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<AlbumReply>) => {
      const reply = event.data;
      if ("packed" in reply) resolve(reply.packed);
      else reject(new Error(reply.failed));
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      reject(new Error(event.message));
    };
    worker.onmessageerror = () => reject(new Error("the album worker sent an unreadable message"));
    worker.postMessage({ file } satisfies AlbumJob);
  }).finally(() => worker.terminate());
}

/** Builds and caches the view of a catalog. */
export class Library {
  #catalog: Catalog;
  #version = -1;
  #snapshot: LibrarySnapshot | null = null;
  #builtAt = 0;
  #buildMs = 0;
  /** When each album was first seen (for albums whose files tell no time). */
  #firstSeen = new Map<string, number>();
  #now: () => number;
  #slowMs: number;
  #workerFrom: number;
  #building: Promise<LibrarySnapshot> | undefined;
  #builtBy: "worker" | "thread" | undefined;

  /**
   * `slowMs`: a build that took this long (default {@linkcode SLOW_BUILD_MS}) is kept through changes;
   * `workerFrom`: from this many tracks on (default {@linkcode WORKER_FROM}), a catalog kept in a file has its
   * albums summed up by a worker.
   */
  constructor(catalog: Catalog, options: { now?: () => number; slowMs?: number; workerFrom?: number } = {}) {
    this.#catalog = catalog;
    this.#now = options.now ?? Date.now;
    this.#slowMs = options.slowMs ?? SLOW_BUILD_MS;
    this.#workerFrom = options.workerFrom ?? WORKER_FROM;
  }

  /** Where the last view's albums were summed up: by a worker, or on this thread (none yet: undefined). */
  get builtBy(): "worker" | "thread" | undefined {
    return this.#builtBy;
  }

  /**
   * The view of the catalog as it is now; or as it was less than ten slow builds ago; or, while a worker sums
   * up the albums again, the view before (only the first view is waited for).
   */
  snapshot(): Promise<LibrarySnapshot> {
    const version = this.#catalog.version;
    const current = this.#snapshot;
    if (current && version === this.#version) return Promise.resolve(current);
    if (current && this.#buildMs >= this.#slowMs && this.#now() - this.#builtAt <= 10 * this.#buildMs) {
      return Promise.resolve(current);
    }
    if (this.#building) return current ? Promise.resolve(current) : this.#building;
    const building = this.#rebuild(version);
    this.#building = building;
    const done = () => {
      if (this.#building === building) this.#building = undefined;
    };
    building.then(done, done);
    return current && this.#inWorker() ? Promise.resolve(current) : building;
  }

  #inWorker(): boolean {
    const catalog = this.#catalog;
    return catalog.file !== ":memory:" && catalog.size >= this.#workerFrom && canLoadWorker(WORKER_URL);
  }

  async #rebuild(version: number): Promise<LibrarySnapshot> {
    let packed: PackedAlbums | undefined;
    if (this.#inWorker()) {
      // What was announced a moment ago is committed first, so the worker's connection reads it.
      this.#catalog.flush();
      // A worker that cannot run (its module left out of a build, say): the albums are summed up here.
      packed = await packInWorker(this.#catalog.file).catch(() => undefined);
    }
    this.#builtBy = packed ? "worker" : "thread";
    // What the build cost this thread: what a kept view saves (a worker's seconds cost it nothing).
    const started = performance.now();
    const snapshot = this.#build(packed ?? packAlbums(this.#catalog.albums()));
    this.#snapshot = snapshot;
    this.#version = version;
    this.#buildMs = performance.now() - started;
    this.#builtAt = this.#now();
    return snapshot;
  }

  /**
   * `marks` with the plays of each album summed from its songs' plays, when first asked for: a call that shows
   * no album does not look up the user's played songs.
   */
  async withAlbumPlays(marks: UserMarks): Promise<UserMarks> {
    if (marks.plays.size === 0) return { ...marks, albums: new Map() };
    const lib = await this.snapshot();
    let albums: Map<string, { count: number; lastPlayed: number }> | undefined;
    const sum = () => {
      albums = new Map();
      for (const [id, row] of this.#catalog.rowsOf(marks.plays.keys())) {
        const album = lib.albumOfRow(row);
        const play = marks.plays.get(id);
        if (!album || !play) continue;
        const total = albums.get(album.id);
        if (total) {
          total.count += play.count;
          total.lastPlayed = Math.max(total.lastPlayed, play.lastPlayed);
        } else albums.set(album.id, { ...play });
      }
      return albums;
    };
    return {
      ...marks,
      get albums() {
        return albums ?? sum();
      },
    };
  }

  #build(packed: PackedAlbums): LibrarySnapshot {
    const albumById = new Map<string, Album>();
    const artistById = new Map<string, Artist>();
    const genres = new Map<string, { songs: number; albums: number }>();
    const now = this.#now();
    const albums: Album[] = [];
    let songCount = 0;
    let lastRow = 0;
    const { rows, starts } = packed;
    /** Which of `packed`'s albums each album is; the rows of spellings merged into it. */
    const packedAt: number[] = [];
    const more = new Map<Album, Int32Array[]>();
    /** Albums with the same genres (and counts of them) share the lists. */
    const genreLists = new Map<string, [string[], number[]]>();
    for (let i = 0; i < packed.artist.length; i++) {
      const row = sumsAt(packed, i);
      const songRows = rows.subarray(starts[i]!, starts[i + 1]!);
      const artistName = row.artist;
      const albumName = row.album;
      const id = packed.id[i]!;
      const same = albumById.get(id);
      if (same) {
        // Another spelling of an album already made ("Beyonce" and "Beyoncé"): one album.
        merge(same, row, genres);
        more.set(same, [...more.get(same) ?? [], songRows]);
        songCount += songRows.length;
        continue;
      }
      const artistId = packed.artistId[i]!;
      let artist = artistById.get(artistId);
      if (!artist) {
        const folded = foldText(artistName);
        artist = { id: artistId, name: artistName, albums: [], folded, sortKey: sortKeyOf(folded) };
        artistById.set(artistId, artist);
      }
      let seen = this.#firstSeen.get(id);
      if (seen === undefined) this.#firstSeen.set(id, seen = now);
      packedAt.push(i);
      let lists = genreLists.get(row.genres ?? "");
      if (!lists) {
        const counted = genreCounts(row);
        genreLists.set(row.genres ?? "", lists = [[...counted.keys()], [...counted.values()]]);
      }
      const album: Album = {
        id,
        name: albumName,
        artist: artist.name,
        artistId,
        songs: NO_ROWS,
        duration: row.duration,
        year: row.year ?? undefined,
        lastYear: row.lastYear ?? undefined,
        genres: lists[0],
        genreSongs: lists[1],
        created: row.addedAt ?? seen,
        coverRow: row.cover ?? -1,
        folded: packed.folded[i]!,
      };
      lists[0].forEach((genre, i) => {
        const count = genres.get(genre) ?? { songs: 0, albums: 0 };
        count.songs += lists[1][i]!;
        count.albums++;
        genres.set(genre, count);
      });
      songCount += songRows.length;
      albums.push(album);
      albumById.set(id, album);
      artist.albums.push(album);
    }
    albums.forEach((album, i) => {
      const own = rows.subarray(starts[packedAt[i]!]!, starts[packedAt[i]! + 1]!);
      const extra = more.get(album);
      album.songs = extra ? Int32Array.from([own, ...extra].flatMap((part) => [...part])) : own;
    });
    const used = starts[starts.length - 1] ?? 0;
    for (let i = 0; i < used; i++) if (rows[i]! > lastRow) lastRow = rows[i]!;
    const albumAt = new Int32Array(lastRow + 1).fill(-1);
    albums.forEach((album, i) => {
      for (const n of album.songs) albumAt[n] = i;
    });
    // Plain comparisons of folded names: localeCompare would cost seconds over 100,000 albums.
    const artists = [...artistById.values()].sort((a, b) =>
      compare(a.sortKey, b.sortKey) || compare(a.id, b.id)
    );
    for (const artist of artists) {
      artist.albums.sort((a, b) => (a.year ?? 0) - (b.year ?? 0) || compare(a.folded, b.folded));
    }
    const byName = (a: Album, b: Album) => compare(a.folded, b.folded) || compare(a.id, b.id);
    const albumsByName = [...albums].sort(byName);
    return {
      albums,
      artists,
      albumById,
      artistById,
      albumOf: (song) => albumById.get(albumIdOf(albumArtistOf(song), song.album || UNKNOWN_ALBUM)),
      albumOfRow: (row) => albums[albumAt[row] ?? -1],
      songCount,
      albumsByName,
      albumNames: new NameIndex(albumsByName, (a) => a.folded),
      artistNames: new NameIndex(artists, (a) => a.folded),
      // Each artist's albums, artist by artist (sorting them all, each comparison looking up both artists,
      // took 0.6 s for 80,000 albums).
      albumsByArtist: artists.flatMap((artist) => artist.albums),
      albumsNewest: [...albums].sort((a, b) => b.created - a.created || byName(a, b)),
      genres,
    };
  }
}

/** What a user's state adds to items: stars, ratings, plays. */
export interface UserMarks {
  /** Item id → Unix ms when starred. */
  starred: ReadonlyMap<string, number>;
  /** Item id → 1..5. */
  ratings: ReadonlyMap<string, number>;
  /** Song id → play count and last play (Unix ms). */
  plays: ReadonlyMap<string, { count: number; lastPlayed: number }>;
  /** Album id → the sum of its songs' play counts and their last play ({@linkcode Library.withAlbumPlays}). */
  albums?: ReadonlyMap<string, { count: number; lastPlayed: number }>;
}

/** No stars, ratings or plays. */
export const NO_MARKS: UserMarks = { starred: new Map(), ratings: new Map(), plays: new Map() };

const MIME: Record<string, string> = {
  mp3: "audio/mpeg",
  flac: "audio/flac",
  ogg: "audio/ogg",
  opus: "audio/ogg",
  m4a: "audio/mp4",
  wav: "audio/wav",
};

/** The MIME type of a track's format. */
export function contentTypeOf(format: string): string {
  return MIME[format] ?? "application/octet-stream";
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function marks(id: string, user: UserMarks): Item {
  const starred = user.starred.get(id);
  const rating = user.ratings.get(id);
  return {
    ...(starred !== undefined ? { starred: iso(starred) } : {}),
    ...(rating !== undefined ? { userRating: rating } : {}),
  };
}

function safeName(text: string): string {
  return text.replace(/[/\\]/g, "_");
}

/** A song (`Child`) as clients expect it. */
export function songItem(song: CatalogEntry, album: Album | undefined, user: UserMarks): Item {
  const d = song.details ?? {};
  const artist = song.artist || UNKNOWN_ARTIST;
  const albumName = song.album || UNKNOWN_ALBUM;
  // The album artist's id: getArtist knows album artists (a guest artist of one track has no page).
  const artistId = album?.artistId ?? artistIdOf(artist);
  const play = user.plays.get(song.id);
  const track = song.trackNo ?? undefined;
  const file = `${track !== undefined ? String(track).padStart(2, "0") + " - " : ""}${safeName(song.title)}`;
  const genres = d.genres ?? [];
  const replayGain: Item = {};
  if (d.trackGain !== undefined) replayGain.trackGain = d.trackGain;
  if (d.trackPeak !== undefined) replayGain.trackPeak = d.trackPeak;
  if (d.albumGain !== undefined) replayGain.albumGain = d.albumGain;
  if (d.albumPeak !== undefined) replayGain.albumPeak = d.albumPeak;
  return {
    id: song.id,
    parent: album?.id,
    isDir: false,
    title: song.title,
    album: albumName,
    artist,
    track,
    year: d.year,
    genre: genres[0],
    // Cover art is looked for when asked: a picture in the file is the song's own, a cover.jpg/folder.jpg
    // beside it (or none known) the album's.
    coverArt: d.cover === "embedded" || !album ? song.id : album.id,
    size: song.size,
    contentType: contentTypeOf(song.format),
    suffix: song.format,
    duration: song.duration === null ? undefined : Math.round(song.duration),
    bitRate: d.bitRate,
    bitDepth: d.bitDepth,
    samplingRate: d.sampleRate,
    channelCount: d.channels,
    path: `${safeName(album?.artist ?? artist)}/${safeName(albumName)}/${file}.${song.format}`,
    isVideo: false,
    discNumber: d.discNo,
    created: album ? iso(album.created) : undefined,
    albumId: album?.id,
    artistId,
    type: "music",
    mediaType: "song",
    playCount: play?.count ?? 0,
    played: play ? iso(play.lastPlayed) : undefined,
    ...marks(song.id, user),
    genres: genres.map((name) => ({ name })),
    artists: [{ id: artistId, name: artist }],
    displayArtist: artist,
    albumArtists: album ? [{ id: album.artistId, name: album.artist }] : [],
    displayAlbumArtist: album?.artist,
    replayGain: Object.keys(replayGain).length > 0 ? replayGain : undefined,
    musicBrainzId: "",
  };
}

/** Plays of an album: the sum of its songs' counts and the latest play. */
export function albumPlays(album: Album, user: UserMarks): { count: number; lastPlayed: number } | undefined {
  return user.albums?.get(album.id);
}

/** An album (`AlbumID3`), without its songs. */
export function albumItem(album: Album, user: UserMarks): Item {
  const plays = albumPlays(album, user);
  return {
    id: album.id,
    name: album.name,
    artist: album.artist,
    artistId: album.artistId,
    coverArt: album.id,
    songCount: album.songs.length,
    duration: Math.round(album.duration),
    playCount: plays?.count ?? 0,
    played: plays ? iso(plays.lastPlayed) : undefined,
    created: iso(album.created),
    year: album.year,
    genre: album.genres[0],
    ...marks(album.id, user),
    genres: album.genres.map((name) => ({ name })),
    artists: [{ id: album.artistId, name: album.artist }],
    displayArtist: album.artist,
    isCompilation: false,
    musicBrainzId: "",
    sortName: album.name.toLowerCase(),
  };
}

/** An album as a directory entry (`Child` with `isDir`), for the folder-based methods. */
export function albumChild(album: Album, user: UserMarks): Item {
  const plays = albumPlays(album, user);
  return {
    id: album.id,
    parent: album.artistId,
    isDir: true,
    title: album.name,
    name: album.name,
    album: album.name,
    artist: album.artist,
    year: album.year,
    genre: album.genres[0],
    coverArt: album.id,
    duration: Math.round(album.duration),
    playCount: plays?.count ?? 0,
    created: iso(album.created),
    artistId: album.artistId,
    songCount: album.songs.length,
    ...marks(album.id, user),
    mediaType: "album",
  };
}

/** An artist (`ArtistID3`), without its albums. */
export function artistItem(artist: Artist, user: UserMarks): Item {
  return {
    id: artist.id,
    name: artist.name,
    coverArt: artist.albums[0]?.id,
    albumCount: artist.albums.length,
    ...marks(artist.id, user),
    musicBrainzId: "",
    sortName: artist.sortKey,
  };
}
