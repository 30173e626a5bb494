/**
 * More threads accepting on {@linkcode serveHttp1}'s port. Sending a file costs a read and a write per buffer,
 * and one thread doing that for many streams is CPU-bound (on two cores, a seventh of the machine stayed idle
 * at 32 streams); nginx runs a worker per core for the same reason. Each helper is a Worker listening on the
 * same port (SO_REUSEPORT: the kernel spreads new connections over the listeners) and speaking HTTP itself, but
 * it decides nothing: every request goes to the main thread's handler by message, so routes, auth, metrics and
 * load are counted in one place. A file body comes back as an order — path, range, and the size and mtime the
 * handler saw — and the helper opens the file and sends it from its own buffers; other bodies come back whole.
 * When the handler's file body is cut (its signal aborts), the helper is told to cut the body it sends, by the
 * id of the request it belongs to.
 *
 * @module
 */

import { type FileSource, fileSourceOf, type StreamMeter } from "./file_body.ts";
import type { Http1Options } from "./server.ts";
import type { TlsPem } from "../http/tls.ts";
import { errorResponse } from "../http/http_error.ts";

/** A file body the helper sends: the handler's file, opened again by path, which must not have changed. */
export interface FileOrder {
  path: string;
  start: number;
  length: number;
  size: number;
  mtimeMs: number;
}

/** Messages to a helper. */
export type ToHelper =
  | { type: "start"; hostname: string; port: number; threads: number; tls?: TlsPem }
  | {
    type: "response";
    id: number;
    status: number;
    headers: [string, string][];
    body: Uint8Array<ArrayBuffer> | null;
    file?: FileOrder;
  }
  /** Cut the file body of request `id` short and close its connection (its signal aborted). */
  | { type: "abort"; id: number }
  | { type: "shutdown" };

/** Messages from a helper. */
export type FromHelper =
  | { type: "listening" }
  | { type: "failed"; message: string }
  | {
    type: "request";
    id: number;
    method: string;
    url: string;
    headers: [string, string][];
    body: Uint8Array<ArrayBuffer> | null;
    remoteAddr: Deno.NetAddr;
  }
  /** A file body began to be sent. */
  | { type: "started"; id: number }
  /** Bytes of file bodies sent since the last report, by request. */
  | { type: "bytes"; counts: [number, number][] }
  /** A request's response was sent (or failed), with its file bytes not yet reported. */
  | { type: "done"; id: number; bytes: number; failed: boolean }
  | { type: "finished" };

/** Whether listeners can share a port: `reusePort` exists only with `--unstable-net` (and exits without it). */
export function canSharePort(): boolean {
  return typeof (Deno as unknown as { listenDatagram?: unknown }).listenDatagram === "function";
}

/** Helpers of one server. */
export interface Helpers {
  /** Requests the helpers forwarded so far. */
  readonly forwarded: number;
  /** Stops the helpers (as the server's `shutdown`). */
  shutdown(): void;
  /** Resolves when every helper has stopped. */
  stopped: Promise<void>;
  /** Resolves when every helper listens (or has given up). */
  listening: Promise<void>;
}

/** A forwarded request the main thread answered, until the helper reports it done. */
interface Exchange {
  meter: StreamMeter | null;
  ended: (() => void) | null;
  /** The handler's file body, when the answer is one: settled when the helper is done with it. */
  source: FileSource | null;
  /** Stops listening to the source's signal. */
  unwatch: (() => void) | null;
  delivered: () => void;
  failed: (error: Error) => void;
}

type Reply = Extract<ToHelper, { type: "response" }>;

/** `options.onError`'s response to `error`, or the JSON envelope unlogged when that fails too. */
async function onErrorResponse(options: Http1Options, error: unknown): Promise<Response> {
  try {
    return await options.onError(error);
  } catch {
    return errorResponse(error, () => {});
  }
}

/** `res` as a message to the helper: a file body as an order, any other body whole. */
async function replyOf(id: number, res: Response, exchange: Exchange): Promise<Reply> {
  const reply = { type: "response" as const, id, status: res.status, headers: [...res.headers] };
  const source = fileSourceOf(res.body);
  if (!source) return { ...reply, body: res.body ? new Uint8Array(await res.arrayBuffer()) : null };
  let info: Deno.FileInfo;
  try {
    info = await source.file.stat();
  } catch (error) {
    source.settle();
    throw error;
  } finally {
    source.file.close();
  }
  exchange.source = source;
  exchange.meter = source.meter;
  const { path, start, length } = source;
  return {
    ...reply,
    body: null,
    file: { path, start, length, size: info.size, mtimeMs: info.mtime?.getTime() ?? 0 },
  };
}

/** The helper is done with the exchange's file body (if it had one). */
function settle(exchange: Exchange): void {
  exchange.unwatch?.();
  exchange.unwatch = null;
  exchange.source?.settle();
  exchange.source = null;
}

