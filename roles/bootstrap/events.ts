/**
 * The bootstrap's one push channel, `GET /v1/events` as Server-Sent Events: instance availability (`instance`:
 * up, draining, down), media announcements (`tracks`: what an instance added or removed) and, to members
 * presenting the join secret only, token revocations (`revoked`). A comment line every 15 s keeps idle
 * connections (and the proxies between) alive. The last events are kept, so a subscriber reconnecting with
 * `Last-Event-ID` gets what it missed. The payloads are declared in `protocol/events.ts`.
 *
 * Alone (SQLite), a bootstrap numbers its own events (`<run>-<n>`: an id from another run resumes nothing).
 * With a shared store (`bus`), every event goes through it: it is appended to one global sequence and
 * every bootstrap delivers it to its own subscribers in sequence order, with the number as its id — so a
 * subscriber may resume with `Last-Event-ID` on any bootstrap with no gap and no duplicate. A bootstrap
 * that cannot reach the store keeps what it publishes in order and sends it once the store is back.
 *
 * @module
 */

import type { ClusterEvent } from "../../protocol/events.ts";
import type { Logger } from "../../daemon/runtime/log.ts";
import type { ClusterStore, StoredEvent } from "./store/mod.ts";

interface Stored {
  seq: number;
  text: string;
  membersOnly: boolean;
}

interface Subscriber {
  member: boolean;
  /** Events up to this number were sent (or the subscriber had them): never sent again. */
  after: number;
  controller: ReadableStreamDefaultController<Uint8Array>;
}

/** What a shared event channel needs of the store. */
export type EventBus = Pick<ClusterStore, "publish" | "eventsAfter" | "lastEventSeq" | "listen">;

/** Options for {@linkcode EventHub}. */
export interface EventHubOptions {
  /** Between keep-alive comments (default 15 s). */
  heartbeatMs?: number;
  /** Events kept for reconnecting subscribers (default 1000, and no more than `maxBacklog` of them). */
  keep?: number;
  /** Bytes a subscriber may fall behind before it is dropped (it reconnects and catches up; default 4 MiB). */
  maxBacklog?: number;
  /** The shared store's event sequence: events of every bootstrap, numbered globally. */
  bus?: EventBus;
  /** Where store trouble is logged (with a bus). */
  logger?: Logger;
  /** With a bus: how often to look for events a lost notification hid (default 1 s). */
  catchUpMs?: number;
}

const encoder = new TextEncoder();

/** Events a bootstrap holds while the store cannot take them, at most. */
const OUTBOX_MAX = 10_000;

/** Fans events out to every subscriber. */
export class EventHub {
  #subscribers = new Set<Subscriber>();
  #recent: Stored[] = [];
  #recentBytes = 0;
  #seq = 0;
  /** Ids carry this bootstrap run's epoch, so an id from before a restart resumes nothing (no bus). */
  #epoch = Date.now().toString(36);
  #keep: number;
  #maxBacklog: number;
  #timer: ReturnType<typeof setInterval>;
  #bus: EventBus | undefined;
  #logger: Logger | undefined;
  #outbox: ClusterEvent[] = [];
  #sending = false;
  #busTimers: ReturnType<typeof setInterval>[] = [];
  #unlisten: (() => Promise<void>) | undefined;
  /** Serialises delivery from the bus: notifications, catch-ups. */
  #chain: Promise<void> = Promise.resolve();
  #closed = false;
  #failing = false;

