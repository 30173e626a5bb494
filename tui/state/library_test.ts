import assert from "node:assert/strict";
import type { CatalogTrack } from "../../protocol/mod.ts";
import { makeTrack, makeTracks } from "../_test_utils.tsx";
import {
  INITIAL_LIBRARY,
  type LibraryAction,
  libraryReducer,
  type LibraryState,
  selectedTrack,
} from "./library.ts";

function reduce(state: LibraryState, ...actions: LibraryAction[]): LibraryState {
  return actions.reduce(libraryReducer, state);
}

function load(tracks: CatalogTrack[], height = 5): LibraryState {
  return reduce(INITIAL_LIBRARY, { type: "library/resize", height }, { type: "library/loaded", tracks });
}

const titles = (state: LibraryState) => Array.from(state.visible, (i) => state.tracks[i]?.title);

const SMALL = [
  makeTrack(0, { title: "Zebra", artist: "Ann", album: "B", duration: 300, trackNo: 2 }),
  makeTrack(1, { title: "apple", artist: "Carl", album: "A", duration: 100, trackNo: 1 }),
  makeTrack(2, { title: "Éclair", artist: "Ann", album: "B", duration: null, trackNo: 1 }),
  makeTrack(3, { title: "mango", artist: "Bea", album: "C", duration: 200, trackNo: 1 }),
];

Deno.test("library/loaded sorts by title, ignoring case and accents", () => {
  const state = load(SMALL);
  assert.equal(state.status, "ready");
  assert.deepEqual(titles(state), ["apple", "Éclair", "mango", "Zebra"]);
  assert.equal(selectedTrack(state)?.title, "apple");
});

Deno.test("library/sort cycles title, artist, album, duration and keeps the selected track selected", () => {
  let state = reduce(load(SMALL), { type: "library/move", move: { type: "by", rows: 2 } });
  assert.equal(selectedTrack(state)?.title, "mango");
  const expected: Array<[string, string[]]> = [
    ["artist", ["Éclair", "Zebra", "mango", "apple"]],
    ["album", ["apple", "Éclair", "Zebra", "mango"]],
    ["duration", ["apple", "mango", "Zebra", "Éclair"]],
    ["title", ["apple", "Éclair", "mango", "Zebra"]],
  ];
  for (const [sort, order] of expected) {
    state = libraryReducer(state, { type: "library/sort" });
    assert.equal(state.sort, sort);
    assert.deepEqual(titles(state), order, `sorted by ${sort}`);
    assert.equal(selectedTrack(state)?.title, "mango");
  }
});

Deno.test("typing in the search field filters as you type, case- and accent-insensitive", () => {
  let state = reduce(load(SMALL), { type: "library/searchStart" });
  assert.equal(state.searching, true);
  state = reduce(state, { type: "library/searchType", text: "E" });
  assert.deepEqual(titles(state), ["apple", "Éclair", "mango", "Zebra"]);
  state = reduce(state, { type: "library/searchType", text: "C" });
  assert.deepEqual(titles(state), ["Éclair"]);
  state = reduce(state, { type: "library/searchErase" });
  assert.deepEqual(titles(state), ["apple", "Éclair", "mango", "Zebra"]);
  state = reduce(state, { type: "library/searchErase" }, { type: "library/searchType", text: "ann b" });
  assert.deepEqual(titles(state), ["Éclair", "Zebra"], "every word must match, in any field");
  state = reduce(state, { type: "library/searchType", text: "x" });
  assert.deepEqual(titles(state), []);
  assert.equal(selectedTrack(state), null);
});

Deno.test("Enter in the search field keeps the filter and selects the first match; Esc clears it", () => {
  let state = reduce(
    load(SMALL),
    { type: "library/searchStart" },
    { type: "library/searchType", text: "a" },
    { type: "library/move", move: { type: "by", rows: 2 } },
    { type: "library/searchKeep" },
  );
  assert.equal(state.searching, false);
  assert.equal(state.query, "a");
  assert.deepEqual(titles(state), ["apple", "Éclair", "mango", "Zebra"].filter((t) => /a/i.test(t)));
  assert.equal(state.cursor, 0);
  assert.equal(selectedTrack(state)?.title, "apple");
  state = reduce(state, { type: "library/move", move: { type: "by", rows: 1 } });
  const kept = selectedTrack(state)?.title;
  state = reduce(state, { type: "library/searchClear" });
  assert.equal(state.query, "");
  assert.equal(state.visible.length, SMALL.length);
  assert.equal(selectedTrack(state)?.title, kept, "the selected track stays selected");
});

