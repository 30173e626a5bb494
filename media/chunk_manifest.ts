/**
 * Chunk manifests used to transfer and verify files piece by piece: each chunk's own MD5, and the MD5 chaining
 * state at the end of each chunk. A client checks chunk k by hashing it from the state at the end of chunk k-1
 * (or MD5's start for the first) and comparing the result with the state at its end (or, for the last chunk,
 * the finished hash with the file's MD5): one pass over the bytes checks every chunk and the whole file, and
 * chunks can be checked in any order, up to twelve at once. Manifests of the fixed layout list the chunks' own
 * MD5s too, for other tools; those of the doubling layout (small chunks first, `protocol/chunk_layout.ts`) do not.
 *
 * @module
 */
import { hex16, MD5_LANES, md5Blocks, md5Finish, md5Lanes, md5Start, stateFromHex, stateHex } from "./md5.ts";
import {
  chunkAt,
  chunkCountOf,
  chunkEnd,
  type ChunkLayout,
  chunkStart,
  DOUBLING_LAYOUT,
  layoutProblem,
  type ManifestAnswer,
} from "../protocol/manifest.ts";
import type { ChunkManifest } from "../protocol/manifest.ts";
import { STATE_BYTES } from "./chain_states.ts";

/** Default chunk size: 1 MiB. */
export const CHUNK_SIZE = 1 << 20;

/** A file's size, whole-file MD5, and per chunk its MD5 and the MD5 state at its end (its wire shape). */
export type { ChunkManifest } from "../protocol/manifest.ts";

/** A manifest of the fixed layout, which lists every chunk's own MD5. */
export type FixedManifest = ChunkManifest & { chunks: string[] };

/** Options for {@linkcode computeManifest}. */
export interface ComputeManifestOptions {
  /** Bytes per chunk; defaults to {@linkcode CHUNK_SIZE}. */
  chunkSize?: number;
  /** Aborts the read between blocks; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

const HEX_MD5 = /^[0-9a-f]{32}$/;
const EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e";
/** Chunks a manifest's computation hashes side by side in SIMD lanes. */
const BUILD_LANES = 4;
/** Chunks a check hashes side by side in SIMD lanes (and so a transfer sends to be checked together). */
export const LANES = MD5_LANES;

function isPositiveInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value > 0;
}

