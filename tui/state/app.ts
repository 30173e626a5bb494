/**
 * The whole TUI's state and its reducer: which screen is in front, the session, and the slices of each screen. Actions
 * that touch several slices (playing a track moves the queue and starts playback) are handled here.
 *
 * @module
 */

import type { CatalogTrack, Session } from "../../protocol/mod.ts";
import type { TuiSettings } from "../services.ts";
import { type ClusterAction, clusterReducer, type ClusterState, INITIAL_CLUSTER } from "./cluster.ts";
import {
  type ConnectAction,
  connectReducer,
  type ConnectState,
  INITIAL_CONNECT,
  INITIAL_SIGN_IN,
  MAX_RECENT_SERVERS,
  rememberServer,
  type SignInAction,
  signInReducer,
  type SignInState,
} from "./forms.ts";
import { INITIAL_LIBRARY, type LibraryAction, libraryReducer, type LibraryState } from "./library.ts";
import { INITIAL_PLAYBACK, type PlaybackAction, playbackReducer, type PlaybackState } from "./playback.ts";
import { currentTrack, INITIAL_QUEUE, type QueueAction, queueReducer, type QueueState } from "./queue.ts";
import { INITIAL_STARS, type StarsAction, starsReducer, type StarsState } from "./stars.ts";
import {
  INITIAL_PLAYLISTS,
  type PlaylistsAction,
  playlistsReducer,
  type PlaylistsState,
} from "./playlists.ts";

/**
 * The screens, in the order Tab cycles through the main ones (playlists only when the services keep them:
 * {@linkcode shownScreens}).
 */
export type Screen = "connect" | "signIn" | "library" | "queue" | "playlists" | "cluster";
export const MAIN_SCREENS = ["library", "queue", "playlists", "cluster"] as const satisfies readonly Screen[];
export type MainScreen = (typeof MAIN_SCREENS)[number];

/** A one-line message under the screen. */
export interface Notice {
  id: number;
  text: string;
  tone: "info" | "warning" | "error";
}

export interface AppState {
  screen: Screen;
  help: boolean;
  /** Page of the help overlay shown. */
  helpPage: number;
  quitting: boolean;
  session: Session | null;
  lastUser: string | null;
  /** Whether the saved settings were read (they are not saved before, so that defaults never overwrite them). */
  settingsLoaded: boolean;
  connect: ConnectState;
  signIn: SignInState;
  library: LibraryState;
  /** The user's starred tracks. */
  stars: StarsState;
  /** The user's playlists. */
  playlists: PlaylistsState;
  queue: QueueState;
  playback: PlaybackState;
  cluster: ClusterState;
  notice: Notice | null;
}

export type AppAction =
  | ConnectAction
  | SignInAction
  | LibraryAction
  | StarsAction
  | PlaylistsAction
  | QueueAction
  | PlaybackAction
  | ClusterAction
  | { type: "app/settingsLoaded"; settings: TuiSettings }
  | { type: "app/screen"; screen: Screen }
  | { type: "app/cycleScreen"; by: number }
  | { type: "app/help"; open: boolean }
  | { type: "app/helpPage"; by: number; pages: number }
  | { type: "app/quitting" }
  | { type: "app/notice"; text: string; tone: Notice["tone"] }
  | { type: "app/clearNotice"; id: number }
  | { type: "connect/succeeded"; host: string }
  | { type: "signIn/succeeded"; session: Session }
  | { type: "signIn/back" }
  | { type: "session/expired"; message: string }
  | { type: "session/signedOut" }
  | { type: "player/playNow"; track: CatalogTrack }
  | { type: "player/jump"; index: number }
  /** Replaces the queue with a playlist's tracks and plays entry `index` (the first by default). */
  | { type: "player/playList"; name: string; tracks: readonly CatalogTrack[]; index?: number }
  | { type: "player/next" }
  | { type: "player/previous" };

/** Where the TUI starts: from a saved session, a host given on the command line, or the connect screen. */
export interface StartOptions {
  host?: string;
  user?: string;
  session?: Session;
  /** Unix ms, to tell whether the saved session expired. */
  now: number;
}

