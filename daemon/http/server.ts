/**
 * Starts a daemon's HTTP server and prints the one line scripts wait for:
 * `audiod <role> listening on http://HOST:PORT` (https with `--tls-cert` and `--tls-key`).
 *
 * @module
 */

import { type ListenAddress, urlHost } from "../../cli/address.ts";
import { type Http1Server, serveHttp1 } from "../http1/server.ts";
import type { Metrics } from "./metrics.ts";
import type { Handler, Routing } from "./router.ts";
import { errorResponse } from "./http_error.ts";
import { type Logger, printOut } from "../runtime/log.ts";
import type { TlsPem } from "./tls.ts";
import { CommandError } from "../../cli/usage_error.ts";

/** A running server. */
export interface RunningServer {
  /** `http://HOST:PORT` (or https) with the real port. */
  url: string;
  hostname: string;
  port: number;
  /** Stops accepting connections and waits for in-flight requests. */
  shutdown(): Promise<void>;
  /** Resolves when the server has stopped. */
  finished: Promise<void>;
}

/** Options for {@linkcode startServer}. */
export interface StartServerOptions {
  role: string;
  listen: ListenAddress;
  handler: Handler;
  logger: Logger;
  /** Print the "listening on" line (default true). */
  announce?: boolean;
  /** Serve HTTPS with this certificate and key. */
  tls?: TlsPem;
  /** Serve these at `GET /metrics` (public, read-only), with every request counted by route and status. */
  metrics?: Metrics;
  /**
   * Serve with audiod's own HTTP/1.1 server ({@linkcode serveHttp1}), which sends {@linkcode fileBody}
   * responses from reused buffers in large writes: for the file instances, whose work is sending bytes.
   */
  http1?: boolean;
  /** Threads accepting connections with `http1` (see `serveHttp1`'s `threads`; default 1). */
  threads?: number;
}

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]);

/** Serves `/metrics` and counts every other request in `audiod_http_requests_total`. */
function withMetrics(handler: Handler, metrics: Metrics): Handler {
  const requests = metrics.counter(
    "audiod_http_requests_total",
    "HTTP requests answered, by method, route pattern and status",
  );
  return async (req, info) => {
    if ((req.method === "GET" || req.method === "HEAD") && URL.parse(req.url)?.pathname === "/metrics") {
      return metrics.response(req);
    }
    const routing: Routing = { route: null };
    const res = await handler(req, info, routing);
    requests.inc({
      method: METHODS.has(req.method) ? req.method : "OTHER",
      route: routing.route ?? "unmatched",
      status: String(res.status),
    });
    return res;
  };
}

/** Starts serving `handler` on `listen`. */
export function startServer(options: StartServerOptions): RunningServer {
  const { listen, logger } = options;
  let server: Pick<Http1Server, "addr" | "shutdown" | "finished">; // or Deno.serve's, which has these too
  let http1: Http1Server | null = null;
  const handler = options.metrics ? withMetrics(options.handler, options.metrics) : options.handler;
  const onError = (error: unknown) =>
    errorResponse(error, (e) => logger.error("request.failed", { error: e }));
  try {
    server = options.http1
      ? http1 = serveHttp1({
        hostname: listen.hostname,
        port: listen.port,
        ...(options.tls ? { tls: options.tls } : {}),
        handler,
        onError,
        threads: options.threads ?? 1,
        onThreadProblem: (message) => logger.warn("thread.failed", { message }),
      })
      : Deno.serve({
        hostname: listen.hostname,
        port: listen.port,
        ...(options.tls ? { cert: options.tls.cert, key: options.tls.key } : {}),
        onListen: () => {},
        onError,
      }, handler);
  } catch (error) {
    const why = error instanceof Deno.errors.AddrInUse
      ? "the address is in use (is another audiod running? pick another port with --listen)"
      : error instanceof Deno.errors.AddrNotAvailable
      ? "no interface has that address"
      : error instanceof Deno.errors.PermissionDenied
      ? "permission denied (ports below 1024 need privileges)"
      : error instanceof Error
      ? error.message
      : String(error);
    const network = error instanceof Deno.errors.AddrInUse || error instanceof Deno.errors.AddrNotAvailable ||
      error instanceof Deno.errors.PermissionDenied;
    if (options.tls && !network) {
      throw new CommandError(`Cannot serve HTTPS with the given --tls-cert and --tls-key: ${why}`);
    }
    throw new CommandError(`Cannot listen on ${urlHost(listen.hostname)}:${listen.port}: ${why}`);
  }
  const addr = server.addr;
  const url = `${options.tls ? "https" : "http"}://${urlHost(addr.hostname)}:${addr.port}`;
  if (options.announce ?? true) printOut(`audiod ${options.role} listening on ${url}`);
  logger.info("listening", { url, ...(http1 && http1.threads > 1 ? { threads: http1.threads } : {}) });
  return {
    url,
    hostname: addr.hostname,
    port: addr.port,
    shutdown: () => server.shutdown(),
    finished: server.finished,
  };
}
