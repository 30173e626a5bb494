/**
 * The library screen's state: the catalog, its sort order, the search filter, and the cursor over what is visible.
 *
 * @module
 */

import type { CatalogTrack } from "../../protocol/mod.ts";
import { clampView, type ListMove, moveView } from "./_list.ts";
import { filterIndices, type FoldedTracks, foldTracks, queryTerms } from "./search.ts";

/** Tracks per page of a library too large to hold (see {@linkcode RemoteList}). */
export const PAGE_SIZE = 200;
/** Pages fetched beyond the rows on screen, on either side, so that scrolling rarely waits. */
export const READ_AHEAD_PAGES = 1;
/** Pages held at most: those farthest from the screen are dropped first (a million rows never stay in memory). */
export const MAX_PAGES = 50;

/**
 * A library too large to hold (the controller decides: more tracks than it fetches whole): the server's list,
 * in the server's order (artist, album, track), searched on the server, of which only the pages around the
 * screen are held.
 */
export interface RemoteList {
  /** The folded query these pages answer ("" lists every track). */
  query: string;
  /** How many tracks match. */
  total: number;
  /** Pages held, by page number ({@linkcode PAGE_SIZE} tracks each). */
  pages: ReadonlyMap<number, readonly CatalogTrack[]>;
  /** Pages asked for and not answered yet. */
  pending: ReadonlySet<number>;
}

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
  /**
   * Set for a library too large to hold: rows are its pages, `applied` is the query the server is to answer
   * (the controller asks, debounced, while `applied` differs from `remote.query`), and `tracks`, `order` and
   * `visible` stay empty.
   */
  remote: RemoteList | null;
}

export type LibraryAction =
  | { type: "library/loading" }
  | { type: "library/progress"; loaded: number; total: number }
  | { type: "library/loaded"; tracks: readonly CatalogTrack[] }
  /** A large library's first page (page 0 of the list of every track) and how many there are. */
  | { type: "library/opened"; total: number; tracks: readonly CatalogTrack[] }
  /** Pages of `query` asked for (so that they are not asked for twice). */
  | { type: "library/pagesRequested"; query: string; pages: readonly number[] }
  /** A page of `query` answered; dropped when `query` is no longer what is shown or asked for. */
  | { type: "library/page"; query: string; page: number; total: number; tracks: readonly CatalogTrack[] }
  /** A page of `query` could not be fetched: it may be asked for again. */
  | { type: "library/pageFailed"; query: string; page: number }
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
  remote: null,
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

/** How many rows the list has: the tracks that match, held or not. */
export function rowCount(state: LibraryState): number {
  return state.remote === null ? state.visible.length : state.remote.total;
}

/** The track on `row` (0 is the first); null when it is out of range or its page is not here yet. */
export function rowTrack(state: LibraryState, row: number): CatalogTrack | null {
  if (state.remote === null) {
    const index = state.visible[row];
    return index === undefined ? null : state.tracks[index] ?? null;
  }
  if (row < 0 || row >= state.remote.total) return null;
  return state.remote.pages.get(Math.floor(row / PAGE_SIZE))?.[row % PAGE_SIZE] ?? null;
}

/** The track under the cursor, if any. */
export function selectedTrack(state: LibraryState): CatalogTrack | null {
  return rowTrack(state, state.cursor);
}

/** Whether a large library waits for the server to answer what was typed. */
export function searchPending(state: LibraryState): boolean {
  return state.remote !== null && state.remote.query !== state.applied;
}

/**
 * The pages of a large library to fetch now: those of the rows on screen and {@linkcode READ_AHEAD_PAGES} on
 * either side, not held and not asked for, nearest the screen first. None while a search waits for its answer.
 */
export function pagesToFetch(state: LibraryState): number[] {
  const remote = state.remote;
  if (remote === null || searchPending(state) || remote.total === 0) return [];
  const first = Math.floor(state.scroll / PAGE_SIZE);
  const last = Math.floor((state.scroll + state.height - 1) / PAGE_SIZE);
  const lastPage = Math.floor((remote.total - 1) / PAGE_SIZE);
  const wanted: number[] = [];
  for (let page = first; page <= last; page++) wanted.push(page);
  for (let d = 1; d <= READ_AHEAD_PAGES; d++) wanted.push(last + d, first - d);
  return wanted.filter((page) =>
    page >= 0 && page <= lastPage && !remote.pages.has(page) && !remote.pending.has(page)
  );
}

