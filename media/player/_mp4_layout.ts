/**
 * Whether an MP4/M4A file can be played from a pipe: only when its index (`moov`) comes before its audio (`mdat`).
 *
 * @module
 */

/** Extensions of files in the ISO base media (MP4) container. */
const MP4_FORMATS = new Set(["m4a", "mp4", "m4b", "m4p", "mov", "3gp"]);

/** True for formats whose files may need to be complete before they can be played. */
export function isMp4Format(format: string): boolean {
  return MP4_FORMATS.has(format.toLowerCase());
}

/**
 * Reads the top-level boxes at the start of an MP4 file: `streamable` when `moov` precedes `mdat` (a "faststart" file),
 * `whole-file` when `mdat` comes first (the index is at the end, so a player needs the whole file), `unknown` when
 * `head` ends before either box is reached.
 */
export function mp4Layout(head: Uint8Array): "streamable" | "whole-file" | "unknown" {
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let at = 0;
  while (at + 8 <= head.length) {
    let size = view.getUint32(at);
    const type = String.fromCharCode(head[at + 4]!, head[at + 5]!, head[at + 6]!, head[at + 7]!);
    if (type === "moov") return "streamable";
    if (type === "mdat") return "whole-file";
    if (size === 1) {
      if (at + 16 > head.length) return "unknown";
      size = Number(view.getBigUint64(at + 8));
    }
    // size 0 means "to the end of the file": nothing follows it.
    if (size === 0) return "whole-file";
    if (size < 8) return "whole-file";
    at += size;
  }
  return "unknown";
}
