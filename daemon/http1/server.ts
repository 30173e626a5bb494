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
 * This file accepts connections and runs their exchanges; the request parser (`_request_parser.ts`), the
 * response writer (`_response_writer.ts`), the buffer pool (`_buffer_pool.ts`), the bound on unsent bytes per
 * socket (`_send_lowat.ts`), the connection and its deadlines (`_connection.ts`) and the helper threads
 * (`_threads.ts`, `thread.ts`) are files of their own.
 *
 * @module
 */

import { bodyStream, ConnReader, type RequestHead, WireError } from "./_request_parser.ts";
import { BufferPool } from "./_buffer_pool.ts";
import { limitUnsent } from "./_send_lowat.ts";
import { Connection, HEAD_MS, IDLE_MS, STALL_MS } from "./_connection.ts";
import { CONTINUE, ResponseWriter } from "./_response_writer.ts";
import { canSharePort, startHelpers } from "./_threads.ts";
import { HOST_HEADER } from "../http/router.ts";
import { errorResponse } from "../http/http_error.ts";
import type { TlsPem } from "../http/tls.ts";

export { fileBody, type StreamMeter } from "./file_body.ts";

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

/** An unread request body up to this size is read and dropped to keep the connection. */
const DISCARD_LIMIT = 64 * 1024;

/** Serves `handler` over HTTP/1.1 (HTTPS with `tls`) until {@linkcode Http1Server.shutdown}. */
export function serveHttp1(options: Http1Options): Http1Server {
  const threads = canSharePort() ? Math.max(1, Math.floor(options.threads ?? 1)) : 1;
  const share = options.threadsOfPort ?? threads;
  const reusePort = share > 1 ? { reusePort: true } : {};
  // SO_REUSEPORT would also let this server share a port another process of this user holds (another audiod
  // started with the same --listen), and split the connections with it. Binding once without it first fails
  // as before when the port is taken, and picks the port when asked for any.
  const port = threads > 1 ? claimPort(options.hostname, options.port) : options.port;
  const writer = new ResponseWriter(new BufferPool(share));
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
  // A slow reader's socket would otherwise take megabytes ahead of it (see _send_lowat.ts). Each thread sets
  // the sockets listening on the port when it listens, so the last one to listen covers them all.
  limitUnsent(addr.port);
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
      await writer.refuse(c, new WireError(400, "Cannot parse the request: its URL or headers are invalid"));
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
        res = errorResponse(error, () => {}); // the envelope, unlogged: onError itself failed
      }
    }
    // The connection stays open only when the next request can be found: the body was read, or can be.
    const left = body.state();
    // A client that waits for "100 Continue" and got a final answer instead may never send its body.
    const discardable = left === "untouched" && !head.expectContinue && head.body.kind === "length" &&
      head.body.length <= DISCARD_LIMIT;
    const keepAlive = !head.close && !closing && (left === "done" || discardable);
    try {
      await writer.respond(c, head.method, res, keepAlive);
      delivered();
    } catch (error) {
      failed(error);
      return false;
    }
    return keepAlive && !closing && await body.discard(DISCARD_LIMIT);
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
          if (error instanceof WireError) await writer.refuse(c, error);
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
