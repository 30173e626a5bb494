/**
 * Downloads a track piece by piece and hands on only bytes that passed their check: every chunk against the
 * replica's chunk manifest, and the whole file against the catalog's MD5 at the end. A replica whose bytes fail
 * or whose connection breaks is dropped and the next one continues from the last verified byte.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { describeFetchError } from "../daemon/bootstrap_client.ts";
import { chunkBounds, type ChunkManifest, isChunkManifest } from "./chunk_manifest.ts";
import type { CatalogTrack, Replica } from "../client/types.ts";

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
  /** Start at this byte (resuming); the whole-file MD5 is then not re-checked, every chunk still is. */
  from?: number;
  signal?: AbortSignal;
  onEvent?: (event: TransferEvent) => void;
  /** Cap on the download rate in bytes per second. */
  limitRate?: number;
  /** The HTTP client to fetch with, e.g. one trusting the cluster's CA (`--ca`). */
  httpClient?: Deno.HttpClient;
}

/** What every request of a transfer carries. */
interface Access {
  token: string;
  httpClient?: Deno.HttpClient;
}

class ReplicaFailure extends Error {}

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
  const whole = from === 0 ? createHash("md5") : null;
  let manifest: ChunkManifest | null = null;
  let offset = from;
  const limiter = options.limitRate ? new RateLimiter(options.limitRate) : null;

  const fail = (replica: Replica, reason: string) => {
    failures.push(`${replica.url}: ${reason}`);
    options.onEvent?.({ type: "replica-failed", replica: replica.url, reason });
  };

  for (const replica of candidates) {
    if (offset >= track.size && manifest) break;
    signal?.throwIfAborted();
    try {
      manifest ??= await fetchManifest(track, replica, access, signal);
      options.onEvent?.({ type: "replica", replica: replica.url, from: offset });
      // With a rate cap, ask for about a second's worth at a time, so the server is not left holding a stream
      // for minutes and a dead replica shows up at the next request.
      const window = limiter
        ? Math.max(1, Math.round(options.limitRate! / manifest.chunkSize)) * manifest.chunkSize
        : Number.POSITIVE_INFINITY;
      while (offset < track.size) {
        // Chunks are verified whole, so resume at the start of the chunk holding `offset`.
        const chunkIndex = Math.floor(offset / manifest.chunkSize);
        const rangeStart = chunkIndex * manifest.chunkSize;
        const rangeEnd = Math.min(track.size, rangeStart + window) - 1;
        const range = rangeEnd === track.size - 1
          ? `bytes=${rangeStart}-`
          : `bytes=${rangeStart}-${rangeEnd}`;
        const res = await get(`${replica.url}/v1/tracks/${track.id}`, access, signal, range);
        if (res.status !== 206) {
          await res.body?.cancel();
          throw new ReplicaFailure(`answered ${res.status} to a range request`);
        }
        for await (const { index, bytes } of chunksOf(res.body!, manifest, chunkIndex, signal)) {
          const digest = createHash("md5").update(bytes).digest("hex");
          if (digest !== manifest.chunks[index]) {
            throw new ReplicaFailure(
              `chunk ${index} (bytes ${index * manifest.chunkSize}+) failed its MD5 check`,
            );
          }
          const { start } = chunkBounds(manifest, index);
          const piece = start < offset ? bytes.subarray(offset - start) : bytes;
          whole?.update(bytes);
          offset = start + bytes.length;
          if (limiter) await limiter.take(bytes.length, signal);
          options.onEvent?.({ type: "progress", verifiedBytes: offset, size: track.size });
          if (piece.length > 0) yield piece;
        }
        if (offset <= rangeEnd) throw new ReplicaFailure(`the stream ended early at byte ${offset}`);
      }
      break;
    } catch (error) {
      if (signal?.aborted) throw signal.reason ?? error;
      if (error instanceof TransferError) throw error;
      fail(replica, error instanceof ReplicaFailure ? error.message : describeFetchError(error, false));
    }
  }
  if (offset < track.size || !manifest) {
    throw new TransferError(
      `Cannot download "${track.title}": no replica delivered verified bytes (${failures.join("; ")})`,
    );
  }
  if (whole) {
    const md5 = whole.digest("hex");
    if (md5 !== track.md5) {
      throw new TransferError(
        `Cannot verify "${track.title}": its MD5 is ${md5}, the catalog says ${track.md5}`,
      );
    }
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
      "Cannot download: the server refused the token (sign in again with audiod login)",
      true,
    );
  }
  return res;
}

async function fetchManifest(
  track: CatalogTrack,
  replica: Replica,
  access: Access,
  signal: AbortSignal | undefined,
): Promise<ChunkManifest> {
  const res = await get(`${replica.url}/v1/tracks/${track.id}/manifest`, access, signal);
  if (!res.ok) {
    let message = `answered ${res.status} for the manifest`;
    try {
      const body = await res.json() as { error?: { message?: string } };
      if (body.error?.message) message = body.error.message;
    } catch { /* keep the status */ }
    throw new ReplicaFailure(message);
  }
  const manifest: unknown = await res.json();
  if (!isChunkManifest(manifest)) throw new ReplicaFailure("sent a malformed chunk manifest");
  if (manifest.md5 !== track.md5 || manifest.size !== track.size) {
    throw new ReplicaFailure("sent a manifest for other bytes than the catalog lists");
  }
  return manifest;
}

/** Cuts a byte stream into the manifest's chunks, starting at chunk `first`. */
async function* chunksOf(
  body: ReadableStream<Uint8Array>,
  manifest: ChunkManifest,
  first: number,
  signal: AbortSignal | undefined,
): AsyncGenerator<{ index: number; bytes: Uint8Array }> {
  const reader = body.getReader();
  let index = first;
  let bounds = chunkBounds(manifest, index);
  let buffer = new Uint8Array(bounds.end - bounds.start);
  let filled = 0;
  try {
    while (index < manifest.chunks.length) {
      signal?.throwIfAborted();
      const { done, value } = await reader.read();
      if (done) return;
      let at = 0;
      while (at < value.length) {
        const n = Math.min(buffer.length - filled, value.length - at);
        buffer.set(value.subarray(at, at + n), filled);
        filled += n;
        at += n;
        if (filled === buffer.length) {
          yield { index, bytes: buffer };
          index++;
          if (index >= manifest.chunks.length) return;
          bounds = chunkBounds(manifest, index);
          buffer = new Uint8Array(bounds.end - bounds.start);
          filled = 0;
        }
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
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

  async take(bytes: number, signal: AbortSignal | undefined): Promise<void> {
    this.#sent += bytes;
    const due = this.#start + (this.#sent / this.#rate) * 1000;
    const wait = due - performance.now();
    if (wait > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        signal?.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve();
        }, { once: true });
      });
    }
  }
}
