/**
 * Streaming MD5 + SHA-256 of a file in one pass.
 *
 * @module
 */
import { createHash } from "node:crypto";

/** Digests and size of a file's content; digests are lowercase hex. */
export interface FileDigest {
  /** MD5 of the content, 32 lowercase hex digits. */
  md5: string;
  /** SHA-256 of the content, 64 lowercase hex digits. */
  sha256: string;
  /** Bytes read. */
  size: number;
}

/** Options for {@linkcode hashFile}. */
export interface HashFileOptions {
  /** Called after each block with the number of bytes just hashed. */
  onBytes?: (n: number) => void;
  /** Aborts the read between blocks; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Bytes read per `read` call. */
const BLOCK_SIZE = 1 << 20;
/** Buffers not in use, so that hashing many small files does not allocate 1 MiB per file. */
const idleBuffers: Uint8Array[] = [];
const MAX_IDLE_BUFFERS = 8;

/** Runs `read` until end of file through one reused 1 MiB buffer, feeding both hashes. */
function digester(options: HashFileOptions) {
  const { onBytes, signal } = options;
  signal?.throwIfAborted();
  const buffer = idleBuffers.pop() ?? new Uint8Array(BLOCK_SIZE);
  const md5 = createHash("md5");
  const sha256 = createHash("sha256");
  let size = 0;
  return {
    buffer,
    /** Hashes the first `n` bytes of the buffer. */
    update(n: number): void {
      const block = n === buffer.length ? buffer : buffer.subarray(0, n);
      md5.update(block);
      sha256.update(block);
      size += n;
      onBytes?.(n);
      signal?.throwIfAborted();
    },
    release(): void {
      if (idleBuffers.length < MAX_IDLE_BUFFERS) idleBuffers.push(buffer);
    },
    result(): FileDigest {
      return { md5: md5.digest("hex"), sha256: sha256.digest("hex"), size };
    },
  };
}

/**
 * Computes the MD5 and SHA-256 of a file in one streaming pass through a single reused 1 MiB buffer.
 *
 * Rejects with the underlying `Deno.errors.*` error when the file cannot be opened or read.
 */
export async function hashFile(path: string, options: HashFileOptions = {}): Promise<FileDigest> {
  const hash = digester(options);
  try {
    const file = await Deno.open(path, { read: true });
    try {
      for (let n = await file.read(hash.buffer); n !== null; n = await file.read(hash.buffer)) hash.update(n);
    } finally {
      file.close();
    }
  } finally {
    hash.release();
  }
  return hash.result();
}

/**
 * Like {@linkcode hashFile} with blocking reads: for worker threads, where a blocking read stalls no one and
 * saves the cost of an async operation per block.
 */
export function hashFileSync(path: string, options: HashFileOptions = {}): FileDigest {
  const hash = digester(options);
  try {
    const file = Deno.openSync(path, { read: true });
    try {
      for (let n = file.readSync(hash.buffer); n !== null; n = file.readSync(hash.buffer)) hash.update(n);
    } finally {
      file.close();
    }
  } finally {
    hash.release();
  }
  return hash.result();
}