/** Starts the helpers of a server of `threads` threads, each handing its requests to `options.handler`. */
export function startHelpers(
  threads: number,
  listen: { hostname: string; port: number },
  options: Http1Options,
): Helpers {
  let forwarded = 0;
  const helpers = Array.from({ length: threads - 1 }, () => {
    const worker = new Worker(new URL("./thread.ts", import.meta.url), { type: "module" });
    const exchanges = new Map<number, Exchange>();
    const { promise: stopped, resolve: stop } = Promise.withResolvers<void>();
    const { promise: listening, resolve: listened } = Promise.withResolvers<void>();
    let ended = false;
    /** The helper is gone: streams it was sending are over, for the meter and for whoever drains. */
    const end = (problem?: string) => {
      if (ended) return;
      ended = true;
      if (problem) options.onThreadProblem?.(problem);
      for (const exchange of exchanges.values()) {
        exchange.ended?.();
        settle(exchange);
        exchange.failed(new Error("The serving thread stopped"));
      }
      exchanges.clear();
      worker.terminate();
      stop();
      listened();
    };
    const answer = async (message: Extract<FromHelper, { type: "request" }>): Promise<Reply> => {
      forwarded++;
      const { promise: completed, resolve: delivered, reject: failed } = Promise.withResolvers<void>();
      completed.catch(() => {});
      const exchange: Exchange = { meter: null, ended: null, source: null, unwatch: null, delivered, failed };
      exchanges.set(message.id, exchange);
      let res: Response;
      try {
        const req = new Request(message.url, {
          method: message.method,
          headers: message.headers,
          body: message.body,
        });
        res = await options.handler(req, { remoteAddr: message.remoteAddr, completed });
      } catch (error) {
        res = await onErrorResponse(options, error);
      }
      try {
        return await replyOf(message.id, res, exchange);
      } catch (error) {
        return await replyOf(message.id, await onErrorResponse(options, error), exchange);
      }
    };
    /** Tells the helper to cut request `id`'s file body when the handler's body is cut. */
    const watch = (id: number, exchange: Exchange) => {
      const signal = exchange.source?.signal;
      if (!signal) return;
      const cut = () => {
        if (!ended && exchanges.get(id) === exchange) {
          worker.postMessage({ type: "abort", id } satisfies ToHelper);
        }
      };
      if (signal.aborted) return cut();
      signal.addEventListener("abort", cut, { once: true });
      exchange.unwatch = () => signal.removeEventListener("abort", cut);
    };
    worker.onmessage = (event: MessageEvent<FromHelper>) => {
      const message = event.data;
      if (ended) return;
      switch (message.type) {
        case "request":
          answer(message).then(
            (reply) => {
              worker.postMessage(reply, reply.body ? [reply.body.buffer] : []);
              const exchange = exchanges.get(message.id);
              if (reply.file && exchange) watch(message.id, exchange);
            },
            (error) => end(`Cannot answer a request from a serving thread: ${(error as Error).message}`),
          );
          break;
        case "started": {
          const exchange = exchanges.get(message.id);
          if (exchange?.meter && !exchange.ended) exchange.ended = exchange.meter.streamStarted();
          break;
        }
        case "bytes":
          for (const [id, n] of message.counts) exchanges.get(id)?.meter?.addBytes(n);
          break;
        case "done": {
          const exchange = exchanges.get(message.id);
          if (!exchange) break;
          exchanges.delete(message.id);
          if (message.bytes > 0) exchange.meter?.addBytes(message.bytes);
          exchange.ended?.();
          settle(exchange);
          if (message.failed) exchange.failed(new Error("The response was not sent whole"));
          else exchange.delivered();
          break;
        }
        case "listening":
          listened();
          break;
        case "failed":
          end(`A serving thread cannot listen: ${message.message}`);
          break;
        case "finished":
          end();
          break;
      }
    };
    worker.onerror = (event) => {
      event.preventDefault();
      end(`A serving thread failed: ${event.message}`);
    };
    worker.postMessage(
      {
        type: "start",
        hostname: listen.hostname,
        port: listen.port,
        threads,
        ...(options.tls ? { tls: options.tls } : {}),
      } satisfies ToHelper,
    );
    return {
      stopped,
      listening,
      shutdown: () => {
        if (!ended) worker.postMessage({ type: "shutdown" } satisfies ToHelper);
      },
    };
  });
  return {
    get forwarded() {
      return forwarded;
    },
    shutdown: () => helpers.forEach((h) => h.shutdown()),
    stopped: Promise.all(helpers.map((h) => h.stopped)).then(() => {}),
    listening: Promise.all(helpers.map((h) => h.listening)).then(() => {}),
  };
}
