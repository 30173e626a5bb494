/**
 * The library screen's state: the catalog, its sort order, the search filter, and the cursor over what is visible.
 *
 * @module
 */

import type { CatalogTrack } from "../../protocol/mod.ts";
import { clampView, type ListMove, moveView } from "./_list.ts";
import { filterIndices, type FoldedTracks, foldTracks, queryTerms } from "./search.ts";

/** What the library can be sorted by, in the order `o` cycles through. */
export const SORT_KEYS = ["title", "artist", "album", "duration"] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export interface LibraryState {
  status: "idle" | "loading" | "ready" | "error";
  error: string | null;
  /** While loading: tracks arrived so far of how many there are (null before the first page). */
  progress: { loaded: number; total: number } | null;
  tracks: readonly CatalogTrack[];
  /** Folded search and sort keys, parallel to `tracks`. */
  folded: FoldedTracks;
  sort: SortKey;
  /** Indices into `tracks`, in sort order. */
  order: Int32Array;
  /** The search as typed. */
  query: string;
  /** Whether the search field has the keyboard. */
  searching: boolean;
  /** The folded query `visible` was computed for. */
  applied: string;
  /** Indices into `tracks` that match the query, in sort order. */
  visible: Int32Array;
  /** Results of the shorter queries typed before this one, to go back to when erasing. */
  narrowed: readonly { applied: string; visible: Int32Array }[];
  /** Position in `visible`. */
  cursor: number;
  /** First row shown. */
  scroll: number;
  /** Rows that fit on screen. */
  height: number;
  details: boolean;
}

export type LibraryAction =
  | { type: "library/loading" }
  | { type: "library/progress"; loaded: number; total: number }
  | { type: "library/loaded"; tracks: readonly CatalogTrack[] }
  | { type: "library/failed"; message: string }
  | { type: "library/sort"; sort?: SortKey }
  | { type: "library/searchStart" }
  | { type: "library/searchType"; text: string }
  | { type: "library/searchErase" }
  | { type: "library/searchKeep" }
  | { type: "library/searchClear" }
  | { type: "library/move"; move: ListMove }
  | { type: "library/resize"; height: number }
  | { type: "library/toggleDetails" };

export const INITIAL_LIBRARY: LibraryState = {
  status: "idle",
  error: null,
  progress: null,
  tracks: [],
  folded: { title: [], artist: [], album: [], text: [], all: "", starts: Int32Array.of(0) },
  sort: "title",
  order: new Int32Array(0),
  query: "",
  searching: false,
  applied: "",
  visible: new Int32Array(0),
  narrowed: [],
  cursor: 0,
  scroll: 0,
  height: 10,
  details: false,
};

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareNumber(a: number | null, b: number | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a - b;
}

/** Indices of `tracks` sorted by `sort`, ties broken by the other fields so that the order is stable and useful. */
export function sortOrder(tracks: readonly CatalogTrack[], folded: FoldedTracks, sort: SortKey): Int32Array {
  const { title, artist, album } = folded;
  const trackNo = tracks.map((t) => t.trackNo);
  const duration = tracks.map((t) => t.duration);
  const text = (keys: readonly string[], a: number, b: number) =>
    compareText(keys[a] as string, keys[b] as string);
  const inAlbum = (a: number, b: number) =>
    text(album, a, b) || compareNumber(trackNo[a] ?? null, trackNo[b] ?? null) || text(title, a, b);
  const compare: Record<SortKey, (a: number, b: number) => number> = {
    title: (a, b) => text(title, a, b) || text(artist, a, b) || inAlbum(a, b),
    artist: (a, b) => text(artist, a, b) || inAlbum(a, b),
    album: (a, b) => inAlbum(a, b) || text(artist, a, b),
    duration: (a, b) => compareNumber(duration[a] ?? null, duration[b] ?? null) || text(title, a, b),
  };
  return Int32Array.from(Array.from(tracks.keys()).sort(compare[sort]));
}

/** The track under the cursor, if any. */
export function selectedTrack(state: LibraryState): CatalogTrack | null {
  const index = state.visible[state.cursor];
  return index === undefined ? null : state.tracks[index] ?? null;
}

