/**
 * The range of a cover's `size` (its longest side in pixels) that the bootstrap's `getCoverArt` passes on and a
 * file instance's `/v1/internal/covers/:id?size=N` scales to; sizes outside are clamped, not refused, as
 * OpenSubsonic clients send whatever their screen wants.
 *
 * @module
 */

/** The smallest and largest longest side a cover is scaled to. */
export const MIN_COVER_SIZE = 16;
export const MAX_COVER_SIZE = 2048;

/** `size` clamped to {@linkcode MIN_COVER_SIZE}..{@linkcode MAX_COVER_SIZE}. */
export function clampCoverSize(size: number): number {
  return Math.min(MAX_COVER_SIZE, Math.max(MIN_COVER_SIZE, Math.round(size)));
}
