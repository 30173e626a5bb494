/**
 * What the catalog's search looks in: every entry's folded text in catalog order, joined into one string, with
 * bit sets (a bit per entry) that answer or narrow a word before any text is read:
 * - one per letter and digit, built with the text: a one-character word is answered by its set alone;
 * - one per dense pair or triple of letters and digits (in a sixteenth of the entries or more, the 96
 *   densest): such a word, what search-as-you-type asks after its first letter, is answered by its set, and a
 *   longer word is narrowed to the entries holding all of its pairs and triples;
 * - for each block of 64 entries, which pairs occur in it: a block missing one of a word's pairs is skipped.
 *
 * The last two come from two passes over the text, which a large catalog makes in slices between requests (a
 * million entries: about half a second in all) so that a rebuilt view answers at once; until they are done a
 * word is found by its letters and the text.
 *
 * @module
 */

/** Ends each entry's text (SQLite's text functions end strings at a NUL, so not "\0"). */
export const END = "\x1f";

/** Letters and digits, the characters the bit sets know. */
const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
const A = ALPHABET.length;

/** The index of a char code in {@linkcode ALPHABET} (-1: not in it). */
const LETTER = new Int8Array(128).fill(-1);
for (let k = 0; k < A; k++) LETTER[ALPHABET.charCodeAt(k)] = k;

/** Entries per block of {@linkcode TextIndex}'s pair map, and 32-bit words of a block's map. */
const BLOCK = 64;
const BLOCK_WORDS = Math.ceil((A * A) / 32);

/** Share of the entries a pair or triple is in to get a bit set of its own, and how many get one. */
const DENSE = 1 / 16;
const MAX_GRAMS = 96;

/** Answers kept (a bit per entry each: 125 kB for a million). */
const ANSWERS = 32;

/** Entries indexed in one slice when the index is built between requests. */
const SLICE = 1 << 13;

