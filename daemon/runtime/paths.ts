/**
 * Where audiod keeps its files, following the XDG base directory spec.
 *
 * @module
 */

import { join } from "node:path";

function home(): string {
  return Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE") ?? ".";
}

/** `$XDG_DATA_HOME/audiod`, else `~/.local/share/audiod`: stores of the daemons. */
export function defaultDataDir(): string {
  const xdg = Deno.env.get("XDG_DATA_HOME");
  return join(xdg && xdg !== "" ? xdg : join(home(), ".local", "share"), "audiod");
}

/** `AUDIOD_CONFIG_DIR`, else `$XDG_CONFIG_HOME/audiod`, else `~/.config/audiod`: the client's session. */
export function defaultConfigDir(): string {
  const own = Deno.env.get("AUDIOD_CONFIG_DIR");
  if (own && own !== "") return own;
  const xdg = Deno.env.get("XDG_CONFIG_HOME");
  return join(xdg && xdg !== "" ? xdg : join(home(), ".config"), "audiod");
}

/** `$XDG_CACHE_HOME/audiod`, else `~/.cache/audiod`: verified tracks. */
export function defaultCacheDir(): string {
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  return join(xdg && xdg !== "" ? xdg : join(home(), ".cache"), "audiod");
}
