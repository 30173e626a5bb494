/**
 * Reading title, artist, album, track number and duration from audio files, and the details the OpenSubsonic
 * clients show (album artist, genres, year, disc, the stream's technical data, ReplayGain, cover and lyrics).
 *
 * @module
 */
import { type IAudioMetadata, parseBlob } from "music-metadata";
import { basename, dirname, extname } from "node:path";
import type { TrackDetails } from "../protocol/catalog.ts";

export type { TrackDetails } from "../protocol/catalog.ts";

/** The tags audiod shows and sorts by. `duration` is in seconds. */
export interface TrackTags {
  /** The title tag, else the file name without its extension. */
  title: string;
  /** The artist (or album artist) tag, else `""`. */
  artist: string;
  /** The album tag, else `""`. */
  album: string;
  /** The track number within the album, when tagged. */
  trackNo: number | null;
  /** Length in seconds, when the format tells. */
  duration: number | null;
}

/** {@linkcode TrackTags} and the file's {@linkcode TrackDetails}, read in one parse. */
export interface DetailedTags extends TrackTags {
  /** What OpenSubsonic clients show besides the basics; `{}` when the file tells nothing more. */
  details: TrackDetails;
}

/** MIME types by extension, so music-metadata picks its parser the way `parseFile` does. */
const MIME_TYPES: Record<string, string> = {
  ".mp3": "audio/mpeg",
  ".flac": "audio/flac",
  ".ogg": "audio/ogg",
  ".opus": "audio/ogg",
  ".m4a": "audio/mp4",
  ".wav": "audio/wav",
};
const BLOCK_SIZE = 64 * 1024;
const CACHED_BLOCKS = 8;

/**
 * The part of `Blob` that music-metadata's `parseBlob` uses (`size`, `type`, `slice().arrayBuffer()`), served from
 * an open file through a small cache of 64 KiB blocks.
 *
 * music-metadata's own `parseFile` goes through `node:fs/promises` with one read per token: a dozen reads even for
 * a WAV header, about 3 ms per file in Deno. This reads each needed block once.
 */
class FileBlob {
  readonly size: number;
  readonly type: string;
  #file: Deno.FsFile;
  #syncReads: boolean;
  #blocks = new Map<number, Uint8Array>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(file: Deno.FsFile, size: number, type: string, syncReads: boolean) {
    this.#file = file;
    this.size = size;
    this.type = type;
    this.#syncReads = syncReads;
  }

  slice(start = 0, end = this.size): { arrayBuffer(): Promise<ArrayBuffer> } {
    const from = Math.max(0, Math.min(start, this.size));
    const to = Math.max(from, Math.min(end, this.size));
    return { arrayBuffer: () => this.#serialized(() => this.#range(from, to)) };
  }

  #serialized<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(task);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async #range(start: number, end: number): Promise<ArrayBuffer> {
    const out = new Uint8Array(end - start);
    if (end - start > BLOCK_SIZE * 4) {
      await this.#readAt(start, out);
      return out.buffer;
    }
    for (let block = Math.floor(start / BLOCK_SIZE); block * BLOCK_SIZE < end; block++) {
      const bytes = await this.#block(block);
      const blockStart = block * BLOCK_SIZE;
      const from = Math.max(start, blockStart) - blockStart;
      const to = Math.min(end, blockStart + bytes.length) - blockStart;
      out.set(bytes.subarray(from, to), blockStart + from - start);
    }
    return out.buffer;
  }

  async #block(index: number): Promise<Uint8Array> {
    let bytes = this.#blocks.get(index);
    if (bytes === undefined) {
      const start = index * BLOCK_SIZE;
      bytes = new Uint8Array(Math.min(BLOCK_SIZE, this.size - start));
      await this.#readAt(start, bytes);
      if (this.#blocks.size >= CACHED_BLOCKS) this.#blocks.delete(this.#blocks.keys().next().value!);
      this.#blocks.set(index, bytes);
    }
    return bytes;
  }

  async #readAt(position: number, into: Uint8Array): Promise<void> {
    const file = this.#file;
    if (this.#syncReads) file.seekSync(position, Deno.SeekMode.Start);
    else await file.seek(position, Deno.SeekMode.Start);
    for (let filled = 0; filled < into.length;) {
      const view = into.subarray(filled);
      const n = this.#syncReads ? file.readSync(view) : await file.read(view);
      if (n === null) throw new Error("Cannot read tags: the file shrank while it was read");
      filled += n;
    }
  }
}

