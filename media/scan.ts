/**
 * Scanning a media folder into the media index: hash and tag what changed, reuse what did not.
 *
 * Large scans hash in worker threads ({@linkcode HashPool}), so MD5, SHA-256 and tag parsing use every core and
 * the caller's event loop stays free. Each worker hashes four files at once, MD5 in SIMD lanes.
 *
 * @module
 */
import { canStartWorkers, type Hashed, type Hasher, HashPool, localHasher, WorkerLost } from "./hash_pool.ts";
import type { MediaIndex, TrackRecord } from "./media_index.ts";
import { readDetailedTags } from "./tags.ts";
import { type MediaFile, walkMedia } from "./walk.ts";

/** Progress after each file: `done` of `total` files, bytes hashed so far, and the file just finished. */
export interface ScanProgress {
  /** Files finished (reused, hashed or failed) so far. */
  done: number;
  /** Audio files found by the walk. */
  total: number;
  /** Bytes hashed so far in this scan. */
  bytesHashed: number;
  /** The file just finished. */
  path: string;
}

/** What a scan found: every present track (in walk order) and how each file was handled. */
export interface ScanResult {
  /** The index records of every file present, in walk order. */
  tracks: TrackRecord[];
  /** Files read, hashed and tagged in this scan. */
  hashed: number;
  /** Files whose path, size and mtime matched the index, so they were not read at all. */
  reused: number;
  /** Index rows deleted because their file is gone (or could not be read). */
  removed: number;
  /** Files that could not be read, with why; they are not in `tracks` and not in the index. */
  failed: { path: string; reason: string }[];
}

/** Options for {@linkcode scanMedia}. */
export interface ScanMediaOptions {
  /** Called after each file once the walk has counted them (files done earlier are reported then). */
  onProgress?: (progress: ScanProgress) => void;
  /** Stops the scan; the promise rejects with the signal's reason and the index keeps what was stored. */
  signal?: AbortSignal;
  /** How many files are hashed at once (worker threads for large scans); default 2. */
  concurrency?: number;
}