/**
 * Recomputes `visible` for the current query: filters the previous result when the query only grew, returns to a
 * remembered result when it shrank back, and scans the whole order otherwise.
 */
function applyQuery(state: LibraryState): LibraryState {
  const terms = queryTerms(state.query);
  const applied = terms.join(" ");
  if (applied === state.applied) return state;
  let visible: Int32Array;
  let narrowed: LibraryState["narrowed"];
  const back = state.narrowed.findLastIndex((entry) => entry.applied === applied);
  if (back !== -1) {
    visible = state.narrowed[back]?.visible ?? state.order;
    narrowed = state.narrowed.slice(0, back);
  } else if (applied.startsWith(state.applied)) {
    visible = filterIndices(state.visible, state.folded, terms);
    narrowed = [...state.narrowed, { applied: state.applied, visible: state.visible }];
  } else {
    visible = filterIndices(state.order, state.folded, terms);
    narrowed = applied === "" ? [] : [{ applied: "", visible: state.order }];
  }
  return clampView({ ...state, applied, visible, narrowed, cursor: 0, scroll: 0 }, visible.length);
}

/** Puts the cursor on `trackIndex`, centred, if it is visible; else keeps the cursor in range. */
function selectIndex(state: LibraryState, trackIndex: number | undefined): LibraryState {
  const row = trackIndex === undefined ? -1 : state.visible.indexOf(trackIndex);
  if (row === -1) return clampView(state, state.visible.length);
  const scroll = row - Math.floor(state.height / 2);
  return clampView({ ...state, cursor: row, scroll }, state.visible.length);
}

export function libraryReducer(state: LibraryState, action: LibraryAction): LibraryState {
  switch (action.type) {
    case "library/loading":
      return { ...state, status: "loading", error: null, progress: null };
    case "library/progress":
      return state.status === "loading"
        ? { ...state, progress: { loaded: action.loaded, total: action.total } }
        : state;
    case "library/loaded": {
      const selectedId = selectedTrack(state)?.id;
      const folded = foldTracks(action.tracks);
      const order = sortOrder(action.tracks, folded, state.sort);
      const loaded = applyQuery({
        ...state,
        status: "ready",
        error: null,
        progress: null,
        tracks: action.tracks,
        folded,
        order,
        applied: "",
        visible: order,
        narrowed: [],
      });
      const index = selectedId === undefined
        ? undefined
        : action.tracks.findIndex((t) => t.id === selectedId);
      return selectIndex(loaded, index === -1 ? undefined : index);
    }
    case "library/failed":
      return { ...state, status: "error", error: action.message };
    case "library/sort": {
      const next = action.sort ?? SORT_KEYS[(SORT_KEYS.indexOf(state.sort) + 1) % SORT_KEYS.length] ??
        "title";
      if (next === state.sort && action.sort !== undefined) return state;
      const selected = state.visible[state.cursor];
      const order = sortOrder(state.tracks, state.folded, next);
      const sorted = applyQuery({ ...state, sort: next, order, applied: "", visible: order, narrowed: [] });
      return selectIndex(sorted, selected);
    }
    case "library/searchStart":
      return { ...state, searching: true };
    case "library/searchType":
      if (action.text === "") return state;
      return applyQuery({ ...state, query: state.query + action.text });
    case "library/searchErase":
      if (state.query === "") return state;
      return applyQuery({ ...state, query: Array.from(state.query).slice(0, -1).join("") });
    case "library/searchKeep":
      return clampView({ ...state, searching: false, cursor: 0, scroll: 0 }, state.visible.length);
    case "library/searchClear": {
      const selected = state.visible[state.cursor];
      const cleared = applyQuery({ ...state, searching: false, query: "" });
      return selectIndex(cleared, selected);
    }
    case "library/move":
      return moveView(state, state.visible.length, action.move);
    case "library/resize":
      if (action.height === state.height) return state;
      return clampView({ ...state, height: action.height }, state.visible.length);
    case "library/toggleDetails":
      return { ...state, details: !state.details };
  }
}
