/**
 * Server-Sent Events: a parser for `text/event-stream` and a subscriber that stays connected to the bootstrap's
 * `GET /v1/events`, reconnecting (with `Last-Event-ID`, so nothing is missed across a short break) until its
 * signal aborts.
 *
 * @module
 */

import { describeFetchError, type PeerAccess } from "./peer_client.ts";
import { JOIN_SECRET_HEADER } from "./join_secret.ts";
import { sleep } from "./membership.ts";
import { bootstrapSet } from "./bootstrap_set.ts";
import { Backoff } from "../runtime/backoff.ts";
import { type ClusterEvent, eventOf } from "../../protocol/events.ts";
import { SchemaError } from "../../protocol/schema.ts";

/** One event as the stream delivers it. */
export interface ServerSentEvent {
  /** The `event:` field; "message" when absent. */
  type: string;
  /** The `data:` lines joined by newlines. */
  data: string;
  /** The `id:` field, or the last one seen. */
  id: string;
}

/** Parses a `text/event-stream` body into events (comments and `retry:` are skipped). */
export async function* parseEventStream(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  let buffer = "";
  let type = "";
  let data: string[] = [];
  let lastId = "";
  for await (const text of body.pipeThrough(new TextDecoderStream())) {
    buffer += text;
    let newline: number;
    while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
      // A lone CR at the end may be the first half of a CRLF: wait for the next piece.
      if (buffer[newline] === "\r" && newline === buffer.length - 1) break;
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith("\r\n", newline) ? 2 : 1));
      if (line === "") {
        if (data.length > 0) yield { type: type || "message", data: data.join("\n"), id: lastId };
        type = "";
        data = [];
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") type = value;
      else if (field === "data") data.push(value);
      else if (field === "id" && !value.includes("\0")) lastId = value;
    }
  }
}

/** Options for {@linkcode subscribeEvents}. */
export interface SubscribeOptions {
  /**
   * Base URL of the bootstrap, or several comma-separated: a break moves to the next (event ids are one
   * global sequence across bootstraps sharing a store, so `Last-Event-ID` resumes there with no gap).
   */
  bootstrap: string;
  /** With a join secret, the stream also carries the members-only events (token revocations). */
  peer?: PeerAccess;
  /** A signed-in user's session token: without the join secret, the channel needs one. */
  token?: string;
  signal: AbortSignal;
  /** Each event, its data parsed and checked (events of types this version does not know are skipped). */
  onEvent: (event: ClusterEvent) => void;
  /** An event whose data was not JSON or did not fit its schema (it is skipped): why, naming the field. */
  onMalformed?: (message: string) => void;
  /** Each (re)connection, and each break with the reason. */
  onConnection?: (change: { connected: true } | { connected: false; error: string }) => void;
  /** Wait before reconnecting (default up to 1 s, doubling to 5 s, with full jitter; reset once connected). */
  retryMs?: number;
}

/** Stays subscribed to the bootstrap's events until `signal` aborts; resolves then. */
export async function subscribeEvents(options: SubscribeOptions): Promise<void> {
  const { signal } = options;
  let lastId = "";
  const backoff = new Backoff({ baseMs: options.retryMs ?? 1000, maxMs: 5000 });
  const bootstraps = bootstrapSet(options.bootstrap);
  while (!signal.aborted) {
    const url = bootstraps.current;
    let connected = false;
    const headers: Record<string, string> = { accept: "text/event-stream" };
    if (options.peer?.joinSecret) headers[JOIN_SECRET_HEADER] = options.peer.joinSecret;
    else if (options.token) headers["authorization"] = `Bearer ${options.token}`;
    if (lastId) headers["last-event-id"] = lastId;
    try {
      const res = await fetch(`${url}/v1/events`, {
        headers,
        signal,
        ...(options.peer?.httpClient ? { client: options.peer.httpClient } : {}),
      });
      if (!res.ok || !res.body) {
        await res.body?.cancel();
        throw new Error(`the bootstrap answered ${res.status}`);
      }
      options.onConnection?.({ connected: true });
      connected = true;
      backoff.reset();
      for await (const event of parseEventStream(res.body)) {
        lastId = event.id;
        let checked: ClusterEvent | undefined;
        try {
          checked = eventOf(event.type, JSON.parse(event.data));
        } catch (error) {
          const why = error instanceof SchemaError ? `${error.path} ${error.reason}` : "it is not JSON";
          options.onMalformed?.(
            `Cannot read the ${event.type} event ${event.id} of ${url}/v1/events: ${why}`,
          );
          continue;
        }
        if (checked) options.onEvent(checked);
      }
      if (!signal.aborted) options.onConnection?.({ connected: false, error: "the stream ended" });
    } catch (error) {
      if (signal.aborted) break;
      options.onConnection?.({ connected: false, error: describeFetchError(error, false) });
    }
    bootstraps.failed(url);
    // A stream that was up breaks when its bootstrap dies: the next one is tried at once.
    if (!connected || bootstraps.order.length === 1) await sleep(backoff.next(), signal);
  }
}
