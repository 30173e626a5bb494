/**
 * Scanning a media folder into the media index: hash and tag what changed, reuse what did not.
 *
 * @module
 */
import { hashFile } from "./hash.ts";
import type { MediaIndex, TrackRecord } from "./media_index.ts";
import { readTags } from "./tags.ts";
import { type MediaFile, walkMedia } from "./walk.ts";

/** Progress after each file: `done` of `total` files, bytes hashed so far, and the file just finished. */
export interface ScanProgress {
  done: number;
  total: number;
  bytesHashed: number;
  path: string;
}

/** What a scan found: every present track (in walk order) and how each file was handled. */
export interface ScanResult {
  tracks: TrackRecord[];
  /** Files read, hashed and tagged in this scan. */
  hashed: number;
  /** Files whose path, size and mtime matched the index, so they were not read at all. */
  reused: number;
  /** Index rows deleted because their file is gone (or could not be read). */
  removed: number;
  failed: { path: string; reason: string }[];
}

/** Options for {@linkcode scanMedia}. */
export interface ScanMediaOptions {
  onProgress?: (progress: ScanProgress) => void;
  /** Stops the scan; the promise rejects with the signal's reason and the index keeps what was stored. */
  signal?: AbortSignal;
  /** How many files are hashed at once; default 2. */
  concurrency?: number;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Brings `index` up to date with the audio files under `root`. A file whose path, size and mtime match its index
 * row is reused without being read; any other file is hashed (MD5 + SHA-256) and tagged, then upserted. Files that
 * vanish or cannot be read are reported in `failed`, never thrown. Rows of files no longer present are removed.
 *
 * Throws `Error("Cannot scan <root>: <why>")` when the root does not exist or is not a folder.
 */
export async function scanMedia(
  root: string,
  index: MediaIndex,
  options: ScanMediaOptions = {},
): Promise<ScanResult> {
  const { onProgress, signal, concurrency = 2 } = options;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`Cannot scan ${root}: concurrency ${concurrency} is not a positive integer`);
  }
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(root);
  } catch (error) {
    throw new Error(`Cannot scan ${root}: ${errorMessage(error)}`);
  }
  if (!info.isDirectory) throw new Error(`Cannot scan ${root}: not a directory`);

  const files: MediaFile[] = [];
  try {
    for await (const file of walkMedia(root, signal ? { signal } : {})) files.push(file);
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new Error(`Cannot scan ${root}: ${errorMessage(error)}`);
  }

  const total = files.length;
  const records: (TrackRecord | undefined)[] = new Array(total);
  const failures: ({ path: string; reason: string } | undefined)[] = new Array(total);
  const toHash: number[] = [];
  let done = 0;
  let bytesHashed = 0;
  let hashed = 0;
  let reused = 0;
  const report = (path: string) => onProgress?.({ done, total, bytesHashed, path });

  files.forEach((file, i) => {
    const hit = index.lookup(file.path, file.size, file.mtimeMs);
    if (hit === undefined) {
      toHash.push(i);
      return;
    }
    if (hit.relPath !== file.relPath) {
      hit.relPath = file.relPath;
      index.upsert(hit);
    }
    records[i] = hit;
    reused++;
    done++;
    report(file.path);
  });

  const onBytes = (n: number) => {
    bytesHashed += n;
  };
  let next = 0;
  const hashNext = async (): Promise<void> => {
    while (next < toHash.length) {
      signal?.throwIfAborted();
      const i = toHash[next++]!;
      const file = files[i]!;
      let record: TrackRecord | undefined;
      try {
        const [digest, tags] = await Promise.all([
          hashFile(file.path, signal ? { onBytes, signal } : { onBytes }),
          readTags(file.path),
        ]);
        record = {
          id: digest.sha256,
          path: file.path,
          relPath: file.relPath,
          size: file.size,
          mtimeMs: file.mtimeMs,
          md5: digest.md5,
          sha256: digest.sha256,
          ...tags,
        };
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        failures[i] = { path: file.path, reason: errorMessage(error) };
      }
      if (record !== undefined) {
        // The size and mtime seen by the walk are stored: if the file changed while it was read, they no longer
        // match and the next scan hashes it again.
        index.upsert(record);
        records[i] = record;
        hashed++;
      }
      done++;
      report(file.path);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, toHash.length) }, hashNext));

  const tracks = records.filter((record) => record !== undefined);
  const removed = index.removeExcept(new Set(tracks.map((track) => track.path)));
  const failed = failures.filter((failure) => failure !== undefined);
  return { tracks, hashed, reused, removed, failed };
}