  constructor(options: EventHubOptions = {}) {
    this.#keep = options.keep ?? 1000;
    this.#maxBacklog = options.maxBacklog ?? 4 * 1024 * 1024;
    this.#bus = options.bus;
    this.#logger = options.logger;
    this.#timer = setInterval(
      () => this.#broadcast(": heartbeat\n\n", false, 0),
      options.heartbeatMs ?? 15_000,
    );
    if (this.#bus) {
      this.#busTimers.push(setInterval(() => this.#catchUp(), options.catchUpMs ?? 1000));
      this.#busTimers.push(setInterval(() => this.#flush(), 1000));
    }
  }

  /** Subscribers connected now. */
  get size(): number {
    return this.#subscribers.size;
  }

  /** The number of the newest event delivered here. */
  get lastSeq(): number {
    return this.#seq;
  }

  /**
   * With a bus: loads the recent events (so a subscriber may resume from them here) and listens for new ones.
   * Rejects when the store cannot be reached (the bootstrap cannot start then anyway).
   */
  async start(): Promise<void> {
    const bus = this.#bus;
    if (!bus) return;
    const last = await bus.lastEventSeq();
    this.#seq = Math.max(0, last - this.#keep);
    for (const e of await bus.eventsAfter(this.#seq, this.#keep)) this.#deliver(e);
    this.#seq = Math.max(this.#seq, last);
    this.#unlisten = await bus.listen(
      (e) => this.#enqueue(() => "type" in e ? this.#arrived(e) : this.#fetchUpTo(e.seq)),
      () => this.#catchUp(),
    );
  }

  /** Sends an event to every subscriber (`revoked` only to members), with a bus through the store. */
  publish(event: ClusterEvent): void {
    if (this.#closed) return;
    if (!this.#bus) {
      const seq = ++this.#seq;
      this.#store(
        { seq, text: sseText(`${this.#epoch}-${seq}`, event.type, JSON.stringify(event.data)) },
        event,
      );
      return;
    }
    this.#outbox.push(event);
    if (this.#outbox.length > OUTBOX_MAX) {
      this.#outbox.shift();
      this.#logger?.warn("events.dropped", { reason: "the store has been unreachable too long" });
    }
    this.#flush();
  }

  /**
   * A `text/event-stream` response that stays open until the subscriber leaves or the hub closes. `member`:
   * the caller presented the join secret. `lastEventId`: replay what came after it.
   */
  subscribe(options: { member: boolean; lastEventId?: string | null }): Response {
    let subscriber: Subscriber;
    const after = this.#after(options.lastEventId ?? null);
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        subscriber = { member: options.member, controller, after: after ?? this.#seq };
        this.#subscribers.add(subscriber);
        controller.enqueue(encoder.encode("retry: 1000\n: connected\n\n"));
        if (after === undefined) return;
        for (const stored of this.#recent) {
          if (stored.seq <= after) continue;
          if (!stored.membersOnly || options.member) controller.enqueue(encoder.encode(stored.text));
          subscriber.after = stored.seq;
        }
        subscriber.after = Math.max(subscriber.after, after);
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
    this.#closed = true;
    clearInterval(this.#timer);
    for (const t of this.#busTimers) clearInterval(t);
    this.#unlisten?.().catch(() => {});
    for (const s of this.#subscribers) {
      try {
        s.controller.close();
      } catch { /* already closed */ }
    }
    this.#subscribers.clear();
  }

  /**
   * Hands what is in the outbox to the store, in order; a failure keeps it for the next try. Closing waits
   * for nothing: what the store did not take by then is lost with the process.
   */
  async #flush(): Promise<void> {
    if (this.#sending || !this.#bus) return;
    this.#sending = true;
    try {
      while (this.#outbox.length > 0 && !this.#closed) {
        const event = this.#outbox[0]!;
        await this.#bus.publish(event.type, JSON.stringify(event.data), event.type === "revoked");
        this.#outbox.shift();
        if (this.#failing) this.#logger?.info("events.store_recovered", {});
        this.#failing = false;
      }
    } catch (error) {
      if (!this.#failing) {
        this.#logger?.warn("events.publish_failed", { error, waiting: this.#outbox.length });
      }
      this.#failing = true;
    } finally {
      this.#sending = false;
    }
  }

  #enqueue(work: () => Promise<void> | void): void {
    this.#chain = this.#chain.then(work).catch((error) => {
      this.#logger?.debug("events.catch_up_failed", { error });
    });
  }

  /** Looks for events after the newest delivered (a notification may have been lost). */
  #catchUp(): void {
    this.#enqueue(() => this.#fetchUpTo(Number.MAX_SAFE_INTEGER));
  }

  async #fetchUpTo(seq: number): Promise<void> {
    while (!this.#closed && this.#seq < seq) {
      const batch = await this.#bus!.eventsAfter(this.#seq, 500);
      for (const e of batch) this.#deliver(e);
      if (batch.length < 500) return;
    }
  }

  /** An event the store notified, whole: delivered in order, fetching any that came before it first. */
  async #arrived(e: StoredEvent): Promise<void> {
    if (e.seq <= this.#seq) return;
    if (e.seq > this.#seq + 1) await this.#fetchUpTo(e.seq - 1);
    this.#deliver(e);
  }

  #deliver(e: StoredEvent): void {
    if (e.seq <= this.#seq) return;
    this.#seq = Math.max(this.#seq, e.seq);
    this.#store({ seq: e.seq, text: sseText(String(e.seq), e.type, e.data) }, undefined, e.membersOnly);
  }

  #store(
    entry: { seq: number; text: string },
    event?: ClusterEvent,
    membersOnly = event?.type === "revoked",
  ): void {
    const stored: Stored = { ...entry, membersOnly };
    // Kept by count and by size: a subscriber could not take more than its backlog at once anyway, and a
    // million tracks announced are a thousand events of a thousand ids (67 MB of text kept, otherwise).
    this.#recent.push(stored);
    this.#recentBytes += stored.text.length;
    while (this.#recent.length > this.#keep || this.#recentBytes > this.#maxBacklog) {
      this.#recentBytes -= this.#recent.shift()!.text.length;
    }
    this.#broadcast(stored.text, membersOnly, stored.seq);
  }

  /** The number a `Last-Event-ID` resumes after, or undefined when it resumes nothing here. */
  #after(lastEventId: string | null): number | undefined {
    if (lastEventId === null) return undefined;
    if (this.#bus) return /^\d{1,15}$/.test(lastEventId) ? Number(lastEventId) : undefined;
    const m = /^([0-9a-z]+)-(\d+)$/.exec(lastEventId);
    if (!m || m[1] !== this.#epoch) return undefined;
    return Number(m[2]);
  }

  #broadcast(text: string, membersOnly: boolean, seq: number): void {
    const bytes = encoder.encode(text);
    for (const s of this.#subscribers) {
      if (membersOnly && !s.member) continue;
      if (seq > 0) {
        if (seq <= s.after) continue;
        s.after = seq;
      }
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

function sseText(id: string, type: string, data: string): string {
  return `id: ${id}\nevent: ${type}\ndata: ${data}\n\n`;
}
