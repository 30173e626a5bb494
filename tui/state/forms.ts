/**
 * The connect and sign-in forms.
 *
 * @module
 */

/** The connect screen: an address field and the servers used before. */
export interface ConnectState {
  address: string;
  /** Base URLs, most recent first. */
  recent: readonly string[];
  /** Which recent server is highlighted (and copied into the field), or null. */
  recentIndex: number | null;
  busy: boolean;
  error: string | null;
}

export type ConnectAction =
  | { type: "connect/type"; text: string }
  | { type: "connect/erase" }
  | { type: "connect/recent"; by: number }
  | { type: "connect/started"; address: string }
  | { type: "connect/failed"; message: string };

export const INITIAL_CONNECT: ConnectState = {
  address: "",
  recent: [],
  recentIndex: null,
  busy: false,
  error: null,
};

/** How many recent servers are remembered. */
export const MAX_RECENT_SERVERS = 8;

/** `recent` with `host` moved to the front. */
export function rememberServer(recent: readonly string[], host: string): string[] {
  return [host, ...recent.filter((r) => r !== host)].slice(0, MAX_RECENT_SERVERS);
}

export function connectReducer(state: ConnectState, action: ConnectAction): ConnectState {
  switch (action.type) {
    case "connect/type":
      if (state.busy || action.text === "") return state;
      return { ...state, address: state.address + action.text, recentIndex: null };
    case "connect/erase":
      if (state.busy) return state;
      return { ...state, address: Array.from(state.address).slice(0, -1).join(""), recentIndex: null };
    case "connect/recent": {
      if (state.busy || state.recent.length === 0) return state;
      const count = state.recent.length;
      const from = state.recentIndex ?? (action.by > 0 ? -1 : count);
      const index = (((from + action.by) % count) + count) % count;
      return { ...state, recentIndex: index, address: state.recent[index] ?? state.address };
    }
    case "connect/started":
      return { ...state, address: action.address, busy: true, error: null };
    case "connect/failed":
      return { ...state, busy: false, error: action.message };
  }
}

export type SignInMode = "login" | "register";
export type SignInField = "user" | "password" | "confirm" | "invite";

/** The sign-in screen. */
export interface SignInState {
  host: string;
  mode: SignInMode;
  field: SignInField;
  user: string;
  password: string;
  confirm: string;
  /** An invite code, for a server with `--registration invite` (optional otherwise). */
  invite: string;
  busy: boolean;
  error: string | null;
  /** Why the user is here, e.g. "Your session expired: sign in again". */
  message: string | null;
}

export type SignInAction =
  | { type: "signIn/type"; text: string }
  | { type: "signIn/erase" }
  | { type: "signIn/field"; by: number }
  | { type: "signIn/toggleMode" }
  | { type: "signIn/started" }
  | { type: "signIn/failed"; message: string };

export const INITIAL_SIGN_IN: SignInState = {
  host: "",
  mode: "login",
  field: "user",
  user: "",
  password: "",
  confirm: "",
  invite: "",
  busy: false,
  error: null,
  message: null,
};

/** The fields the form shows in a mode. */
export function signInFields(mode: SignInMode): SignInField[] {
  return mode === "login" ? ["user", "password"] : ["user", "password", "confirm", "invite"];
}

/** What keeps the form from being sent, or null when it can be. */
export function signInProblem(state: SignInState): string | null {
  if (state.user.trim() === "") return "Enter a user name";
  if (state.password === "") return "Enter a password";
  if (state.mode === "register" && state.password !== state.confirm) return "The two passwords differ";
  return null;
}

export function signInReducer(state: SignInState, action: SignInAction): SignInState {
  switch (action.type) {
    case "signIn/type":
      if (state.busy || action.text === "") return state;
      return { ...state, [state.field]: state[state.field] + action.text };
    case "signIn/erase":
      if (state.busy) return state;
      return { ...state, [state.field]: Array.from(state[state.field]).slice(0, -1).join("") };
    case "signIn/field": {
      const fields = signInFields(state.mode);
      const at = fields.indexOf(state.field);
      const next = fields[Math.min(fields.length - 1, Math.max(0, at + action.by))] ?? "user";
      return next === state.field ? state : { ...state, field: next };
    }
    case "signIn/toggleMode": {
      if (state.busy) return state;
      const mode: SignInMode = state.mode === "login" ? "register" : "login";
      const field = signInFields(mode).includes(state.field) ? state.field : "password";
      return { ...state, mode, field, confirm: "", error: null };
    }
    case "signIn/started":
      return { ...state, busy: true, error: null };
    case "signIn/failed":
      return { ...state, busy: false, error: action.message };
  }
}
