/**
 * `useInput` that hands the handler one key at a time. Ink reports a run of plain characters read in one chunk as
 * a single input ("jjj" when j is held down, "abc\r" when keys arrive together under load or through tmux); this
 * splits such runs so that every key press counts.
 *
 * @module
 */

import { type Key, useInput } from "ink";
import { useTui } from "./context.tsx";
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

/**
 * Like ink's `useInput(handler, { isActive })`, calling `handler` once per key press and only while `active` holds
 * for the current state: a key earlier in the same chunk may have changed it (`/` opens the search field, and the
 * keys after it are search text, not commands).
 */
export function useKeys(
  handler: (input: string, key: Key, state: AppState) => void,
  active: (state: AppState) => boolean,
): void {
  const { state, getState } = useTui();
  useInput((input, key) => {
    for (const [one, oneKey] of splitKeys(input, key)) {
      const current = getState();
      if (active(current)) handler(one, oneKey, current);
    }
  }, { isActive: active(state) });
}
