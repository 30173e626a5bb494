/**
 * `GET /v1/tracks/:id/manifest?head=N` on a file instance: a track's chunk manifest, each chunk's own MD5 and
 * the MD5 chaining state at the end of each chunk, which clients verify chunks with. With `head`, an instance that
 * has not computed the whole manifest yet may answer with the first chunks only (`partial: true`).
 *
 * @module
 */

import { arrayOf, bool, type Infer, int, obj, optional, str } from "./schema.ts";
import { HEX32, trackId } from "./catalog.ts";

const digest = str({ pattern: HEX32, hint: "must be 32 lowercase hex digits (an MD5)" });

/** Chunk digests a manifest may list at most: 16 TiB of 1 MiB chunks. */
const MAX_CHUNKS = 1 << 24;

const fields = {
  /** File size in bytes. */
  size: int({ min: 0 }),
  /** MD5 of the whole file, lowercase hex. */
  md5: digest,
  /** Bytes per chunk, a multiple of 64; every chunk but the last is exactly this long. */
  chunkSize: int({ min: 1 }),
  /** Lowercase hex MD5 of each chunk; `[]` for an empty file. */
  chunks: arrayOf(digest, { max: MAX_CHUNKS }),
  /**
   * The MD5 chaining state (32 hex digits) after each chunk that another chunk follows: one fewer than
   * `chunks` (the last chunk finishes to `md5` instead); as many as `chunks` in a partial manifest.
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
