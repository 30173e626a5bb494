/**
 * The writing half of {@linkcode serveHttp1}: a handler's `Response` on the wire. A file body
 * ({@linkcode fileBody}) goes from a pooled buffer, one socket write per read; any other body is written as
 * its stream yields it, with Content-Length when the handler set one and chunked otherwise. A request refused
 * on the wire gets the JSON error every audiod server answers ({@linkcode errorAnswer}).
 *
 * @module
 */

import { errorAnswer, HttpError } from "../http/http_error.ts";
import type { BufferPool } from "./_buffer_pool.ts";
import type { Connection } from "./_connection.ts";
import type { WireError } from "./_request_parser.ts";
import { type FileSource, fileSourceOf } from "./file_body.ts";

/** A file read that took longer than this went to the disk (see sendFile). */
const SLOW_READ_MS = 2;
/**
 * A write that took longer than this waited for a client that reads slower than we send (a 1 MiB buffer takes
 * 84 ms at 100 Mbit/s): the stream goes on with a small buffer (see sendFile).
 */
const SLOW_WRITE_MS = 100;

const REASONS: Record<number, string> = {
  100: "Continue",
  200: "OK",
  201: "Created",
  204: "No Content",
  206: "Partial Content",
  304: "Not Modified",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  409: "Conflict",
  413: "Content Too Large",
  416: "Range Not Satisfiable",
  417: "Expectation Failed",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
};

/** Response headers the server sets itself (and Content-Length, which it reads). */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade"]);

const encoder = new TextEncoder();

/** The interim answer to `Expect: 100-continue`. */
export const CONTINUE: Uint8Array = encoder.encode("HTTP/1.1 100 Continue\r\n\r\n");

/** Writes responses on the connections of one server, sending file bodies from its buffer pool. */
export class ResponseWriter {
  #pool: BufferPool;

  constructor(pool: BufferPool) {
    this.#pool = pool;
  }

  /** Writes `res` as the answer to a request of `method`; `keepAlive` false adds `connection: close`. */
  async respond(c: Connection, method: string, res: Response, keepAlive: boolean): Promise<void> {
    const status = res.status;
    const empty = status === 204 || status === 304 || status < 200;
    let text = statusLine(status);
    let declared: string | null = null;
    for (const [name, value] of res.headers) {
      if (name === "content-length") declared = value;
      else if (!HOP_BY_HOP.has(name)) text += `${name}: ${value}\r\n`;
    }
    if (!keepAlive) text += "connection: close\r\n";
    const source = fileSourceOf(res.body);
    if (method === "HEAD" || empty) {
      if (source) {
        source.file.close();
        source.settle();
      }
      // The length a GET would get: declared, a file's, or that of a small body measured and dropped.
      const length = empty ? null : source?.length ?? declared ?? await measure(res.body);
      if (length !== null) text += `content-length: ${length}\r\n`;
      await c.write(encoder.encode(text + "\r\n"));
      return;
    }
    if (source) {
      return await this.#sendFile(
        c,
        encoder.encode(`${text}content-length: ${source.length}\r\n\r\n`),
        source,
      );
    }
    if (!res.body) return await c.write(encoder.encode(`${text}content-length: 0\r\n\r\n`));
    const length = declared !== null && /^\d{1,15}$/.test(declared) ? Number(declared) : null;
    text += length === null ? "transfer-encoding: chunked\r\n\r\n" : `content-length: ${length}\r\n\r\n`;
    await sendStream(c, encoder.encode(text), res.body, length);
  }

  /** Answers a request the server cannot take with its JSON error, closing the connection (never throws). */
  async refuse(c: Connection, error: WireError): Promise<void> {
    const answer = errorAnswer(new HttpError(error.status, error.code, error.message), () => {});
    const body = JSON.stringify(answer.body);
    const text = statusLine(answer.status) +
      `content-type: application/json\r\ncontent-length: ${encoder.encode(body).length}\r\n` +
      `connection: close\r\n\r\n${body}`;
    await c.write(encoder.encode(text)).catch(() => {});
  }

  /**
   * The head, then the file from a pooled buffer, one socket write per read. When the source's signal aborts,
   * the connection is closed at once, even in the middle of a write a slow client holds up: the client sees the
   * body end short.
   */
  async #sendFile(c: Connection, head: Uint8Array, source: FileSource): Promise<void> {
    const { file, meter, signal } = source;
    const cut = () => c.close();
    signal?.addEventListener("abort", cut, { once: true });
    let buffer = this.#pool.take();
    const ended = meter.streamStarted();
    c.state = "file";
    try {
      signal?.throwIfAborted();
      if (source.start > 0) await file.seek(source.start, Deno.SeekMode.Start);
      buffer.set(head);
      let offset = head.length;
      let inPlace = true;
      for (let remaining = source.length; remaining > 0;) {
        // Whole-buffer reads and writes, the common case, make no new views.
        const want = Math.min(buffer.length - offset, remaining);
        const view = want === buffer.length ? buffer : buffer.subarray(offset, offset + want);
        // From the page cache a read takes a fraction of a millisecond; done in place it saves handing each one
        // to a blocking thread and back (futex wake-ups and context switches were a fifth of the instance's CPU
        // at 32 streams). A read that took long went to the disk: the rest of this stream reads in the
        // background, so a cold file cannot hold up the other connections.
        let n: number | null;
        if (inPlace) {
          const started = performance.now();
          n = file.readSync(view);
          if (performance.now() - started > SLOW_READ_MS) inPlace = false;
        } else {
          n = await file.read(view);
        }
        if (n === null) throw new Error("Cannot send the file: it ended early");
        remaining -= n;
        const end = offset + n;
        const writing = performance.now();
        await c.write(end === buffer.length ? buffer : buffer.subarray(0, end));
        meter.addBytes(n);
        offset = 0;
        signal?.throwIfAborted();
        // A write that waited for the client is a slow reader's (a listener takes 40 KB/s): a small buffer
        // serves it as well, and the large one goes to a stream that can use it.
        if (performance.now() - writing > SLOW_WRITE_MS) buffer = this.#pool.slower(buffer);
      }
    } catch (error) {
      if (signal?.aborted) c.close(); // a write may have finished before the abort closed the connection
      throw error;
    } finally {
      signal?.removeEventListener("abort", cut);
      c.state = "busy";
      ended();
      this.#pool.give(buffer);
      try {
        file.close();
      } catch { /* closed */ }
      source.settle();
    }
  }
}

