/**
 * `GET /v1/tracks/:id/manifest?head=N&layout=doubling` on a file instance: a track's chunk manifest, the MD5
 * chaining state at the end of each chunk, which clients verify chunks with, and (fixed layout) each chunk's own
 * MD5.
 *
 * Two layouts ({@linkcode ChunkLayout}, defined once in `chunk_layout.ts`):
 * - fixed 1 MiB chunks, the answer without `layout`: with `head`, an instance that has not computed the whole
 *   manifest yet may answer with the first chunks only (`partial: true`);
 * - with `layout=doubling` (newer clients): chunks from 16 KiB doubling up to 1 MiB, `firstChunkSize` set and no
 *   per-chunk MD5s; recorded at scan time, so always whole. An older instance ignores `layout` and answers the
 *   fixed layout, which such a client still takes.
 *
 * @module
 */

import { arrayOf, bool, type Infer, int, obj, optional, str } from "./schema.ts";
import { HEX32, trackId } from "./catalog.ts";

export {
  chunkAt,
  chunkCountOf,
  chunkEnd,
  type ChunkLayout,
  chunkStart,
  DOUBLING_LAYOUT,
  DOUBLING_LAYOUT_NAME,
  FIRST_CHUNK_SIZE,
  FIXED_LAYOUT,
  innerBoundaries,
  layoutProblem,
  STEADY_CHUNK_SIZE,
} from "./chunk_layout.ts";

const digest = str({ pattern: HEX32, hint: "must be 32 lowercase hex digits (an MD5)" });

/** Chunk digests a manifest may list at most: 16 TiB of 1 MiB chunks. */
const MAX_CHUNKS = 1 << 24;

const fields = {
  /** File size in bytes. */
  size: int({ min: 0 }),
  /** MD5 of the whole file, lowercase hex. */
  md5: digest,
  /**
   * Bytes per chunk, a multiple of 64; every chunk but the last is exactly this long, except the first ones
   * when `firstChunkSize` is set.
   */
  chunkSize: int({ min: 1 }),
  /** Bytes of the first chunk when smaller than `chunkSize`: the chunk ends double from it (`chunk_layout.ts`). */
  firstChunkSize: optional(int({ min: 1 })),
  /**
   * Lowercase hex MD5 of each chunk; `[]` for an empty file. Only in the fixed layout (no client checks
   * against them: the states check every chunk and the whole file).
   */
  chunks: optional(arrayOf(digest, { max: MAX_CHUNKS })),
  /**
   * The MD5 chaining state (32 hex digits) after each chunk that another chunk follows: one fewer than the
   * chunks (the last chunk finishes to `md5` instead); as many as `chunks` in a partial manifest.
   */
  states: arrayOf(digest, { max: MAX_CHUNKS }),
};

/** A file's size, whole-file MD5, and per chunk its MD5 and the MD5 state at its end. */
export const chunkManifest = obj(fields);
/** A file's size, whole-file MD5, and per chunk its MD5 and the MD5 state at its end. */
export type ChunkManifest = Infer<typeof chunkManifest>;

/** The answer of `GET /v1/tracks/:id/manifest`: the track's id and its manifest, possibly partial. */
export const manifestAnswer = obj({ id: trackId, ...fields, partial: optional(bool()) });
/** The answer of `GET /v1/tracks/:id/manifest`. */
export type ManifestAnswer = Infer<typeof manifestAnswer>;