Deno.test("moving clamps the cursor to the list and scrolls to keep it visible", async (t) => {
  const base = load(makeTracks(20), 5);
  const cases: Array<[string, LibraryAction[], number, number]> = [
    ["down one", [{ type: "library/move", move: { type: "by", rows: 1 } }], 1, 0],
    ["up at the top", [{ type: "library/move", move: { type: "by", rows: -1 } }], 0, 0],
    ["down past the window", [{ type: "library/move", move: { type: "by", rows: 6 } }], 6, 2],
    ["bottom", [{ type: "library/move", move: { type: "bottom" } }], 19, 15],
    ["far past the end", [{ type: "library/move", move: { type: "by", rows: 1000 } }], 19, 15],
    [
      "bottom then top",
      [{ type: "library/move", move: { type: "bottom" } }, {
        type: "library/move",
        move: { type: "top" },
      }],
      0,
      0,
    ],
    ["page down", [{ type: "library/move", move: { type: "page", pages: 1 } }], 4, 4],
    ["page down ×10", Array(10).fill({ type: "library/move", move: { type: "page", pages: 1 } }), 19, 15],
    [
      "bottom then page up",
      [{ type: "library/move", move: { type: "bottom" } }, {
        type: "library/move",
        move: { type: "page", pages: -1 },
      }],
      15,
      11,
    ],
    [
      "bottom then taller window",
      [{ type: "library/move", move: { type: "bottom" } }, {
        type: "library/resize",
        height: 30,
      }],
      19,
      0,
    ],
  ];
  for (const [name, actions, cursor, scroll] of cases) {
    await t.step(name, () => {
      const state = reduce(base, ...actions);
      assert.deepEqual({ cursor: state.cursor, scroll: state.scroll }, { cursor, scroll });
    });
  }
});

Deno.test("a filter that shrinks the list clamps the cursor and scroll", () => {
  let state = reduce(load(makeTracks(50), 5), { type: "library/move", move: { type: "bottom" } });
  state = reduce(state, { type: "library/searchStart" }, { type: "library/searchType", text: "björk" });
  assert.ok(state.visible.length > 0 && state.visible.length < 50);
  assert.equal(state.cursor, 0);
  assert.equal(state.scroll, 0);
});

Deno.test("moving in an empty library leaves the cursor at 0", () => {
  const state = reduce(load([]), { type: "library/move", move: { type: "by", rows: 3 } }, {
    type: "library/move",
    move: { type: "bottom" },
  });
  assert.equal(state.cursor, 0);
  assert.equal(state.scroll, 0);
  assert.equal(selectedTrack(state), null);
});

Deno.test("reloading keeps the filter and the selected track", () => {
  const tracks = makeTracks(40);
  let state = reduce(
    load(tracks),
    { type: "library/searchStart" },
    { type: "library/searchType", text: "rain" },
    { type: "library/searchKeep" },
    { type: "library/move", move: { type: "by", rows: 2 } },
  );
  const selected = selectedTrack(state)?.id;
  state = reduce(state, { type: "library/loading" }, {
    type: "library/loaded",
    tracks: [...tracks].reverse(),
  });
  assert.equal(state.query, "rain");
  assert.ok(Array.from(state.visible).every((i) => /rain/.test(state.tracks[i]?.title ?? "")));
  assert.equal(selectedTrack(state)?.id, selected);
});

Deno.test("library/failed keeps the tracks already loaded and says why", () => {
  const state = reduce(load(SMALL), { type: "library/loading" }, {
    type: "library/failed",
    message: "offline",
  });
  assert.equal(state.status, "error");
  assert.equal(state.error, "offline");
  assert.equal(state.tracks.length, SMALL.length);
});

Deno.test("library/progress counts pages while loading, and is cleared once loaded or ignored after", () => {
  const loading = reduce(INITIAL_LIBRARY, { type: "library/loading" }, {
    type: "library/progress",
    loaded: 500,
    total: 1234,
  });
  assert.deepEqual(loading.progress, { loaded: 500, total: 1234 });
  const loaded = reduce(loading, { type: "library/loaded", tracks: SMALL });
  assert.equal(loaded.progress, null);
  assert.equal(reduce(loaded, { type: "library/progress", loaded: 1, total: 2 }).progress, null);
});
