/**
 * Every key binding of the player, defined once with its help text, and which scopes listen in each situation
 * ({@linkcode KEY_MODES}, one of which holds at a time: {@linkcode keyModeOf}). Listeners (`useKeys`) take the keys of
 * their scopes while the mode in front lists them; the help overlay shows the scopes of a screen's modes
 * ({@linkcode helpScopes}).
 *
 * @module
 */

import type { Key } from "ink";
import type { AppState, Screen } from "./state/app.ts";

/** A key the terminal can send that is not a printable character. */
export type SpecialKey =
  | "up"
  | "down"
  | "left"
  | "right"
  | "pageUp"
  | "pageDown"
  | "home"
  | "end"
  | "return"
  | "escape"
  | "tab"
  | "shiftTab"
  | "backspace"
  | "delete"
  | "space";

/** One way of pressing a binding: a printable character, a special key, or Ctrl with a letter. */
export type KeySpec = { char: string } | { special: SpecialKey } | { ctrl: string };

/** Where a binding applies. A mode activates a few scopes; bindings of active scopes never share a key. */
export type KeyScope =
  | "always"
  | "player"
  | "list"
  | "library"
  | "search"
  | "queue"
  | "playlists"
  | "cluster"
  | "connect"
  | "signIn"
  | "help";

/** One row of the key table. */
export interface KeyBinding {
  readonly action: string;
  readonly scope: KeyScope;
  readonly keys: readonly KeySpec[];
  readonly help: string;
}

const ch = (char: string): KeySpec => ({ char });
const sp = (special: SpecialKey): KeySpec => ({ special });
const ctrl = (letter: string): KeySpec => ({ ctrl: letter });

/** The key table. */
export const KEY_BINDINGS = [
  { action: "forceQuit", scope: "always", keys: [ctrl("c")], help: "quit from anywhere" },

  { action: "togglePause", scope: "player", keys: [sp("space")], help: "pause / resume" },
  { action: "seekBack", scope: "player", keys: [sp("left")], help: "seek back 5 s" },
  { action: "seekForward", scope: "player", keys: [sp("right")], help: "seek forward 5 s" },
  { action: "volumeUp", scope: "player", keys: [ch("+"), ch("=")], help: "volume up 5%" },
  { action: "volumeDown", scope: "player", keys: [ch("-")], help: "volume down 5%" },
  { action: "next", scope: "player", keys: [ch("n")], help: "next track in the queue" },
  { action: "previous", scope: "player", keys: [ch("p")], help: "previous track in the queue" },
  { action: "stop", scope: "player", keys: [ch("s")], help: "stop playback" },
  { action: "nextScreen", scope: "player", keys: [sp("tab")], help: "next screen: library, queue, …" },
  { action: "previousScreen", scope: "player", keys: [sp("shiftTab")], help: "previous screen" },
  { action: "help", scope: "player", keys: [ch("?")], help: "show / hide this help" },
  { action: "signOut", scope: "player", keys: [ch("L")], help: "sign out" },
  { action: "quit", scope: "player", keys: [ch("q")], help: "quit (stops playback first)" },

  { action: "down", scope: "list", keys: [ch("j"), sp("down")], help: "move down" },
  { action: "up", scope: "list", keys: [ch("k"), sp("up")], help: "move up" },
  { action: "top", scope: "list", keys: [ch("g"), sp("home")], help: "go to the top" },
  { action: "bottom", scope: "list", keys: [ch("G"), sp("end")], help: "go to the bottom" },
  { action: "pageDown", scope: "list", keys: [sp("pageDown")], help: "one page down" },
  { action: "pageUp", scope: "list", keys: [sp("pageUp")], help: "one page up" },
  { action: "play", scope: "list", keys: [sp("return")], help: "play the selected track" },

  { action: "search", scope: "library", keys: [ch("/")], help: "search title, artist and album" },
  { action: "enqueue", scope: "library", keys: [ch("a")], help: "add the selected track to the queue" },
  { action: "sort", scope: "library", keys: [ch("o")], help: "sort: title, artist, album, duration" },
  { action: "details", scope: "library", keys: [ch("i")], help: "show / hide the track details" },
  { action: "star", scope: "library", keys: [ch("*")], help: "star / unstar the selected track" },
  { action: "clearFilter", scope: "library", keys: [sp("escape")], help: "clear the filter" },
  { action: "reload", scope: "library", keys: [ch("r")], help: "reload the library (retry)" },

  {
    action: "keepFilter",
    scope: "search",
    keys: [sp("return")],
    help: "keep the filter, go to the 1st match",
  },
  { action: "cancelSearch", scope: "search", keys: [sp("escape")], help: "clear the search" },
  {
    action: "eraseSearch",
    scope: "search",
    keys: [sp("backspace"), sp("delete")],
    help: "erase a character",
  },

  { action: "remove", scope: "queue", keys: [ch("x"), sp("delete")], help: "remove from the queue" },

  { action: "playPlaylist", scope: "playlists", keys: [ch("P")], help: "play the whole playlist" },
  { action: "closePlaylist", scope: "playlists", keys: [sp("escape")], help: "back to the playlists" },
  { action: "reload", scope: "playlists", keys: [ch("r")], help: "reload the playlists" },

  { action: "refresh", scope: "cluster", keys: [ch("r")], help: "refresh now" },

  { action: "connect", scope: "connect", keys: [sp("return")], help: "connect to the address" },
  { action: "nextRecent", scope: "connect", keys: [sp("tab"), sp("down")], help: "next recent server" },
  {
    action: "previousRecent",
    scope: "connect",
    keys: [sp("shiftTab"), sp("up")],
    help: "previous recent server",
  },
  { action: "erase", scope: "connect", keys: [sp("backspace"), sp("delete")], help: "erase a character" },

  { action: "submit", scope: "signIn", keys: [sp("return")], help: "next field, then sign in" },
  { action: "nextField", scope: "signIn", keys: [sp("tab"), sp("down")], help: "next field" },
  { action: "previousField", scope: "signIn", keys: [sp("shiftTab"), sp("up")], help: "previous field" },
  { action: "toggleMode", scope: "signIn", keys: [ctrl("r")], help: "switch between log in and register" },
  { action: "back", scope: "signIn", keys: [sp("escape")], help: "back to the server address" },
  { action: "erase", scope: "signIn", keys: [sp("backspace"), sp("delete")], help: "erase a character" },

  { action: "closeHelp", scope: "help", keys: [ch("?"), sp("escape"), ch("q")], help: "close this help" },
  {
    action: "helpNext",
    scope: "help",
    keys: [ch("j"), sp("down"), sp("pageDown")],
    help: "next page of keys",
  },
  {
    action: "helpPrevious",
    scope: "help",
    keys: [ch("k"), sp("up"), sp("pageUp")],
    help: "previous page of keys",
  },
] as const satisfies readonly KeyBinding[];