/** Below these, starting workers (about 0.1 s) costs more than it saves. */
const WORKER_MIN_FILES = 32;
const WORKER_MIN_BYTES = 64 << 20;
/** Files queued at each worker, so its four lanes never wait for this thread to send the next one. */
const FILES_PER_WORKER = 16;
/** Hashed records are written in one transaction per this many records or this many milliseconds. */
const FLUSH_RECORDS = 256;
const FLUSH_MS = 250;

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Brings `index` up to date with the audio files under `root`. A file whose path, size and mtime match its index
 * row is reused without being read; any other file is hashed (MD5 + SHA-256) and tagged, then upserted. Files that
 * vanish or cannot be read are reported in `failed`, never thrown. Rows of files no longer present are removed.
 *
 * Progress is reported once the walk has counted the files; hashing already starts during the walk.
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
  const records: (TrackRecord | undefined)[] = [];
  const failures: ({ path: string; reason: string } | undefined)[] = [];
  /** Indexes into `files` of the files to hash, in walk order; `next` is the first one no lane has taken. */
  const queue: number[] = [];
  let next = 0;
  let walking = true;
  let stopping = false;
  let wakeLanes: (() => void) | undefined;
  let moreWork: Promise<void> | undefined;
  const notifyLanes = () => {
    wakeLanes?.();
    wakeLanes = undefined;
    moreWork = undefined;
  };

  // Progress needs the total, so files finished during the walk are reported when it ends.
  let total: number | undefined;
  let reported = 0;
  let bytesHashed = 0;
  const unreported: string[] = [];
  const finished = (path: string) => {
    if (total === undefined) unreported.push(path);
    else onProgress?.({ done: ++reported, total, bytesHashed, path });
  };

  // Upserts are batched into transactions: one commit per file would cost more than hashing a small one.
  const pending: TrackRecord[] = [];
  /** The MD5 chaining states the hashing recorded, stored with their records: manifests ready at once. */
  const pendingStates = new Map<string, Uint8Array>();
  let lastFlush = Date.now();
  const flush = () => {
    index.upsertMany(pending.splice(0), pendingStates);
    pendingStates.clear();
    lastFlush = Date.now();
  };

  const onBytes = (n: number) => {
    bytesHashed += n;
  };
  const here = localHasher(signal);
  let hashed = 0;
  const runLane = async (hasher: Hasher): Promise<void> => {
    for (;;) {
      signal?.throwIfAborted();
      if (stopping) return;
      if (next >= queue.length) {
        if (!walking) return;
        await (moreWork ??= new Promise((resolve) => (wakeLanes = resolve)));
        continue;
      }
      const i = queue[next++]!;
      const file = files[i]!;
      let result: Hashed | undefined;
      try {
        result = await hasher.hash(file.path, onBytes).catch((error) => {
          if (!(error instanceof WorkerLost) || signal?.aborted || stopping) throw error;
          hasher = here;
          return here.hash(file.path, onBytes);
        });
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (stopping) return;
        failures[i] = { path: file.path, reason: errorMessage(error) };
      }
      if (result !== undefined) {
        // The size and mtime seen by the walk are stored: if the file changed while it was read, they no longer
        // match and the next scan hashes it again.
        const { digest, tags } = result;
        const record: TrackRecord = {
          id: digest.sha256,
          path: file.path,
          relPath: file.relPath,
          size: file.size,
          mtimeMs: file.mtimeMs,
          md5: digest.md5,
          sha256: digest.sha256,
          ...tags,
        };
        records[i] = record;
        pending.push(record);
        // Stored only when the walk's size is the hashed one (else the file changed and is hashed again).
        if (digest.size === file.size) pendingStates.set(file.path, digest.states);
        if (pending.length >= FLUSH_RECORDS || Date.now() - lastFlush >= FLUSH_MS) flush();
        hashed++;
      }
      finished(file.path);
    }
  };

  const workers = new HashPool();
  const lanes: Promise<void>[] = [];
  const stopWorkers = () => workers.terminate();
  /** Stops everything when one part fails: the lanes finish their current file and return. */
  const stop = () => {
    stopping = true;
    stopWorkers();
    notifyLanes();
  };
  const startLane = (hasher: Hasher) =>
    lanes.push(
      runLane(hasher).catch((error) => {
        stop();
        throw error;
      }),
    );
  signal?.addEventListener("abort", stopWorkers, { once: true });
  let thrown: { error: unknown } | undefined;
  try {
    let queuedBytes = 0;
    /** Whether workers can start, asked once: when the queue first is long enough for them. */
    let workersAllowed: boolean | undefined;
    /** What the index holds, read once (a file whose size or mtime changed is hashed again). */
    const indexed = index.byPath();
    try {
      for await (const file of walkMedia(root, signal ? { signal } : {})) {
        const i = files.length;
        const known = indexed.get(file.path);
        let hit = known?.size === file.size && known.mtimeMs === file.mtimeMs ? known : undefined;
        if (hit !== undefined && hit.relPath !== file.relPath) {
          hit = { ...hit, relPath: file.relPath };
          pending.push(hit);
        }
        files.push(file);
        records.push(hit);
        if (hit !== undefined) {
          finished(file.path);
          continue;
        }
        queue.push(i);
        queuedBytes += file.size;
        notifyLanes();
        // Enough to hash that workers (about 0.1 s to start) pay off: they start hashing while the walk goes on.
        if (
          workers.size === 0 && (queue.length >= WORKER_MIN_FILES || queuedBytes >= WORKER_MIN_BYTES) &&
          (workersAllowed ??= canStartWorkers())
        ) {
          for (const worker of workers.start(concurrency)) {
            for (let l = 0; l < FILES_PER_WORKER; l++) startLane(worker);
          }
        }
      }
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new Error(`Cannot scan ${root}: ${errorMessage(error)}`);
    } finally {
      walking = false;
      notifyLanes();
    }
    total = files.length;
    for (const path of unreported.splice(0)) onProgress?.({ done: ++reported, total, bytesHashed, path });
    if (workers.size === 0) {
      for (let l = 0; l < Math.min(concurrency, queue.length); l++) startLane(here);
    }
  } catch (error) {
    stop();
    thrown = { error };
  }
  // Every lane has stopped before the scan returns or throws, so none touches the index afterwards.
  const settled = await Promise.allSettled(lanes);
  signal?.removeEventListener("abort", stopWorkers);
  stopWorkers();
  // Whatever was hashed is kept, even when the scan fails or is aborted.
  flush();
  const failure = settled.find((lane) => lane.status === "rejected");
  if (thrown !== undefined) throw thrown.error;
  if (failure !== undefined) throw failure.reason;
  await retag(records, index, { concurrency, ...(signal ? { signal } : {}) });

  const tracks = records.filter((record) => record !== undefined);
  const removed = index.removeExcept(new Set(tracks.map((track) => track.path)));
  const failed = failures.filter((failure) => failure !== undefined);
  return { tracks, hashed, reused: files.length - queue.length, removed, failed };
}

/**
 * Reads the tags (not the bytes) of the reused records that have no details (indexed before the index kept
 * them), and stores them: an upgraded index fills in without hashing the library again.
 */
async function retag(
  records: (TrackRecord | undefined)[],
  index: MediaIndex,
  { concurrency, signal }: { concurrency: number; signal?: AbortSignal },
): Promise<void> {
  const stale: number[] = [];
  records.forEach((record, i) => {
    if (record !== undefined && record.details === undefined) stale.push(i);
  });
  if (stale.length === 0) return;
  const pending: TrackRecord[] = [];
  let next = 0;
  const lane = async () => {
    while (next < stale.length) {
      signal?.throwIfAborted();
      const i = stale[next++]!;
      const record = records[i]!;
      const updated: TrackRecord = { ...record, ...await readDetailedTags(record.path) };
      records[i] = updated;
      pending.push(updated);
      if (pending.length >= FLUSH_RECORDS) index.upsertMany(pending.splice(0));
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, stale.length) }, lane));
  } finally {
    // What was read is kept, even when the scan is aborted.
    index.upsertMany(pending.splice(0));
  }
}
