/**
 * Case- and accent-insensitive matching over title, artist and album, with the folded text computed once per track
 * so that filtering is one `includes` per track and keystroke.
 *
 * @module
 */

import type { CatalogTrack } from "../../protocol/mod.ts";

const PRINTABLE_ASCII = /^[ -~]*$/;

/** Lowercase, decomposed, without combining marks: "Beyoncé" and "BEYONCE" both fold to "beyonce". */
export function foldText(text: string): string {
  const lower = text.toLowerCase();
  return PRINTABLE_ASCII.test(lower) ? lower : lower.normalize("NFD").replace(/\p{M}/gu, "");
}

/** The folded fields of every track, as parallel arrays (plain string arrays scan several times faster). */
export interface FoldedTracks {
  title: readonly string[];
  artist: readonly string[];
  album: readonly string[];
  /** What the search matches: title, artist and album separated by newlines. */
  text: readonly string[];
  /** Every `text` in track order, separated by SEPARATOR: one `indexOf` scan finds the matches of a term. */
  all: string;
  /** Where each track's text starts in `all`, plus one entry for the end. */
  starts: Int32Array;
}

const SEPARATOR = "\u0001";

/** Above this many candidates one scan over all the text beats checking each candidate (measured on 100,000). */
const SCAN_ABOVE = 20_000;

/** Folds the fields of every track once, when the library loads. */
export function foldTracks(tracks: readonly CatalogTrack[]): FoldedTracks {
  const title: string[] = [];
  const artist: string[] = [];
  const album: string[] = [];
  const text: string[] = [];
  const starts = new Int32Array(tracks.length + 1);
  // Artists and albums repeat across tracks: fold each distinct value once.
  const cache = new Map<string, string>();
  const fold = (value: string) => {
    let folded = cache.get(value);
    if (folded === undefined) cache.set(value, folded = foldText(value));
    return folded;
  };
  let offset = 0;
  for (const [i, track] of tracks.entries()) {
    const t = foldText(track.title);
    const ar = fold(track.artist);
    const al = fold(track.album);
    title.push(t);
    artist.push(ar);
    album.push(al);
    const joined = [t, ar, al].join("\n").replaceAll(SEPARATOR, " ");
    text.push(joined);
    starts[i] = offset;
    offset += joined.length + 1;
  }
  starts[tracks.length] = offset;
  return { title, artist, album, text, all: text.join(SEPARATOR), starts };
}

/** The words of a query, folded; a track matches when it contains every one of them. */
export function queryTerms(query: string): string[] {
  return foldText(query).split(/\s+/).filter((term) => term !== "");
}

function matchesAll(text: string, terms: readonly string[]): boolean {
  for (const term of terms) if (!text.includes(term)) return false;
  return true;
}

/** One flag per track: whether its text contains every term. Scans `all` once for the longest term. */
function matchingTracks(folded: FoldedTracks, terms: readonly string[]): Uint8Array {
  const count = folded.text.length;
  const hits = new Uint8Array(count);
  const scanned = terms.reduce((a, b) => (b.length > a.length ? b : a));
  const others = terms.filter((term) => term !== scanned);
  const { all, starts } = folded;
  let track = 0;
  let at = all.indexOf(scanned);
  while (at !== -1) {
    let high = count;
    while (track < high - 1) {
      const middle = (track + high) >> 1;
      if ((starts[middle] as number) <= at) track = middle;
      else high = middle;
    }
    if (others.length === 0 || matchesAll(folded.text[track] as string, others)) hits[track] = 1;
    at = all.indexOf(scanned, starts[track + 1] as number);
  }
  return hits;
}

/**
 * The entries of `candidates` (indices of tracks) whose text contains every term, in the order given; `candidates`
 * itself when there is no term. Few candidates are checked one by one; many are checked with one scan over all the
 * text, which reads memory in order instead of jumping from track to track. Typed arrays keep 100,000 indices out of
 * the garbage collector's way.
 */
export function filterIndices(
  candidates: Int32Array,
  folded: FoldedTracks,
  terms: readonly string[],
  options: { scanAbove?: number } = {},
): Int32Array {
  if (terms.length === 0) return candidates;
  const out = new Int32Array(candidates.length);
  let found = 0;
  if (candidates.length > (options.scanAbove ?? SCAN_ABOVE)) {
    const hits = matchingTracks(folded, terms);
    for (const index of candidates) if (hits[index] === 1) out[found++] = index;
  } else {
    for (const index of candidates) if (matchesAll(folded.text[index] as string, terms)) out[found++] = index;
  }
  return out.subarray(0, found);
}
