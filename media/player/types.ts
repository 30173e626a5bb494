/**
 * The contract every audio output backend fulfils, so that playback does not care which program makes the sound.
 *
 * @module
 */

/** Backends audiod knows, best first; `null` plays silently (no sound device needed). */
export type PlayerName = "mpv" | "ffplay" | "afplay" | "paplay" | "aplay" | "null";

/** What a backend can do while it plays. */
export interface PlayerCapabilities {
  pause: boolean;
  seek: boolean;
  volume: boolean;
  position: boolean;
}

/** How a backend's playback ended. */
export interface PlayerOutcome {
  /** `ended`: played to the end; `stopped`: {@linkcode PlayerBackend.stop} was called; `failed`: anything else. */
  reason: "ended" | "stopped" | "failed";
  /** What went wrong (with the player's own error output when there is some). */
  message?: string;
}

/** One playback of one track by one output program. */
export interface PlayerBackend {
  readonly name: PlayerName;
  readonly capabilities: PlayerCapabilities;
  /**
   * Feed verified audio bytes in order; resolves when the player accepted them (backpressure).
   * Bytes written after the player exited or was stopped are dropped: {@linkcode done} tells why.
   */
  write(bytes: Uint8Array): Promise<void>;
  /** No more bytes will come (the whole file was written). */
  end(): Promise<void>;
  setPaused(paused: boolean): Promise<void>;
  /** Seek relative (seconds, may be negative) within the data already fed. */
  seekBy(seconds: number): Promise<void>;
  /** 0..130 percent. */
  setVolume(percent: number): Promise<void>;
  /** Playback position in seconds, or null when unknown. */
  position(): Promise<number | null>;
  /** Resolves when playback finished by itself (end of data played) or the process exited; value says how. */
  readonly done: Promise<PlayerOutcome>;
  /** Stop now and release everything (kill the process, remove sockets/temp files). Idempotent. */
  stop(): Promise<void>;
}

/** What a backend needs to know about the track before the first byte. */
export interface PlayerOptions {
  /** File extension without the dot: mp3, flac, ogg, opus, m4a, wav. */
  format: string;
  /** Bytes. */
  size: number;
  /** Seconds, or null when unknown. */
  duration: number | null;
  /** Percent, 0..130. */
  volume: number;
  /** Extra arguments for the player program (`--player-args`, split with {@linkcode splitArgs}). */
  extraArgs: string[];
}

/** Highest volume a backend accepts, in percent (mpv's default `--volume-max`). */
export const MAX_VOLUME = 130;

/** Clamps a volume to 0..{@linkcode MAX_VOLUME}; NaN becomes 100. */
export function clampVolume(percent: number): number {
  if (Number.isNaN(percent)) return 100;
  return Math.min(MAX_VOLUME, Math.max(0, percent));
}
