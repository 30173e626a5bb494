/**
 * Logs changes of state, not attempts: one warning when something starts failing, one line when it works
 * again (with how many attempts failed and for how long), and nothing for the retries in between. Paired with a
 * {@linkcode Backoff}, a node that stays unreachable for an hour logs two lines, not thousands.
 *
 * @module
 */

import type { LogFields, Logger } from "./log.ts";

/** Options for {@linkcode FailureLog}. */
export interface FailureLogOptions {
  /** The warning's event when it starts failing, e.g. `join.failing`. */
  failing: string;
  /** The info line's event when it works again, e.g. `join.recovered`. */
  recovered: string;
  /** Added to both lines. */
  fields?: LogFields;
  now?: () => number;
}

/** Remembers whether something is failing and logs only when that changes. */
export class FailureLog {
  #logger: Logger;
  #options: FailureLogOptions;
  #now: () => number;
  #failures = 0;
  #since = 0;

  constructor(logger: Logger, options: FailureLogOptions) {
    this.#logger = logger;
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Whether the last attempt failed. */
  get failing(): boolean {
    return this.#failures > 0;
  }

  /** Failed attempts since the last success. */
  get failures(): number {
    return this.#failures;
  }

  /** An attempt failed; logs (and returns true) only for the first failure in a row. */
  failed(error: unknown, fields: LogFields = {}): boolean {
    this.#failures++;
    if (this.#failures > 1) return false;
    this.#since = this.#now();
    this.#logger.warn(this.#options.failing, {
      ...this.#options.fields,
      ...fields,
      error: describe(error),
      retry: "with back-off",
    });
    return true;
  }

  /** An attempt worked; logs (and returns true) only when it had been failing. */
  succeeded(fields: LogFields = {}): boolean {
    if (this.#failures === 0) return false;
    this.#logger.info(this.#options.recovered, {
      ...this.#options.fields,
      ...fields,
      failures: this.#failures,
      downMs: this.#now() - this.#since,
    });
    this.#failures = 0;
    return true;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
