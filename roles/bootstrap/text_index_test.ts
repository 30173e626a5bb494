import assert from "node:assert/strict";
import { END, TextIndex } from "./text_index.ts";

/** `count` entries of made-up folded text from a few words, some dense, some rare, some not ASCII. */
function entries(count: number): string[] {
  const words = ["love", "lovely", "blue", "cafe", "naive", "road", "42", "a", "uber", "art", "øre", "x-ray"];
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const w = (n: number) => words[n % words.length]!;
    out.push(`${w(i)} ${w(i * 7)} ${i}\n${w(i * 3)} artist\n${i % 5 === 0 ? "" : `${w(i * 11)} ${i % 17}`}`);
  }
  return out;
}

function indexOf(texts: string[]): TextIndex {
  const starts = new Int32Array(texts.length);
  for (let i = 1; i < texts.length; i++) starts[i] = starts[i - 1]! + texts[i - 1]!.length + 1;
  return new TextIndex(texts.join(END), starts);
}

/** The entries whose text holds every word, by reading each. */
function naive(texts: string[], words: string[]): number[] {
  return texts.flatMap((t, i) => words.every((w) => t.includes(w)) ? [i] : []);
}

function positions(bits: Uint32Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < bits.length * 32; i++) if (bits[i >>> 5]! & (1 << (i & 31))) out.push(i);
  return out;
}

const QUERIES = [
  ["l"],
  ["lo"],
  ["lov"],
  ["love"],
  ["lovely"],
  ["ar"],
  ["art"],
  ["artist"],
  ["artist", "42"],
  ["42"],
  ["4"],
  ["1234"],
  ["ø"],
  ["øre"],
  ["x-ray"],
  ["-"],
  ["blue", "road"],
  ["cafe", "naive", "uber"],
  ["zzz"],
  ["e", "ve"],
];

Deno.test("TextIndex.match() finds exactly what reading every entry finds, before and after its sets are built", async () => {
  const texts = entries(5000);
  const early = indexOf(texts);
  const late = indexOf(texts);
  // In slices of 500, between tasks: asked at once, it answers from its letters and the text.
  early.build(() => true, 500);
  late.build(() => true, 500);
  assert.equal(early.built, false);
  for (const words of QUERIES) {
    assert.deepEqual(positions(early.match(words)), naive(texts, words), words.join(" "));
  }
  for (let tries = 0; !late.built && tries < 200; tries++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(late.built, "the sets are built between tasks");
  for (const words of QUERIES) {
    assert.deepEqual(positions(late.match(words)), naive(texts, words), words.join(" "));
  }
  // Asked again, from what it kept: the same answer, in an array of the caller's own.
  const again = late.match(["love"]);
  assert.deepEqual(positions(again), naive(texts, ["love"]));
  again.fill(0);
  assert.deepEqual(positions(late.match(["love"])), naive(texts, ["love"]));
  assert.deepEqual(positions(late.match(["love", "road"])), naive(texts, ["love", "road"]));
});

Deno.test("TextIndex builds a small index at once, and a superseded one stops building", async () => {
  const small = indexOf(entries(300));
  small.build();
  assert.ok(small.built);
  assert.equal(small.size, 300);
  const stale = indexOf(entries(3000));
  stale.build(() => false, 100);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(stale.built, false, "a view no longer current is not indexed further");
  assert.deepEqual(positions(stale.match(["love"])), naive(entries(3000), ["love"]));
});
