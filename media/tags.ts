/**
 * Reading title, artist, album, track number and duration from audio files.
 *
 * @module
 */
import { parseBlob } from "music-metadata";
import { basename, extname } from "node:path";

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

/**
 * Reads a file's tags with music-metadata (`{ duration: true, skipCovers: true }`). Never throws: for an
 * unreadable, corrupt or untagged file the title falls back to the file name without its extension, artist and
 * album to `""`, and the numbers to `null`.
 */
export function readTags(path: string): Promise<TrackTags> {
  return read(path, false);
}

/**
 * Like {@linkcode readTags} with blocking file reads, which cost less than async ones: for worker threads, where
 * blocking stalls no one.
 */
export function readTagsBlocking(path: string): Promise<TrackTags> {
  return read(path, true);
}

async function read(path: string, syncReads: boolean): Promise<TrackTags> {
  const fallback: TrackTags = {
    title: fileTitle(path),
    artist: "",
    album: "",
    trackNo: null,
    duration: null,
  };
  let file: Deno.FsFile | undefined;
  try {
    file = syncReads ? Deno.openSync(path, { read: true }) : await Deno.open(path, { read: true });
    const { size } = syncReads ? file.statSync() : await file.stat();
    const type = MIME_TYPES[extname(path).toLowerCase()] ?? "";
    const blob = new FileBlob(file, size, type, syncReads);
    const { common, format } = await parseBlob(blob as unknown as Blob, { duration: true, skipCovers: true });
    const trackNo = common.track.no;
    const duration = format.duration;
    return {
      title: text(common.title) || fallback.title,
      artist: text(common.artist) || text(common.albumartist),
      album: text(common.album),
      trackNo: typeof trackNo === "number" && Number.isFinite(trackNo) ? trackNo : null,
      duration: typeof duration === "number" && Number.isFinite(duration) && duration >= 0 ? duration : null,
    };
  } catch {
    return fallback;
  } finally {
    file?.close();
  }
}
