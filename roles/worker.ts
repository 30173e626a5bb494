/**
 * Entry module of a role instance running as a Deno Worker inside a content node. The parent posts
 * `{type: "start", role, options}` and later `{type: "stop"}`; the worker answers `ready`, `stopped` or `failed`.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import type { AuthOptions } from "./auth/mod.ts";
import type { FileOptions } from "./file/mod.ts";
import { keepRunningOnUnhandled } from "../daemon/runtime/last_resort.ts";

/** Messages from the content node to a worker. */
export type ToWorker =
  | { type: "start"; role: "auth"; options: AuthOptions }
  | { type: "start"; role: "file"; options: FileOptions }
  | { type: "stop" };

/** Messages from a worker to the content node. */
export type FromWorker =
  | { type: "ready"; url: string; id: string }
  | { type: "stopped" }
  | { type: "failed"; message: string };

const stop = new AbortController();
let started = false;

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.type === "stop") {
    stop.abort();
    return;
  }
  if (started) return;
  started = true;
  keepRunningOnUnhandled(message.role, message.options.logFormat);
  const post = (m: FromWorker) => self.postMessage(m);
  const onReady = (ready: { url: string; id: string }) => post({ type: "ready", ...ready });
  const running = message.role === "auth"
    ? import("./auth/mod.ts").then((m) => m.run({ ...message.options, onReady }, stop.signal))
    : import("./file/mod.ts").then((m) => m.run({ ...message.options, onReady }, stop.signal));
  running.then(
    () => post({ type: "stopped" }),
    (error: unknown) =>
      post({ type: "failed", message: error instanceof Error ? error.message : String(error) }),
  ).finally(() => self.close());
};