/** The head with the first chunk, then each chunk as the stream yields it (chunked without a length). */
async function sendStream(
  c: Connection,
  head: Uint8Array,
  stream: ReadableStream<Uint8Array>,
  length: number | null,
): Promise<void> {
  const reader = stream.getReader();
  let pending: Uint8Array | null = head;
  let sent = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (value.length === 0) continue;
      sent += value.length;
      if (length !== null && sent > length) throw new Error("The response body is longer than its length");
      const parts = length === null
        ? [pending, encoder.encode(`${value.length.toString(16)}\r\n`), value, encoder.encode("\r\n")]
        : [pending, value];
      pending = null;
      await c.write(concat(parts));
    }
  } catch (error) {
    await reader.cancel().catch(() => {});
    throw error;
  }
  if (length !== null && sent !== length) throw new Error("The response body is shorter than its length");
  const tail = length === null ? encoder.encode("0\r\n\r\n") : null;
  if (pending || tail) await c.write(concat([pending, tail]));
}

/** Bodies a HEAD response measures (they are JSON answers); a longer one gets no Content-Length. */
const HEAD_MEASURE_LIMIT = 1024 * 1024;

/** The length of `body` (0 when null) read to its end and dropped, or null past HEAD_MEASURE_LIMIT. */
async function measure(body: ReadableStream<Uint8Array> | null): Promise<number | null> {
  if (!body) return 0;
  const reader = body.getReader();
  let length = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return length;
      length += value.length;
      if (length > HEAD_MEASURE_LIMIT) return null;
    }
  } catch {
    return null;
  } finally {
    await reader.cancel().catch(() => {});
  }
}

/** The status line and the Date header. */
function statusLine(status: number): string {
  return `HTTP/1.1 ${status} ${REASONS[status] ?? "Status"}\r\ndate: ${httpDate()}\r\n`;
}

let dateSecond = 0;
let dateText = "";

/** The Date header's value, made once a second. */
function httpDate(): string {
  const now = Math.floor(Date.now() / 1000);
  if (now !== dateSecond) {
    dateSecond = now;
    dateText = new Date(now * 1000).toUTCString();
  }
  return dateText;
}

function concat(parts: (Uint8Array | null)[]): Uint8Array {
  const present = parts.filter((p): p is Uint8Array => p !== null);
  if (present.length === 1) return present[0]!;
  const out = new Uint8Array(present.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of present) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
