/**
 * A fixed number of lanes for costly work, with a bounded queue in front: at most `lanes` tasks run at once,
 * at most `queue` wait, and the rest are refused at once instead of piling up.
 *
 * @module
 */

/** Thrown by {@linkcode Lanes.run} when every lane is busy and the queue is full. */
export class LanesFullError extends Error {
  constructor() {
    super("every lane is busy and the queue is full");
    this.name = "LanesFullError";
  }
}

/** Runs tasks at most `lanes` at a time, in arrival order. */
export class Lanes {
  readonly #lanes: number;
  readonly #queue: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(options: { lanes: number; queue: number }) {
    if (!(options.lanes >= 1) || !(options.queue >= 0)) throw new RangeError("lanes >= 1 and queue >= 0");
    this.#lanes = options.lanes;
    this.#queue = options.queue;
  }

  /** Tasks running now. */
  get running(): number {
    return this.#running;
  }

  /** Tasks waiting for a lane. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Runs `task` once a lane is free; throws {@linkcode LanesFullError} when the queue is full. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#lanes) {
      if (this.#waiting.length >= this.#queue) throw new LanesFullError();
      // The lane is handed over by the task that frees it, so #running stays counted.
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }
}
