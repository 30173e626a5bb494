/**
 * The listener's bounded cache of verified tracks: a track heard once plays again without the network, and its bytes
 * are checked against the MD5 again on every read.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { defaultCacheDir as audiodCacheDir } from "../daemon/runtime/paths.ts";

/** `$XDG_CACHE_HOME/audiod/tracks`, else `~/.cache/audiod/tracks`. */
export function defaultCacheDir(): string {
  return join(audiodCacheDir(), "tracks");
}

/** Options of a {@linkcode TrackCache}. */
export interface TrackCacheOptions {
  /** Total size the cache is kept under, in bytes (default 2 GiB). */
  maxBytes?: number;
  /** Clock used to stamp files when put or read (they are evicted least recently used first). Default `Date.now`. */
  now?: () => number;
}

/** Default bound of the cache: 2 GiB. */
export const DEFAULT_MAX_CACHE_BYTES = 2 * 1024 ** 3;

const READ_CHUNK_BYTES = 1 << 20;
const ID_PATTERN = /^[0-9a-f]{8,128}$/;
const MD5_PATTERN = /^[0-9a-f]{32}$/;
/** Names of cached files: `<id>-<md5>`. Anything else in the directory is left alone. */
const ENTRY_PATTERN = /^[0-9a-f]{8,128}-[0-9a-f]{32}$/;

/**
 * Verified tracks on disk, one file per track named `<id>-<md5>`, bounded by {@linkcode TrackCacheOptions.maxBytes}.
 * A file's modification time records its last use; the least recently used files go first.
 */
export class TrackCache {
  /** Directory of the cached files. */
  readonly dir: string;
  /** Bound of the total size in bytes. */
  readonly maxBytes: number;
  #now: () => number;

  constructor(dir: string = defaultCacheDir(), options: TrackCacheOptions = {}) {
    this.dir = dir;
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_CACHE_BYTES;
    this.#now = options.now ?? Date.now;
  }

  /** True when the track with this id and MD5 is cached (not checked against the MD5 until it is read). */
  async has(id: string, md5: string): Promise<boolean> {
    try {
      return (await Deno.stat(this.#path(id, md5))).isFile;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return false;
      throw error;
    }
  }

  /**
   * Streams the cached bytes, re-checking the MD5 as they are read. When the file no longer matches, it is deleted
   * and the stream throws after its last chunk. Throws at once when the track is not cached.
   */
  async *read(id: string, md5: string): AsyncGenerator<Uint8Array> {
    const path = this.#path(id, md5);
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path, { read: true });
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        throw new Error(`Cannot read track ${id} from the cache: it is not cached`);
      }
      throw error;
    }
    await this.#touch(path);
    const hash = createHash("md5");
    try {
      while (true) {
        const buffer = new Uint8Array(READ_CHUNK_BYTES);
        const n = await file.read(buffer);
        if (n === null) break;
        const chunk = buffer.subarray(0, n);
        hash.update(chunk);
        yield chunk;
      }
    } finally {
      file.close();
    }
    const actual = hash.digest("hex");
    if (actual !== md5.toLowerCase()) {
      await Deno.remove(path).catch(() => {});
      throw new Error(
        `Cannot read track ${id} from the cache: its MD5 is now ${actual}, not ${md5}; removed the damaged copy`,
      );
    }
  }

  /**
   * Stores verified bytes: writes a temp file, checks its MD5, renames it into place, then evicts least recently used
   * files until the total is at most `maxBytes`. A track larger than `maxBytes` is not stored. When `chunks` throws or
   * the MD5 does not match, nothing is stored and the error is rethrown.
   */
  async put(id: string, md5: string, chunks: AsyncIterable<Uint8Array> | Uint8Array[]): Promise<void> {
    const path = this.#path(id, md5);
    await Deno.mkdir(this.dir, { recursive: true });
    const temp = join(this.dir, `.tmp-${id}-${crypto.randomUUID()}`);
    const file = await Deno.open(temp, { write: true, createNew: true });
    let open = true;
    let size = 0;
    try {
      const hash = createHash("md5");
      for await (const chunk of chunks) {
        hash.update(chunk);
        size += chunk.length;
        let at = 0;
        while (at < chunk.length) at += await file.write(chunk.subarray(at));
      }
      file.close();
      open = false;
      const actual = hash.digest("hex");
      if (actual !== md5.toLowerCase()) {
        throw new Error(`Cannot cache track ${id}: its bytes have MD5 ${actual}, not ${md5}`);
      }
      if (size > this.maxBytes) {
        await Deno.remove(temp);
        return;
      }
      await Deno.rename(temp, path);
    } catch (error) {
      if (open) file.close();
      await Deno.remove(temp).catch(() => {});
      throw error;
    }
    await this.#touch(path);
    await this.#evict(path);
  }

  #path(id: string, md5: string): string {
    const cleanId = id.toLowerCase();
    const cleanMd5 = md5.toLowerCase();
    if (!ID_PATTERN.test(cleanId)) {
      throw new Error(`Cannot use the track cache: "${id}" is not a hex track id`);
    }
    if (!MD5_PATTERN.test(cleanMd5)) throw new Error(`Cannot use the track cache: "${md5}" is not a hex MD5`);
    return join(this.dir, `${cleanId}-${cleanMd5}`);
  }

  async #touch(path: string): Promise<void> {
    const now = new Date(this.#now());
    await Deno.utime(path, now, now).catch(() => {});
  }

  /** Removes the least recently used files until the total fits; `keep` (the file just stored) goes last. */
  async #evict(keep: string): Promise<void> {
    const entries: { path: string; size: number; used: number }[] = [];
    for await (const entry of Deno.readDir(this.dir)) {
      if (!entry.isFile || !ENTRY_PATTERN.test(entry.name)) continue;
      const path = join(this.dir, entry.name);
      try {
        const info = await Deno.stat(path);
        entries.push({ path, size: info.size, used: info.mtime?.getTime() ?? 0 });
      } catch {
        // Removed meanwhile.
      }
    }
    let total = entries.reduce((sum, entry) => sum + entry.size, 0);
    entries.sort((a, b) => Number(a.path === keep) - Number(b.path === keep) || a.used - b.used);
    for (const entry of entries) {
      if (total <= this.maxBytes) break;
      await Deno.remove(entry.path).catch(() => {});
      total -= entry.size;
    }
  }
}
