/**
 * The bootstrap's one push channel, `GET /v1/events` as Server-Sent Events: instance availability (`instance`:
 * up, draining, down), media announcements (`tracks`: what an instance added or removed) and, to members
 * presenting the join secret only, token revocations (`revoked`). A comment line every 15 s keeps idle
 * connections (and the proxies between) alive. The last events are kept, so a subscriber reconnecting with
 * `Last-Event-ID` gets what it missed. The payloads are declared in `protocol/events.ts`.
 *
 * @module
 */

import type { ClusterEvent } from "../../protocol/events.ts";

interface Stored {
  seq: number;
  text: string;
  membersOnly: boolean;
}

interface Subscriber {
  member: boolean;
  controller: ReadableStreamDefaultController<Uint8Array>;
}

/** Options for {@linkcode EventHub}. */
export interface EventHubOptions {
  /** Between keep-alive comments (default 15 s). */
  heartbeatMs?: number;
  /** Events kept for reconnecting subscribers (default 1000). */
  keep?: number;
  /** Bytes a subscriber may fall behind before it is dropped (it reconnects and catches up; default 4 MiB). */
  maxBacklog?: number;
}

const encoder = new TextEncoder();

/** Fans events out to every subscriber. */
export class EventHub {
  #subscribers = new Set<Subscriber>();
  #recent: Stored[] = [];
  #seq = 0;
  /** Ids carry this bootstrap run's epoch, so an id from before a restart resumes nothing. */
  #epoch = Date.now().toString(36);
  #keep: number;
  #maxBacklog: number;
  #timer: ReturnType<typeof setInterval>;

  constructor(options: EventHubOptions = {}) {
    this.#keep = options.keep ?? 1000;
    this.#maxBacklog = options.maxBacklog ?? 4 * 1024 * 1024;
    this.#timer = setInterval(() => this.#broadcast(": heartbeat\n\n", false), options.heartbeatMs ?? 15_000);
  }

  /** Subscribers connected now. */
  get size(): number {
    return this.#subscribers.size;
  }

  /** Sends an event to every subscriber (`revoked` only to members). */
  publish(event: ClusterEvent): void {
    const seq = ++this.#seq;
    const text = `id: ${this.#epoch}-${seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`;
    const membersOnly = event.type === "revoked";
    this.#recent.push({ seq, text, membersOnly });
    if (this.#recent.length > this.#keep) this.#recent.shift();
    this.#broadcast(text, membersOnly);
  }

  /**
   * A `text/event-stream` response that stays open until the subscriber leaves or the hub closes. `member`:
   * the caller presented the join secret. `lastEventId`: replay what came after it (same bootstrap run only).
   */
  subscribe(options: { member: boolean; lastEventId?: string | null }): Response {
    let subscriber: Subscriber;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        subscriber = { member: options.member, controller };
        this.#subscribers.add(subscriber);
        controller.enqueue(encoder.encode("retry: 1000\n: connected\n\n"));
        for (const stored of this.#missed(options.lastEventId ?? null)) {
          if (!stored.membersOnly || options.member) controller.enqueue(encoder.encode(stored.text));
        }
      },
      cancel: () => {
        this.#subscribers.delete(subscriber);
      },
    }, { highWaterMark: this.#maxBacklog, size: (chunk) => chunk.byteLength });
    return new Response(body, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        "x-accel-buffering": "no",
      },
    });
  }

  /** Ends every subscription (before the server shuts down, which waits for open responses). */
  close(): void {
    clearInterval(this.#timer);
    for (const s of this.#subscribers) {
      try {
        s.controller.close();
      } catch { /* already closed */ }
    }
    this.#subscribers.clear();
  }

  #missed(lastEventId: string | null): Stored[] {
    const m = lastEventId === null ? null : /^([0-9a-z]+)-(\d+)$/.exec(lastEventId);
    if (!m || m[1] !== this.#epoch) return [];
    const after = Number(m[2]);
    return this.#recent.filter((s) => s.seq > after);
  }

  #broadcast(text: string, membersOnly: boolean): void {
    const bytes = encoder.encode(text);
    for (const s of this.#subscribers) {
      if (membersOnly && !s.member) continue;
      try {
        if ((s.controller.desiredSize ?? 0) <= 0) {
          // Too far behind: drop it rather than hold its backlog; it reconnects with Last-Event-ID.
          this.#subscribers.delete(s);
          s.controller.close();
          continue;
        }
        s.controller.enqueue(bytes);
      } catch {
        this.#subscribers.delete(s);
      }
    }
  }
}
