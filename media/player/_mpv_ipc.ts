/**
 * mpv's JSON IPC over its `--input-ipc-server` unix socket: one JSON object per line, answers matched by request_id.
 *
 * @module
 */

/** An answer mpv gave with an error (e.g. "property unavailable" before the file is loaded). */
export class MpvCommandError extends Error {
  constructor(command: unknown[], error: string) {
    super(`Cannot run mpv command ${JSON.stringify(command)}: ${error}`);
    this.name = "MpvCommandError";
  }
}

interface Pending {
  command: unknown[];
  resolve(data: unknown): void;
  reject(error: Error): void;
}

/** How often and how long to retry connecting while mpv creates its socket. */
const CONNECT_RETRY_MS = 15;
const CONNECT_TIMEOUT_MS = 10_000;

/** A connection to one mpv process. */
export class MpvIpc {
  #conn: Deno.UnixConn;
  #nextId = 1;
  #pending = new Map<number, Pending>();
  #closed = false;
  #onEvent: (event: Record<string, unknown>) => void;
  readonly #reading: Promise<void>;

  private constructor(conn: Deno.UnixConn, onEvent: (event: Record<string, unknown>) => void) {
    this.#conn = conn;
    this.#onEvent = onEvent;
    this.#reading = this.#read();
  }

  /**
   * Connects to the socket at `path`, retrying while mpv has not created it yet. Gives up when `gone` resolves
   * (mpv exited) or after 10 s.
   */
  static async connect(
    path: string,
    options: { gone: Promise<unknown>; onEvent?: (event: Record<string, unknown>) => void },
  ): Promise<MpvIpc> {
    let gone = false;
    options.gone.then(() => gone = true, () => gone = true);
    const deadline = Date.now() + CONNECT_TIMEOUT_MS;
    while (true) {
      try {
        const conn = await Deno.connect({ transport: "unix", path });
        if (gone) {
          conn.close();
          throw new Error("Cannot connect to mpv: it exited");
        }
        return new MpvIpc(conn, options.onEvent ?? (() => {}));
      } catch (error) {
        const retry = error instanceof Deno.errors.NotFound || error instanceof Deno.errors.ConnectionRefused;
        if (!retry) throw error;
        if (gone) throw new Error("Cannot connect to mpv: it exited before opening its IPC socket");
        if (Date.now() > deadline) {
          throw new Error(`Cannot connect to mpv: no IPC socket at ${path} after 10 s`);
        }
        await new Promise((resolve) => setTimeout(resolve, CONNECT_RETRY_MS));
      }
    }
  }

  /** Sends a command (e.g. `["get_property", "time-pos"]`) and resolves with the answer's `data`. */
  async command(command: unknown[]): Promise<unknown> {
    if (this.#closed) throw new Error("Cannot talk to mpv: its IPC connection is closed");
    const id = this.#nextId++;
    const answer = new Promise<unknown>((resolve, reject) =>
      this.#pending.set(id, { command, resolve, reject })
    );
    const line = new TextEncoder().encode(JSON.stringify({ command, request_id: id }) + "\n");
    try {
      let at = 0;
      while (at < line.length) at += await this.#conn.write(line.subarray(at));
    } catch (error) {
      this.#pending.delete(id);
      throw new Error(`Cannot talk to mpv: ${error instanceof Error ? error.message : String(error)}`);
    }
    return await answer;
  }

  /** Closes the connection; commands still waiting reject. Idempotent. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      try {
        this.#conn.close();
      } catch {
        // Already closed by mpv.
      }
    }
    await this.#reading;
  }

  async #read(): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of this.#conn.readable) {
        buffer += decoder.decode(chunk, { stream: true });
        let newline: number;
        while ((newline = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + 1);
          if (line.trim() !== "") this.#handle(line);
        }
      }
    } catch {
      // The connection was closed under us: mpv exited or close() was called.
    }
    this.#closed = true;
    for (const pending of this.#pending.values()) {
      pending.reject(new Error("Cannot talk to mpv: its IPC connection closed"));
    }
    this.#pending.clear();
  }

  #handle(line: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line);
    } catch {
      return;
    }
    if (typeof message.event === "string") {
      this.#onEvent(message);
      return;
    }
    const id = message.request_id;
    if (typeof id !== "number") return;
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    if (message.error === "success") pending.resolve(message.data ?? null);
    else pending.reject(new MpvCommandError(pending.command, String(message.error)));
  }
}
