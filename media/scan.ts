/**
 * Scanning a media folder into the media index: hash and tag what changed, reuse what did not.
 *
 * Large scans hash in worker threads (this module is also the workers' entry point), so MD5, SHA-256 and tag
 * parsing use every core and the caller's event loop stays free. Each worker hashes four files at once, MD5 in
 * SIMD lanes (see {@linkcode HashLanes}).
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { type FileDigest, hashFile, HashLanes } from "./hash.ts";
import type { MediaIndex, TrackRecord } from "./media_index.ts";
import { readTags, readTagsBlocking, type TrackTags } from "./tags.ts";
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

/** Hash and tag one file. */
interface Hashed {
  digest: FileDigest;
  tags: TrackTags;
}

interface Hasher {
  hash(path: string, onBytes: (n: number) => void): Promise<Hashed>;
}

type Job = { id: number; path: string };
type Reply =
  | { id: number; kind: "bytes"; bytes: number }
  | { id: number; kind: "done"; bytes: number; hashed: Hashed }
  | { id: number; kind: "failed"; bytes: number; reason: string };

const WORKER_NAME = "audiod-scan-hasher";
/** Below these, starting workers (about 0.1 s) costs more than it saves. */
const WORKER_MIN_FILES = 32;
const WORKER_MIN_BYTES = 64 << 20;
/** Files queued at each worker, so its four lanes never wait for this thread to send the next one. */
const FILES_PER_WORKER = 16;
/** A worker reports progress on big files every this many bytes. */
const PROGRESS_BYTES = 8 << 20;
/** Hashed records are written in one transaction per this many records or this many milliseconds. */
const FLUSH_RECORDS = 256;
const FLUSH_MS = 250;

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function hashHere(path: string, onBytes: (n: number) => void, signal?: AbortSignal): Promise<Hashed> {
  const [digest, tags] = await Promise.all([
    hashFile(path, signal ? { onBytes, signal } : { onBytes }),
    readTags(path),
  ]);
  return { digest, tags };
}

/** Whether workers can load this module: they need read access to it, and print an error when they cannot. */
function canStartWorkers(): boolean {
  const url = new URL(import.meta.url);
  if (url.protocol !== "file:") return false;
  return Deno.permissions.querySync({ name: "read", path: fileURLToPath(url) }).state === "granted";
}

/** Thrown for the files in flight when a worker dies; they are hashed again on this thread. */
class WorkerLost extends Error {}

/** A worker thread running this module; see {@linkcode serveHashJobs}. */
class WorkerHasher implements Hasher {
  #worker: Worker;
  #nextId = 0;
  #pending = new Map<
    number,
    { resolve: (hashed: Hashed) => void; reject: (error: Error) => void; onBytes: (n: number) => void }
  >();
  #lost = false;

  constructor() {
    this.#worker = new Worker(import.meta.url, { type: "module", name: WORKER_NAME });
    this.#worker.onmessage = (event: MessageEvent<Reply>) => this.#receive(event.data);
    this.#worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.#lose(new WorkerLost(`Scan worker failed: ${event.message}`));
    };
    this.#worker.onmessageerror = () => this.#lose(new WorkerLost("Scan worker sent an unreadable message"));
  }

  hash(path: string, onBytes: (n: number) => void): Promise<Hashed> {
    if (this.#lost) return Promise.reject(new WorkerLost("Scan worker is gone"));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, onBytes });
      this.#worker.postMessage({ id, path } satisfies Job);
    });
  }

  terminate(): void {
    this.#lose(new WorkerLost("Scan worker stopped"));
  }

  #receive(reply: Reply): void {
    const job = this.#pending.get(reply.id);
    if (job === undefined) return;
    if (reply.bytes > 0) job.onBytes(reply.bytes);
    if (reply.kind === "bytes") return;
    this.#pending.delete(reply.id);
    if (reply.kind === "done") job.resolve(reply.hashed);
    else job.reject(new Error(reply.reason));
  }

  #lose(error: WorkerLost): void {
    if (!this.#lost) this.#worker.terminate();
    this.#lost = true;
    for (const job of this.#pending.values()) job.reject(error);
    this.#pending.clear();
  }
}

