/**
 * Per-chunk MD5 manifests used to transfer and verify files piece by piece.
 *
 * @module
 */
import { createHash, type Hash } from "node:crypto";

/** Default chunk size: 1 MiB. */
export const CHUNK_SIZE = 1 << 20;

/** A file's size, whole-file MD5 and the MD5 of each `chunkSize` piece in order (the last may be short). */
export interface ChunkManifest {
  /** File size in bytes. */
  size: number;
  /** MD5 of the whole file, lowercase hex. */
  md5: string;
  /** Bytes per chunk; every chunk but the last is exactly this long. */
  chunkSize: number;
  /** Lowercase hex MD5 of each chunk; `[]` for an empty file. */
  chunks: string[];
}

/** Options for {@linkcode computeManifest}. */
export interface ComputeManifestOptions {
  /** Bytes per chunk; defaults to {@linkcode CHUNK_SIZE}. */
  chunkSize?: number;
  /** Aborts the read between blocks; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

const MIN_BLOCK_SIZE = 1 << 20;
const HEX_MD5 = /^[0-9a-f]{32}$/;
const EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e";

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

/** Byte range `[start, end)` of chunk `index`; throws a RangeError when the chunk does not exist. */
export function chunkBounds(
  manifest: Pick<ChunkManifest, "size" | "chunkSize">,
  index: number,
): { start: number; end: number } {
  const count = chunkCount(manifest.size, manifest.chunkSize);
  if (!Number.isSafeInteger(index) || index < 0 || index >= count) {
    throw new RangeError(`Cannot locate chunk ${index}: the file has ${count} chunks`);
  }
  const start = index * manifest.chunkSize;
  return { start, end: Math.min(start + manifest.chunkSize, manifest.size) };
}

/**
 * Computes a file's chunk manifest in one streaming pass: per-chunk MD5s and the whole-file MD5.
 *
 * Rejects with the underlying `Deno.errors.*` error when the file cannot be opened or read.
 */
export async function computeManifest(
  path: string,
  options: ComputeManifestOptions = {},
): Promise<ChunkManifest> {
  const { chunkSize = CHUNK_SIZE, signal } = options;
  if (!isPositiveInteger(chunkSize)) {
    throw new RangeError(`Cannot compute manifest: chunk size ${chunkSize} is not a positive integer`);
  }
  signal?.throwIfAborted();
  const file = await Deno.open(path, { read: true });
  // A whole number of chunks per block keeps aligned reads from splitting chunks.
  const blockSize = chunkSize >= MIN_BLOCK_SIZE
    ? chunkSize
    : Math.ceil(MIN_BLOCK_SIZE / chunkSize) * chunkSize;
  const buffer = new Uint8Array(blockSize);
  const whole = createHash("md5");
  const chunks: string[] = [];
  let chunk: Hash = createHash("md5");
  let inChunk = 0;
  let size = 0;
  try {
    for (;;) {
      const n = await file.read(buffer);
      if (n === null) break;
      const block = n === buffer.length ? buffer : buffer.subarray(0, n);
      whole.update(block);
      let offset = 0;
      while (offset < n) {
        const take = Math.min(chunkSize - inChunk, n - offset);
        chunk.update(offset === 0 && take === n ? block : block.subarray(offset, offset + take));
        inChunk += take;
        offset += take;
        if (inChunk === chunkSize) {
          chunks.push(chunk.digest("hex"));
          chunk = createHash("md5");
          inChunk = 0;
        }
      }
      size += n;
      signal?.throwIfAborted();
    }
  } finally {
    file.close();
  }
  if (inChunk > 0) chunks.push(chunk.digest("hex"));
  return { size, md5: whole.digest("hex"), chunkSize, chunks };
}

/**
 * Whether `value` is a well-formed, self-consistent manifest: integer size and chunk size, lowercase hex MD5s,
 * exactly `chunkCount(size, chunkSize)` chunks, and digests that must agree (empty file, single chunk) agree.
 */
export function isChunkManifest(value: unknown): value is ChunkManifest {
  if (typeof value !== "object" || value === null) return false;
  const { size, md5, chunkSize, chunks } = value as Record<string, unknown>;
  if (!isSize(size) || !isPositiveInteger(chunkSize)) return false;
  if (typeof md5 !== "string" || !HEX_MD5.test(md5)) return false;
  if (!Array.isArray(chunks) || chunks.length !== chunkCount(size, chunkSize)) return false;
  for (const digest of chunks) {
    if (typeof digest !== "string" || !HEX_MD5.test(digest)) return false;
  }
  if (size === 0 && md5 !== EMPTY_MD5) return false;
  if (chunks.length === 1 && chunks[0] !== md5) return false;
  return true;
}
