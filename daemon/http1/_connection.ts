/**
 * One connection of {@linkcode serveHttp1}: its socket, what it is doing, and the deadline the server's
 * watchdog closes it at.
 *
 * @module
 */

/** How long a connection may wait for its next request. */
export const IDLE_MS = 60_000;
/** How long a request head may take to arrive once it began. */
export const HEAD_MS = 10_000;
/** How long a read of a request body, or a write of a response, may go without progress. */
export const STALL_MS = 30_000;

/** One connection. */
export class Connection {
  readonly conn: Deno.Conn;
  /** Waiting for a request ("idle"), reading its head, handling it, or sending a file body. */
  state: "idle" | "head" | "busy" | "file" = "idle";
  /** When the watchdog closes the connection (epoch ms). */
  deadline = Date.now() + IDLE_MS;
  #closed = false;
  readonly aborts = new AbortController();

  constructor(conn: Deno.Conn) {
    this.conn = conn;
  }

  /** Closes the socket (once) and aborts the signal of the requests it carried. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.aborts.abort(new Error("The connection closed"));
    try {
      this.conn.close();
    } catch { /* closed */ }
  }

  /** Writes all of `bytes`; each write must make progress within STALL_MS. */
  async write(bytes: Uint8Array): Promise<void> {
    for (let off = 0; off < bytes.length;) {
      this.deadline = Date.now() + STALL_MS;
      off += await this.conn.write(off === 0 ? bytes : bytes.subarray(off));
    }
    this.deadline = Infinity;
  }
}
