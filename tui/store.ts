/**
 * A tiny store around {@linkcode appReducer}: the controller reads the current state synchronously after it
 * dispatches, and components subscribe through `useSyncExternalStore`.
 *
 * @module
 */

import { type AppAction, appReducer, type AppState } from "./state/app.ts";

/** Holds the state and tells subscribers when it changes. */
export class Store {
  #state: AppState;
  #listeners = new Set<() => void>();

  constructor(initial: AppState) {
    this.#state = initial;
  }

  getState = (): AppState => this.#state;

  dispatch = (action: AppAction): void => {
    const next = appReducer(this.#state, action);
    if (next === this.#state) return;
    this.#state = next;
    for (const listener of [...this.#listeners]) listener();
  };

  subscribe = (listener: () => void): () => void => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };
}
