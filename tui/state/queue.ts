/**
 * The play queue: tracks in the order they play, which one is current, and the cursor of the queue screen.
 *
 * @module
 */

import type { CatalogTrack } from "../../protocol/mod.ts";
import { clampView, type ListMove, moveView } from "./_list.ts";

/** One entry; `key` tells apart two entries of the same track. */
export interface QueueEntry {
  key: number;
  track: CatalogTrack;
}

export interface QueueState {
  entries: readonly QueueEntry[];
  /** Index of the entry playing or last played, or null before the first. */
  current: number | null;
  nextKey: number;
  cursor: number;
  scroll: number;
  height: number;
}

export type QueueAction =
  /** Appends to the end. */
  | { type: "queue/add"; track: CatalogTrack }
  /**
   * Inserts right after the current entry (first when none played yet) and makes it current: what Enter in the
   * library does. The entries queued after it still follow.
   */
  | { type: "queue/playNow"; track: CatalogTrack }
  /** Replaces every entry with `tracks`, in order (playing a playlist); none is current yet. */
  | { type: "queue/replace"; tracks: readonly CatalogTrack[] }
  /** Makes entry `index` current. */
  | { type: "queue/jump"; index: number }
  | { type: "queue/next" }
  | { type: "queue/previous" }
  | { type: "queue/remove"; index: number }
  | { type: "queue/move"; move: ListMove }
  | { type: "queue/resize"; height: number };

export const INITIAL_QUEUE: QueueState = {
  entries: [],
  current: null,
  nextKey: 1,
  cursor: 0,
  scroll: 0,
  height: 10,
};

/** The current entry's track, if any. */
export function currentTrack(state: QueueState): CatalogTrack | null {
  return state.current === null ? null : state.entries[state.current]?.track ?? null;
}

/** Index of the entry after the current one, or null at the end of the queue. */
export function nextIndex(state: QueueState): number | null {
  const next = state.current === null ? 0 : state.current + 1;
  return next < state.entries.length ? next : null;
}

export function queueReducer(state: QueueState, action: QueueAction): QueueState {
  switch (action.type) {
    case "queue/add": {
      const entries = [...state.entries, { key: state.nextKey, track: action.track }];
      return { ...state, entries, nextKey: state.nextKey + 1 };
    }
    case "queue/playNow": {
      const at = state.current === null ? 0 : state.current + 1;
      const entries = [...state.entries];
      entries.splice(at, 0, { key: state.nextKey, track: action.track });
      return { ...state, entries, current: at, nextKey: state.nextKey + 1 };
    }
    case "queue/replace": {
      const entries = action.tracks.map((track, i) => ({ key: state.nextKey + i, track }));
      return clampView(
        { ...state, entries, current: null, nextKey: state.nextKey + entries.length, cursor: 0, scroll: 0 },
        entries.length,
      );
    }
    case "queue/jump":
      if (action.index < 0 || action.index >= state.entries.length) return state;
      return { ...state, current: action.index };
    case "queue/next": {
      const next = nextIndex(state);
      return next === null ? state : { ...state, current: next };
    }
    case "queue/previous":
      if (state.current === null || state.current === 0) return state;
      return { ...state, current: state.current - 1 };
    case "queue/remove": {
      if (action.index < 0 || action.index >= state.entries.length) return state;
      const entries = state.entries.filter((_, i) => i !== action.index);
      let current = state.current;
      if (current !== null && action.index <= current) current = current === 0 ? null : current - 1;
      return clampView({ ...state, entries, current }, entries.length);
    }
    case "queue/move":
      return moveView(state, state.entries.length, action.move);
    case "queue/resize":
      if (action.height === state.height) return state;
      return clampView({ ...state, height: action.height }, state.entries.length);
  }
}
