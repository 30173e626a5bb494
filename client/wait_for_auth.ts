/**
 * Right after a cluster starts, its first auth instance is a second or two away: `audiod register` and
 * `audiod login` wait for it (bounded, with one notice on stderr) instead of failing with "no auth instance up
 * yet". Only answers that say nothing was done wait (503: no auth instance, or all of them busy starting); any
 * other error, and an unreachable bootstrap, fail at once.
 *
 * @module
 */

import { HttpError } from "../daemon/http/http_error.ts";
import { Backoff, type RetryClock, SYSTEM_CLOCK } from "../daemon/runtime/backoff.ts";

/** Options for {@linkcode waitForAuth}. */
export interface WaitForAuthOptions {
  /** Give up this long after the first attempt; default 10 s. */
  timeoutMs?: number;
  /** Told once, when the first attempt found no auth instance. */
  onWait?: (timeoutMs: number) => void;
  clock?: RetryClock;
  random?: () => number;
}

/** Calls `signIn` until it gets past "no auth instance up", for up to `timeoutMs`; the last error after that. */
export async function waitForAuth<T>(signIn: () => Promise<T>, options: WaitForAuthOptions = {}): Promise<T> {
  const clock = options.clock ?? SYSTEM_CLOCK;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = clock.now() + timeoutMs;
  const backoff = new Backoff({
    baseMs: 200,
    maxMs: 1000,
    ...(options.random ? { random: options.random } : {}),
  });
  for (let attempt = 0;; attempt++) {
    try {
      return await signIn();
    } catch (error) {
      if (!(error instanceof HttpError && error.status === 503)) throw error;
      const left = deadline - clock.now();
      if (left <= 0) throw error;
      if (attempt === 0) options.onWait?.(timeoutMs);
      await clock.sleep(Math.min(left, Math.max(100, backoff.next())));
    }
  }
}
