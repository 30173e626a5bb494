/**
 * A player program as a child process: bytes in on stdin, the tail of its output kept for error messages.
 *
 * @module
 */

/** How a player process ended. */
export interface ChildExit {
  code: number;
  signal: Deno.Signal | null;
  /** The last lines the program printed (stdout and stderr), trimmed; empty when it printed nothing. */
  output: string;
}

/** What to run. */
export interface ChildSpec {
  command: string;
  args: string[];
  /** `piped`: bytes come through {@linkcode PlayerChild.write}; `null`: the program reads a file itself. */
  stdin: "piped" | "null";
  env?: Record<string, string>;
}

/** Bytes of output kept for the error message. */
const OUTPUT_TAIL_BYTES = 4096;
/** How long a player gets to exit after SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 1500;

/** A running player program. Spawning throws what `Deno.Command.spawn` throws (e.g. `Deno.errors.NotFound`). */
export class PlayerChild {
  #child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array> | null;
  #inputOpen: boolean;
  #exited = false;
  #tail: Uint8Array[] = [];
  #tailBytes = 0;
  /** Resolves once the process exited and its output was read to the end. */
  readonly exit: Promise<ChildExit>;

  constructor(spec: ChildSpec) {
    const child = new Deno.Command(spec.command, {
      args: spec.args,
      stdin: spec.stdin,
      stdout: "piped",
      stderr: "piped",
      ...(spec.env ? { env: spec.env } : {}),
    }).spawn();
    this.#child = child;
    this.#writer = spec.stdin === "piped" ? child.stdin.getWriter() : null;
    this.#inputOpen = this.#writer !== null;
    const drained = Promise.all([this.#keepTail(child.stdout), this.#keepTail(child.stderr)]);
    this.exit = (async () => {
      const status = await child.status;
      this.#exited = true;
      await drained;
      await this.#closeInput();
      return { code: status.code, signal: status.signal, output: this.#outputText() };
    })();
  }

  /** Process id, for diagnostics. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Writes to stdin; resolves false instead of throwing when the program no longer reads (it exited). */
  async write(bytes: Uint8Array): Promise<boolean> {
    if (!this.#writer || !this.#inputOpen || this.#exited) return false;
    try {
      await this.#writer.write(bytes);
      return true;
    } catch {
      this.#inputOpen = false;
      return false;
    }
  }

  /** Closes stdin: the program sees end of file. */
  async endInput(): Promise<void> {
    await this.#closeInput();
  }

  /** SIGTERM, then SIGKILL if the program is still there after a grace period; resolves once it exited. */
  async kill(): Promise<ChildExit> {
    this.#signal("SIGTERM");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((resolve) => timer = setTimeout(() => resolve("late"), KILL_GRACE_MS));
    const first = await Promise.race([this.exit, late]);
    clearTimeout(timer);
    if (first === "late") this.#signal("SIGKILL");
    return await this.exit;
  }

  #signal(signal: Deno.Signal): void {
    if (this.#exited) return;
    try {
      this.#child.kill(signal);
    } catch {
      // Already gone.
    }
  }

  async #closeInput(): Promise<void> {
    const writer = this.#writer;
    if (!writer || !this.#inputOpen) return;
    this.#inputOpen = false;
    try {
      await writer.close();
    } catch {
      // The program closed its end first.
    }
  }

  async #keepTail(stream: ReadableStream<Uint8Array>): Promise<void> {
    for await (const chunk of stream) {
      this.#tail.push(chunk);
      this.#tailBytes += chunk.length;
      while (this.#tail.length > 1 && this.#tailBytes - this.#tail[0]!.length >= OUTPUT_TAIL_BYTES) {
        this.#tailBytes -= this.#tail.shift()!.length;
      }
    }
  }

  #outputText(): string {
    const all = new Uint8Array(this.#tailBytes);
    let at = 0;
    for (const chunk of this.#tail) {
      all.set(chunk, at);
      at += chunk.length;
    }
    const text = new TextDecoder().decode(all.subarray(Math.max(0, all.length - OUTPUT_TAIL_BYTES)));
    // deno-lint-ignore no-control-regex
    const plain = text.replace(/\x1b\[[0-9;]*m/g, "");
    return plain.split("\n").map((line) => line.trim()).filter((line) => line !== "").slice(-5).join("; ");
  }
}
