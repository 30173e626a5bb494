/**
 * MD5 with its chaining state in the open: a hash can be stopped after any whole number of 64-byte blocks,
 * its state written down (16 bytes, shown as 32 hex digits), and resumed from there, by this process or another.
 * That is what lets a client check a track chunk by chunk, in any order and many chunks at once, against the
 * states the file instance wrote down at each chunk's end — and, when the last chunk finishes to the track's
 * MD5, know that the whole file is right without a second pass.
 *
 * The compression function is WebAssembly (media/md5_wasm.ts, made by tools/gen_md5_wasm.ts): `x1` hashes one
 * stream about as fast as node:crypto; the lane kernels hash 4, 8 or 12 streams at once in SIMD lanes, about 1.6,
 * 3 and 4 times as fast in all.
 *
 * @module
 */
import { MD5_WASM_BASE64 } from "./md5_wasm.ts";

/** MD5's 4-word chaining state (little-endian words, as in the digest). */
export type Md5State = Int32Array;

const IV = [0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476];
const BLOCK = 64;
/** Streams {@linkcode md5Lanes} hashes at once, at most. */
export const MD5_LANES = 12;
/** Bytes of one stream copied into the module's memory per call. */
const WINDOW = 1 << 20;
/** Where the states live in the module's memory; then a window for each lane, then one for x1. */
const STATE_AT = 0;
const DATA_AT = 256;
const X1_AT = DATA_AT + MD5_LANES * WINDOW;

/** A lane kernel: the states at `state`, a pointer per lane, then the count of blocks. */
type LaneKernel = (state: number, ...pointersThenBlocks: number[]) => void;

interface Kernel {
  memory: WebAssembly.Memory;
  x1(state: number, data: number, blocks: number): void;
  x4: LaneKernel;
  x8: LaneKernel;
  x12: LaneKernel;
}

let kernel: Kernel | null = null;

function load(): Kernel {
  if (kernel) return kernel;
  const bytes = Uint8Array.from(atob(MD5_WASM_BASE64), (c) => c.charCodeAt(0));
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
  kernel = instance.exports as unknown as Kernel;
  // Room for every window: the memory is grown once, so views of it stay valid.
  const need = X1_AT + WINDOW;
  const pages = Math.ceil((need - kernel.memory.buffer.byteLength) / 65536);
  if (pages > 0) kernel.memory.grow(pages);
  return kernel;
}

/** A fresh state: MD5's initial values. */
export function md5Start(): Md5State {
  return Int32Array.from(IV);
}

/** Each byte's two lowercase hex digits. */
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));
/** Each character code's value as a lowercase hex digit, -1 for any other character below 128. */
const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) NIBBLE["0123456789abcdef".charCodeAt(i)] = i;

/** The 16 bytes of `bytes` from `at` (an MD5 digest or state) as 32 lowercase hex digits. */
export function hex16(bytes: Uint8Array, at = 0): string {
  let hex = "";
  for (let i = at; i < at + 16; i++) hex += HEX[bytes[i]!];
  return hex;
}

/**
 * Writes the 16 bytes that `hex` spells into `into` from `at`; false (with `into` perhaps partly written) when
 * `hex` is not 32 lowercase hex digits.
 */
export function hex16Into(hex: string, into: Uint8Array, at = 0): boolean {
  if (hex.length !== 32) return false;
  for (let i = 0; i < 16; i++) {
    const high = NIBBLE[hex.charCodeAt(2 * i)] ?? -1;
    const low = NIBBLE[hex.charCodeAt(2 * i + 1)] ?? -1;
    if (high < 0 || low < 0) return false;
    into[at + i] = (high << 4) | low;
  }
  return true;
}

/** The state as 32 lowercase hex digits (for a finished hash: its digest). */
export function stateHex(state: Md5State): string {
  return hex16(new Uint8Array(state.buffer, state.byteOffset, 16));
}

/** Reads a state written by {@linkcode stateHex}; null when `hex` is not 32 lowercase hex digits. */
export function stateFromHex(hex: string): Md5State | null {
  const bytes = new Uint8Array(16);
  return hex16Into(hex, bytes) ? new Int32Array(bytes.buffer) : null;
}

function checkBlocks(data: Uint8Array): void {
  if (data.length % BLOCK !== 0) {
    throw new RangeError(`Cannot hash ${data.length} bytes as whole blocks: not a multiple of 64`);
  }
}