function fileTitle(path: string): string {
  const name = basename(path);
  const ext = extname(name);
  return ext.length > 0 && ext.length < name.length ? name.slice(0, -ext.length) : name;
}

function text(value: string | undefined): string {
  return value?.trim() ?? "";
}

/** `value` when it is a finite number within `[min, max]` (rounded when `round`), else undefined. */
function bounded(value: unknown, min: number, max: number, round = false): number | undefined {
  if (typeof value !== "number" || !Number.isFinite(value)) return undefined;
  const n = round ? Math.round(value) : value;
  return n >= min && n <= max ? n : undefined;
}

/** The image names beside a track that stand for its cover (as `roles/file/artwork.ts` looks for them). */
const COVER_FILE = /^(cover|folder|front|album)\.(jpe?g|png)$/;
/** What a folder holds that tells about a track's cover and lyrics. */
interface Listing {
  /** The files' names, as they are. */
  names: Set<string>;
  /** Whether one of them is a cover image ({@linkcode COVER_FILE}, any case). */
  cover: boolean;
}

/** Folder listings are reused while the folder's mtime stays: the files of one folder are tagged in a row. */
const LISTINGS_KEPT = 32;
const listings = new Map<string, Listing & { mtime: number }>();
const NO_LISTING: Listing = { names: new Set(), cover: false };

function remember(dir: string, names: Set<string>, mtime: number): Listing {
  const listing = { names, cover: [...names].some((name) => COVER_FILE.test(name.toLowerCase())), mtime };
  listings.delete(dir);
  if (listings.size >= LISTINGS_KEPT) listings.delete(listings.keys().next().value!);
  listings.set(dir, listing);
  return listing;
}

/** The files in `dir` (none when it cannot be read), reused while its mtime stays. */
function listing(dir: string, syncReads: boolean): Promise<Listing> | Listing {
  if (syncReads) {
    try {
      const mtime = Deno.statSync(dir).mtime?.getTime() ?? NaN;
      const cached = listings.get(dir);
      if (cached !== undefined && cached.mtime === mtime) return cached;
      const names = new Set<string>();
      for (const entry of Deno.readDirSync(dir)) if (entry.isFile) names.add(entry.name);
      return remember(dir, names, mtime);
    } catch {
      return NO_LISTING;
    }
  }
  return (async () => {
    try {
      const mtime = (await Deno.stat(dir)).mtime?.getTime() ?? NaN;
      const cached = listings.get(dir);
      if (cached !== undefined && cached.mtime === mtime) return cached;
      const names = new Set<string>();
      for await (const entry of Deno.readDir(dir)) if (entry.isFile) names.add(entry.name);
      return remember(dir, names, mtime);
    } catch {
      return NO_LISTING;
    }
  })();
}