type Binding = (typeof KEY_BINDINGS)[number];

/** Every action of the key table. */
export type KeyAction = Binding["action"];

/** The actions bound in scope `S`. */
export type ActionIn<S extends KeyScope> = Binding extends infer B
  ? B extends { scope: S; action: infer A } ? A : never
  : never;

/** Title of each scope in the help overlay, in the order the help lists them. */
export const SCOPE_TITLES: Record<KeyScope, string> = {
  player: "Playback and screens",
  list: "Lists",
  library: "Library",
  search: "While searching (type to filter)",
  queue: "Queue",
  playlists: "Playlists (Enter opens one, then plays)",
  cluster: "Cluster",
  connect: "Connect",
  signIn: "Sign in",
  always: "Anywhere",
  help: "Help",
};

const SPECIAL_LABELS: Record<SpecialKey, string> = {
  up: "↑",
  down: "↓",
  left: "←",
  right: "→",
  pageUp: "PgUp",
  pageDown: "PgDn",
  home: "Home",
  end: "End",
  return: "Enter",
  escape: "Esc",
  tab: "Tab",
  shiftTab: "Shift+Tab",
  backspace: "Backspace",
  delete: "Del",
  space: "Space",
};

/** How a key is written in the help: `j`, `↓`, `Ctrl+C`. */
export function keyLabel(spec: KeySpec): string {
  if ("char" in spec) return spec.char;
  if ("special" in spec) return SPECIAL_LABELS[spec.special];
  return `Ctrl+${spec.ctrl.toUpperCase()}`;
}

/** All the keys of a binding, as written in the help: `j/↓`. */
export function bindingLabel(binding: KeyBinding): string {
  return binding.keys.map(keyLabel).join("/");
}