/** Number of bits set in a 32-bit word. */
export function popCount(w: number): number {
  w -= (w >>> 1) & 0x55555555;
  w = (w & 0x33333333) + ((w >>> 2) & 0x33333333);
  return (((w + (w >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** Bits set in `bits`. */
export function countBits(bits: Uint32Array): number {
  let count = 0;
  for (let k = 0; k < bits.length; k++) count += popCount(bits[k]!);
  return count;
}

/** Where the entry holding position `at` of the text starts: the last `i >= from` with `starts[i] <= at`. */
export function entryAt(starts: Int32Array, at: number, from: number): number {
  // Dense matches are in the next entry or the one after: look there before a binary search.
  if (from + 1 >= starts.length || starts[from + 1]! > at) return from;
  if (from + 2 >= starts.length || starts[from + 2]! > at) return from + 1;
  let lo = from + 2;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= at) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The pairs (`k1 * A + k2`) and triples of letters and digits in `word`, each once. */
function gramsOf(word: string): { pairs: number[]; names: string[] } {
  const pairs = new Set<number>();
  const names = new Set<string>();
  for (let at = 1; at < word.length; at++) {
    const c1 = word.charCodeAt(at - 1);
    const c2 = word.charCodeAt(at);
    const k1 = c1 < 128 ? LETTER[c1]! : -1;
    const k2 = c2 < 128 ? LETTER[c2]! : -1;
    if (k1 < 0 || k2 < 0) continue;
    pairs.add(k1 * A + k2);
    names.add(word.slice(at - 1, at + 1));
    const c0 = at >= 2 ? word.charCodeAt(at - 2) : -1;
    if (c0 >= 0 && c0 < 128 && LETTER[c0]! >= 0) names.add(word.slice(at - 2, at + 1));
  }
  return { pairs: [...pairs], names: [...names] };
}

/** The folded text of a catalog's entries and its bit sets; see the module's notes. */
export class TextIndex {
  readonly text: string;
  /** Where each entry's text starts in {@linkcode text}. */
  readonly starts: Int32Array;
  readonly #words: number;
  /** A bit set per letter and digit, by {@linkcode ALPHABET} index. */
  readonly #chars: Uint32Array[];
  /** Dense pairs' and triples' bit sets, and the blocks' pair maps: null until built. */
  #grams: Map<string, Uint32Array> | null = null;
  #blocks: Uint32Array | null = null;
  #building = false;
  /** The last {@linkcode ANSWERS} queries' answers, by their words: typed again (or by another listener), or a
   * word of a longer query, they are not looked for again. */
  readonly #answers = new Map<string, Uint32Array>();

  /** Indexes `text`, whose entries start at `starts` (each but the last ends with {@linkcode END}). */
  constructor(text: string, starts: Int32Array) {
    this.text = text;
    this.starts = starts;
    const n = starts.length;
    const words = this.#words = (n + 31) >>> 5;
    const table = new Uint32Array(A * words);
    for (let i = 0, at = 0; i < n; i++) {
      const end = this.#end(i) + 1;
      const word = i >>> 5;
      const bit = 1 << (i & 31);
      for (; at < end; at++) {
        const c = text.charCodeAt(at);
        const k = c < 128 ? LETTER[c]! : -1;
        if (k >= 0) table[k * words + word]! |= bit;
      }
    }
    this.#chars = Array.from({ length: A }, (_, k) => table.subarray(k * words, (k + 1) * words));
  }

  /** Number of entries. */
  get size(): number {
    return this.starts.length;
  }

  /** Where entry `i`'s text ends (exclusive). */
  #end(i: number): number {
    return i + 1 < this.starts.length ? this.starts[i + 1]! - 1 : this.text.length;
  }

  /**
   * Builds the pair and triple sets: at once for a small catalog, else a slice at a time between requests
   * while `current()` holds (a view replaced by a newer one stops).
   */
  build(current: () => boolean = () => true, slice = SLICE): void {
    if (this.#grams || this.#building) return;
    this.#building = true;
    const steps = this.#passes(slice);
    if (this.size <= slice) {
      while (!steps.next().done);
      return;
    }
    const step = () => {
      if (!current()) return;
      if (!steps.next().done) setTimeout(step, 0);
    };
    setTimeout(step, 0);
  }

  /** Whether {@linkcode build} finished. */
  get built(): boolean {
    return this.#grams !== null;
  }

  /** The two passes, yielding after each slice: counting (and the blocks' maps), then filling the sets. */
  *#passes(slice: number): Generator<void> {
    const { text } = this;
    const n = this.size;
    const blocks = new Uint32Array(Math.ceil(n / BLOCK) * BLOCK_WORDS);
    // How many entries hold each pair and triple (`last`: the entry that counted it last).
    const pairCount = new Int32Array(A * A);
    const pairLast = new Int32Array(A * A).fill(-1);
    const tripleCount = new Int32Array(A * A * A);
    const tripleLast = new Int32Array(A * A * A).fill(-1);
    for (let from = 0; from < n; from += slice) {
      for (let i = from, to = Math.min(n, from + slice); i < to; i++) {
        const base = (i >>> 6) * BLOCK_WORDS;
        let k1 = -1;
        let k2 = -1;
        for (let at = this.starts[i]!, end = this.#end(i); at < end; at++) {
          const c = text.charCodeAt(at);
          const k = c < 128 ? LETTER[c]! : -1;
          if (k >= 0 && k2 >= 0) {
            const pair = k2 * A + k;
            blocks[base + (pair >>> 5)]! |= 1 << (pair & 31);
            if (pairLast[pair] !== i) {
              pairLast[pair] = i;
              pairCount[pair]!++;
            }
            if (k1 >= 0) {
              const triple = (k1 * A + k2) * A + k;
              if (tripleLast[triple] !== i) {
                tripleLast[triple] = i;
                tripleCount[triple]!++;
              }
            }
          }
          k1 = k2;
          k2 = k;
        }
      }
      yield;
    }
    // The densest pairs and triples get a set each.
    const name = (g: number, len: number) =>
      len === 2
        ? ALPHABET[Math.floor(g / A)]! + ALPHABET[g % A]!
        : ALPHABET[Math.floor(g / (A * A))]! + ALPHABET[Math.floor(g / A) % A]! + ALPHABET[g % A]!;
    const dense: { name: string; len: number; g: number; count: number }[] = [];
    const least = Math.max(1, Math.ceil(n * DENSE));
    pairCount.forEach((count, g) => count >= least && dense.push({ name: name(g, 2), len: 2, g, count }));
    tripleCount.forEach((count, g) => count >= least && dense.push({ name: name(g, 3), len: 3, g, count }));
    dense.sort((a, b) => b.count - a.count);
    dense.length = Math.min(dense.length, MAX_GRAMS);
    const pairSlot = new Int16Array(A * A).fill(-1);
    const tripleSlot = new Int16Array(A * A * A).fill(-1);
    const table = new Uint32Array(dense.length * this.#words);
    const sets = dense.map((d, s) => {
      (d.len === 2 ? pairSlot : tripleSlot)[d.g] = s;
      return table.subarray(s * this.#words, (s + 1) * this.#words);
    });
    if (dense.length > 0) {
      for (let from = 0; from < n; from += slice) {
        for (let i = from, to = Math.min(n, from + slice); i < to; i++) {
          const word = i >>> 5;
          const bit = 1 << (i & 31);
          let k1 = -1;
          let k2 = -1;
          for (let at = this.starts[i]!, end = this.#end(i); at < end; at++) {
            const c = text.charCodeAt(at);
            const k = c < 128 ? LETTER[c]! : -1;
            if (k >= 0 && k2 >= 0) {
              const s2 = pairSlot[k2 * A + k]!;
              if (s2 >= 0) table[s2 * this.#words + word]! |= bit;
              if (k1 >= 0) {
                const s3 = tripleSlot[(k1 * A + k2) * A + k]!;
                if (s3 >= 0) table[s3 * this.#words + word]! |= bit;
              }
            }
            k1 = k2;
            k2 = k;
          }
        }
        yield;
      }
    }
    this.#blocks = blocks;
    this.#grams = new Map(dense.map((d, s) => [d.name, sets[s]!]));
  }

  /** A new bit set of the entries whose text holds every one of `words` (folded, none holding an END). */
  match(words: readonly string[]): Uint32Array {
    const key = [...words].sort().join(" ");
    const known = this.#answers.get(key);
    if (known) {
      this.#answers.delete(key);
      this.#answers.set(key, known);
      return known.slice();
    }
    const out = this.#find(words);
    this.#answers.set(key, out.slice());
    if (this.#answers.size > ANSWERS) this.#answers.delete(this.#answers.keys().next().value!);
    return out;
  }

  #find(words: readonly string[]): Uint32Array {
    const out = new Uint32Array(this.#words).fill(0xffffffff);
    const n = this.size;
    if (n % 32 !== 0) out[out.length - 1] = (1 << (n % 32)) - 1;
    // Words answered by a set alone, then the others narrowed by the sets of their letters, pairs, triples.
    const rest: string[] = [];
    for (const word of words) {
      const exact = this.#exact(word);
      if (exact) and(out, exact);
      else rest.push(word);
    }
    if (rest.length === 0) return out;
    // The rest narrowed each by what its letters, pairs and triples allow; the rarest is looked for first.
    const bounds = new Map(rest.map((word) => [word, this.#bound(word)]));
    const count = new Map(rest.map((word) => [word, countBits(bounds.get(word)!)]));
    rest.sort((a, b) => count.get(a)! - count.get(b)! || b.length - a.length);
    for (const word of rest) and(out, bounds.get(word)!);
    const { text, starts } = this;
    for (const word of rest) {
      // Each candidate left holds the word if its next occurrence from the candidate's start is inside it; one
      // occurrence answers every candidate before it, so the text is read at most once.
      // (`next`: the first occurrence at or after the last search's start; -1: none is left.)
      let next = -2;
      for (let k = 0; k < out.length; k++) {
        for (let w = out[k]!, bits = w; bits !== 0; bits &= bits - 1) {
          const i = (k << 5) + 31 - Math.clz32(bits & -bits);
          if (next !== -1 && next < starts[i]!) next = text.indexOf(word, starts[i]!);
          if (next === -1 || next >= this.#end(i)) w &= ~(1 << (i & 31));
          out[k] = w;
        }
      }
    }
    return out;
  }

  /** A new bit set holding every entry whose text holds `word`, and few others: its letters', pairs', triples'. */
  #bound(word: string): Uint32Array {
    const out = new Uint32Array(this.#words).fill(0xffffffff);
    for (let at = 0; at < word.length; at++) {
      const c = word.charCodeAt(at);
      const k = c < 128 ? LETTER[c]! : -1;
      if (k >= 0) and(out, this.#chars[k]!);
    }
    const { pairs, names } = gramsOf(word);
    for (const name of names) {
      const set = this.#grams?.get(name);
      if (set) and(out, set);
    }
    const blocks = this.#blocks;
    if (blocks && pairs.length > 0) {
      // A block of 64 entries (two words of the set) whose map lacks one of the word's pairs holds none.
      for (let b = 0, w = 0; w < out.length; b += BLOCK_WORDS, w += BLOCK / 32) {
        if (pairs.some((p) => (blocks[b + (p >>> 5)]! & (1 << (p & 31))) === 0)) {
          out[w] = 0;
          if (w + 1 < out.length) out[w + 1] = 0;
        }
      }
    }
    return out;
  }

  /** The set answering `word` alone, if there is one (not to be changed). */
  #exact(word: string): Uint32Array | undefined {
    if (word.length === 1) {
      const c = word.charCodeAt(0);
      const k = c < 128 ? LETTER[c]! : -1;
      return k >= 0 ? this.#chars[k] : undefined;
    }
    return (word.length <= 3 ? this.#grams?.get(word) : undefined) ?? this.#answers.get(word);
  }
}

/** `into &= other`, word by word. */
function and(into: Uint32Array, other: Uint32Array): void {
  for (let k = 0; k < into.length; k++) into[k]! &= other[k]!;
}
