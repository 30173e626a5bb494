/**
 * Downloads a track piece by piece and hands on only bytes that passed their check. Each chunk is hashed from
 * the MD5 state the manifest lists for the end of the chunk before and must reach the state listed for its own
 * end; the last chunk must finish to the catalog's MD5. So one pass checks every chunk and the whole file, and
 * chunks are hashed eight at once; given a checker thread, a batch is checked there while the next ones
 * arrive. A replica whose bytes fail or whose connection breaks is dropped and the next
 * one continues from the last verified byte. A stream cut short is first asked for again at the same replica:
 * a file instance cuts the streams of a session that ended, and then refuses the token (401), which says so.
 *
 * @module
 */

import { sleep } from "../daemon/cluster/membership.ts";
import { describeFetchError } from "../daemon/cluster/peer_client.ts";
import {
  chunkBounds,
  chunkIndexAt,
  type ChunkManifest,
  isChunkManifest,
  isManifestHead,
  manifestChunks,
} from "./chunk_manifest.ts";
import { type Checked, CheckerLost, checkHere, type ChunkChecker } from "./chunk_checker.ts";
import type { CatalogTrack, Replica } from "../protocol/catalog.ts";
import { errorBody } from "../protocol/error.ts";
import { DOUBLING_LAYOUT_NAME, type ManifestAnswer, manifestAnswer } from "../protocol/manifest.ts";
import { lenient, SchemaError } from "../protocol/schema.ts";

/** No replica could deliver verified bytes, or the token was refused. */
export class TransferError extends Error {
  /** True when the token was refused: signing in again helps, another replica does not. */
  readonly unauthorized: boolean;
  constructor(message: string, unauthorized = false) {
    super(message);
    this.name = "TransferError";
    this.unauthorized = unauthorized;
  }
}

/** What happens during a transfer. */
export type TransferEvent =
  | { type: "replica"; replica: string; from: number }
  | { type: "replica-failed"; replica: string; reason: string }
  | { type: "progress"; verifiedBytes: number; size: number };

/** Options for {@linkcode streamVerified}. */
export interface StreamOptions {
  token: string;
  /** Start at this byte (resuming, seeking): the chunks from there are checked all the same. */
  from?: number;
  signal?: AbortSignal;
  onEvent?: (event: TransferEvent) => void;
  /** Cap on the download rate in bytes per second. */
  limitRate?: number;
  /** The HTTP client to fetch with, e.g. one trusting the cluster's CA (`--ca`). */
  httpClient?: Deno.HttpClient;
  /**
   * A replica that sends nothing for this long while bytes are awaited (a hung host, a dead link: no connection
   * reset ever comes) is given up for the next one; default 1000 ms.
   */
  stallTimeoutMs?: number;
  /** Where chunk buffers come from; the consumer hands each yielded chunk back when done with it. */
  buffers?: ChunkBuffers;
  /**
   * Where chunks are checked: on this thread by default, or on a thread of its own while the next ones arrive
   * (a `CheckerThread` of chunk_checker.ts).
   */
  checker?: ChunkChecker;
}

/**
 * Chunk buffers handed back by a consumer once it is done with what {@linkcode streamVerified} yielded, so the
 * next chunks are read into them rather than into fresh memory (which the system must zero and map, and the
 * garbage collector unmap: about 7% of `audiod get`'s profile). Only buffers of the size asked for are reused.
 */
export class ChunkBuffers {
  #free: Uint8Array[] = [];
  #max: number;

  /** Keeps at most `max` buffers. */
  constructor(max: number) {
    this.#max = max;
  }

  /** A buffer of `size` bytes, reused when one was handed back (its old bytes are still in it). */
  take(size: number): Uint8Array {
    const last = this.#free[this.#free.length - 1];
    return last?.length === size ? this.#free.pop()! : new Uint8Array(size);
  }

