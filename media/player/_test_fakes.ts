/**
 * Test fakes of the player folder (not used by production code): a clock for tests of anything that plays by a
 * {@linkcode PlayerClock}, whose time moves only when the test says so.
 *
 * @module
 */
import type { PlayerClock } from "./null_player.ts";

interface Timer {
  at: number;
  resolve(): void;
}

/** A {@linkcode PlayerClock} whose time advances only through {@linkcode FakeClock.advance}. */
export class FakeClock implements PlayerClock {
  #now = 0;
  #timers = new Set<Timer>();

  now = (): number => this.#now;

  sleep = (ms: number, signal: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const timer: Timer = {
        at: this.#now + ms,
        resolve: () => {
          this.#timers.delete(timer);
          resolve();
        },
      };
      this.#timers.add(timer);
      signal.addEventListener("abort", () => timer.resolve(), { once: true });
    });

  /** Timers still waiting. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time forward by `ms`, firing due timers in order and letting the code they wake run. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    while (true) {
      await settle();
      const due = [...this.#timers].filter((timer) => timer.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.#now = Math.max(this.#now, due.at);
      due.resolve();
    }
    this.#now = target;
    await settle();
  }
}

/** Lets pending promise callbacks run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
  await new Promise((resolve) => setTimeout(resolve, 0));
}
