/**
 * Entry module of a scan's hash worker (started by `hash_pool.ts`): hashes the posted files four at once, MD5 in
 * SIMD lanes ({@linkcode HashLanes}), tags each one hashed and posts the results back.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { HashLanes } from "./hash.ts";
import type { HashJob, HashReply } from "./hash_pool.ts";
import { readDetailedTagsBlocking } from "./tags.ts";

/** A worker reports progress on big files every this many bytes. */
const PROGRESS_BYTES = 8 << 20;

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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
 * Serves the jobs posted to `scope`. Reads block: this thread has nothing else to do, and they cost less than
 * async operations.
 */
function serveHashJobs(scope: {
  onmessage: ((event: MessageEvent<HashJob>) => void) | null;
  postMessage(reply: HashReply): void;
}): void {
  const queue: HashJob[] = [];
  const unreported = new Map<number, number>();
  const lanes = new HashLanes<HashJob>(({ id }, n) => {
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
          const tags = await readDetailedTagsBlocking(path);
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

serveHashJobs(self as unknown as Parameters<typeof serveHashJobs>[0]);
