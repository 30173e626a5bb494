/**
 * The silent player: plays to no device, but takes exactly as long as the track would, so playback, the TUI and the
 * tests behave as with sound. Pause, seek, volume and position work in software.
 *
 * @module
 */
import {
  clampVolume,
  type PlayerBackend,
  type PlayerCapabilities,
  type PlayerOptions,
  type PlayerOutcome,
} from "./types.ts";

/** The clock the null player plays by; tests hand in a fake one. */
export interface PlayerClock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Resolves after `ms`, or early (without error) when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/** CD audio (44.1 kHz, 16 bit, stereo): the rate assumed when the duration is unknown. */
export const FALLBACK_BYTES_PER_SECOND = 176_400;

const realClock: PlayerClock = {
  now: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
    }),
};

/**
 * Plays bytes at `size / duration` bytes per second (176,400 when unknown). Bytes are accepted at once (like mpv,
 * which caches the whole track), the position advances with the clock but never beyond the bytes fed so far, and
 * `done` resolves "ended" when the position reaches the last byte after `end()`.
 */
export class NullPlayer implements PlayerBackend {
  readonly name = "null";
  readonly capabilities: PlayerCapabilities = { pause: true, seek: true, volume: true, position: true };
  readonly done: Promise<PlayerOutcome>;
  /** Bytes played per second. */
  readonly bytesPerSecond: number;
  #clock: PlayerClock;
  #fedBytes = 0;
  #ended = false;
  #stopped = false;
  #paused = false;
  #volume: number;
  /** Position at `#anchorTime`; the position later is derived from it and the clock. */
  #anchorSeconds = 0;
  #anchorTime: number;
  #wakeup = new AbortController();
  #resolveDone!: (outcome: PlayerOutcome) => void;

  constructor(options: PlayerOptions, clock: Partial<PlayerClock> = {}) {
    this.#clock = { ...realClock, ...clock };
    const { size, duration } = options;
    this.bytesPerSecond = duration !== null && duration > 0 && size > 0
      ? size / duration
      : FALLBACK_BYTES_PER_SECOND;
    this.#volume = clampVolume(options.volume);
    this.#anchorTime = this.#clock.now();
    this.done = new Promise((resolve) => this.#resolveDone = resolve);
    this.#run();
  }

  /** Current volume in percent. */
  get volume(): number {
    return this.#volume;
  }

  /** True while paused. */
  get paused(): boolean {
    return this.#paused;
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.#stopped || this.#ended) return Promise.resolve();
    this.#reanchor();
    this.#fedBytes += bytes.length;
    this.#poke();
    return Promise.resolve();
  }

  end(): Promise<void> {
    this.#ended = true;
    this.#poke();
    return Promise.resolve();
  }

  setPaused(paused: boolean): Promise<void> {
    this.#reanchor();
    this.#paused = paused;
    this.#poke();
    return Promise.resolve();
  }

  seekBy(seconds: number): Promise<void> {
    if (Number.isFinite(seconds)) {
      this.#reanchor();
      this.#anchorSeconds = Math.min(this.#fedSeconds(), Math.max(0, this.#anchorSeconds + seconds));
      this.#poke();
    }
    return Promise.resolve();
  }

  setVolume(percent: number): Promise<void> {
    this.#volume = clampVolume(percent);
    return Promise.resolve();
  }

  position(): Promise<number | null> {
    return Promise.resolve(this.#positionAt(this.#clock.now()));
  }

  stop(): Promise<void> {
    if (!this.#stopped) {
      this.#stopped = true;
      this.#resolveDone({ reason: "stopped" });
      this.#poke();
    }
    return this.done.then(() => {});
  }

  #fedSeconds(): number {
    return this.#fedBytes / this.bytesPerSecond;
  }

  #positionAt(now: number): number {
    const elapsed = this.#paused ? 0 : Math.max(0, now - this.#anchorTime) / 1000;
    return Math.min(this.#fedSeconds(), this.#anchorSeconds + elapsed);
  }

  /** Fixes the position as of now, so that later changes (more bytes, pause) do not rewrite the past. */
  #reanchor(): void {
    const now = this.#clock.now();
    this.#anchorSeconds = this.#positionAt(now);
    this.#anchorTime = now;
  }

  #poke(): void {
    this.#wakeup.abort();
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      const wakeup = this.#wakeup = new AbortController();
      if (this.#ended && !this.#paused) {
        const remainingMs = (this.#fedSeconds() - this.#positionAt(this.#clock.now())) * 1000;
        if (remainingMs <= 0) {
          this.#stopped = true;
          this.#resolveDone({ reason: "ended" });
          return;
        }
        await this.#clock.sleep(remainingMs, wakeup.signal);
      } else {
        await new Promise((resolve) => wakeup.signal.addEventListener("abort", resolve, { once: true }));
      }
    }
  }
}

/** Creates the silent player; `clock` defaults to the real one. */
export function createNullPlayer(options: PlayerOptions, clock: Partial<PlayerClock> = {}): NullPlayer {
  return new NullPlayer(options, clock);
}