/** A macrotask turn: lets a busy worker receive the jobs posted meanwhile (a timer would be clamped to 4 ms). */
function nextTurn(): Promise<void> {
  const { port1, port2 } = new MessageChannel();
  return new Promise((resolve) => {
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(null);
    port2.close();
  });
}

/**
 * The worker side: hashes the posted files four at once ({@linkcode HashLanes}), tags each one hashed and posts
 * the results back. Reads block: this thread has nothing else to do, and they cost less than async operations.
 */
function serveHashJobs(scope: {
  onmessage: ((event: MessageEvent<Job>) => void) | null;
  postMessage(reply: Reply): void;
}): void {
  const queue: Job[] = [];
  const unreported = new Map<number, number>();
  const lanes = new HashLanes<Job>(({ id }, n) => {
    const bytes = (unreported.get(id) ?? 0) + n;
    if (bytes < PROGRESS_BYTES) unreported.set(id, bytes);
    else {
      scope.postMessage({ id, kind: "bytes", bytes });
      unreported.set(id, 0);
    }
  });
  const taken = (id: number) => {
    const bytes = unreported.get(id) ?? 0;
    unreported.delete(id);
    return bytes;
  };
  let running = false;
  const run = async () => {
    running = true;
    try {
      while (queue.length > 0 || lanes.busy) {
        for (let free = lanes.free; free > 0 && queue.length > 0; free--) {
          const job = queue.shift()!;
          unreported.set(job.id, 0);
          lanes.add(job, job.path);
        }
        const finished = lanes.round();
        for (const result of finished) {
          const { id, path } = result.job;
          if ("error" in result) {
            scope.postMessage({ id, kind: "failed", bytes: taken(id), reason: errorMessage(result.error) });
            continue;
          }
          const tags = await readTagsBlocking(path);
          scope.postMessage({ id, kind: "done", bytes: taken(id), hashed: { digest: result.digest, tags } });
        }
        if (finished.length > 0) await nextTurn();
      }
    } finally {
      running = false;
    }
  };
  scope.onmessage = ({ data }) => {
    queue.push(data);
    // A failure in run() ends the worker with an error event: the scan then hashes its files on its own thread.
    if (!running) run();
  };
}

// When this module is the entry point of one of scanMedia's workers, serve jobs.
const globalScope = globalThis as unknown as { WorkerGlobalScope?: unknown; name?: unknown };
if (globalScope.WorkerGlobalScope !== undefined && globalScope.name === WORKER_NAME) {
  serveHashJobs(globalThis as unknown as Parameters<typeof serveHashJobs>[0]);
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
  let lastFlush = Date.now();
  const flush = () => {
    index.upsertMany(pending.splice(0));
    lastFlush = Date.now();
  };

  const onBytes = (n: number) => {
    bytesHashed += n;
  };
  const here: Hasher = { hash: (path, onBytes) => hashHere(path, onBytes, signal) };
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
        if (pending.length >= FLUSH_RECORDS || Date.now() - lastFlush >= FLUSH_MS) flush();
        hashed++;
      }
      finished(file.path);
    }
  };

  const workers: WorkerHasher[] = [];
  const lanes: Promise<void>[] = [];
  const stopWorkers = () => workers.forEach((worker) => worker.terminate());
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
          workers.length === 0 && (queue.length >= WORKER_MIN_FILES || queuedBytes >= WORKER_MIN_BYTES) &&
          (workersAllowed ??= canStartWorkers())
        ) {
          for (let w = 0; w < concurrency; w++) {
            const worker = new WorkerHasher();
            workers.push(worker);
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
    if (workers.length === 0) {
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

  const tracks = records.filter((record) => record !== undefined);
  const removed = index.removeExcept(new Set(tracks.map((track) => track.path)));
  const failed = failures.filter((failure) => failure !== undefined);
  return { tracks, hashed, reused: files.length - queue.length, removed, failed };
}
