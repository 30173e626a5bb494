/**
 * How long to wait before trying something again: exponential back-off with jitter and a ceiling, reset on
 * success. Everything audiod retries (spawn orders, joins, announcements, event-stream reconnects) waits by
 * one of these, so a node that stays unreachable costs a request every `maxMs`, not four a second.
 *
 * Jitter spreads the retries of many members that failed together (a restarted bootstrap) so that they do not
 * all come back in the same instant:
 * - `full`: a delay drawn from [0, min(maxMs, baseMs · 2^attempt)) ("full jitter" in the AWS architecture blog's
 *   "Exponential Backoff And Jitter").
 * - `decorrelated`: a delay drawn from [baseMs, 3 · previous delay), capped at `maxMs` (same article).
 * - `none`: min(maxMs, baseMs · 2^attempt), for logs and tests that want exact numbers.
 *
 * The random source and the clock come in through the options, so tests run on a fake clock.
 *
 * @module
 */

/** The kinds of jitter {@linkcode Backoff} knows. */
export type Jitter = "full" | "decorrelated" | "none";

/** Options for {@linkcode Backoff}. */
export interface BackoffOptions {
  /** The first delay (before jitter); default 250 ms. */
  baseMs?: number;
  /** No delay is longer than this; default 30 s. */
  maxMs?: number;
  /** Default `full`. */
  jitter?: Jitter;
  /** A number in [0, 1); default `Math.random`. */
  random?: () => number;
}

/** Exponential back-off: call {@linkcode Backoff.next} after each failure, {@linkcode Backoff.reset} on success. */
export class Backoff {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly jitter: Jitter;
  #random: () => number;
  #attempt = 0;
  #previous: number;

  constructor(options: BackoffOptions = {}) {
    this.baseMs = Math.max(1, options.baseMs ?? 250);
    this.maxMs = Math.max(this.baseMs, options.maxMs ?? 30_000);
    this.jitter = options.jitter ?? "full";
    this.#random = options.random ?? Math.random;
    this.#previous = this.baseMs;
  }

  /** Failures since the last success. */
  get failures(): number {
    return this.#attempt;
  }

  /** The delay before the next attempt; each call counts one more failure. */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.#attempt, 52));
    this.#attempt++;
    switch (this.jitter) {
      case "none":
        return ceiling;
      case "full":
        // Never 0: a retry in the same tick as the failure is the busy loop back-off is there to prevent.
        return Math.max(1, Math.floor(this.#random() * ceiling));
      case "decorrelated": {
        const high = Math.min(this.maxMs, this.#previous * 3);
        const delay = Math.min(this.maxMs, this.baseMs + Math.floor(this.#random() * (high - this.baseMs)));
        this.#previous = Math.max(this.baseMs, delay);
        return delay;
      }
    }
  }

  /** Back to the first delay (call after a success). */
  reset(): void {
    this.#attempt = 0;
    this.#previous = this.baseMs;
  }
}

/** Time as {@linkcode retry} sees it; tests hand in a fake one. */
export interface RetryClock {
  now(): number;
  /** Resolves after `ms`, or early when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock. */
export const SYSTEM_CLOCK: RetryClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener("abort", done, { once: true });
    }),
};

/** Options for {@linkcode retry}. */
export interface RetryOptions extends BackoffOptions {
  /** Stops retrying (the promise rejects with the last error, or `signal.reason` if none). */
  signal?: AbortSignal;
  /** Give up after this many attempts; default: never. */
  attempts?: number;
  /** Errors for which this returns false are thrown at once, without retrying. */
  retryable?: (error: unknown) => boolean;
  /** Told of each failure with the delay before the next attempt. */
  onFailure?: (error: unknown, delayMs: number) => void;
  clock?: RetryClock;
}

/** Calls `attempt` until it resolves, waiting by a {@linkcode Backoff} between failures. */
export async function retry<T>(attempt: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const clock = options.clock ?? SYSTEM_CLOCK;
  const backoff = new Backoff(options);
  for (let n = 1;; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (options.retryable && !options.retryable(error)) throw error;
      if (options.signal?.aborted || (options.attempts !== undefined && n >= options.attempts)) throw error;
      const delay = backoff.next();
      options.onFailure?.(error, delay);
      await clock.sleep(delay, options.signal);
      if (options.signal?.aborted) throw error;
    }
  }
}
