/**
 * Streaming MD5 + SHA-256 of a file in one pass.
 *
 * @module
 */
import { createHash } from "node:crypto";

/** Digests and size of a file's content; digests are lowercase hex. */
export interface FileDigest {
  md5: string;
  sha256: string;
  size: number;
}

/** Options for {@linkcode hashFile}. */
export interface HashFileOptions {
  /** Called after each block with the number of bytes just hashed. */
  onBytes?: (n: number) => void;
  /** Aborts the read between blocks; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Bytes read per `file.read` call. */
const BLOCK_SIZE = 1 << 20;
/** Buffers not in use, so that scanning many small files does not allocate 1 MiB per file. */
const idleBuffers: Uint8Array[] = [];
const MAX_IDLE_BUFFERS = 8;

function takeBuffer(): Uint8Array {
  return idleBuffers.pop() ?? new Uint8Array(BLOCK_SIZE);
}

function releaseBuffer(buffer: Uint8Array): void {
  if (idleBuffers.length < MAX_IDLE_BUFFERS) idleBuffers.push(buffer);
}

/**
 * Computes the MD5 and SHA-256 of a file in one streaming pass through a single reused 1 MiB buffer.
 *
 * Rejects with the underlying `Deno.errors.*` error when the file cannot be opened or read.
 */
export async function hashFile(path: string, options: HashFileOptions = {}): Promise<FileDigest> {
  const { onBytes, signal } = options;
  signal?.throwIfAborted();
  const md5 = createHash("md5");
  const sha256 = createHash("sha256");
  const file = await Deno.open(path, { read: true });
  const buffer = takeBuffer();
  let size = 0;
  try {
    for (;;) {
      const n = await file.read(buffer);
      if (n === null) break;
      if (n === 0) continue;
      const block = n === buffer.length ? buffer : buffer.subarray(0, n);
      md5.update(block);
      sha256.update(block);
      size += n;
      onBytes?.(n);
      signal?.throwIfAborted();
    }
  } finally {
    file.close();
    releaseBuffer(buffer);
  }
  return { md5: md5.digest("hex"), sha256: sha256.digest("hex"), size };
}