  /** Hands back the buffer `bytes` (a yielded chunk or a piece of one); the caller no longer uses it. */
  give(bytes: Uint8Array): void {
    if (this.#free.length < this.#max) this.#free.push(new Uint8Array(bytes.buffer));
  }
}

/** Default of {@linkcode StreamOptions.stallTimeoutMs}. */
export const STALL_TIMEOUT_MS = 1000;
/** How long a whole chunk manifest may take: computing it reads the whole file the first time. */
const MANIFEST_TIMEOUT_MS = 30_000;
/**
 * Chunk digests asked for up front (`?head=`): a file instance that has not computed a track's manifest yet
 * answers with these at once, so the first chunks are verified and played while it computes the rest.
 */
const HEAD_CHUNKS = 4;
/**
 * Chunks that arrive closer together than this are held back and checked together (a fast link); a chunk
 * that took longer is checked and handed on at once, so that nothing waits on a slow link for the next one.
 */
const HOLD_MS = 20;
/**
 * Chunks a fast transfer sends to be checked together (hashed side by side in SIMD lanes). Measured here with
 * `audiod get` of 256 MiB: eight are as fast as twelve, with fewer chunk buffers in hand (each one new costs
 * the system ~2.5 ms to map), and faster than four.
 */
const BATCH = 8;
/** Batches a fast transfer has checked while the next chunks arrive. */
const BATCHES_IN_FLIGHT = 1;
/**
 * Chunks a transfer may hold at once: the batches being checked and the one filling (for sizing
 * {@linkcode ChunkBuffers}).
 */
export const CHUNKS_IN_HAND = (BATCHES_IN_FLIGHT + 1) * BATCH;

/** Chunks sent to be checked together. */
interface Batch {
  first: number;
  count: number;
  result: Promise<Checked>;
  done: boolean;
}

/** What every request of a transfer carries. */
interface Access {
  token: string;
  httpClient?: Deno.HttpClient;
  /** The token was accepted for a body in this transfer: refused now, it means the session ended meanwhile. */
  flowed?: boolean;
}

class ReplicaFailure extends Error {}

/** The body ended before its length: the connection was cut (maybe the session ended). */
class StreamCut extends ReplicaFailure {}

/**
 * Waits for `promise`, but gives up on the replica when that takes longer than `ms`: the request is aborted
 * through `request` and the wait rejects with a ReplicaFailure. Time spent elsewhere (the consumer of the bytes
 * taking its time, rate limiting) never counts.
 */
function patient<T>(promise: Promise<T>, ms: number, request: AbortController): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new ReplicaFailure(`sent nothing for ${ms} ms`);
      request.abort(error);
      reject(error);
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Yields the track's bytes in order, each chunk only after its MD5 matched. */
export async function* streamVerified(
  track: CatalogTrack,
  options: StreamOptions,
): AsyncGenerator<Uint8Array> {
  const { signal } = options;
  const access: Access = {
    token: options.token,
    ...(options.httpClient ? { httpClient: options.httpClient } : {}),
  };
  const from = options.from ?? 0;
  if (!Number.isSafeInteger(from) || from < 0 || from > track.size) {
    throw new TransferError(`Cannot start at byte ${from}: the track has ${track.size} bytes`);
  }
  const candidates = track.replicas.filter((r) => r.state !== "down");
  if (candidates.length === 0) {
    throw new TransferError(`Cannot download "${track.title}": no replica of it is up`);
  }
  const failures: string[] = [];
  /** Chunks verified so far. */
  let verified = 0;
  /** The manifest, possibly only its first chunks' digests until `complete`. */
  let manifest: ChunkManifest | null = null;
  let complete = false;
  let offset = from;
  const limiter = options.limitRate ? new RateLimiter(options.limitRate) : null;
  const stallMs = options.stallTimeoutMs ?? STALL_TIMEOUT_MS;
  const checker = options.checker ?? checkHere;

  const fail = (replica: Replica, reason: string) => {
    failures.push(`${replica.url}: ${reason}`);
    options.onEvent?.({ type: "replica-failed", replica: replica.url, reason });
  };

  // A replica whose stream was cut is asked once more, right away (the queue grows while it is walked).
  const queue = [...candidates];
  const retried = new Set<Replica>();
  for (const [at, replica] of queue.entries()) {
    if (offset >= track.size && manifest) break;
    signal?.throwIfAborted();
    // Aborts this replica's requests when it stalls (and when the caller aborts).
    const request = new AbortController();
    const onAbort = () => request.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    /** A body is being read: an error now (other than a failed check or a stall) is a cut stream. */
    let receiving = false;
    /** The first range, asked for before the manifest arrived. */
    let early: Promise<Response> | null = null;
    try {
      if (!manifest) {
        // From the start of the track the first range is the same in every layout (bytes=0-): it is asked for
        // together with the manifest, so that the first bytes wait for one round trip, not two.
        if (offset === 0 && !limiter && track.size > 0) {
          early = get(`${replica.url}/v1/tracks/${track.id}`, access, request.signal, "bytes=0-");
          early.catch(() => {}); // awaited below, or aborted with the request
        }
        // The head answers at once (a cached manifest, or a few chunks hashed), so a replica gets little time.
        ({ manifest, complete } = await patient(
          fetchManifest(track, replica, access, request.signal, HEAD_CHUNKS),
          2 * stallMs,
          request,
        ));
      }
      options.onEvent?.({ type: "replica", replica: replica.url, from: offset });
      // With a rate cap, ask for about a second's worth at a time, so the server is not left holding a stream
      // for minutes and a dead replica shows up at the next request.
      const window = limiter
        ? Math.max(1, Math.round(options.limitRate! / manifest.chunkSize)) * manifest.chunkSize
        : Number.POSITIVE_INFINITY;
      while (offset < track.size) {
        // Chunks are verified whole, so resume at the start of the chunk holding `offset`, and end a range at
        // the end of a chunk.
        const chunkIndex = chunkIndexAt(manifest, offset);
        const rangeStart = chunkBounds(manifest, chunkIndex).start;
        const lastByte = Math.min(track.size, rangeStart + window) - 1;
        const rangeEnd = chunkBounds(manifest, chunkIndexAt(manifest, lastByte)).end - 1;
        const range = rangeEnd === track.size - 1
          ? `bytes=${rangeStart}-`
          : `bytes=${rangeStart}-${rangeEnd}`;
        const asked = early && rangeStart === 0 && range === "bytes=0-" ? early : null;
        early = null;
        const res = await patient(
          asked ?? get(`${replica.url}/v1/tracks/${track.id}`, access, request.signal, range),
          stallMs,
          request,
        );
        if (res.status !== 206) {
          await res.body?.cancel();
          throw new ReplicaFailure(`answered ${res.status} to a range request`);
        }
        receiving = true;
        access.flowed = true;
        const wait = <T>(read: Promise<T>) => patient(read, stallMs, request);
        /** Chunks arrived and not yet sent to be checked. */
        const pending: { index: number; bytes: Uint8Array }[] = [];
        /** Batches being checked, oldest first. */
        const checking: Batch[] = [];
        /** Sends the chunks held back to be checked. */
        const send = () => {
          if (pending.length === 0) return;
          const first = pending[0]!.index;
          const chunks = pending.splice(0).map((c) => c.bytes);
          const batch: Batch = {
            first,
            count: chunks.length,
            done: false,
            result: checker.check(manifest!, first, chunks),
          };
          // Marks it done either way (and so handles a rejection nobody may await, once a batch before it failed).
          batch.result.then(() => batch.done = true, () => batch.done = true);
          checking.push(batch);
        };
        /**
         * Yields the checked chunks in order: those of the batches whose check is done, and of as many more as
         * it takes to leave at most `keep` in flight. Fails the replica at the first chunk that did not pass.
         */
        const release = async function* (this: void, keep: number): AsyncGenerator<Uint8Array> {
          while (checking.length > 0 && (checking.length > keep || checking[0]!.done)) {
            const batch = checking.shift()!;
            const { passed, chunks } = await batch.result;
            for (let i = 0; i < passed; i++) {
              const bytes = chunks[i]!;
              const { start } = chunkBounds(manifest!, batch.first + i);
              const piece = start < offset ? bytes.subarray(offset - start) : bytes;
              offset = start + bytes.length;
              options.onEvent?.({ type: "progress", verifiedBytes: offset, size: track.size });
              verified++;
              if (limiter) await limiter.take(bytes.length, signal);
              if (piece.length > 0) yield piece;
            }
            if (passed < batch.count) {
              // What came after a chunk that failed is of no use: those bytes are fetched again elsewhere.
              checking.length = 0;
              const index = batch.first + passed;
              throw new ReplicaFailure(
                `chunk ${index} (bytes ${chunkBounds(manifest!, index).start}+) failed its MD5 check`,
              );
            }
          }
        };
        /** Checks every chunk arrived, and yields those that pass. */
        const settle = async function* (this: void): AsyncGenerator<Uint8Array> {
          send();
          yield* release(0);
        };
        let lastChunkAt = performance.now();
        for await (
          const chunk of chunksOf(res.body!, manifest, chunkIndex, { wait, signal, buffers: options.buffers })
        ) {
          // Past the head: the whole manifest (computing it may take the replica a while the first time).
          if (!complete && chunk.index >= manifest.states.length) {
            yield* settle();
            const answer = await patient(
              fetchManifest(track, replica, access, request.signal),
              MANIFEST_TIMEOUT_MS,
              request,
            );
            if (!answer.complete) {
              throw new ReplicaFailure("sent a partial manifest when asked for the whole");
            }
            const full = answer.manifest;
            const head = manifest;
            if (
              full.chunkSize !== head.chunkSize || full.firstChunkSize !== head.firstChunkSize ||
              (head.chunks ?? []).some((d, i) => d !== full.chunks?.[i]) ||
              head.states.some((d, i) => d !== full.states[i])
            ) {
              throw new ReplicaFailure("sent a manifest that contradicts the first chunks' digests");
            }
            manifest = full;
            complete = true;
          }
          pending.push(chunk);
          // The first chunk is checked alone, so that playback starts at once. While chunks come fast, they are
          // checked eight at a time, and a batch is checked while the next chunks arrive. When the rate is
          // capped or the link is slow, each chunk is checked and handed on at once, so that nothing waits on a
          // slow stream.
          const end = chunkBounds(manifest, chunk.index).end;
          const now = performance.now();
          const steady = verified > 0 && now - lastChunkAt < HOLD_MS && !limiter && end <= rangeEnd;
          lastChunkAt = now;
          if (steady && pending.length < BATCH) {
            yield* release(BATCHES_IN_FLIGHT);
            continue;
          }
          send();
          yield* release(steady ? BATCHES_IN_FLIGHT : 0);
        }
        // What arrived before the stream ended still counts.
        yield* settle();
        if (offset <= rangeEnd) throw new StreamCut(`the stream ended early at byte ${offset}`);
        receiving = false;
      }
      break;
    } catch (error) {
      if (signal?.aborted) throw signal.reason ?? error;
      if (error instanceof TransferError) throw error;
      if (error instanceof CheckerLost) {
        // The chunks being checked went with the thread; the same replica sends them again (checked here now).
        queue.splice(at + 1, 0, replica);
        continue;
      }
      const reason = request.signal.reason instanceof ReplicaFailure ? request.signal.reason : error;
      const why = reason instanceof ReplicaFailure ? reason.message : describeFetchError(reason, false);
      const cut = receiving && (reason instanceof StreamCut || !(reason instanceof ReplicaFailure));
      if (cut && !retried.has(replica)) {
        retried.add(replica);
        failures.push(`${replica.url}: ${why}`);
        queue.splice(at + 1, 0, replica);
        continue;
      }
      fail(replica, why);
    } finally {
      signal?.removeEventListener("abort", onAbort);
      // A replica given up on keeps no connection open.
      if (!request.signal.aborted) request.abort();
    }
  }
  if (offset < track.size || !manifest) {
    throw new TransferError(
      `Cannot download "${track.title}": no replica delivered verified bytes (${failures.join("; ")})`,
    );
  }
}

async function get(
  url: string,
  access: Access,
  signal: AbortSignal | undefined,
  range?: string,
): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${access.token}` };
  if (range) headers.range = range;
  const res = await fetch(url, {
    headers,
    ...(signal ? { signal } : {}),
    ...(access.httpClient ? { client: access.httpClient } : {}),
  });
  if (res.status === 401) {
    await res.body?.cancel();
    throw new TransferError(
      access.flowed
        ? "Cannot finish the download: your session ended (audiod login)"
        : "Cannot download: the server refused the token (sign in again with audiod login)",
      true,
    );
  }
  return res;
}

/**
 * A replica's chunk manifest for the track; with `head`, a replica that has not computed it yet may answer with
 * the first `head` chunk digests only (`complete` false).
 */
async function fetchManifest(
  track: CatalogTrack,
  replica: Replica,
  access: Access,
  signal: AbortSignal | undefined,
  head?: number,
): Promise<{ manifest: ChunkManifest; complete: boolean }> {
  // Asks for the doubling layout (small chunks first); an instance that does not know it answers the fixed one.
  const query = `?${head ? `head=${head}&` : ""}layout=${DOUBLING_LAYOUT_NAME}`;
  const res = await get(`${replica.url}/v1/tracks/${track.id}/manifest${query}`, access, signal);
  if (!res.ok) {
    let message = `answered ${res.status} for the manifest`;
    try {
      message = lenient(errorBody)(await res.json(), "body").error.message || message;
    } catch { /* keep the status */ }
    throw new ReplicaFailure(message);
  }
  let answer: ManifestAnswer;
  try {
    answer = lenient(manifestAnswer)(await res.json(), "body");
  } catch (error) {
    const why = error instanceof SchemaError ? `: ${error.path} ${error.reason}` : " (not JSON)";
    throw new ReplicaFailure(`sent a malformed chunk manifest${why}`);
  }
  const { id: _id, partial, ...manifest } = answer;
  const complete = partial !== true;
  if (complete ? !isChunkManifest(manifest) : !isManifestHead(manifest)) {
    throw new ReplicaFailure(
      "sent a malformed chunk manifest: its chunk and state counts do not fit its size",
    );
  }
  if (manifest.md5 !== track.md5 || manifest.size !== track.size) {
    throw new ReplicaFailure("sent a manifest for other bytes than the catalog lists");
  }
  return { manifest, complete };
}

/**
 * Cuts a byte stream into the manifest's chunks, starting at chunk `first`; `wait` guards each read. A byte
 * stream (as fetch's bodies are) is read straight into the chunks' buffers.
 */
async function* chunksOf(
  body: ReadableStream<Uint8Array>,
  manifest: ChunkManifest,
  first: number,
  options: {
    wait: <T>(read: Promise<T>) => Promise<T>;
    signal: AbortSignal | undefined;
    buffers: ChunkBuffers | undefined;
  },
): AsyncGenerator<{ index: number; bytes: Uint8Array }> {
  const { wait, signal, buffers } = options;
  const take = (size: number) => buffers?.take(size) ?? new Uint8Array(size);
  const byob = byobReader(body);
  const plain = byob ? null : body.getReader();
  // The manifest may hold only the first chunks' digests: the count comes from the size.
  const count = manifestChunks(manifest);
  let index = first;
  let bounds = chunkBounds(manifest, index);
  let buffer = take(bounds.end - bounds.start);
  let filled = 0;
  /** The chunk filled; then the next one's buffer, or false after the last. */
  const next = () => {
    index++;
    if (index >= count) return false;
    bounds = chunkBounds(manifest, index);
    buffer = take(bounds.end - bounds.start);
    filled = 0;
    return true;
  };
  try {
    while (index < count) {
      signal?.throwIfAborted();
      if (byob) {
        // The read moves the buffer (the old view is left empty) and answers with a view of the bytes read,
        // already in place.
        const { done, value } = await wait(byob.read(buffer.subarray(filled)));
        if (done || value === undefined) return;
        buffer = new Uint8Array(value.buffer, 0, bounds.end - bounds.start);
        filled += value.length;
      } else {
        const { done, value } = await wait(plain!.read());
        if (done) return;
        for (let at = 0;;) {
          const n = Math.min(buffer.length - filled, value.length - at);
          buffer.set(value.subarray(at, at + n), filled);
          filled += n;
          at += n;
          if (at === value.length) break;
          // The read holds the start of the next chunk too.
          yield { index, bytes: buffer };
          if (!next()) return;
        }
      }
      if (filled === buffer.length) {
        yield { index, bytes: buffer };
        if (!next()) return;
      }
    }
  } finally {
    await (byob ?? plain!).cancel().catch(() => {});
  }
}

/** A reader that reads into buffers given, when `body` is a byte stream. */
function byobReader(body: ReadableStream<Uint8Array>): ReadableStreamBYOBReader | null {
  try {
    return body.getReader({ mode: "byob" });
  } catch {
    return null; // not a byte stream
  }
}

/** A token bucket that paces a transfer to `rate` bytes per second. */
class RateLimiter {
  #rate: number;
  #start = performance.now();
  #sent = 0;

  constructor(rate: number) {
    this.#rate = rate;
  }

  /** Waits until `bytes` more are due; rejects with the signal's reason when aborted, so nothing more is sent. */
  async take(bytes: number, signal: AbortSignal | undefined): Promise<void> {
    this.#sent += bytes;
    const due = this.#start + (this.#sent / this.#rate) * 1000;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait, signal); // ends early on abort
    signal?.throwIfAborted();
  }
}
