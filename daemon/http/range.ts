/**
 * HTTP Range (RFC 9110 §14) for a single byte range: `bytes=A-B`, `bytes=A-`, `bytes=-N`.
 *
 * @module
 */

/** What to send for a Range header. */
export type RangeResult =
  | { kind: "full" }
  | { kind: "partial"; start: number; end: number } // end inclusive
  | { kind: "unsatisfiable"; reason: string };

/** Interprets a Range header against a resource of `size` bytes. */
export function parseRange(header: string | null, size: number): RangeResult {
  if (header === null) return { kind: "full" };
  const text = header.trim();
  if (text.length > 200) return { kind: "unsatisfiable", reason: "the Range header is too long" };
  const m = /^bytes\s*=\s*(.*)$/i.exec(text);
  if (!m) return { kind: "unsatisfiable", reason: "only byte ranges (bytes=START-END) are supported" };
  const spec = m[1]!.trim();
  if (spec.includes(",")) return { kind: "unsatisfiable", reason: "only one range per request is supported" };
  const r = /^(\d*)\s*-\s*(\d*)$/.exec(spec);
  if (!r || (r[1] === "" && r[2] === "")) {
    return { kind: "unsatisfiable", reason: `cannot parse the range "${spec.slice(0, 40)}"` };
  }
  if (size === 0) return { kind: "unsatisfiable", reason: "the track is empty" };
  if (r[1] === "") {
    const suffix = Number(r[2]);
    if (suffix === 0) return { kind: "unsatisfiable", reason: "a suffix range of 0 bytes selects nothing" };
    return { kind: "partial", start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(r[1]);
  const end = r[2] === "" ? size - 1 : Math.min(Number(r[2]), size - 1);
  if (!Number.isSafeInteger(start) || start >= size) {
    return { kind: "unsatisfiable", reason: `the range starts at or past the end (${size} bytes)` };
  }
  if (end < start) return { kind: "unsatisfiable", reason: "the range ends before it starts" };
  return { kind: "partial", start, end };
}
