/**
 * The playlists screen: the user's playlists (the same an OpenSubsonic app shows, kept by the bootstrap), the
 * one opened with its tracks, and the cursor of each list. Playing a playlist is the app's (it replaces the
 * queue): `player/playList` in `app.ts`.
 *
 * @module
 */

import type { CatalogTrack, PlaylistSummary } from "../../protocol/mod.ts";
import { clampView, type ListMove, type ListView, moveView } from "./_list.ts";

/** A playlist opened to show its tracks. */
export interface OpenPlaylist extends ListView {
  id: string;
  name: string;
  status: "loading" | "loaded" | "failed";
  tracks: readonly CatalogTrack[];
  error: string | null;
}

export interface PlaylistsState extends ListView {
  /** Whether the services keep playlists (the screen is offered only then). */
  available: boolean;
  status: "idle" | "loading" | "loaded" | "failed";
  lists: readonly PlaylistSummary[];
  error: string | null;
  /** The playlist shown with its tracks, or null while the list of playlists is shown. */
  open: OpenPlaylist | null;
}

export type PlaylistsAction =
  /** Whether the services keep playlists. */
  | { type: "playlists/available"; available: boolean }
  | { type: "playlists/loading" }
  | { type: "playlists/loaded"; lists: readonly PlaylistSummary[] }
  | { type: "playlists/failed"; message: string }
  /** Moves the cursor of the list in front (the open playlist's tracks, or the playlists). */
  | { type: "playlists/move"; move: ListMove }
  | { type: "playlists/resize"; height: number }
  /** Opens a playlist: its tracks are being fetched. */
  | { type: "playlists/opening"; id: string; name: string }
  | { type: "playlists/opened"; id: string; tracks: readonly CatalogTrack[] }
  | { type: "playlists/openFailed"; id: string; message: string }
  /** Back from a playlist's tracks to the playlists. */
  | { type: "playlists/back" };

export const INITIAL_PLAYLISTS: PlaylistsState = {
  available: false,
  status: "idle",
  lists: [],
  error: null,
  open: null,
  cursor: 0,
  scroll: 0,
  height: 10,
};

/** The playlist under the cursor of the list of playlists, if any. */
export function selectedPlaylist(state: PlaylistsState): PlaylistSummary | null {
  return state.lists[state.cursor] ?? null;
}

export function playlistsReducer(state: PlaylistsState, action: PlaylistsAction): PlaylistsState {
  switch (action.type) {
    case "playlists/available":
      return action.available === state.available ? state : { ...state, available: action.available };
    case "playlists/loading":
      return state.status === "loading" ? state : { ...state, status: "loading", error: null };
    case "playlists/loaded": {
      // The cursor stays on the same playlist when it is still there.
      const at = state.lists[state.cursor];
      const found = at === undefined ? -1 : action.lists.findIndex((l) => l.id === at.id);
      const cursor = found >= 0 ? found : state.cursor;
      return clampView(
        { ...state, status: "loaded", lists: action.lists, error: null, cursor },
        action.lists.length,
      );
    }
    case "playlists/failed":
      return { ...state, status: "failed", error: action.message };
    case "playlists/move":
      if (state.open !== null) {
        return { ...state, open: moveView(state.open, state.open.tracks.length, action.move) };
      }
      return moveView(state, state.lists.length, action.move);
    case "playlists/resize": {
      if (action.height === state.height) return state;
      const open = state.open === null
        ? null
        : clampView({ ...state.open, height: action.height }, state.open.tracks.length);
      return clampView({ ...state, height: action.height, open }, state.lists.length);
    }
    case "playlists/opening":
      return {
        ...state,
        open: {
          id: action.id,
          name: action.name,
          status: "loading",
          tracks: [],
          error: null,
          cursor: 0,
          scroll: 0,
          height: state.height,
        },
      };
    case "playlists/opened":
      // An answer for a playlist no longer open is dropped.
      if (state.open?.id !== action.id) return state;
      return {
        ...state,
        open: clampView<OpenPlaylist>(
          { ...state.open, status: "loaded", tracks: action.tracks },
          action.tracks.length,
        ),
      };
    case "playlists/openFailed":
      if (state.open?.id !== action.id) return state;
      return { ...state, open: { ...state.open, status: "failed", error: action.message } };
    case "playlists/back":
      return state.open === null ? state : { ...state, open: null };
  }
}
