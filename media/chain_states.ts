/**
 * The MD5 chaining state at every chunk end of a file, recorded while the file is hashed anyway (the scan), so that
 * a file instance answers a chunk manifest at once. States are kept as 16 bytes each, one after another, for the
 * inner chunk ends of {@linkcode DOUBLING_LAYOUT} (those another chunk follows).
 *
 * @module
 */
import { chunkEnd, type ChunkLayout, DOUBLING_LAYOUT, innerBoundaries } from "../protocol/chunk_layout.ts";
import { md5Blocks, md5Finish, md5Start, type Md5State } from "./md5.ts";

/** Bytes of one recorded state. */
export const STATE_BYTES = 16;

/** The 16 bytes of `state`, copied. */
export function stateBytes(state: Md5State): Uint8Array {
  return new Uint8Array(Int32Array.from(state).buffer);
}

/** Number of states a file of `size` bytes has in `layout`: one per chunk end another chunk follows. */
export function stateCount(size: number, layout: ChunkLayout = DOUBLING_LAYOUT): number {
  let count = 0;
  for (const _ of innerBoundaries(layout, size)) count++;
  return count;
}

/** Joins states recorded at successive chunk ends, keeping those before `size` (a state at the end is none). */
export function packStates(states: readonly Uint8Array[], size: number, layout: ChunkLayout): Uint8Array {
  const count = Math.min(states.length, stateCount(size, layout));
  const out = new Uint8Array(count * STATE_BYTES);
  for (let i = 0; i < count; i++) out.set(states[i]!, i * STATE_BYTES);
  return out;
}

/**
 * Hashes bytes fed in order, in pieces of any size, recording the chaining state at every chunk end of the layout.
 */
export class ChainRecorder {
  readonly #layout: ChunkLayout;
  readonly #state = md5Start();
  readonly #carry = new Uint8Array(64);
  #carried = 0;
  /** Bytes hashed into the state (whole blocks). */
  #hashed = 0;
  #index = 0;
  #next: number;
  readonly #states: Uint8Array[] = [];

  constructor(layout: ChunkLayout = DOUBLING_LAYOUT) {
    this.#layout = layout;
    this.#next = chunkEnd(layout, 0);
  }

  update(bytes: Uint8Array): void {
    let at = 0;
    if (this.#carried > 0) {
      const take = Math.min(64 - this.#carried, bytes.length);
      this.#carry.set(bytes.subarray(0, take), this.#carried);
      this.#carried += take;
      at = take;
      if (this.#carried < 64) return;
      this.#blocks(this.#carry);
      this.#carried = 0;
    }
    const whole = (bytes.length - at) - ((bytes.length - at) % 64);
    if (whole > 0) this.#blocks(bytes.subarray(at, at + whole));
    at += whole;
    this.#carry.set(bytes.subarray(at), 0);
    this.#carried = bytes.length - at;
  }

  /** Hashes whole blocks, stopping at each chunk end (a multiple of 64) to record the state there. */
  #blocks(piece: Uint8Array): void {
    for (let at = 0; at < piece.length;) {
      const take = Math.min(piece.length - at, this.#next - this.#hashed);
      md5Blocks(this.#state, piece.subarray(at, at + take));
      this.#hashed += take;
      at += take;
      if (this.#hashed === this.#next) {
        this.#states.push(stateBytes(this.#state));
        this.#next = chunkEnd(this.#layout, ++this.#index);
      }
    }
  }

  /** The MD5 of everything fed, its size, and the states at its inner chunk ends. */
  finish(): { md5: string; size: number; states: Uint8Array } {
    const size = this.#hashed + this.#carried;
    const md5 = md5Finish(this.#state, this.#carry.subarray(0, this.#carried), size);
    return { md5, size, states: packStates(this.#states, size, this.#layout) };
  }
}

/**
 * Reads a file once and records its states (for a file indexed before states were recorded at scan time).
 *
 * Rejects with the underlying `Deno.errors.*` error when the file cannot be opened or read.
 */
export async function computeChainStates(
  path: string,
  options: { layout?: ChunkLayout; signal?: AbortSignal } = {},
): Promise<{ md5: string; size: number; states: Uint8Array }> {
  const recorder = new ChainRecorder(options.layout);
  options.signal?.throwIfAborted();
  using file = await Deno.open(path, { read: true });
  const buffer = new Uint8Array(1 << 20);
  for (;;) {
    const n = await file.read(buffer);
    if (n === null) break;
    recorder.update(buffer.subarray(0, n));
    options.signal?.throwIfAborted();
  }
  return recorder.finish();
}