function isSize(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** Number of chunks a file of `size` bytes has; 0 for an empty file. */
export function chunkCount(size: number, chunkSize: number): number {
  if (!isSize(size)) throw new RangeError(`Cannot count chunks: size ${size} is not a non-negative integer`);
  if (!isPositiveInteger(chunkSize)) {
    throw new RangeError(`Cannot count chunks: chunk size ${chunkSize} is not a positive integer`);
  }
  return Math.ceil(size / chunkSize);
}

type Layout = Pick<ChunkManifest, "size" | "chunkSize" | "firstChunkSize">;

/** The chunk layout of a manifest: fixed, or doubling from `firstChunkSize`. */
export function layoutOf(manifest: Pick<ChunkManifest, "chunkSize" | "firstChunkSize">): ChunkLayout {
  return { chunkSize: manifest.chunkSize, firstChunkSize: manifest.firstChunkSize ?? manifest.chunkSize };
}

/** Number of chunks of the manifest's file, in its layout. */
export function manifestChunks(manifest: Layout): number {
  if (manifest.firstChunkSize === undefined) return chunkCount(manifest.size, manifest.chunkSize);
  return chunkCountOf(layoutOf(manifest), manifest.size);
}

/** The chunk holding byte `offset` of the manifest's file (where a transfer resuming there starts). */
export function chunkIndexAt(manifest: Layout, offset: number): number {
  return chunkAt(layoutOf(manifest), offset);
}

/** Byte range `[start, end)` of chunk `index`; throws a RangeError when the chunk does not exist. */
export function chunkBounds(manifest: Layout, index: number): { start: number; end: number } {
  const count = manifestChunks(manifest);
  if (!Number.isSafeInteger(index) || index < 0 || index >= count) {
    throw new RangeError(`Cannot locate chunk ${index}: the file has ${count} chunks`);
  }
  const layout = layoutOf(manifest);
  return { start: chunkStart(layout, index), end: Math.min(chunkEnd(layout, index), manifest.size) };
}

/**
 * The manifest of the doubling layout of a file of `size` bytes and MD5 `md5`, from the chaining states the scan
 * recorded (16 bytes each, as {@linkcode import("./chain_states.ts").ChainRecorder} packs them).
 */
export function manifestFromStates(file: { size: number; md5: string }, states: Uint8Array): ChunkManifest {
  const hex: string[] = [];
  for (let at = 0; at < states.length; at += STATE_BYTES) hex.push(hex16(states, at));
  const { chunkSize, firstChunkSize } = DOUBLING_LAYOUT;
  return { size: file.size, md5: file.md5, chunkSize, firstChunkSize, states: hex };
}

/** The manifest of a manifest answer (without the track's id and `partial`). */
export function manifestOf(answer: ManifestAnswer): ChunkManifest {
  const { id: _id, partial: _partial, ...manifest } = answer;
  return manifest;
}

/** Throws a RangeError unless `chunkSize` is a positive multiple of 64 (MD5's block). */
export function checkChunkSize(chunkSize: number): void {
  if (!isPositiveInteger(chunkSize) || chunkSize % 64 !== 0) {
    throw new RangeError(`Cannot use chunk size ${chunkSize}: it must be a positive multiple of 64 bytes`);
  }
}

/**
 * Builds a manifest from a file's bytes fed in order, in pieces of any size. Chunks are hashed four at a time:
 * their own MD5s in SIMD lanes, the chain through them in one stream.
 */
export class ManifestBuilder {
  readonly chunkSize: number;
  readonly #group: Uint8Array;
  #filled = 0;
  #size = 0;
  readonly #chain = md5Start();
  readonly chunks: string[] = [];
  /** The state after every chunk hashed so far. */
  readonly states: string[] = [];

  constructor(chunkSize = CHUNK_SIZE) {
    checkChunkSize(chunkSize);
    this.chunkSize = chunkSize;
    this.#group = new Uint8Array(BUILD_LANES * chunkSize);
  }

  update(bytes: Uint8Array): void {
    let at = 0;
    while (at < bytes.length) {
      const take = Math.min(this.#group.length - this.#filled, bytes.length - at);
      this.#group.set(bytes.subarray(at, at + take), this.#filled);
      this.#filled += take;
      at += take;
      // Keep the last chunk back until the end: the last one is finished differently.
      if (this.#filled === this.#group.length && at < bytes.length) this.#flush(BUILD_LANES);
    }
    this.#size += bytes.length;
  }

  /** Hashes the first `count` whole chunks of the group and moves the rest to its start. */
  #flush(count: number): void {
    if (count === 0) return;
    const { chunkSize } = this;
    const pieces = Array.from(
      { length: count },
      (_, i) => this.#group.subarray(i * chunkSize, (i + 1) * chunkSize),
    );
    const own = pieces.map(() => md5Start());
    md5Lanes(own, pieces);
    for (let i = 0; i < count; i++) {
      this.chunks.push(md5Finish(own[i]!, NOTHING, chunkSize));
      md5Blocks(this.#chain, pieces[i]!);
      this.states.push(stateHex(this.#chain));
    }
    this.#group.copyWithin(0, count * chunkSize, this.#filled);
    this.#filled -= count * chunkSize;
  }

  /** The digests and states of every whole chunk fed so far (a partial manifest's). */
  head(): { chunks: string[]; states: string[] } {
    this.#flush(Math.floor(this.#filled / this.chunkSize));
    return { chunks: [...this.chunks], states: [...this.states] };
  }

  /** The manifest of everything fed. */
  finish(): FixedManifest {
    const { chunkSize } = this;
    if (this.#filled > 0) {
      // Every whole chunk but the last (which may be whole too).
      this.#flush(Math.floor((this.#filled - 1) / chunkSize));
      const last = this.#group.subarray(0, this.#filled);
      this.chunks.push(md5Finish(md5Start(), last, last.length));
      const md5 = md5Finish(this.#chain, last, this.#size);
      this.#filled = 0;
      return { size: this.#size, md5, chunkSize, chunks: this.chunks, states: this.states };
    }
    return { size: this.#size, md5: EMPTY_MD5, chunkSize, chunks: [], states: [] };
  }
}

/**
 * Hashes 1 MiB of zeros (in small chunks, so that little memory is taken), and a little in every lane kernel, so
 * that V8 has compiled the MD5 WebAssembly at full speed before a listener waits for it: the first four chunk
 * digests a fresh process computes take about 40 ms, the next ones about 18 ms, and after this about 20 ms.
 * Takes about 20 ms.
 */
export function warmUpHashing(): void {
  const builder = new ManifestBuilder(64 * 1024);
  builder.update(new Uint8Array(1024 * 1024));
  builder.head();
  for (const lanes of [8, 12]) {
    const pieces = Array.from({ length: lanes }, () => new Uint8Array(4096));
    md5Lanes(pieces.map(() => md5Start()), pieces);
  }
}

/**
 * Computes a file's chunk manifest in one streaming read.
 *
 * Rejects with the underlying `Deno.errors.*` error when the file cannot be opened or read.
 */
export async function computeManifest(
  path: string,
  options: ComputeManifestOptions = {},
): Promise<FixedManifest> {
  const { chunkSize = CHUNK_SIZE, signal } = options;
  // Checks the chunk size (a RangeError) before the file is opened.
  const builder = new ManifestBuilder(chunkSize);
  signal?.throwIfAborted();
  using file = await Deno.open(path, { read: true });
  const buffer = new Uint8Array(Math.max(chunkSize, 1 << 20));
  for (;;) {
    const n = await file.read(buffer);
    if (n === null) break;
    builder.update(buffer.subarray(0, n));
    signal?.throwIfAborted();
  }
  return builder.finish();
}

/**
 * Checks chunk `index` of a file against `manifest`: hashed from the state at the end of the chunk before, it
 * must reach the state at its own end, or for the last chunk the file's MD5. `chunks` are the bytes of as many
 * consecutive chunks from `first` as are at hand (up to twelve are hashed at once); answers how many of them, from the
 * first, passed.
 */
export function verifyChunks(manifest: ChunkManifest, first: number, chunks: readonly Uint8Array[]): number {
  const count = manifestChunks(manifest);
  let passed = 0;
  for (let at = 0; at < chunks.length; at += LANES) {
    const batch = chunks.slice(at, at + LANES);
    const indices = batch.map((_, i) => first + at + i);
    // Checked from the first: a chunk that does not exist, is of the wrong length or starts at a state the
    // manifest does not list (a partial one) fails, and so do the ones after it.
    const states: Int32Array[] = [];
    for (const [i, index] of indices.entries()) {
      if (index >= count) break;
      const { start, end } = chunkBounds(manifest, index);
      if (batch[i]!.length !== end - start) break;
      const state = index === 0 ? md5Start() : stateOf(manifest, index - 1);
      if (state === null) break;
      states.push(state);
    }
    // Chunks another chunk follows go through the lanes together when of one length (the steady ones); the last
    // chunk is finished alone.
    const byLength = new Map<number, number[]>();
    for (let i = 0; i < states.length; i++) {
      if (indices[i]! === count - 1) continue;
      const length = batch[i]!.length;
      byLength.set(length, [...byLength.get(length) ?? [], i]);
    }
    for (const group of byLength.values()) {
      if (group.length === 1) md5Blocks(states[group[0]!]!, batch[group[0]!]!);
      else md5Lanes(group.map((i) => states[i]!), group.map((i) => batch[i]!));
    }
    for (let i = 0; i < states.length; i++) {
      const index = indices[i]!;
      const ok = index === count - 1
        ? md5Finish(states[i]!, batch[i]!, manifest.size) === manifest.md5
        : stateHex(states[i]!) === manifest.states[index];
      if (!ok) return passed;
      passed++;
    }
    if (states.length < batch.length) return passed;
  }
  return passed;
}

function stateOf(manifest: ChunkManifest, index: number): Int32Array | null {
  const hex = manifest.states[index];
  return hex === undefined ? null : stateFromHex(hex);
}

const NOTHING = new Uint8Array(0);

/**
 * Whether `value` has a manifest's fields, well formed: integer size and chunk size (a multiple of 64), a usable
 * layout, lowercase hex MD5s, and as many chunks (when listed) and states as `lengthsFit` accepts for the
 * file's `count` of chunks (`chunks` is the count of states for a manifest that lists no chunks).
 */
function hasManifestFields(
  value: unknown,
  lengthsFit: (chunks: number, states: number, count: number) => boolean,
): value is ChunkManifest {
  if (typeof value !== "object" || value === null) return false;
  const { size, md5, chunkSize, firstChunkSize, chunks, states } = value as Record<string, unknown>;
  if (!isSize(size) || !isPositiveInteger(chunkSize) || chunkSize % 64 !== 0) return false;
  if (firstChunkSize !== undefined) {
    if (!isPositiveInteger(firstChunkSize) || layoutProblem({ chunkSize, firstChunkSize }) !== null) {
      return false;
    }
  }
  if (typeof md5 !== "string" || !HEX_MD5.test(md5)) return false;
  if (!Array.isArray(states)) return false;
  // The fixed layout lists every chunk's own MD5; the doubling layout may leave them out.
  if (chunks === undefined ? firstChunkSize === undefined : !Array.isArray(chunks)) return false;
  const listed = (chunks as unknown[] | undefined) ?? [];
  const count = firstChunkSize === undefined
    ? chunkCount(size, chunkSize)
    : chunkCountOf({ chunkSize, firstChunkSize: firstChunkSize as number }, size);
  if (
    !lengthsFit(
      chunks === undefined ? Math.min(count, states.length + 1) : listed.length,
      states.length,
      count,
    )
  ) {
    return false;
  }
  return [...listed, ...states].every((digest) => typeof digest === "string" && HEX_MD5.test(digest));
}

/**
 * Whether `value` is a well-formed, self-consistent manifest: integer size and chunk size (a multiple of 64),
 * lowercase hex MD5s, exactly as many chunks as its layout cuts the file into and one state fewer, and digests
 * that must agree (empty file, single chunk) agree.
 */
export function isChunkManifest(value: unknown): value is ChunkManifest {
  const whole = (chunks: number, states: number, count: number) =>
    chunks === count && states === Math.max(0, count - 1);
  if (!hasManifestFields(value, whole)) return false;
  if (value.size === 0 && value.md5 !== EMPTY_MD5) return false;
  if (value.chunks?.length === 1 && value.chunks[0] !== value.md5) return false;
  return true;
}

/**
 * Whether `value` is the head of a manifest (a partial one, fixed layout only): well-formed fields as in
 * {@linkcode isChunkManifest}, and the digests and states of some but not all chunks, a state per chunk.
 */
export function isManifestHead(value: unknown): value is ChunkManifest {
  if (typeof value === "object" && value !== null && "firstChunkSize" in value) return false;
  return hasManifestFields(
    value,
    (chunks, states, count) => chunks > 0 && chunks < count && states === chunks,
  );
}
