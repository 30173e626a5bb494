/**
 * The catalog as OpenSubsonic clients see it: artists, albums and songs. Songs are catalog tracks (their id is
 * the track id); albums group tracks by album artist and album name, artists by album artist. Album and artist
 * ids are derived from the normalized names (`al-`/`ar-` and part of a SHA-256), so they stay the same across
 * rescans, restarts and machines holding the same files — what clients' offline caches and playlists rely on.
 *
 * The view is rebuilt from {@linkcode Catalog.all} whenever the catalog changed (its sorted list is a new
 * array then), at most once per change.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { type Catalog, type CatalogEntry, foldText } from "../catalog.ts";
import type { Item } from "./response.ts";

/** Shown for a track without an artist tag. */
export const UNKNOWN_ARTIST = "Unknown artist";
/** Shown for a track without an album tag. */
export const UNKNOWN_ALBUM = "Unknown album";
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
  songs: CatalogEntry[];
  duration: number;
  year: number | undefined;
  genres: string[];
  /** Unix ms: the newest file's time (or when the bootstrap first saw the album). */
  created: number;
  /** The track whose cover stands for the album, if any has one. */
  coverTrack: string | undefined;
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
  songs: readonly CatalogEntry[];
  albums: readonly Album[];
  artists: readonly Artist[];
  albumById: ReadonlyMap<string, Album>;
  artistById: ReadonlyMap<string, Artist>;
  /** Album id of each song. */
  albumOfSong: ReadonlyMap<string, Album>;
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

/** The album artist of a track (the artist when it has none). */
export function albumArtistOf(entry: CatalogEntry): string {
  return entry.details?.albumArtist || entry.artist || UNKNOWN_ARTIST;
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

/** Builds and caches the view of a catalog. */
export class Library {
  #catalog: Catalog;
  #source: readonly CatalogEntry[] | null = null;
  #snapshot: LibrarySnapshot | null = null;
  /** Folded names (album artist, and album artist with album) → their ids. */
  #ids = new Map<string, string>();
  /** When each album was first seen (for albums whose files tell no time). */
  #firstSeen = new Map<string, number>();
  #now: () => number;

  constructor(catalog: Catalog, options: { now?: () => number } = {}) {
    this.#catalog = catalog;
    this.#now = options.now ?? Date.now;
  }

  /** The view of the catalog as it is now. */
  snapshot(): LibrarySnapshot {
    const source = this.#catalog.all();
    if (this.#snapshot && source === this.#source) return this.#snapshot;
    this.#source = source;
    this.#snapshot = this.#build(source);
    return this.#snapshot;
  }

  #build(songs: readonly CatalogEntry[]): LibrarySnapshot {
    const albumById = new Map<string, Album>();
    const artistById = new Map<string, Artist>();
    const albumOfSong = new Map<string, Album>();
    const genres = new Map<string, { songs: number; albums: number }>();
    const now = this.#now();
    // Hashing names is the costly part: each distinct name is hashed once per process.
    const ids = this.#ids;
    const idOf = (key: string, make: () => string) => {
      let id = ids.get(key);
      if (id === undefined) ids.set(key, id = make());
      return id;
    };
    const byKey = new Map<string, Album>();
    for (const song of songs) {
      const artistName = albumArtistOf(song);
      const albumName = song.album || UNKNOWN_ALBUM;
      const artistKey = foldText(artistName.trim());
      const key = `${artistKey}\n${foldText(albumName.trim())}`;
      let album = byKey.get(key);
      if (!album) {
        const id = idOf(key, () => albumIdOf(artistName, albumName));
        const artistId = idOf(artistKey, () => artistIdOf(artistName));
        let artist = artistById.get(artistId);
        if (!artist) {
          const folded = foldText(artistName);
          artist = { id: artistId, name: artistName, albums: [], folded, sortKey: sortKeyOf(folded) };
          artistById.set(artistId, artist);
        }
        let seen = this.#firstSeen.get(id);
        if (seen === undefined) this.#firstSeen.set(id, seen = now);
        album = {
          id,
          name: albumName,
          artist: artist.name,
          artistId,
          songs: [],
          duration: 0,
          year: undefined,
          genres: [],
          created: song.details?.addedAt ?? seen,
          coverTrack: undefined,
          folded: foldText(`${albumName}\n${artistName}`),
        };
        albumById.set(id, album);
        byKey.set(key, album);
        artist.albums.push(album);
      }
      album.songs.push(song);
      album.duration += song.duration ?? 0;
      const details = song.details;
      if (details?.year !== undefined) album.year ??= details.year;
      if (details?.addedAt !== undefined && details.addedAt > album.created) album.created = details.addedAt;
      if (details?.cover && album.coverTrack === undefined) album.coverTrack = song.id;
      for (const genre of details?.genres ?? []) {
        if (!album.genres.includes(genre)) album.genres.push(genre);
        const count = genres.get(genre) ?? { songs: 0, albums: 0 };
        count.songs++;
        genres.set(genre, count);
      }
      albumOfSong.set(song.id, album);
    }
    const albums = [...albumById.values()];
    for (const album of albums) {
      for (const genre of album.genres) genres.get(genre)!.albums++;
      if (album.songs.length > 1) {
        album.songs.sort((a, b) =>
          (a.details?.discNo ?? 1) - (b.details?.discNo ?? 1) || (a.trackNo ?? 0) - (b.trackNo ?? 0) ||
          compare(a.title, b.title)
        );
      }
    }
    // Plain comparisons of folded names: localeCompare would cost seconds over 100,000 albums.
    const artists = [...artistById.values()].sort((a, b) =>
      compare(a.sortKey, b.sortKey) || compare(a.id, b.id)
    );
    for (const artist of artists) {
      artist.albums.sort((a, b) => (a.year ?? 0) - (b.year ?? 0) || compare(a.folded, b.folded));
    }
    const byName = (a: Album, b: Album) => compare(a.folded, b.folded) || compare(a.id, b.id);
    const artistKey = (a: Album) => artistById.get(a.artistId)!.sortKey;
    const albumsByName = [...albums].sort(byName);
    return {
      songs,
      albums,
      artists,
      albumById,
      artistById,
      albumOfSong,
      albumsByName,
      albumNames: new NameIndex(albumsByName, (a) => a.folded),
      artistNames: new NameIndex(artists, (a) => a.folded),
      albumsByArtist: [...albums].sort((a, b) =>
        compare(artistKey(a), artistKey(b)) || (a.year ?? 0) - (b.year ?? 0) || byName(a, b)
      ),
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
  let count = 0;
  let lastPlayed = 0;
  for (const song of album.songs) {
    const play = user.plays.get(song.id);
    if (!play) continue;
    count += play.count;
    lastPlayed = Math.max(lastPlayed, play.lastPlayed);
  }
  return count > 0 ? { count, lastPlayed } : undefined;
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
