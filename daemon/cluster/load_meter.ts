/**
 * Counts what a daemon is doing right now — requests in flight, active streams, bytes per second, and (auth
 * instances) sign-ins per second — for the heartbeat's load report and for `status`.
 *
 * @module
 */

import type { Load } from "../../protocol/mod.ts";
import type { Handler } from "../http/router.ts";

/** Options for {@linkcode LoadMeter}. */
export interface LoadMeterOptions {
  now?: () => number;
  /** Report `loginsPerSecond` (auth instances). */
  logins?: boolean;
}

/** Measures load. */
export class LoadMeter {
  #inFlight = 0;
  #streams = 0;
  #requests = 0;
  #bytes = 0;
  #logins = 0;
  #window: { at: number; bytes: number; logins: number }[] = [];
  #now: () => number;
  #reportLogins: boolean;
  #drained: (() => void)[] = [];

  constructor(options: LoadMeterOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#reportLogins = options.logins ?? false;
  }

  /** Wraps a handler so every request counts as in flight until its response is returned. */
  wrap(handler: Handler): Handler {
    return async (req, info, routing) => {
      this.#inFlight++;
      this.#requests++;
      try {
        return await handler(req, info, routing);
      } finally {
        this.#inFlight--;
      }
    };
  }

  /** A stream began; call the returned function once when it ends. */
  streamStarted(): () => void {
    this.#streams++;
    let ended = false;
    return () => {
      if (!ended) {
        ended = true;
        this.#streams--;
        if (this.#streams === 0) { for (const wake of this.#drained.splice(0)) wake(); }
      }
    };
  }

  /** Active streams now. */
  get activeStreams(): number {
    return this.#streams;
  }

  /** Requests in progress now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Bytes sent since start. */
  get bytesServed(): number {
    return this.#bytes;
  }

  /** Resolves once no stream is active, or after `timeoutMs`; true when the streams ended in time. */
  streamsEnded(timeoutMs: number): Promise<boolean> {
    if (this.#streams === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#drained = this.#drained.filter((w) => w !== wake);
        resolve(false);
      }, timeoutMs);
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.#drained.push(wake);
    });
  }

  /** Counts bytes sent. */
  addBytes(n: number): void {
    this.#bytes += n;
  }

  /** Counts one sign-in (a password check). */
  addLogin(): void {
    this.#logins++;
  }

  /** The load now. */
  snapshot(): Load {
    const now = this.#now();
    this.#window.push({ at: now, bytes: this.#bytes, logins: this.#logins });
    while (this.#window.length > 2 && now - this.#window[0]!.at > 5000) this.#window.shift();
    const first = this.#window[0]!;
    const seconds = (now - first.at) / 1000;
    const perSecond = (n: number) => seconds > 0 ? n / seconds : 0;
    return {
      activeStreams: this.#streams,
      inFlight: this.#inFlight,
      bytesPerSecond: Math.round(perSecond(this.#bytes - first.bytes)),
      requests: this.#requests,
      ...(this.#reportLogins
        ? { loginsPerSecond: Math.round(perSecond(this.#logins - first.logins) * 100) / 100 }
        : {}),
    };
  }
}
