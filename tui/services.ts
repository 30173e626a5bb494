/**
 * The one seam between the player TUI and the rest of audiod: everything the UI needs from the network, the
 * playback engine and the settings file comes through a {@linkcode TuiServices}.
 *
 * @module
 */

import type {
  CatalogTrack,
  PlaylistSummary,
  PlaylistTracks,
  Session,
  StatusReport,
} from "../protocol/mod.ts";
import type { PlaybackEvent, PlaybackHandle } from "../media/playback.ts";

/**
 * What the playback engine reports (`PlaybackEvent`), the controls of one track being played (`PlaybackHandle`) and
 * what its player can do (`PlaybackCapabilities`): the engine's own types.
 */
export type { PlaybackEvent, PlaybackHandle } from "../media/playback.ts";
export type { PlayerCapabilities as PlaybackCapabilities } from "../media/player/types.ts";

/** What the TUI remembers between runs. */
export interface TuiSettings {
  /** Base URLs, most recent first. */
  recentServers: string[];
  /** Percent, 0 to 100. */
  volume: number;
  lastUser?: string;
}

/** Settings used when none were saved yet (or they cannot be read). */
export const DEFAULT_SETTINGS: TuiSettings = { recentServers: [], volume: 100 };

/** Options of {@linkcode TuiServices.play}. */
export interface PlayOptions {
  /** Percent, 0 to 100. */
  volume: number;
  onEvent: (event: PlaybackEvent) => void;
}

/** Thrown by the services when the session's token is no longer accepted. */
export class SessionExpiredError extends Error {
  constructor(message = "Your session expired: sign in again") {
    super(message);
    this.name = "SessionExpiredError";
  }
}

/**
 * Whether `error` says the session expired: a {@linkcode SessionExpiredError}, told by its name so that one thrown by
 * another copy of this module counts too.
 */
export function isSessionExpired(error: unknown): error is Error {
  return error instanceof Error && error.name === "SessionExpiredError";
}

/** What {@linkcode TuiServices.trackPage} asks for. */
export interface TrackPageRequest {
  query: string;
  offset: number;
  limit: number;
}

/** Everything the TUI needs from the outside. Errors thrown carry user-facing messages. */
export interface TuiServices {
  /** Normalizes "1.2.3.4", "host:7700", "http://…" and checks the bootstrap answers; returns the base URL or throws Error with a user-facing message. */
  probe(address: string): Promise<string>;
  login(host: string, user: string, password: string): Promise<Session>;
  /** `invite`: the code a server with `--registration invite` needs. */
  register(host: string, user: string, password: string, invite?: string): Promise<Session>;
  logout(session: Session): Promise<void>;
  /** Throws {@linkcode SessionExpiredError} when the token is no longer valid. */
  tracks(session: Session, onProgress?: (loaded: number, total: number) => void): Promise<CatalogTrack[]>;
  /**
   * One page of the catalog: the tracks matching `query` (every track when empty) from `offset`, in the
   * server's order, and how many match in all. How the player lists and searches a library too large to fetch
   * whole; without it the player fetches every track. Throws {@linkcode SessionExpiredError} when the token is
   * no longer valid.
   */
  trackPage?(session: Session, request: TrackPageRequest): Promise<{ total: number; tracks: CatalogTrack[] }>;
  /** Throws {@linkcode SessionExpiredError} when the token is no longer valid. */
  status(session: Session): Promise<StatusReport>;
  /**
   * The ids of the tracks the user starred: the favourites an OpenSubsonic app shows too. Without it the player
   * shows no stars. Throws {@linkcode SessionExpiredError} when the token is no longer valid.
   */
  stars?(session: Session): Promise<string[]>;
  /** Stars (`starred`) or unstars a track. Throws {@linkcode SessionExpiredError} when the token is no longer valid. */
  setStar?(session: Session, trackId: string, starred: boolean): Promise<void>;
  /**
   * The user's playlists (the same an OpenSubsonic app shows), by name. Without it the player has no playlists
   * screen. Throws {@linkcode SessionExpiredError} when the token is no longer valid.
   */
  playlists?(session: Session): Promise<PlaylistSummary[]>;
  /** One playlist and its tracks, in order. Throws {@linkcode SessionExpiredError} when the token is no longer valid. */
  playlist?(session: Session, id: string): Promise<PlaylistTracks>;
  /**
   * Starts playing at once; problems after this returns arrive as `error` events. `stop()` must be safe to call more
   * than once and after the track ended. `done` rejects with {@linkcode SessionExpiredError} when the token was
   * refused during playback (after the `error` event), and resolves in every other case.
   */
  play(session: Session, track: CatalogTrack, options: PlayOptions): PlaybackHandle;
  /**
   * Fetches `track` (verified) into the cache ahead of its turn, so it starts with no gap after the one playing;
   * does nothing when it is cached or being fetched already. Failures are quiet: the track streams when it plays.
   */
  prefetch?(session: Session, track: CatalogTrack): void;
  settings: {
    load(): Promise<TuiSettings>;
    save(settings: TuiSettings): Promise<void>;
  };
}

/** Options of `runTui`. */
export interface TuiOptions {
  /** Server address given on the command line: probed at once, skipping the connect screen when it answers. */
  host?: string;
  /** User name to prefill on the sign-in screen. */
  user?: string;
  /** A saved session: skips connect and sign-in while it is valid. */
  session?: Session;
}

/** The user-facing message of anything thrown. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
