/**
 * The context components read the state from and reach the controller and the keys through, so that no screen
 * needs props.
 *
 * @module
 */

import { createContext, type ReactNode, useContext, useSyncExternalStore } from "react";
import type { TuiController } from "./controller.ts";
import type { KeyRouter } from "./key_router.ts";
import type { AppAction, AppState } from "./state/app.ts";
import type { Store } from "./store.ts";

/** What the provider holds for the lifetime of the app. */
export interface TuiRuntime {
  store: Store;
  controller: TuiController;
  /** Where key presses go: `useKeys` listens to it. */
  keys: KeyRouter;
}

const TuiContext = createContext<TuiRuntime | null>(null);

/** Makes the store and controller available to every component below. */
export function TuiProvider(props: { runtime: TuiRuntime; children: ReactNode }): ReactNode {
  return <TuiContext.Provider value={props.runtime}>{props.children}</TuiContext.Provider>;
}

/** The current state, a dispatcher and the controller. Re-renders on every state change. */
export function useTui(): {
  state: AppState;
  /** The state right now, which may be newer than `state` inside an input handler. */
  getState: () => AppState;
  dispatch: (action: AppAction) => void;
  controller: TuiController;
  keys: KeyRouter;
} {
  const runtime = useContext(TuiContext);
  if (runtime === null) throw new Error("Cannot use the TUI state: no TuiProvider above this component");
  const state = useSyncExternalStore(runtime.store.subscribe, runtime.store.getState);
  return {
    state,
    getState: runtime.store.getState,
    dispatch: runtime.store.dispatch,
    controller: runtime.controller,
    keys: runtime.keys,
  };
}