/** The state before anything happened. */
export function initialState(options: StartOptions = { now: 0 }): AppState {
  const { session, host } = options;
  const user = options.user ?? session?.user ?? "";
  const state: AppState = {
    screen: "connect",
    help: false,
    helpPage: 0,
    quitting: false,
    session: null,
    lastUser: null,
    settingsLoaded: false,
    connect: {
      ...INITIAL_CONNECT,
      address: host ?? session?.host ?? "",
      busy: session === undefined && host !== undefined && host.trim() !== "",
    },
    signIn: { ...INITIAL_SIGN_IN, user },
    library: INITIAL_LIBRARY,
    stars: INITIAL_STARS,
    playlists: INITIAL_PLAYLISTS,
    queue: INITIAL_QUEUE,
    playback: INITIAL_PLAYBACK,
    cluster: INITIAL_CLUSTER,
    notice: null,
  };
  if (session === undefined) return state;
  const resumed = reduceApp(state, { type: "connect/succeeded", host: session.host });
  if (session.expiresAt <= options.now) {
    return toSignIn(resumed, "Your saved session expired: sign in again");
  }
  return signedIn(resumed, session);
}

/** The main screens Tab cycles through now: the playlists screen only when the services keep playlists. */
export function shownScreens(state: Pick<AppState, "playlists">): MainScreen[] {
  return MAIN_SCREENS.filter((screen) => screen !== "playlists" || state.playlists.available);
}

/** Whether a main screen (not a form) is in front. */
export function isMainScreen(screen: Screen): screen is MainScreen {
  return (MAIN_SCREENS as readonly Screen[]).includes(screen);
}

/** What the settings file should hold now. */
export function settingsOf(state: AppState): TuiSettings {
  const settings: TuiSettings = { recentServers: [...state.connect.recent], volume: state.playback.volume };
  if (state.lastUser !== null) settings.lastUser = state.lastUser;
  return settings;
}

function notice(state: AppState, text: string, tone: Notice["tone"]): AppState {
  return { ...state, notice: { id: (state.notice?.id ?? 0) + 1, text, tone } };
}

/** Makes queue entry `index` current and starts playing it. */
function playEntry(state: AppState, queue: QueueState): AppState {
  const track = currentTrack(queue);
  if (track === null) return { ...state, queue };
  return { ...state, queue, playback: playbackReducer(state.playback, { type: "playback/start", track }) };
}

function signedIn(state: AppState, session: Session): AppState {
  return {
    ...state,
    session,
    lastUser: session.user,
    screen: "library",
    help: false,
    signIn: {
      ...state.signIn,
      host: session.host,
      user: session.user,
      password: "",
      confirm: "",
      busy: false,
    },
    library: libraryReducer(state.library, { type: "library/loading" }),
    // Another user may sign in: their stars come with the library.
    stars: session.user === state.session?.user ? state.stars : INITIAL_STARS,
    // Fetched again when the playlists screen is shown.
    playlists: { ...INITIAL_PLAYLISTS, available: state.playlists.available },
  };
}

function toSignIn(state: AppState, message: string | null): AppState {
  return {
    ...state,
    session: null,
    screen: "signIn",
    help: false,
    signIn: {
      ...state.signIn,
      field: "password",
      password: "",
      confirm: "",
      busy: false,
      error: null,
      message,
    },
  };
}

