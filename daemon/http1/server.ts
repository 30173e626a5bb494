/**
 * An HTTP/1.1 server for the file instance, whose work is sending track bytes. `Deno.serve` copies a file to
 * the socket 64 KiB per write and cannot be told otherwise, and a body produced in JavaScript costs a fresh
 * buffer per read, whose garbage grows the heap faster than it is collected. Here a file body
 * ({@linkcode fileBody}) is read into a buffer the connection reuses, up to 1 MiB per read, and each read goes
 * to the socket in one write: the buffer is free again as soon as the write returns. Every other response is
 * written as its body stream yields it, with Content-Length when the handler set one and chunked otherwise.
 *
 * The handler has the same shape as `Deno.serve`'s. Keep-alive, HEAD, `Expect: 100-continue`, chunked request
 * bodies and TLS are supported; HTTP/2 and upgrades are not. Malformed requests are answered 400 (431 for
 * oversized heads, 417 for unknown expectations) and the connection closed; clients that stall in a
 * request head, a body or a response are disconnected.
 *
 * @module
 */

import { bodyStream, ConnReader, type RequestHead, WireError } from "./_request_parser.ts";
import { type FileSource, fileSourceOf } from "./file_body.ts";
import { canSharePort, startHelpers } from "./_threads.ts";
import { HOST_HEADER } from "../http/router.ts";
import type { TlsPem } from "../http/tls.ts";

export { fileBody, type StreamMeter } from "./file_body.ts";

/**
 * Read buffers of file bodies, kept for reuse so streaming makes no garbage. The first streams at a time get
 * large ones, where one stream's speed shows; many streams share the socket time anyway and get small ones,
 * which bounds the memory: 100 streams hold about 18 MiB. A server of several threads gives each its share.
 */
class BufferPool {
  static readonly CLASSES = [
    { size: 1024 * 1024, streams: 2, kept: 2 },
    { size: 256 * 1024, streams: 30, kept: 30 },
    { size: 128 * 1024, streams: Infinity, kept: 68 },
  ];
  #classes: typeof BufferPool.CLASSES;
  #free = BufferPool.CLASSES.map(() => [] as Uint8Array[]);
  #inUse = BufferPool.CLASSES.map(() => 0);

  constructor(share: number) {
    this.#classes = BufferPool.CLASSES.map((c) => ({
      size: c.size,
      streams: Math.ceil(c.streams / share),
      kept: Math.ceil(c.kept / share),
    }));
  }

  take(): Uint8Array {
    const i = this.#classes.findIndex((c, i) => this.#inUse[i]! < c.streams);
    this.#inUse[i]!++;
    return this.#free[i]!.pop() ?? new Uint8Array(this.#classes[i]!.size);
  }

  give(buffer: Uint8Array): void {
    const i = this.#classes.findIndex((c) => c.size === buffer.length);
    this.#inUse[i]!--;
    if (this.#free[i]!.length < this.#classes[i]!.kept) this.#free[i]!.push(buffer);
  }
}

/** Options for {@linkcode serveHttp1}. */
export interface Http1Options {
  hostname: string;
  port: number;
  tls?: TlsPem;
  handler: (req: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) => Response | Promise<Response>;
  /** Turns an error the handler threw into a response. */
  onError: (error: unknown) => Response | Promise<Response>;
  /**
   * Threads accepting connections (default 1). The others are helpers on the same port whose requests are
   * handled here, by `handler`; they send file bodies themselves. Sharing the port needs `--unstable-net`
   * (audiod's deno.json sets it); without it, this thread alone serves. Other bodies than file bodies reach a
   * helper whole, so they must end.
   */
  threads?: number;
  /** Told when a helper thread cannot listen or fails (this thread goes on serving). */
  onThreadProblem?: (message: string) => void;
  /**
   * This server is a helper, one of `threadsOfPort` on its port: it listens with SO_REUSEPORT and keeps its
   * share of the read buffers.
   */
  threadsOfPort?: number;
}

/** A running {@linkcode serveHttp1} server. */
export interface Http1Server {
  addr: Deno.NetAddr;
  /**
   * Stops accepting; closes idle connections and those sending a file body (a listener resumes elsewhere);
   * lets other responses in progress finish. Resolves when every connection is closed.
   */
  shutdown(): Promise<void>;
  finished: Promise<void>;
  /** Threads accepting connections. */
  threads: number;
  /** Resolves once every thread accepts connections (helpers start a moment after this one). */
  ready: Promise<void>;
  /** Requests helper threads handed to this one so far. */
  readonly forwarded: number;
}

