/**
 * The part every program-backed player shares: start the program, feed it stdin (or a temp file when it cannot read
 * a pipe), and turn its exit into a {@linkcode PlayerOutcome}.
 *
 * @module
 */
import { join } from "node:path";
import { type ChildExit, PlayerChild } from "./_child.ts";
import { isMp4Format, mp4Layout } from "./_mp4_layout.ts";
import type { PlayerName, PlayerOutcome } from "./types.ts";

/** How to run one player program. */
export interface ProcessPlayerSpec {
  name: PlayerName;
  /** Program to run (a name looked up in PATH, or a path). */
  command: string;
  /** File extension of the track (decides whether a pipe can carry it). */
  format: string;
  /** Arguments (without the program) for reading stdin (`input` null) or the complete file at `input`. */
  args(input: string | null): string[];
  /** The program cannot read a pipe: spool the track to a temp file and start it once the file is complete. */
  fileOnly?: boolean;
  env?: Record<string, string>;
  /** Extra failure detection for programs that exit 0 after an error (ffplay does when it has no audio device). */
  failedDespiteExitZero?(output: string): boolean;
  /** Called right after the program started. */
  onStart?(child: PlayerChild): void;
}

/** Head bytes buffered while looking for an MP4 `moov` box before deciding to spool the file instead. */
const MAX_MP4_PROBE_BYTES = 4 << 20;

/** Runs a player program for one track; controls (pause, seek…) are the concern of the backend around it. */
export class ProcessPlayer {
  #spec: ProcessPlayerSpec;
  #mode: "stdin" | "file" | "undecided";
  #child: PlayerChild | null = null;
  #head: Uint8Array[] = [];
  #headBytes = 0;
  #spoolDir: string | null = null;
  #spool: Deno.FsFile | null = null;
  #ended = false;
  #stopped = false;
  #resolveDone!: (outcome: PlayerOutcome) => void;
  /** Resolves once, with how playback ended. */
  readonly done: Promise<PlayerOutcome>;

  constructor(spec: ProcessPlayerSpec) {
    this.#spec = spec;
    this.done = new Promise((resolve) => this.#resolveDone = resolve);
    this.#mode = spec.fileOnly ? "file" : isMp4Format(spec.format) ? "undecided" : "stdin";
    // Start the program before the first byte arrives, so its start-up overlaps the download.
    if (this.#mode === "stdin") this.#start(null);
  }

  /** Process id of the program, or null before it started. */
  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  /** Feeds bytes; drops them once the program is gone (see {@linkcode done}). */
  async write(bytes: Uint8Array): Promise<void> {
    if (this.#stopped || this.#ended || bytes.length === 0) return;
    if (this.#mode === "undecided") {
      this.#head.push(bytes);
      this.#headBytes += bytes.length;
      const layout = mp4Layout(concat(this.#head, this.#headBytes));
      if (layout === "unknown" && this.#headBytes < MAX_MP4_PROBE_BYTES) return;
      this.#mode = layout === "streamable" ? "stdin" : "file";
      const head = concat(this.#head, this.#headBytes);
      this.#head = [];
      if (this.#mode === "stdin") this.#start(null);
      return await this.write(head);
    }
    if (this.#mode === "stdin") {
      await this.#child?.write(bytes);
      return;
    }
    try {
      await this.#spoolWrite(bytes);
    } catch (error) {
      // stop() closed the temp file under us.
      if (!this.#stopped) throw error;
    }
  }

  /** No more bytes: closes stdin, or starts the program on the now complete temp file. */
  async end(): Promise<void> {
    if (this.#stopped || this.#ended) return;
    if (this.#mode === "undecided") {
      this.#mode = "file";
      const head = concat(this.#head, this.#headBytes);
      this.#head = [];
      await this.#spoolWrite(head);
    }
    this.#ended = true;
    if (this.#mode === "stdin") {
      await this.#child?.endInput();
      return;
    }
    const path = await this.#spoolPath();
    this.#spool?.close();
    this.#spool = null;
    if (!this.#stopped) this.#start(path);
  }

  /** Kills the program and removes temp files. Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopped) return await this.done.then(() => {});
    this.#stopped = true;
    const child = this.#child;
    if (child) await child.kill();
    else this.#finish({ reason: "stopped" });
    await this.done;
  }

  #start(input: string | null): void {
    const spec = this.#spec;
    let child: PlayerChild;
    try {
      child = new PlayerChild({
        command: spec.command,
        args: spec.args(input),
        stdin: input === null ? "piped" : "null",
        ...(spec.env ? { env: spec.env } : {}),
      });
    } catch (error) {
      const why = error instanceof Deno.errors.NotFound ? "it is not installed" : errorText(error);
      this.#finish({ reason: "failed", message: `Cannot start ${spec.name}: ${why}` });
      return;
    }
    this.#child = child;
    spec.onStart?.(child);
    child.exit.then((exit) => this.#finish(this.#outcomeOf(exit)));
  }

  #outcomeOf(exit: ChildExit): PlayerOutcome {
    const name = this.#spec.name;
    const said = exit.output === "" ? "" : `: ${exit.output}`;
    if (this.#stopped) return { reason: "stopped" };
    if (exit.code === 0 && !this.#spec.failedDespiteExitZero?.(exit.output)) {
      if (this.#ended) return { reason: "ended" };
      return { reason: "failed", message: `${name} exited before the end of the track${said}` };
    }
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
    return { reason: "failed", message: `${name} ${how}${said}` };
  }

  #finish(outcome: PlayerOutcome): void {
    this.#resolveDone(outcome);
    this.#spool?.close();
    this.#spool = null;
    const dir = this.#spoolDir;
    this.#spoolDir = null;
    if (dir) Deno.remove(dir, { recursive: true }).catch(() => {});
  }

  async #spoolPath(): Promise<string> {
    if (!this.#spoolDir) this.#spoolDir = await Deno.makeTempDir({ prefix: "audiod-play-" });
    return join(this.#spoolDir, `track.${this.#spec.format || "bin"}`);
  }

  async #spoolWrite(bytes: Uint8Array): Promise<void> {
    if (!this.#spool) {
      const path = await this.#spoolPath();
      this.#spool = await Deno.open(path, { write: true, create: true, truncate: true });
    }
    let at = 0;
    while (at < bytes.length) at += await this.#spool.write(bytes.subarray(at));
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const all = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return all;
}

/** The message of an error, or its text form. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
