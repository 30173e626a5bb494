/**
 * The mpv backend: mpv decodes the verified bytes from stdin; pause, seek, volume and position go over its JSON IPC
 * socket. mpv's demuxer cache keeps everything fed so far, so seeking back works although stdin cannot seek.
 *
 * @module
 */
import { join } from "node:path";
import { MpvCommandError, MpvIpc } from "./_mpv_ipc.ts";
import { errorText, ProcessPlayer } from "./_process_player.ts";
import { clampVolume, type PlayerBackend, type PlayerCapabilities, type PlayerOptions } from "./types.ts";

/** Where the mpv program is (default: `mpv` from PATH). */
export interface MpvDeps {
  command?: string;
}

/** The demuxer cache holds the whole track when it fits in this many bytes (more memory, full seek-back). */
const MAX_CACHE_BYTES = 1 << 30;
const MIN_CACHE_BYTES = 32 << 20;

/** The arguments mpv gets before the input (`-` for stdin or a file path). */
export function mpvArgs(options: PlayerOptions, socketPath: string, paused: boolean): string[] {
  const cacheBytes = Math.min(MAX_CACHE_BYTES, Math.max(MIN_CACHE_BYTES, Math.ceil(options.size * 1.1)));
  return [
    "--no-config",
    "--no-video",
    // Not --no-terminal: that also silences the error messages that `done` reports.
    "--no-input-terminal",
    "--msg-level=all=error",
    "--idle=no",
    `--input-ipc-server=${socketPath}`,
    // Keep every demuxed packet, behind and ahead of the play position: seeking within fed data then needs no
    // seekable input. With --cache=no mpv cannot seek back on stdin at all.
    "--cache=yes",
    "--demuxer-seekable-cache=yes",
    `--demuxer-max-bytes=${cacheBytes}`,
    `--demuxer-max-back-bytes=${cacheBytes}`,
    `--volume=${Math.round(clampVolume(options.volume))}`,
    ...(paused ? ["--pause"] : []),
    ...options.extraArgs,
  ];
}

/** Plays one track with mpv. Besides {@linkcode PlayerBackend} it can read any mpv property (for tests, tools). */
export class MpvPlayer implements PlayerBackend {
  readonly name = "mpv";
  readonly capabilities: PlayerCapabilities = { pause: true, seek: true, volume: true, position: true };
  readonly done: PlayerBackend["done"];
  #process: ProcessPlayer;
  #socketDir: string;
  #ipc: Promise<MpvIpc> | null = null;
  #paused = false;
  #volume: number;
  #fileError: string | null = null;

  private constructor(options: PlayerOptions, socketDir: string, deps: MpvDeps) {
    this.#socketDir = socketDir;
    this.#volume = clampVolume(options.volume);
    const socketPath = join(socketDir, "ipc.sock");
    this.#process = new ProcessPlayer({
      name: "mpv",
      command: deps.command ?? "mpv",
      format: options.format,
      args: (input) => [
        ...mpvArgs({ ...options, volume: this.#volume }, socketPath, this.#paused),
        "--",
        input ?? "-",
      ],
      onStart: (child) => {
        this.#ipc = MpvIpc.connect(socketPath, {
          gone: child.exit,
          onEvent: (event) => this.#onEvent(event),
        });
        this.#ipc.catch(() => {});
      },
    });
    this.done = this.#process.done.then(async (outcome) => {
      await this.#release();
      if (outcome.reason === "failed" && this.#fileError && !outcome.message?.includes(this.#fileError)) {
        return { reason: "failed", message: `${outcome.message} (${this.#fileError})` };
      }
      return outcome;
    });
  }

  /** Starts mpv for a track (a track that must be complete before it can play starts mpv at `end()`). */
  static async create(options: PlayerOptions, deps: MpvDeps = {}): Promise<MpvPlayer> {
    const socketDir = await Deno.makeTempDir({ prefix: "audiod-mpv-" });
    return new MpvPlayer(options, socketDir, deps);
  }

  /** Process id of mpv, or null before it started. */
  get pid(): number | null {
    return this.#process.pid;
  }

  write(bytes: Uint8Array): Promise<void> {
    return this.#process.write(bytes);
  }

  end(): Promise<void> {
    return this.#process.end();
  }

  async setPaused(paused: boolean): Promise<void> {
    this.#paused = paused;
    await this.#command(["set_property", "pause", paused]);
  }

  async seekBy(seconds: number): Promise<void> {
    if (!Number.isFinite(seconds) || seconds === 0) return;
    await this.#command(["seek", seconds, "relative"]);
  }

  async setVolume(percent: number): Promise<void> {
    this.#volume = clampVolume(percent);
    await this.#command(["set_property", "volume", this.#volume]);
  }

  async position(): Promise<number | null> {
    try {
      const seconds = await this.#command(["get_property", "time-pos"]);
      return typeof seconds === "number" ? seconds : null;
    } catch (error) {
      if (error instanceof MpvCommandError) return null;
      throw error;
    }
  }

  /** Reads an mpv property (`pause`, `volume`, `demuxer-cache-state`…); undefined when mpv has not started yet. */
  async getProperty(name: string): Promise<unknown> {
    return await this.#command(["get_property", name]);
  }

  async stop(): Promise<void> {
    await this.#process.stop();
    await this.done;
  }

  /** Runs an IPC command once mpv runs; before that (a track spooled to a file) pause and volume apply at start. */
  async #command(command: unknown[]): Promise<unknown> {
    if (!this.#ipc) return undefined;
    let ipc: MpvIpc;
    try {
      ipc = await this.#ipc;
    } catch (error) {
      throw new Error(`Cannot control mpv: ${errorText(error)}`);
    }
    return await ipc.command(command);
  }

  #onEvent(event: Record<string, unknown>): void {
    if (event.event === "end-file" && event.reason === "error" && typeof event.file_error === "string") {
      this.#fileError = event.file_error;
    }
  }

  async #release(): Promise<void> {
    const ipc = this.#ipc;
    if (ipc) await ipc.then((connection) => connection.close(), () => {});
    await Deno.remove(this.#socketDir, { recursive: true }).catch(() => {});
  }
}
