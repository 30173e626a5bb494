/**
 * The hooks of the key table: {@linkcode useKeys} listens to some scopes, {@linkcode useKeyInput} feeds the app's
 * key presses to its {@linkcode KeyRouter} (once, at the root).
 *
 * @module
 */

import { useInput } from "ink";
import { useEffect, useRef } from "react";
import { useTui } from "./context.tsx";
import type { KeyHandler } from "./key_router.ts";
import type { KeyScope } from "./keys.ts";

/**
 * Listens to the keys of `scopes` while the component is mounted: `handler` gets each key press while the mode in
 * front lists every one of `scopes` (`KEY_MODES` in keys.ts), with the action it means there (null for other keys,
 * e.g. text typed into a field).
 */
export function useKeys<S extends KeyScope>(scopes: readonly S[], handler: KeyHandler<S>): void {
  const { keys } = useTui();
  const latest = useRef(handler);
  latest.current = handler;
  const id = scopes.join(",");
  useEffect(() => keys.listen(scopes, (...args) => latest.current(...args)), [keys, id]);
}

/** Feeds ink's key presses to the app's router; the root calls it once. */
export function useKeyInput(): void {
  const { keys } = useTui();
  useInput((input, key) => keys.press(input, key));
}
