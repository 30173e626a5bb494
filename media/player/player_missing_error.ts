/**
 * The error for "the audio player needed here is not installed" (or cannot play this format).
 *
 * @module
 */
import type { PlayerName } from "./types.ts";

/** How to install each player program. */
export const INSTALL_HINTS: Record<PlayerName, string> = {
  mpv: "apt-get install mpv, brew install mpv",
  ffplay: "apt-get install ffmpeg, brew install ffmpeg",
  afplay: "it comes with macOS only",
  paplay: "apt-get install pulseaudio-utils",
  aplay: "apt-get install alsa-utils",
  null: "it is built in",
};

/**
 * A player that was asked for cannot be used: it is not installed, or it cannot play the track's format.
 * The message says what to install, e.g. "Cannot start mpv: it is not installed (apt-get install mpv, brew install mpv)".
 */
export class PlayerMissingError extends Error {
  /** The player that was asked for. */
  readonly player: PlayerName;

  constructor(player: PlayerName, message: string) {
    super(message);
    this.name = "PlayerMissingError";
    this.player = player;
  }
}