function reduceApp(state: AppState, action: AppAction): AppState {
  switch (action.type) {
    case "app/settingsLoaded": {
      const { recentServers, volume, lastUser } = action.settings;
      const recent = [...state.connect.recent];
      for (const server of recentServers) if (!recent.includes(server)) recent.push(server);
      return {
        ...state,
        settingsLoaded: true,
        lastUser: state.lastUser ?? lastUser ?? null,
        connect: { ...state.connect, recent: recent.slice(0, MAX_RECENT_SERVERS) },
        signIn: state.signIn.user === "" && lastUser ? { ...state.signIn, user: lastUser } : state.signIn,
        playback: playbackReducer(state.playback, { type: "playback/volume", to: volume }),
      };
    }
    case "app/screen":
      return { ...state, screen: action.screen };
    case "app/cycleScreen": {
      if (!isMainScreen(state.screen)) return state;
      const screens = shownScreens(state);
      const at = Math.max(0, screens.indexOf(state.screen));
      const count = screens.length;
      return { ...state, screen: screens[(((at + action.by) % count) + count) % count] ?? "library" };
    }
    case "app/help":
      return { ...state, help: action.open, helpPage: 0 };
    case "app/helpPage":
      return {
        ...state,
        helpPage: Math.min(Math.max(0, action.pages - 1), Math.max(0, state.helpPage + action.by)),
      };
    case "app/quitting":
      return { ...state, quitting: true, help: false };
    case "app/notice":
      return notice(state, action.text, action.tone);
    case "app/clearNotice":
      return state.notice?.id === action.id ? { ...state, notice: null } : state;
    case "connect/succeeded": {
      const sameServer = state.signIn.host === action.host;
      return {
        ...state,
        screen: "signIn",
        connect: {
          ...state.connect,
          busy: false,
          error: null,
          recent: rememberServer(state.connect.recent, action.host),
        },
        signIn: {
          ...state.signIn,
          host: action.host,
          field: state.signIn.user === "" ? "user" : "password",
          password: "",
          confirm: "",
          busy: false,
          error: null,
          message: sameServer ? state.signIn.message : null,
        },
      };
    }
    case "signIn/succeeded":
      return signedIn(state, action.session);
    case "signIn/back":
      return {
        ...state,
        screen: "connect",
        connect: { ...state.connect, busy: false, address: state.signIn.host },
      };
    case "session/expired":
      return toSignIn(state, action.message);
    case "session/signedOut":
      return toSignIn(
        { ...state, playback: playbackReducer(state.playback, { type: "playback/stop" }) },
        "Signed out",
      );
    case "player/playNow":
      return playEntry(state, queueReducer(state.queue, { type: "queue/playNow", track: action.track }));
    case "player/jump":
      return playEntry(state, queueReducer(state.queue, { type: "queue/jump", index: action.index }));
    case "player/playList": {
      if (action.tracks.length === 0) {
        return notice(
          state,
          `Cannot play “${action.name}”: none of its tracks is in the library now`,
          "warning",
        );
      }
      const queue = queueReducer(state.queue, { type: "queue/replace", tracks: action.tracks });
      const index = Math.min(Math.max(0, action.index ?? 0), action.tracks.length - 1);
      const played = playEntry(state, queueReducer(queue, { type: "queue/jump", index }));
      return notice(played, `Playing “${action.name}”: ${action.tracks.length} tracks queued`, "info");
    }
    case "player/next":
    case "player/previous": {
      const queue = queueReducer(state.queue, {
        type: action.type === "player/next" ? "queue/next" : "queue/previous",
      });
      if (queue === state.queue) {
        return notice(
          state,
          action.type === "player/next" ? "End of the queue" : "Start of the queue",
          "info",
        );
      }
      return playEntry(state, queue);
    }
    default:
      return reduceSlices(state, action);
  }
}

function reduceSlices(state: AppState, action: AppAction): AppState {
  if (action.type.startsWith("connect/")) {
    return { ...state, connect: connectReducer(state.connect, action as ConnectAction) };
  }
  if (action.type.startsWith("signIn/")) {
    return { ...state, signIn: signInReducer(state.signIn, action as SignInAction) };
  }
  if (action.type.startsWith("library/")) {
    return { ...state, library: libraryReducer(state.library, action as LibraryAction) };
  }
  if (action.type.startsWith("stars/")) {
    return { ...state, stars: starsReducer(state.stars, action as StarsAction) };
  }
  if (action.type.startsWith("playlists/")) {
    return { ...state, playlists: playlistsReducer(state.playlists, action as PlaylistsAction) };
  }
  if (action.type.startsWith("queue/")) {
    return { ...state, queue: queueReducer(state.queue, action as QueueAction) };
  }
  if (action.type.startsWith("cluster/")) {
    return { ...state, cluster: clusterReducer(state.cluster, action as ClusterAction) };
  }
  if (action.type.startsWith("playback/")) {
    const playback = playbackReducer(state.playback, action as PlaybackAction);
    const ended = action.type === "playback/event" && action.event.type === "ended" &&
      state.playback.status !== "ended" && playback.status === "ended";
    if (!ended) return { ...state, playback };
    // Auto-advance: the track ended on its own, so play the next entry if there is one.
    const queue = queueReducer(state.queue, { type: "queue/next" });
    return queue === state.queue ? { ...state, playback } : playEntry({ ...state, playback }, queue);
  }
  return state;
}

/** The TUI's reducer. Returns `state` itself when nothing changed. */
export function appReducer(state: AppState, action: AppAction): AppState {
  const next = reduceApp(state, action);
  return unchangedSlices(state, next) ? state : next;
}

function unchangedSlices(a: AppState, b: AppState): boolean {
  for (const key of Object.keys(b) as (keyof AppState)[]) {
    if (a[key] !== b[key]) return false;
  }
  return true;
}
