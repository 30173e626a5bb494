/**
 * The hashers a scan hashes and tags files with: this thread, or a pool of worker threads (each running
 * `hash_worker.ts`, four files at once), so that MD5, SHA-256 and tag parsing use every core and the caller's
 * event loop stays free.
 *
 * @module
 */
import { canLoadWorker } from "../daemon/runtime/workers.ts";
import { type FileDigest, hashFile } from "./hash.ts";
import { type DetailedTags, readDetailedTags } from "./tags.ts";

/** Hash and tags of one file. */
export interface Hashed {
  digest: FileDigest;
  tags: DetailedTags;
}

/** Hashes and tags files, reporting the bytes read as it goes. */
export interface Hasher {
  hash(path: string, onBytes: (n: number) => void): Promise<Hashed>;
}

/** A file for a worker to hash: the message the pool posts. */
export type HashJob = { id: number; path: string };

/** A worker's answer about a job: bytes read so far (big files), then the result or why it failed. */
export type HashReply =
  | { id: number; kind: "bytes"; bytes: number }
  | { id: number; kind: "done"; bytes: number; hashed: Hashed }
  | { id: number; kind: "failed"; bytes: number; reason: string };

/** The module each worker runs. */
const WORKER_URL = new URL("./hash_worker.ts", import.meta.url);
const WORKER_NAME = "audiod-scan-hasher";

/** Thrown for the files in flight when a worker dies; the scan hashes them again on its own thread. */
export class WorkerLost extends Error {}

/** Hashes and tags on this thread; `signal` aborts the reads. */
export function localHasher(signal?: AbortSignal): Hasher {
  return {
    async hash(path, onBytes) {
      const [digest, tags] = await Promise.all([
        hashFile(path, signal ? { onBytes, signal } : { onBytes }),
        readDetailedTags(path),
      ]);
      return { digest, tags };
    },
  };
}

/** Whether workers can load their module. */
export function canStartWorkers(): boolean {
  return canLoadWorker(WORKER_URL);
}

/** One worker thread; see `hash_worker.ts`. */
class WorkerHasher implements Hasher {
  #worker: Worker;
  #nextId = 0;
  #pending = new Map<
    number,
    { resolve: (hashed: Hashed) => void; reject: (error: Error) => void; onBytes: (n: number) => void }
  >();
  #lost = false;

  constructor() {
    this.#worker = new Worker(WORKER_URL.href, { type: "module", name: WORKER_NAME });
    this.#worker.onmessage = (event: MessageEvent<HashReply>) => this.#receive(event.data);
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
      this.#worker.postMessage({ id, path } satisfies HashJob);
    });
  }

  terminate(): void {
    this.#lose(new WorkerLost("Scan worker stopped"));
  }

  #receive(reply: HashReply): void {
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

/**
 * Worker threads hashing for one scan. A worker that fails rejects its files in flight with
 * {@linkcode WorkerLost}, and every later one too.
 */
export class HashPool {
  #workers: WorkerHasher[] = [];

  /** Workers started so far. */
  get size(): number {
    return this.#workers.length;
  }

  /** Starts `count` workers (about 0.1 s before they hash); returns one hasher for each. */
  start(count: number): Hasher[] {
    const started = Array.from({ length: count }, () => new WorkerHasher());
    this.#workers.push(...started);
    return started;
  }

  /** Stops every worker: the files in flight reject with {@linkcode WorkerLost}. Safe to call again. */
  terminate(): void {
    for (const worker of this.#workers) worker.terminate();
  }
}