/** Drops the pages farthest from `around` until at most MAX_PAGES are held. */
function boundPages(
  pages: Map<number, readonly CatalogTrack[]>,
  around: number,
): Map<number, readonly CatalogTrack[]> {
  if (pages.size <= MAX_PAGES) return pages;
  const far = [...pages.keys()].sort((a, b) => Math.abs(b - around) - Math.abs(a - around));
  for (const page of far.slice(0, pages.size - MAX_PAGES)) pages.delete(page);
  return pages;
}

/** The reducer's answer to the actions of a large library's list (`remote` set). */
function remoteReducer(state: LibraryState, remote: RemoteList, action: LibraryAction): LibraryState {
  const count = (s: LibraryState) => rowCount(s);
  switch (action.type) {
    case "library/pagesRequested": {
      if (action.query !== remote.query) return state;
      const pending = new Set(remote.pending);
      for (const page of action.pages) pending.add(page);
      return { ...state, remote: { ...remote, pending } };
    }
    case "library/page": {
      if (action.query === state.applied && action.query !== remote.query) {
        // The first answer of a new search: its pages replace the others.
        const next = {
          ...state,
          remote: {
            query: action.query,
            total: action.total,
            pages: new Map([[action.page, action.tracks]]),
            pending: new Set<number>(),
          },
          cursor: 0,
          scroll: 0,
        };
        return clampView(next, count(next));
      }
      if (action.query !== remote.query) return state; // a stale answer
      const pending = new Set(remote.pending);
      pending.delete(action.page);
      const pages = boundPages(
        new Map(remote.pages).set(action.page, action.tracks),
        Math.floor(state.scroll / PAGE_SIZE),
      );
      const next = { ...state, remote: { ...remote, total: action.total, pages, pending } };
      return clampView(next, count(next));
    }
    case "library/pageFailed": {
      if (action.query !== remote.query || !remote.pending.has(action.page)) return state;
      const pending = new Set(remote.pending);
      pending.delete(action.page);
      return { ...state, remote: { ...remote, pending } };
    }
    case "library/sort":
      return state; // the server's order: a list that is not held cannot be sorted here
    case "library/searchType":
      if (action.text === "") return state;
      return withQuery(state, state.query + action.text);
    case "library/searchErase":
      if (state.query === "") return state;
      return withQuery(state, Array.from(state.query).slice(0, -1).join(""));
    case "library/searchKeep":
      return clampView({ ...state, searching: false }, count(state));
    case "library/searchClear":
      return withQuery({ ...state, searching: false }, "");
    case "library/move":
      return moveView(state, count(state), action.move);
    case "library/resize":
      if (action.height === state.height) return state;
      return clampView({ ...state, height: action.height }, count(state));
    default:
      return state;
  }
}

/** A large library's search as typed: what the server is to answer next (the rows stay until it does). */
function withQuery(state: LibraryState, query: string): LibraryState {
  return { ...state, query, applied: queryTerms(query).join(" ") };
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

/** Actions a large library leaves to the common reducer: loading again, failing, the details pane. */
const REMOTE_PASSES = new Set<LibraryAction["type"]>([
  "library/loading",
  "library/progress",
  "library/loaded",
  "library/opened",
  "library/failed",
  "library/searchStart",
  "library/toggleDetails",
]);

export function libraryReducer(state: LibraryState, action: LibraryAction): LibraryState {
  if (state.remote !== null) {
    const remote = remoteReducer(state, state.remote, action);
    if (remote !== state || !REMOTE_PASSES.has(action.type)) return remote;
  }
  switch (action.type) {
    case "library/opened":
      return clampView({
        ...INITIAL_LIBRARY,
        height: state.height,
        details: state.details,
        status: "ready",
        sort: "artist",
        remote: { query: "", total: action.total, pages: new Map([[0, action.tracks]]), pending: new Set() },
      }, action.total);
    case "library/pagesRequested":
    case "library/page":
    case "library/pageFailed":
      return state;
    case "library/loading":
      return { ...state, status: "loading", error: null, progress: null };
    case "library/progress":
      return state.status === "loading"
        ? { ...state, progress: { loaded: action.loaded, total: action.total } }
        : state;
    case "library/loaded": {
      const selectedId = state.remote === null ? selectedTrack(state)?.id : undefined;
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
        remote: null,
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
