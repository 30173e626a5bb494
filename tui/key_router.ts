/**
 * Routes key presses to the listeners of the key table's scopes: each key, one at a time, goes to every listener
 * whose scopes all listen in the mode in front (`KEY_MODES` in keys.ts), with the action it means there. Ink reports
 * a run of plain characters read in one chunk as a single input ("jjj" when j is held down, "abc\r" when keys arrive
 * together under load or through tmux); the router splits such runs so that every key press counts, and decides the
 * mode again before each key: a key earlier in the same chunk may have changed it (`/` opens the search field, and
 * the keys after it are search text, not commands).
 *
 * @module
 */

import type { Key } from "ink";
import { actionFor, type ActionIn, keyModeOf, type KeyScope, listensIn } from "./keys.ts";
import type { AppState } from "./state/app.ts";

/** A key event with nothing pressed; tests build theirs from it. */
export const NO_KEY: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

function keyOf(char: string): [string, Key] {
  const code = char.codePointAt(0) ?? 0;
  if (char === "\r" || char === "\n") return ["", { ...NO_KEY, return: true }];
  if (char === "\t") return ["", { ...NO_KEY, tab: true }];
  if (char === "\x7f") return ["", { ...NO_KEY, delete: true }];
  if (char === "\b") return ["", { ...NO_KEY, backspace: true }];
  if (code >= 1 && code <= 26) return [String.fromCharCode(code + 96), { ...NO_KEY, ctrl: true }];
  return [char, { ...NO_KEY, shift: /[A-Z]/.test(char) }];
}

/** The single key presses in one input event (itself when it is one key or an escape sequence). */
export function splitKeys(input: string, key: Key): Array<[string, Key]> {
  const chars = Array.from(input);
  if (chars.length <= 1 || input.startsWith("\x1b") || key.ctrl || key.meta) return [[input, key]];
  return chars.map(keyOf);
}

/** What a listener does with a key press: `action` is what it means in the listener's scopes, or null. */
export type KeyHandler<S extends KeyScope> = (
  action: ActionIn<S> | null,
  input: string,
  key: Key,
  state: AppState,
) => void;

interface Listener {
  scopes: readonly KeyScope[];
  handle: (input: string, key: Key, state: AppState) => void;
}

/** The listeners of one app and where its key presses go. */
export class KeyRouter {
  #listeners = new Set<Listener>();
  #getState: () => AppState;

  constructor(getState: () => AppState) {
    this.#getState = getState;
  }

  /** Adds a listener of `scopes`; returns what removes it. */
  listen<S extends KeyScope>(scopes: readonly S[], handle: KeyHandler<S>): () => void {
    const listener: Listener = {
      scopes,
      handle: (input, key, state) => handle(actionFor(scopes, input, key), input, key, state),
    };
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Hands one input event (as ink's `useInput` reports it) to the listeners, key by key. */
  press(input: string, key: Key): void {
    for (const [one, oneKey] of splitKeys(input, key)) {
      const state = this.#getState();
      const mode = keyModeOf(state);
      for (const listener of [...this.#listeners]) {
        if (!listensIn(mode, listener.scopes)) continue;
        listener.handle(one, oneKey, state);
      }
    }
  }
}