function specialPressed(special: SpecialKey, input: string, key: Key): boolean {
  switch (special) {
    case "up":
      return key.upArrow;
    case "down":
      return key.downArrow;
    case "left":
      return key.leftArrow;
    case "right":
      return key.rightArrow;
    case "pageUp":
      return key.pageUp;
    case "pageDown":
      return key.pageDown;
    case "home":
      return key.home;
    case "end":
      return key.end;
    case "return":
      return key.return;
    case "escape":
      return key.escape;
    case "tab":
      return key.tab && !key.shift;
    case "shiftTab":
      return key.tab && key.shift;
    case "backspace":
      return key.backspace;
    case "delete":
      return key.delete;
    case "space":
      return input === " " && !key.ctrl && !key.meta;
  }
}

/** Whether a key press (as ink's `useInput` reports it) is `spec`. */
export function keyMatches(spec: KeySpec, input: string, key: Key): boolean {
  if ("char" in spec) return input === spec.char && !key.ctrl && !key.meta;
  if ("special" in spec) return specialPressed(spec.special, input, key);
  return key.ctrl && input.toLowerCase() === spec.ctrl;
}

/** The bindings of some scopes, in table order. */
export function bindingsIn(scopes: readonly KeyScope[]): KeyBinding[] {
  return KEY_BINDINGS.filter((binding) => scopes.includes(binding.scope));
}

/** Which action a key press means in `scopes`, or null when none. */
export function actionFor<S extends KeyScope>(
  scopes: readonly S[],
  input: string,
  key: Key,
): ActionIn<S> | null {
  for (const binding of KEY_BINDINGS) {
    if (!(scopes as readonly KeyScope[]).includes(binding.scope)) continue;
    if (binding.keys.some((spec) => keyMatches(spec, input, key))) return binding.action as ActionIn<S>;
  }
  return null;
}

/** Printable text typed into a field: the input without control characters, or "" for keys that are not text. */
export function typedText(input: string, key: Key): string {
  if (key.ctrl || key.meta || key.return || key.tab || key.escape) return "";
  // deno-lint-ignore no-control-regex
  return input.replace(/[\u0000-\u001f\u007f]/g, "");
}

/**
 * The scopes that listen in each mode, the one source of which keys work where: {@linkcode keyModeOf} says which
 * mode holds, `useKeys` listeners take keys while it lists their scopes, and the help shows the scopes of a screen's
 * modes. {@linkcode KEY_BINDINGS} never binds one key twice within a mode.
 */
export const KEY_MODES = {
  connect: ["always", "connect"],
  signIn: ["always", "signIn"],
  library: ["always", "player", "list", "library"],
  /** The library's search field has the keys. */
  search: ["always", "search"],
  queue: ["always", "player", "list", "queue"],
  playlists: ["always", "player", "list", "playlists"],
  cluster: ["always", "player", "cluster"],
  /** The help overlay is open over a main screen. */
  help: ["always", "help"],
  /** Playback is stopping before the exit: Ctrl+C exits at once. */
  quitting: ["always"],
} as const satisfies Record<string, readonly KeyScope[]>;

/** A situation that decides which keys work. */
export type KeyMode = keyof typeof KEY_MODES;

/** The modes each screen can be in, its own first; its help lists the keys of them all. */
export const SCREEN_MODES = {
  connect: ["connect"],
  signIn: ["signIn"],
  library: ["library", "search", "help"],
  queue: ["queue", "help"],
  playlists: ["playlists", "help"],
  cluster: ["cluster", "help"],
} as const satisfies Record<Screen, readonly KeyMode[]>;

/** The mode `state` is in. */
export function keyModeOf(state: Pick<AppState, "screen" | "help" | "quitting" | "library">): KeyMode {
  if (state.quitting) return "quitting";
  if (state.help) return "help";
  if (state.screen === "library" && state.library.searching) return "search";
  return state.screen;
}

/** Whether every scope of `scopes` listens in `mode`. */
export function listensIn(mode: KeyMode, scopes: readonly KeyScope[]): boolean {
  const active: readonly KeyScope[] = KEY_MODES[mode];
  return scopes.every((scope) => active.includes(scope));
}

/** The scopes whose keys the help of `screen` lists: those of its modes, in {@linkcode SCOPE_TITLES} order. */
export function helpScopes(screen: Screen): KeyScope[] {
  const modes: readonly KeyMode[] = SCREEN_MODES[screen];
  return (Object.keys(SCOPE_TITLES) as KeyScope[]).filter((scope) =>
    modes.some((mode) => listensIn(mode, [scope]))
  );
}
