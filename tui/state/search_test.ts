import assert from "node:assert/strict";
import { makeTrack, makeTracks } from "../_test_utils.tsx";
import { INITIAL_LIBRARY, type LibraryAction, libraryReducer, type LibraryState } from "./library.ts";
import { filterIndices, foldText, foldTracks, queryTerms } from "./search.ts";

Deno.test("foldText() ignores case and accents", async (t) => {
  const cases: Array<[string, string]> = [
    ["Beyoncé", "beyonce"],
    ["BJÖRK", "bjork"],
    ["Sigur Rós", "sigur ros"],
    ["Mötley Crüe", "motley crue"],
    ["naïve café", "naive cafe"],
    ["ÉCLAIR", "eclair"],
    ["İstanbul", "istanbul"],
    ["plain", "plain"],
  ];
  for (const [input, folded] of cases) {
    await t.step(`${input} → ${folded}`, () => assert.equal(foldText(input), folded));
  }
});

Deno.test("queryTerms() splits a query into folded words", () => {
  assert.deepEqual(queryTerms("  Björk   RAIN "), ["bjork", "rain"]);
  assert.deepEqual(queryTerms("   "), []);
});

Deno.test("filterIndices() keeps the candidates whose title, artist or album contain every term", () => {
  const tracks = [
    makeTrack(0, { title: "Jóga", artist: "Björk", album: "Homogenic" }),
    makeTrack(1, { title: "Halo", artist: "Beyoncé", album: "I Am… Sasha Fierce" }),
    makeTrack(2, { title: "Hoppípolla", artist: "Sigur Rós", album: "Takk…" }),
  ];
  const folded = foldTracks(tracks);
  const all = Int32Array.of(2, 0, 1);
  for (const scanAbove of [0, 100]) {
    const filter = (terms: string[]) => Array.from(filterIndices(all, folded, terms, { scanAbove }));
    assert.deepEqual(filter(["bjork"]), [0]);
    assert.deepEqual(filter(["takk"]), [2]);
    assert.deepEqual(filter(["ho"]), [2, 0], "in the candidates' order");
    assert.deepEqual(filter(["ho", "sigur"]), [2]);
    assert.deepEqual(filter(["halo", "bjork"]), []);
    // Terms never match across two fields, nor across two tracks.
    assert.deepEqual(filter(["jogabjork"]), []);
    assert.deepEqual(filter(["homogenichalo"]), []);
    assert.deepEqual(Array.from(filterIndices(Int32Array.of(1), folded, ["ho"], { scanAbove })), []);
  }
  assert.equal(filterIndices(all, folded, []), all);
});

/** Time of `action` on `state`: the best of a few runs, so that a busy machine's pauses do not count. */
function timed(state: LibraryState, action: LibraryAction): { ms: number; state: LibraryState } {
  let ms = Infinity;
  let next = state;
  for (let run = 0; run < 5; run++) {
    const start = performance.now();
    next = libraryReducer(state, action);
    ms = Math.min(ms, performance.now() - start);
  }
  return { ms, state: next };
}

/** Types `text` into the search field one key at a time, then erases it; returns the slowest keystroke. */
function slowestKeystroke(state: LibraryState, text: string): { ms: number; state: LibraryState } {
  let slowest = 0;
  let current = libraryReducer(state, { type: "library/searchStart" });
  const keys: LibraryAction[] = [
    ...Array.from(text, (char): LibraryAction => ({ type: "library/searchType", text: char })),
    ...Array.from(text, (): LibraryAction => ({ type: "library/searchErase" })),
  ];
  for (const action of keys) {
    const step = timed(current, action);
    slowest = Math.max(slowest, step.ms);
    current = step.state;
  }
  return { ms: slowest, state: current };
}

Deno.test("one search keystroke over 100,000 tracks takes under 50 ms", () => {
  const tracks = makeTracks(100_000);
  const loaded = libraryReducer(INITIAL_LIBRARY, { type: "library/loaded", tracks });
  assert.equal(loaded.visible.length, 100_000);
  slowestKeystroke(loaded, "ab"); // warm-up: the first keystroke of a session follows the load
  for (const query of ["Björk rain", "zzz", "e", "album 99"]) {
    const { ms, state } = slowestKeystroke(loaded, query);
    assert.ok(ms < 50, `slowest keystroke of "${query}" took ${ms.toFixed(1)} ms`);
    assert.equal(state.visible.length, 100_000);
  }
  const filtered = libraryReducer(libraryReducer(loaded, { type: "library/searchStart" }), {
    type: "library/searchType",
    text: "BJORK RAIN",
  });
  assert.ok(filtered.visible.length > 0 && filtered.visible.length < 100_000);
  for (const index of filtered.visible) {
    const track = tracks[index];
    assert.ok(track !== undefined && track.artist === "Björk" && /rain/i.test(track.title));
  }
});
