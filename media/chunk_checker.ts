/**
 * Where a transfer checks its chunks against their manifest: on its own thread ({@linkcode checkHere}), or on a
 * thread of its own ({@linkcode CheckerThread}, running `check_worker.ts`) while the next chunks arrive, so that
 * receiving, checking and writing a download use both cores. Chunks are checked independently of each other
 * (each from the state the manifest lists for the end of the chunk before), so either can check any of them.
 *
 * @module
 */
import type { ChunkManifest } from "../protocol/manifest.ts";
import { canLoadWorker } from "../daemon/runtime/workers.ts";
import { verifyChunks } from "./chunk_manifest.ts";

/** What a check answers: how many chunks passed, from the first, and the chunks (moved back, when they moved). */
export interface Checked {
  passed: number;
  chunks: Uint8Array[];
}

/** Checks consecutive chunks of a file, `first` being the index of `chunks[0]`. */
export interface ChunkChecker {
  /** The chunks given may be moved to another thread: use the ones in the answer. */
  check(manifest: ChunkManifest, first: number, chunks: Uint8Array[]): Promise<Checked>;
}

/** Checks on the caller's thread. */
export const checkHere: ChunkChecker = {
  check(manifest, first, chunks) {
    return Promise.resolve({ passed: verifyChunks(manifest, first, chunks), chunks });
  },
};

/** A message to the worker: the manifest later checks are against, or chunks to check. */
export type CheckJob =
  | { kind: "manifest"; manifest: ChunkManifest }
  | { kind: "check"; id: number; first: number; chunks: Uint8Array[] };

/** A message from the worker: it can check (its hashing warmed up), or the answer to a check. */
export type CheckReply = { kind: "ready" } | {
  kind: "checked";
  id: number;
  passed: number;
  chunks: Uint8Array[];
};

/** The worker thread failed with checks in flight: their chunks are gone, and have to be fetched again. */
export class CheckerLost extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CheckerLost";
  }
}

const WORKER_URL = new URL("./check_worker.ts", import.meta.url);

/**
 * Checks chunks on a worker thread. Until the worker has started (about 0.1 s) and after it failed, chunks are
 * checked on the caller's thread instead; a worker that fails rejects the checks in flight with
 * {@linkcode CheckerLost}. Chunks that do not own their memory whole are checked here too (only whole buffers
 * move between threads without a copy).
 */
export class CheckerThread implements ChunkChecker, Disposable {
  #worker: Worker | null = null;
  #ready = false;
  /** The manifest the worker holds. */
  #sent: ChunkManifest | null = null;
  #nextId = 0;
  #checkedThere = 0;
  #pending = new Map<number, { resolve: (checked: Checked) => void; reject: (error: Error) => void }>();

  /** Starts the worker, when it can load its module. */
  constructor() {
    if (!canLoadWorker(WORKER_URL)) return;
    const worker = new Worker(WORKER_URL.href, { type: "module", name: "audiod-chunk-checker" });
    worker.onmessage = ({ data }: MessageEvent<CheckReply>) => {
      if (data.kind === "ready") {
        this.#ready = true;
        return;
      }
      const job = this.#pending.get(data.id);
      if (!job) return;
      this.#pending.delete(data.id);
      this.#checkedThere += data.chunks.length;
      job.resolve({ passed: data.passed, chunks: data.chunks });
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.#lose(`the chunk checker failed: ${event.message}`);
    };
    worker.onmessageerror = () => this.#lose("the chunk checker sent an unreadable message");
    this.#worker = worker;
  }

  /** Whether checks go to the worker now. */
  get ready(): boolean {
    return this.#ready;
  }

  /** Chunks the worker checked so far. */
  get checkedThere(): number {
    return this.#checkedThere;
  }

  check(manifest: ChunkManifest, first: number, chunks: Uint8Array[]): Promise<Checked> {
    const worker = this.#worker;
    const whole = chunks.every((c) => c.byteOffset === 0 && c.byteLength === c.buffer.byteLength);
    const distinct = new Set(chunks.map((c) => c.buffer)).size === chunks.length;
    if (!worker || !this.#ready || !whole || !distinct) return checkHere.check(manifest, first, chunks);
    if (manifest !== this.#sent) {
      worker.postMessage({ kind: "manifest", manifest } satisfies CheckJob);
      this.#sent = manifest;
    }
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage(
        { kind: "check", id, first, chunks } satisfies CheckJob,
        chunks.map((c) => c.buffer as ArrayBuffer),
      );
    });
  }

  /** Stops the worker; checks in flight reject with {@linkcode CheckerLost}. */
  [Symbol.dispose](): void {
    this.#lose("the chunk checker was stopped");
  }

  #lose(reason: string): void {
    this.#worker?.terminate();
    this.#worker = null;
    this.#ready = false;
    for (const job of this.#pending.values()) job.reject(new CheckerLost(reason));
    this.#pending.clear();
  }
}