/** How long a connection may wait for its next request. */
const IDLE_MS = 60_000;
/** How long a request head may take to arrive once it began. */
const HEAD_MS = 10_000;
/** How long a read of a request body, or a write of a response, may go without progress. */
const STALL_MS = 30_000;
/** A file read that took longer than this went to the disk (see sendFile). */
const SLOW_READ_MS = 2;
/** An unread request body up to this size is read and dropped to keep the connection. */
const DISCARD_LIMIT = 64 * 1024;

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

const WIRE_CODES: Record<number, string> = {
  400: "bad_request",
  417: "expectation_failed",
  431: "headers_too_large",
};

/** Response headers the server sets itself (and Content-Length, which it reads). */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade"]);

const encoder = new TextEncoder();
const CONTINUE = encoder.encode("HTTP/1.1 100 Continue\r\n\r\n");

/** One connection. */
class Connection {
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

/** Serves `handler` over HTTP/1.1 (HTTPS with `tls`) until {@linkcode Http1Server.shutdown}. */
export function serveHttp1(options: Http1Options): Http1Server {
  const threads = canSharePort() ? Math.max(1, Math.floor(options.threads ?? 1)) : 1;
  const share = options.threadsOfPort ?? threads;
  const reusePort = share > 1 ? { reusePort: true } : {};
  // SO_REUSEPORT would also let this server share a port another process of this user holds (another audiod
  // started with the same --listen), and split the connections with it. Binding once without it first fails
  // as before when the port is taken, and picks the port when asked for any.
  const port = threads > 1 ? claimPort(options.hostname, options.port) : options.port;
  const pool = new BufferPool(share);
  const listener = options.tls
    ? Deno.listenTls({
      hostname: options.hostname,
      port,
      cert: options.tls.cert,
      key: options.tls.key,
      alpnProtocols: ["http/1.1"],
      ...reusePort,
    })
    : Deno.listen({ hostname: options.hostname, port, ...reusePort });
  const addr = listener.addr as Deno.NetAddr;
  const helpers = threads > 1 ? startHelpers(threads, addr, options) : null;
  const scheme = options.tls ? "https" : "http";
  const authority = `${addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname}:${addr.port}`;
  const connections = new Set<Connection>();
  let closing = false;
  let accepting = true;
  const { promise: finished, resolve: done } = Promise.withResolvers<void>();
  const settle = () => {
    if (!accepting && connections.size === 0) {
      clearInterval(watchdog);
      done();
    }
  };
  const watchdog = setInterval(() => {
    const now = Date.now();
    for (const c of connections) if (c.deadline < now) c.close();
  }, 1000);

  const exchange = async (c: Connection, reader: ConnReader, head: RequestHead): Promise<boolean> => {
    const body = bodyStream(reader, head.body, {
      start: () => head.expectContinue ? c.write(CONTINUE) : Promise.resolve(),
      reading: (active) => c.deadline = active ? Date.now() + STALL_MS : Infinity,
    });
    const host = head.headers.find(([name]) => name.toLowerCase() === "host")?.[1];
    const url = `${scheme}://${
      host !== undefined && HOST_HEADER.test(host) ? host : authority
    }${head.target}`;
    const bodyless = head.method === "GET" || head.method === "HEAD";
    let req: Request;
    try {
      req = new Request(url, {
        method: head.method,
        headers: head.headers,
        body: bodyless ? null : body.stream,
        signal: c.aborts.signal,
      });
    } catch {
      await refuse(c, new WireError(400, "Cannot parse the request: its URL or headers are invalid"));
      return false;
    }
    const { promise: completed, resolve: delivered, reject: failed } = Promise.withResolvers<void>();
    completed.catch(() => {});
    let res: Response;
    try {
      res = await options.handler(req, { remoteAddr: c.conn.remoteAddr as Deno.NetAddr, completed });
    } catch (error) {
      try {
        res = await options.onError(error);
      } catch {
        res = new Response("Internal Server Error", { status: 500 });
      }
    }
    // The connection stays open only when the next request can be found: the body was read, or can be.
    const left = body.state();
    // A client that waits for "100 Continue" and got a final answer instead may never send its body.
    const discardable = left === "untouched" && !head.expectContinue && head.body.kind === "length" &&
      head.body.length <= DISCARD_LIMIT;
    const keepAlive = !head.close && !closing && (left === "done" || discardable);
    try {
      await respond(c, head, res, keepAlive);
      delivered();
    } catch (error) {
      failed(error);
      return false;
    }
    return keepAlive && !closing && await body.discard(DISCARD_LIMIT);
  };

  const respond = async (c: Connection, head: RequestHead, res: Response, keepAlive: boolean) => {
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
    if (head.method === "HEAD" || empty) {
      if (source) source.file.close();
      // The length a GET would get: declared, a file's, or that of a small body measured and dropped.
      const length = empty ? null : source?.length ?? declared ?? await measure(res.body);
      if (length !== null) text += `content-length: ${length}\r\n`;
      await c.write(encoder.encode(text + "\r\n"));
      return;
    }
    if (source) {
      return await sendFile(c, encoder.encode(`${text}content-length: ${source.length}\r\n\r\n`), source);
    }
    if (!res.body) return await c.write(encoder.encode(`${text}content-length: 0\r\n\r\n`));
    const length = declared !== null && /^\d{1,15}$/.test(declared) ? Number(declared) : null;
    text += length === null ? "transfer-encoding: chunked\r\n\r\n" : `content-length: ${length}\r\n\r\n`;
    await sendStream(c, encoder.encode(text), res.body, length);
  };

  /** The head, then the file from a pooled buffer, one socket write per read. */
  const sendFile = async (c: Connection, head: Uint8Array, source: FileSource) => {
    const { file, meter } = source;
    const buffer = pool.take();
    const ended = meter.streamStarted();
    c.state = "file";
    try {
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
        await c.write(end === buffer.length ? buffer : buffer.subarray(0, end));
        meter.addBytes(n);
        offset = 0;
      }
    } finally {
      c.state = "busy";
      ended();
      pool.give(buffer);
      try {
        file.close();
      } catch { /* closed */ }
    }
  };

