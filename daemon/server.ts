/**
 * Starts a daemon's HTTP server and prints the one line scripts wait for:
 * `audiod <role> listening on http://HOST:PORT` (https with `--tls-cert` and `--tls-key`).
 *
 * @module
 */

import { type ListenAddress, urlHost } from "./address.ts";
import type { Handler } from "./router.ts";
import { type Logger, printOut } from "./log.ts";
import type { TlsPem } from "./tls.ts";
import { CommandError } from "./usage_error.ts";

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
}

/** Starts serving `handler` on `listen`. */
export function startServer(options: StartServerOptions): RunningServer {
  const { listen, logger } = options;
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: listen.hostname,
      port: listen.port,
      ...(options.tls ? { cert: options.tls.cert, key: options.tls.key } : {}),
      onListen: () => {},
      onError: (error) => {
        logger.error("request.failed", { error });
        return Response.json({ error: { code: "internal", message: "Internal error" } }, { status: 500 });
      },
    }, options.handler);
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
  logger.info("listening", { url });
  return {
    url,
    hostname: addr.hostname,
    port: addr.port,
    shutdown: () => server.shutdown(),
    finished: server.finished,
  };
}
