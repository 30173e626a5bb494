/**
 * Where a track's chunks begin and end: the one definition the file instance, the scan and the client share.
 *
 * A layout is a steady `chunkSize` and a `firstChunkSize` (by default the same). With a smaller first chunk the
 * chunks' ends double until they reach the steady size, and then every chunk is `chunkSize` long: with 16 KiB and
 * 1 MiB, chunks end at 16, 32, 64, 128, 256 and 512 KiB, then at 1, 2, 3 … MiB. So the first verified bytes reach a
 * listener after 16 KiB rather than a whole megabyte, and every end of a fixed 1 MiB layout is an end of this one
 * too (a state recorded at every end of the doubling layout serves both).
 *
 * @module
 */

/** How a file is cut into chunks. */
export interface ChunkLayout {
  /** Bytes of every chunk after the first ones (all but the last). */
  chunkSize: number;
  /** Bytes of the first chunk; the ends double from it up to `chunkSize`. Defaults to `chunkSize` (fixed). */
  firstChunkSize?: number;
}

/** The steady chunk size: 1 MiB. */
export const STEADY_CHUNK_SIZE = 1 << 20;
/** The first chunk of the doubling layout: 16 KiB. */
export const FIRST_CHUNK_SIZE = 16 << 10;
/** The layout file instances record at scan time and send to clients that understand it. */
export const DOUBLING_LAYOUT: Required<ChunkLayout> = {
  chunkSize: STEADY_CHUNK_SIZE,
  firstChunkSize: FIRST_CHUNK_SIZE,
};
/** The layout of manifests before the doubling one: 1 MiB chunks. */
export const FIXED_LAYOUT: Required<ChunkLayout> = {
  chunkSize: STEADY_CHUNK_SIZE,
  firstChunkSize: STEADY_CHUNK_SIZE,
};
/** The value of `?layout=` with which a client asks for the doubling layout. */
export const DOUBLING_LAYOUT_NAME = "doubling";

function isPositiveMultipleOf64(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value > 0 && value % 64 === 0;
}

/**
 * Why `layout` cannot be used (both sizes positive multiples of 64, the steady one a power-of-two multiple of the
 * first), or null when it can.
 */
export function layoutProblem(layout: ChunkLayout): string | null {
  const { chunkSize, firstChunkSize = chunkSize } = layout;
  if (!isPositiveMultipleOf64(chunkSize)) return `chunk size ${chunkSize} is not a positive multiple of 64`;
  if (!isPositiveMultipleOf64(firstChunkSize)) {
    return `first chunk size ${firstChunkSize} is not a positive multiple of 64`;
  }
  const ratio = chunkSize / firstChunkSize;
  if (!Number.isSafeInteger(ratio) || (ratio & (ratio - 1)) !== 0) {
    return `chunk size ${chunkSize} is not the first chunk size ${firstChunkSize} times a power of two`;
  }
  return null;
}

/** Chunks of the ramp: those that end before or at the first steady boundary (1 for a fixed layout). */
function rampChunks(layout: ChunkLayout): number {
  const { chunkSize, firstChunkSize = chunkSize } = layout;
  let ramp = 1;
  while (firstChunkSize * 2 ** (ramp - 1) < chunkSize) ramp++;
  return ramp;
}

/** Where chunk `index` (from 0) ends when the file is long enough, in bytes from the file's start. */
export function chunkEnd(layout: ChunkLayout, index: number): number {
  const { chunkSize, firstChunkSize = chunkSize } = layout;
  const ramp = rampChunks(layout);
  return index < ramp ? firstChunkSize * 2 ** index : chunkSize * (index - ramp + 2);
}

/** Where chunk `index` starts. */
export function chunkStart(layout: ChunkLayout, index: number): number {
  return index === 0 ? 0 : chunkEnd(layout, index - 1);
}

/** The chunk holding byte `offset` (a byte at or past a file's end belongs to no chunk of it). */
export function chunkAt(layout: ChunkLayout, offset: number): number {
  const { chunkSize, firstChunkSize = chunkSize } = layout;
  if (offset < firstChunkSize) return 0;
  if (offset < chunkSize) {
    let index = 1;
    while (firstChunkSize * 2 ** index <= offset) index++;
    return index;
  }
  return Math.floor(offset / chunkSize) + rampChunks(layout) - 1;
}

/** Number of chunks of a file of `size` bytes; 0 for an empty file. */
export function chunkCountOf(layout: ChunkLayout, size: number): number {
  return size <= 0 ? 0 : chunkAt(layout, size - 1) + 1;
}

/** The ends of every chunk another chunk follows, in order: where the MD5 chaining states are recorded. */
export function* innerBoundaries(layout: ChunkLayout, size: number): Generator<number> {
  for (let i = 0;; i++) {
    const end = chunkEnd(layout, i);
    if (end >= size) return;
    yield end;
  }
}
