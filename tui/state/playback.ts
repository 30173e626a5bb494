/**
 * The playback state machine: what the now-playing bar shows, driven by the engine's events.
 *
 * ```
 * idle|stopped|ended|error ──start──▶ loading ──started──▶ playing ⇄ paused
 *                                       │ ended ▶ ended   error ▶ error   stop ▶ stopped
 * ```
 * Every start or stop takes a new `seq`; events carry the `seq` of the playback they belong to, so late events of a
 * stopped track change nothing.
 *
 * @module
 */

import type { CatalogTrack } from "../../protocol/mod.ts";
import type { PlaybackEvent } from "../services.ts";

export type PlaybackStatus = "idle" | "loading" | "playing" | "paused" | "ended" | "stopped" | "error";

/** Whether the whole file's MD5 was checked. */
export type Verification =
  | { state: "pending" }
  | { state: "verified"; md5: string }
  | { state: "failed"; reason: string };

/** The buffer ahead of the position while the download runs (the engine's `buffer` events). */
export interface BufferState {
  /** Playback waits for more verified audio. */
  buffering: boolean;
  aheadSeconds: number;
  /** Bytes per second, null while unknown. */
  linkRate: number | null;
  trackRate: number | null;
}

/** Whether the link delivers slower than the track plays. */
export function linkSlower(buffer: BufferState | null): boolean {
  return buffer !== null && buffer.linkRate !== null && buffer.trackRate !== null &&
    buffer.linkRate < buffer.trackRate;
}

export interface PlaybackState {
  seq: number;
  status: PlaybackStatus;
  track: CatalogTrack | null;
  player: string | null;
  note: string | null;
  position: number;
  duration: number | null;
  verifiedBytes: number;
  size: number;
  verification: Verification;
  /** The buffer while the download runs; null before the first report and once everything arrived. */
  buffer: BufferState | null;
  /** Latest warnings, oldest first. */
  warnings: readonly string[];
  error: string | null;
  /** Percent, 0 to 100. */
  volume: number;
}

export type PlaybackAction =
  | { type: "playback/start"; track: CatalogTrack }
  | { type: "playback/stop" }
  | { type: "playback/event"; seq: number; event: PlaybackEvent }
  | { type: "playback/pauseToggled"; seq: number }
  | { type: "playback/volume"; by?: number; to?: number };

/** How many warnings the bar remembers. */
export const MAX_WARNINGS = 3;
/** How much +/- change the volume, in percent. */
export const VOLUME_STEP = 5;

export const INITIAL_PLAYBACK: PlaybackState = {
  seq: 0,
  status: "idle",
  track: null,
  player: null,
  note: null,
  position: 0,
  duration: null,
  verifiedBytes: 0,
  size: 0,
  verification: { state: "pending" },
  buffer: null,
  warnings: [],
  error: null,
  volume: 100,
};

/** Whether a track is loaded and has not finished (playing, paused or about to play). */
export function isActive(state: PlaybackState): boolean {
  return state.status === "loading" || state.status === "playing" || state.status === "paused";
}

/** A volume in 0..100, whole percent. */
export function clampVolume(volume: number): number {
  if (!Number.isFinite(volume)) return 100;
  return Math.min(100, Math.max(0, Math.round(volume)));
}

function onEvent(state: PlaybackState, event: PlaybackEvent): PlaybackState {
  switch (event.type) {
    case "started":
      if (state.status !== "loading") return { ...state, player: event.player, note: event.note };
      return { ...state, status: "playing", player: event.player, note: event.note };
    case "progress":
      return { ...state, verifiedBytes: event.verifiedBytes, size: event.size };
    case "buffer": {
      const { buffering, aheadSeconds, linkRate, trackRate } = event;
      return { ...state, buffer: { buffering, aheadSeconds, linkRate, trackRate } };
    }
    case "position": {
      const status = state.status === "playing" || state.status === "paused" || state.status === "loading"
        ? (event.paused ? "paused" : "playing")
        : state.status;
      return { ...state, status, position: event.seconds, duration: event.duration ?? state.duration };
    }
    case "verified": {
      const expected = state.track?.md5.toLowerCase();
      const md5 = event.md5.toLowerCase();
      const verification: Verification = expected === undefined || expected === md5
        ? { state: "verified", md5 }
        : { state: "failed", reason: `MD5 ${md5} does not match the catalog's ${expected}` };
      return { ...state, verification, buffer: null };
    }
    case "warning":
      return { ...state, warnings: [...state.warnings, event.message].slice(-MAX_WARNINGS) };
    case "ended": {
      if (!isActive(state)) return state;
      const verification: Verification = state.verification.state === "pending"
        ? { state: "failed", reason: "the track ended before its MD5 was checked" }
        : state.verification;
      return { ...state, status: "ended", verification };
    }
    case "error": {
      if (!isActive(state)) return state;
      const verification: Verification = state.verification.state === "pending"
        ? { state: "failed", reason: "playback failed" }
        : state.verification;
      return { ...state, status: "error", error: event.message, verification };
    }
  }
}

export function playbackReducer(state: PlaybackState, action: PlaybackAction): PlaybackState {
  switch (action.type) {
    case "playback/start":
      return {
        ...INITIAL_PLAYBACK,
        seq: state.seq + 1,
        status: "loading",
        track: action.track,
        duration: action.track.duration,
        size: action.track.size,
        volume: state.volume,
      };
    case "playback/stop":
      if (!isActive(state)) return state;
      return { ...state, seq: state.seq + 1, status: "stopped" };
    case "playback/event":
      if (action.seq !== state.seq) return state;
      return onEvent(state, action.event);
    case "playback/pauseToggled":
      if (action.seq !== state.seq) return state;
      if (state.status === "playing") return { ...state, status: "paused" };
      if (state.status === "paused") return { ...state, status: "playing" };
      return state;
    case "playback/volume": {
      const volume = clampVolume(action.to ?? state.volume + (action.by ?? 0));
      return volume === state.volume ? state : { ...state, volume };
    }
  }
}