  /** The head with the first chunk, then each chunk as the stream yields it (chunked without a length). */
  const sendStream = async (
    c: Connection,
    head: Uint8Array,
    stream: ReadableStream<Uint8Array>,
    length: number | null,
  ) => {
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
  };

  const refuse = async (c: Connection, error: WireError) => {
    const body = JSON.stringify({
      error: { code: WIRE_CODES[error.status] ?? "bad_request", message: error.message },
    });
    const text = statusLine(error.status) +
      `content-type: application/json\r\ncontent-length: ${encoder.encode(body).length}\r\n` +
      `connection: close\r\n\r\n${body}`;
    await c.write(encoder.encode(text)).catch(() => {});
  };

  const serve = async (c: Connection) => {
    const reader = new ConnReader(c.conn);
    try {
      while (!closing) {
        c.state = "idle";
        c.deadline = Date.now() + IDLE_MS;
        let head: RequestHead | null;
        try {
          head = await reader.readHead(() => {
            c.state = "head";
            c.deadline = Date.now() + HEAD_MS;
          });
        } catch (error) {
          if (error instanceof WireError) await refuse(c, error);
          break;
        }
        if (head === null) break;
        c.state = "busy";
        c.deadline = Infinity;
        if (!(await exchange(c, reader, head))) break;
      }
    } catch { /* the connection failed: closed below */ }
    c.close();
    connections.delete(c);
    settle();
  };

  (async () => {
    while (!closing) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (closing || error instanceof Deno.errors.BadResource) break;
        await new Promise((r) => setTimeout(r, 100)); // e.g. out of file descriptors: try again soon
        continue;
      }
      if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
      const c = new Connection(conn);
      connections.add(c);
      serve(c);
    }
    accepting = false;
    settle();
  })();

  const stopped = helpers ? Promise.all([finished, helpers.stopped]).then(() => {}) : finished;
  return {
    addr,
    finished: stopped,
    threads,
    ready: helpers?.listening ?? Promise.resolve(),
    get forwarded() {
      return helpers?.forwarded ?? 0;
    },
    shutdown() {
      if (!closing) {
        closing = true;
        try {
          listener.close();
        } catch { /* closed */ }
        for (const c of connections) if (c.state === "idle" || c.state === "file") c.close();
        helpers?.shutdown();
      }
      return stopped;
    },
  };
}

/** `port` (any free one when 0) once a listener without SO_REUSEPORT could take it; throws when it is taken. */
function claimPort(hostname: string, port: number): number {
  const probe = Deno.listen({ hostname, port });
  const free = (probe.addr as Deno.NetAddr).port;
  probe.close();
  return free;
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
