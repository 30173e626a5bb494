import assert from "node:assert/strict";
import type { CatalogTrack } from "../../protocol/mod.ts";
import { makeTrack, makeTracks } from "../_test_utils.tsx";
import {
  INITIAL_LIBRARY,
  type LibraryAction,
  libraryReducer,
  type LibraryState,
  MAX_PAGES,
  PAGE_SIZE,
  pagesToFetch,
  rowCount,
  rowTrack,
  searchPending,
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

// A library too large to hold: pages of the server's list, fetched as they come into view.

const page = (n: number, count = PAGE_SIZE) =>
  Array.from(
    { length: count },
    (_, i) => makeTrack(n * PAGE_SIZE + i, { title: `Row ${n * PAGE_SIZE + i}` }),
  );

function open(total: number, height = 20): LibraryState {
  return reduce(INITIAL_LIBRARY, { type: "library/resize", height }, {
    type: "library/opened",
    total,
    tracks: page(0),
  });
}

Deno.test("library/opened shows the first page of a large library and counts every row", () => {
  const state = open(1_000_000);
  assert.equal(state.status, "ready");
  assert.equal(rowCount(state), 1_000_000);
  assert.equal(selectedTrack(state)?.title, "Row 0");
  assert.equal(rowTrack(state, PAGE_SIZE), null, "the second page is not here yet");
  assert.deepEqual(pagesToFetch(state), [1], "the page after the screen is read ahead");
});

Deno.test("moving through a large library asks for the pages that come into view, once each", () => {
  let state = reduce(open(1_000_000), {
    type: "library/move",
    move: { type: "to", row: 5 * PAGE_SIZE + 100 },
  });
  assert.equal(selectedTrack(state), null, "its page is not here yet");
  assert.deepEqual(pagesToFetch(state), [5, 6, 4]);
  state = reduce(state, { type: "library/pagesRequested", query: "", pages: [5, 6, 4] });
  assert.deepEqual(pagesToFetch(state), [], "asked for already");
  state = reduce(state, { type: "library/page", query: "", page: 5, total: 1_000_000, tracks: page(5) });
  assert.equal(selectedTrack(state)?.title, `Row ${5 * PAGE_SIZE + 100}`);
  // A page that failed may be asked for again.
  state = reduce(state, { type: "library/pageFailed", query: "", page: 6 });
  assert.deepEqual(pagesToFetch(state), [6]);
  // The bottom of a million rows is one move away.
  state = reduce(state, { type: "library/move", move: { type: "bottom" } });
  assert.equal(state.cursor, 999_999);
  assert.deepEqual(pagesToFetch(state), [4999, 4998]);
});

Deno.test("a large library holds at most MAX_PAGES pages, dropping those farthest from the screen", () => {
  let state = open(1_000_000);
  for (let n = 1; n <= MAX_PAGES + 10; n++) {
    state = reduce(
      state,
      { type: "library/move", move: { type: "to", row: n * PAGE_SIZE } },
      { type: "library/pagesRequested", query: "", pages: [n] },
      { type: "library/page", query: "", page: n, total: 1_000_000, tracks: page(n) },
    );
  }
  assert.equal(state.remote?.pages.size, MAX_PAGES);
  assert.ok(!state.remote?.pages.has(0), "the first page, far behind, was dropped");
  assert.ok(state.remote?.pages.has(MAX_PAGES + 10), "the page on screen is held");
});

Deno.test("searching a large library asks the server; stale answers are dropped", () => {
  let state = reduce(open(1_000_000), { type: "library/searchStart" }, {
    type: "library/searchType",
    text: "Ab",
  });
  assert.equal(state.applied, "ab");
  assert.ok(searchPending(state));
  assert.deepEqual(pagesToFetch(state), [], "no page of the old list while the search waits");
  assert.equal(selectedTrack(state)?.title, "Row 0", "the rows stay until the answer");
  state = reduce(state, { type: "library/searchType", text: "c" });
  // The answer to "ab" comes after "abc" was typed: dropped.
  const stale = reduce(state, { type: "library/page", query: "ab", page: 0, total: 7, tracks: page(0, 7) });
  assert.equal(stale, state);
  const found = [makeTrack(1, { title: "ABC song" }), makeTrack(2, { title: "abc again" })];
  state = reduce(state, { type: "library/page", query: "abc", page: 0, total: 2, tracks: found });
  assert.ok(!searchPending(state));
  assert.equal(rowCount(state), 2);
  assert.equal(selectedTrack(state)?.title, "ABC song");
  // A page of the list before the search, arriving late, is dropped too.
  assert.equal(
    reduce(state, { type: "library/page", query: "", page: 3, total: 1_000_000, tracks: page(3) }),
    state,
  );
  // Esc: the whole list again, once the server answered.
  state = reduce(state, { type: "library/searchClear" });
  assert.equal(state.searching, false);
  assert.ok(searchPending(state));
  state = reduce(state, { type: "library/page", query: "", page: 0, total: 1_000_000, tracks: page(0) });
  assert.equal(rowCount(state), 1_000_000);
});

Deno.test("a large library keeps the server's order: sorting does nothing", () => {
  const state = open(5000);
  assert.equal(state.sort, "artist");
  assert.equal(reduce(state, { type: "library/sort" }), state);
});

Deno.test("library/loaded after a large library replaces it with the whole list", () => {
  const state = reduce(open(1_000_000), { type: "library/loading" }, {
    type: "library/loaded",
    tracks: SMALL,
  });
  assert.equal(state.remote, null);
  assert.equal(rowCount(state), 4);
  assert.deepEqual(titles(state), ["Éclair", "Zebra", "mango", "apple"], "in the order it was shown: artist");
});
