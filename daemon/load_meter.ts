/**
 * Counts what a daemon is doing right now — requests in flight, active streams, bytes per second — for the
 * heartbeat's load report and for `status`.
 *
 * @module
 */

import type { Load } from "../client/types.ts";
import type { Handler } from "./router.ts";

/** Measures load. */
export class LoadMeter {
  #inFlight = 0;
  #streams = 0;
  #requests = 0;
  #bytes = 0;
  #window: { at: number; bytes: number }[] = [];
  #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Wraps a handler so every request counts as in flight until its response is returned. */
  wrap(handler: Handler): Handler {
    return async (req, info) => {
      this.#inFlight++;
      this.#requests++;
      try {
        return await handler(req, info);
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
      }
    };
  }

  /** Counts bytes sent. */
  addBytes(n: number): void {
    this.#bytes += n;
  }

  /** The load now. */
  snapshot(): Load {
    const now = this.#now();
    this.#window.push({ at: now, bytes: this.#bytes });
    while (this.#window.length > 2 && now - this.#window[0]!.at > 5000) this.#window.shift();
    const first = this.#window[0]!;
    const seconds = (now - first.at) / 1000;
    const bytesPerSecond = seconds > 0 ? Math.round((this.#bytes - first.bytes) / seconds) : 0;
    return {
      activeStreams: this.#streams,
      inFlight: this.#inFlight,
      bytesPerSecond,
      requests: this.#requests,
    };
  }
}
