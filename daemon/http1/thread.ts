/**
 * A helper thread of {@linkcode serveHttp1} (a Worker; see `_threads.ts`): accepts connections on the
 * server's port and serves them, with every request answered by the main thread's handler.
 *
 * @module
 */

import type { FileOrder, FromHelper, ToHelper } from "./_threads.ts";
import { fileBody } from "./file_body.ts";
import { trimHeapWhile } from "./heap_trim.ts";
import { errorResponse, HttpError } from "../http/http_error.ts";
import { type Http1Server, serveHttp1 } from "./server.ts";
import { readBody } from "../http/body.ts";

/** The largest request body a helper forwards (the file instance takes small JSON bodies only). */
const BODY_LIMIT = 1024 * 1024;
/** How often the bytes sent are reported to the main thread's meter. */
const REPORT_MS = 250;

const scope = self as unknown as {
  postMessage(message: FromHelper, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToHelper>) => void) | null;
};
const post = (message: FromHelper, transfer: Transferable[] = []) => scope.postMessage(message, transfer);

type Reply = Extract<ToHelper, { type: "response" }>;
const waiting = new Map<number, (reply: Reply) => void>();
/** Cuts the file body of a request the main thread told to stop ("abort"), by request. */
const cuts = new Map<number, AbortController>();
/** File bytes sent and not yet reported, by request. */
const unreported = new Map<number, number>();
let sending = 0;
let nextId = 0;
let server: Http1Server | null = null;
const stopping = new AbortController();

const report = setInterval(() => {
  if (unreported.size === 0) return;
  post({ type: "bytes", counts: [...unreported] });
  unreported.clear();
}, REPORT_MS);
Deno.unrefTimer(report);
trimHeapWhile(() => sending > 0, { signal: stopping.signal });

/** Opens the file the handler chose; null when it is no longer the one the handler saw. */
async function open(order: FileOrder): Promise<Deno.FsFile | null> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(order.path, { read: true });
  } catch {
    return null;
  }
  const info = await file.stat().catch(() => null);
  if (info?.size === order.size && (info.mtime?.getTime() ?? 0) === order.mtimeMs) return file;
  file.close();
  return null;
}

async function handle(req: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>): Promise<Response> {
  const id = ++nextId;
  let body: Uint8Array<ArrayBuffer> | null = null;
  try {
    if (req.body) body = new Uint8Array(await readBody(req, BODY_LIMIT));
  } catch (error) {
    return errorResponse(error, () => {});
  }
  const { promise, resolve } = Promise.withResolvers<Reply>();
  waiting.set(id, resolve);
  const cut = new AbortController();
  cuts.set(id, cut);
  post({
    type: "request",
    id,
    method: req.method,
    url: req.url,
    headers: [...req.headers],
    body,
    remoteAddr: info.remoteAddr,
  }, body ? [body.buffer] : []);
  let started = false;
  const done = (failed: boolean) => {
    if (started) sending--;
    const bytes = unreported.get(id) ?? 0;
    unreported.delete(id);
    cuts.delete(id);
    post({ type: "done", id, bytes, failed });
  };
  info.completed.then(() => done(false), () => done(true));
  const reply = await promise;
  if (!reply.file) return new Response(reply.body, { status: reply.status, headers: reply.headers });
  const file = await open(reply.file);
  if (!file) {
    return errorResponse(
      new HttpError(503, "file_changed", "Cannot serve the file: it changed while it was opened; try again"),
      () => {},
    );
  }
  const meter = {
    streamStarted: () => {
      if (!started) {
        started = true;
        sending++;
        post({ type: "started", id });
      }
      return () => {}; // the end is reported with the response ("done")
    },
    addBytes: (n: number) => unreported.set(id, (unreported.get(id) ?? 0) + n),
  };
  const { path, start, length } = reply.file;
  return new Response(fileBody(file, { path, start, length, meter, signal: cut.signal }), {
    status: reply.status,
    headers: reply.headers,
  });
}

scope.onmessage = (event) => {
  const message = event.data;
  switch (message.type) {
    case "start":
      try {
        server = serveHttp1({
          hostname: message.hostname,
          port: message.port,
          ...(message.tls ? { tls: message.tls } : {}),
          threadsOfPort: message.threads,
          handler: handle,
          onError: (error) => errorResponse(error, () => {}),
        });
        post({ type: "listening" });
      } catch (error) {
        post({ type: "failed", message: (error as Error).message });
      }
      break;
    case "response":
      waiting.get(message.id)?.(message);
      waiting.delete(message.id);
      break;
    case "abort":
      cuts.get(message.id)?.abort(new Error("The stream was cut: its session ended"));
      break;
    case "shutdown":
      stopping.abort();
      (server?.shutdown() ?? Promise.resolve()).then(() => post({ type: "finished" }));
      break;
  }
};