/** The details of a parsed file; `beside` is what its folder holds. */
function detailsOf(path: string, { common, format }: IAudioMetadata, beside: Listing): TrackDetails {
  const details: TrackDetails = {};
  const albumArtist = text(common.albumartist);
  if (albumArtist) details.albumArtist = albumArtist.slice(0, 1024);
  const genres = [...new Set((common.genre ?? []).flatMap((g) => g.split(/\s*;\s*/)).map((g) => g.trim()))]
    .filter((g) => g.length > 0).map((g) => g.slice(0, 256)).slice(0, 16);
  if (genres.length > 0) details.genres = genres;
  const year = bounded(common.year, 1, 9999);
  if (year !== undefined && Number.isInteger(year)) details.year = year;
  const disc = bounded(common.disk?.no, 0, 1000);
  if (disc !== undefined && Number.isInteger(disc)) details.discNo = disc;
  const bitRate = bounded(
    typeof format.bitrate === "number" ? format.bitrate / 1000 : undefined,
    0,
    100_000,
    true,
  );
  if (bitRate !== undefined && bitRate > 0) details.bitRate = bitRate;
  const sampleRate = bounded(format.sampleRate, 1, 10_000_000, true);
  if (sampleRate !== undefined) details.sampleRate = sampleRate;
  const channels = bounded(format.numberOfChannels, 1, 64, true);
  if (channels !== undefined) details.channels = channels;
  const bitDepth = bounded(format.bitsPerSample, 1, 64, true);
  if (bitDepth !== undefined) details.bitDepth = bitDepth;
  const trackGain = bounded(common.replaygain_track_gain?.dB ?? format.trackGain, -100, 100);
  if (trackGain !== undefined) details.trackGain = trackGain;
  const trackPeak = bounded(common.replaygain_track_peak?.ratio ?? format.trackPeakLevel, 0, 100);
  if (trackPeak !== undefined) details.trackPeak = trackPeak;
  const albumGain = bounded(common.replaygain_album_gain?.dB ?? format.albumGain, -100, 100);
  if (albumGain !== undefined) details.albumGain = albumGain;
  const albumPeak = bounded(common.replaygain_album_peak?.ratio, 0, 100);
  if (albumPeak !== undefined) details.albumPeak = albumPeak;
  if (common.picture?.some((p) => p.data.length > 0)) details.cover = "embedded";
  else if (beside.cover) details.cover = "file";
  // The name `roles/file/artwork.ts` reads lyrics from: the track's, with `.lrc` for its extension.
  if (beside.names.has(basename(path, extname(path)) + ".lrc")) details.lyrics = "file";
  else if (common.lyrics?.some((l) => text(l.text) !== "" || (l.syncText?.length ?? 0) > 0)) {
    details.lyrics = "embedded";
  }
  return details;
}

/**
 * Reads a file's tags with music-metadata (`{ duration: true, skipCovers: true }`). Never throws: for an
 * unreadable, corrupt or untagged file the title falls back to the file name without its extension, artist and
 * album to `""`, and the numbers to `null`.
 */
export async function readTags(path: string): Promise<TrackTags> {
  const { details: _, ...tags } = await read(path, { syncReads: false, details: false });
  return tags;
}

/**
 * Like {@linkcode readTags} with blocking file reads, which cost less than async ones: for worker threads, where
 * blocking stalls no one.
 */
export async function readTagsBlocking(path: string): Promise<TrackTags> {
  const { details: _, ...tags } = await read(path, { syncReads: true, details: false });
  return tags;
}

/**
 * Reads a file's tags and its details in one parse (embedded pictures are parsed to learn whether there is one;
 * the folder is listed for `cover.jpg`-like images and a `.lrc` of the same name). Never throws: what cannot be
 * read falls back as with {@linkcode readTags}, and the details are then `{}`.
 */
export function readDetailedTags(path: string): Promise<DetailedTags> {
  return read(path, { syncReads: false, details: true });
}

/** Like {@linkcode readDetailedTags} with blocking file reads: for worker threads. */
export function readDetailedTagsBlocking(path: string): Promise<DetailedTags> {
  return read(path, { syncReads: true, details: true });
}

async function read(
  path: string,
  { syncReads, details }: { syncReads: boolean; details: boolean },
): Promise<DetailedTags> {
  const fallback: DetailedTags = {
    title: fileTitle(path),
    artist: "",
    album: "",
    trackNo: null,
    duration: null,
    details: {},
  };
  let file: Deno.FsFile | undefined;
  try {
    file = syncReads ? Deno.openSync(path, { read: true }) : await Deno.open(path, { read: true });
    const { size } = syncReads ? file.statSync() : await file.stat();
    const type = MIME_TYPES[extname(path).toLowerCase()] ?? "";
    const blob = new FileBlob(file, size, type, syncReads);
    const metadata = await parseBlob(blob as unknown as Blob, { duration: true, skipCovers: !details });
    const { common, format } = metadata;
    const trackNo = common.track.no;
    const duration = format.duration;
    return {
      title: text(common.title) || fallback.title,
      artist: text(common.artist) || text(common.albumartist),
      album: text(common.album),
      trackNo: typeof trackNo === "number" && Number.isFinite(trackNo) ? trackNo : null,
      duration: typeof duration === "number" && Number.isFinite(duration) && duration >= 0 ? duration : null,
      details: details ? detailsOf(path, metadata, await listing(dirname(path), syncReads)) : {},
    };
  } catch {
    return fallback;
  } finally {
    file?.close();
  }
}
