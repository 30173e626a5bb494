/**
 * The user's favourites as the player shows them: the ids of the starred tracks (the same the OpenSubsonic API
 * keeps, so a Subsonic app sees them too), and which toggles wait for the server's answer.
 *
 * @module
 */

export interface StarsState {
  /** Ids of the starred tracks (as shown: a toggle shows at once, and goes back if the server refuses it). */
  ids: ReadonlySet<string>;
  /** Whether the server's list has arrived (stars are not shown before). */
  loaded: boolean;
}

export type StarsAction =
  /** The server's list of starred tracks. */
  | { type: "stars/loaded"; ids: readonly string[] }
  /** A track was starred or unstarred (shown at once; sent again with the old value when the server refused). */
  | { type: "stars/set"; id: string; starred: boolean };

export const INITIAL_STARS: StarsState = { ids: new Set(), loaded: false };

/** Whether a track is starred. */
export function isStarred(state: StarsState, id: string): boolean {
  return state.ids.has(id);
}

export function starsReducer(state: StarsState, action: StarsAction): StarsState {
  switch (action.type) {
    case "stars/loaded":
      return { ids: new Set(action.ids), loaded: true };
    case "stars/set": {
      if (state.ids.has(action.id) === action.starred) return state;
      const ids = new Set(state.ids);
      if (action.starred) ids.add(action.id);
      else ids.delete(action.id);
      return { ...state, ids };
    }
  }
}