/** Hashes `data` (a whole number of 64-byte blocks) into `state`. */
export function md5Blocks(state: Md5State, data: Uint8Array): void {
  checkBlocks(data);
  const k = load();
  const words = new Int32Array(k.memory.buffer, STATE_AT, 4);
  words.set(state);
  const memory = new Uint8Array(k.memory.buffer);
  for (let at = 0; at < data.length; at += WINDOW) {
    const piece = data.subarray(at, at + WINDOW);
    memory.set(piece, X1_AT);
    k.x1(STATE_AT, X1_AT, piece.length / BLOCK);
  }
  state.set(words);
}

/**
 * The lanes' windows in the module's memory, 1 MiB each ({@linkcode MD5_LANES} of them). When every piece given
 * to {@linkcode md5Lanes} lies in them (data read straight into them), the pieces are hashed where they are, with
 * no copy. Only {@linkcode md5Lanes} given pieces from elsewhere writes to them.
 */
export function md5LaneWindows(): Uint8Array[] {
  const { buffer } = load().memory;
  return Array.from({ length: MD5_LANES }, (_, j) => new Uint8Array(buffer, DATA_AT + j * WINDOW, WINDOW));
}

/**
 * Hashes up to {@linkcode MD5_LANES} streams at once: `data[i]` into `states[i]`, every `data[i]` the same whole
 * number of 64-byte blocks long. The lanes run in sets of four, interleaved: eight or twelve streams take about
 * as long as four, fewer run with idle lanes.
 */
export function md5Lanes(states: readonly Md5State[], data: readonly Uint8Array[]): void {
  if (states.length !== data.length || data.length === 0 || data.length > MD5_LANES) {
    throw new RangeError(`Cannot hash in lanes: give 1 to ${MD5_LANES} states and as many pieces of data`);
  }
  const length = data[0]!.length;
  for (const piece of data) {
    checkBlocks(piece);
    if (piece.length !== length) throw new RangeError("Cannot hash in lanes: the pieces differ in length");
  }
  const k = load();
  const width = Math.ceil(data.length / 4) * 4;
  const kernel = width === 4 ? k.x4 : width === 8 ? k.x8 : k.x12;
  // Lane-major in sets of four: word w of lane 4q + j at [q * 16 + w * 4 + j].
  const lanes = new Int32Array(k.memory.buffer, STATE_AT, 4 * MD5_LANES);
  const slot = (lane: number, w: number) => (lane >> 2) * 16 + w * 4 + (lane & 3);
  states.forEach((state, j) => {
    for (let w = 0; w < 4; w++) lanes[slot(j, w)] = state[w]!;
  });
  const memory = new Uint8Array(k.memory.buffer);
  const inPlace = data.filter((piece) => piece.buffer === memory.buffer).length;
  // Idle lanes hash the last stream again, into states nobody reads.
  const lane = (j: number) => Math.min(j, data.length - 1);
  if (inPlace === data.length) {
    // Read into the lane windows: hashed where they are.
    const at = Array.from({ length: width }, (_, j) => data[lane(j)]!.byteOffset);
    kernel(STATE_AT, ...at, length / BLOCK);
  } else if (inPlace > 0) {
    throw new RangeError("Cannot hash in lanes: give all pieces in the lane windows or none");
  } else {
    const at = Array.from({ length: width }, (_, j) => DATA_AT + lane(j) * WINDOW);
    for (let from = 0; from < length; from += WINDOW) {
      const n = Math.min(WINDOW, length - from);
      data.forEach((piece, j) => memory.set(piece.subarray(from, from + n), DATA_AT + j * WINDOW));
      kernel(STATE_AT, ...at, n / BLOCK);
    }
  }
  states.forEach((state, j) => {
    for (let w = 0; w < 4; w++) state[w] = lanes[slot(j, w)]!;
  });
}

/**
 * Finishes a hash: `state` after every whole block before `tail`, `tail` the bytes left (any length), and
 * `totalLength` the length of everything hashed. Returns the digest (lowercase hex); `state` is left as it was.
 */
export function md5Finish(state: Md5State, tail: Uint8Array, totalLength: number): string {
  const whole = tail.length - (tail.length % BLOCK);
  const working = Int32Array.from(state);
  if (whole > 0) md5Blocks(working, tail.subarray(0, whole));
  const rest = tail.length - whole;
  const padded = new Uint8Array(rest < 56 ? BLOCK : 2 * BLOCK);
  padded.set(tail.subarray(whole));
  padded[rest] = 0x80;
  const view = new DataView(padded.buffer);
  const bits = totalLength * 8;
  view.setUint32(padded.length - 8, bits >>> 0, true);
  view.setUint32(padded.length - 4, Math.floor(bits / 2 ** 32), true);
  md5Blocks(working, padded);
  return stateHex(working);
}
