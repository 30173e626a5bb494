/**
 * Players driven only through their command line: ffplay, afplay (macOS), paplay (PulseAudio) and aplay (ALSA).
 * They play what they are fed; none of them can be paused, seeked or asked for its position over a pipe.
 *
 * @module
 */
import { ProcessPlayer, type ProcessPlayerSpec } from "./_process_player.ts";
import {
  clampVolume,
  type PlayerBackend,
  type PlayerCapabilities,
  type PlayerName,
  type PlayerOptions,
} from "./types.ts";

/** Names of the players this module runs. */
export type SimplePlayerName = Exclude<PlayerName, "mpv" | "null">;

/** Where the program is (default: its name, from PATH) and what environment it gets. */
export interface SimplePlayerDeps {
  command?: string;
  env?: Record<string, string>;
}

/** ffplay exits 0 even when it could not open the input or the audio device. */
const FFPLAY_FAILURE =
  /Failed to open file|audio open failed|Invalid data found|No such file|Could not open/i;

/** How each program is run: its arguments for stdin (`input` null) or a file, and what it can do. */
function specFor(
  name: SimplePlayerName,
  options: PlayerOptions,
): Pick<ProcessPlayerSpec, "args" | "fileOnly" | "failedDespiteExitZero"> {
  const volume = clampVolume(options.volume);
  const extra = options.extraArgs;
  switch (name) {
    case "ffplay":
      return {
        // ffplay's -volume is 0..100 and only read at start.
        args: (input) => [
          "-nodisp",
          "-autoexit",
          "-loglevel",
          "error",
          "-volume",
          String(Math.round(Math.min(100, volume))),
          ...extra,
          "-i",
          input ?? "pipe:0",
        ],
        failedDespiteExitZero: (output) => FFPLAY_FAILURE.test(output),
      };
    case "afplay":
      // afplay cannot read a pipe; -v is a linear gain where 1 is unchanged.
      return { args: (input) => ["-v", String(volume / 100), ...extra, input ?? ""], fileOnly: true };
    case "paplay":
      // Without a file, paplay reads the WAV from stdin through libsndfile; 65536 is 100 %.
      return {
        args: (
          input,
        ) => [`--volume=${Math.round(volume / 100 * 65536)}`, ...extra, ...(input ? [input] : [])],
      };
    case "aplay":
      return { args: (input) => ["-q", ...extra, input ?? "-"] };
  }
}

/** A player without run-time controls: pause, seek and volume do nothing; the position is unknown. */
class SimplePlayer implements PlayerBackend {
  readonly name: SimplePlayerName;
  readonly capabilities: PlayerCapabilities = { pause: false, seek: false, volume: false, position: false };
  readonly done: PlayerBackend["done"];
  #process: ProcessPlayer;

  constructor(name: SimplePlayerName, options: PlayerOptions, deps: SimplePlayerDeps) {
    this.name = name;
    const spec = specFor(name, options);
    this.#process = new ProcessPlayer({
      name,
      command: deps.command ?? name,
      format: options.format,
      ...spec,
      ...(deps.env ? { env: deps.env } : {}),
    });
    this.done = this.#process.done;
  }

  write(bytes: Uint8Array): Promise<void> {
    return this.#process.write(bytes);
  }

  end(): Promise<void> {
    return this.#process.end();
  }

  async setPaused(_paused: boolean): Promise<void> {}

  async seekBy(_seconds: number): Promise<void> {}

  async setVolume(_percent: number): Promise<void> {}

  position(): Promise<number | null> {
    return Promise.resolve(null);
  }

  stop(): Promise<void> {
    return this.#process.stop();
  }
}

/**
 * Starts `name` for one track. Whether the program can play `options.format` is the caller's concern
 * (see `canPlay` in mod.ts): aplay and paplay read WAV only.
 */
export function createSimplePlayer(
  name: SimplePlayerName,
  options: PlayerOptions,
  deps: SimplePlayerDeps = {},
): PlayerBackend {
  return new SimplePlayer(name, options, deps);
}
