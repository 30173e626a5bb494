/**
 * Which bootstrap schedules: exactly one, under a lease in the shared store with a fencing epoch. Placement,
 * autoscaling, sweeping dead members and SSH launches run only while {@linkcode Leadership.leading} is true.
 *
 * The lease lasts `ttlMs` by the database's clock from when the database took the renewal; the leader renews
 * it every `renewMs` and counts itself leader only until `ttlMs - marginMs` after the *start* of its last
 * successful renewal, by its own monotonic clock. The database took that renewal after it started, so the
 * leader stops before its lease can pass to another, however slow the answer was, and a leader that was
 * paused (SIGSTOP) and resumes finds it no longer leads before it can order anything. Orders carry the epoch
 * too, and content nodes refuse orders older than the newest they have seen.
 *
 * With no shared store (SQLite) the one bootstrap always leads.
 *
 * @module
 */

import type { Logger } from "../../daemon/runtime/log.ts";
import { sleep } from "../../daemon/cluster/membership.ts";
import type { ClusterStore, LeaderLease } from "./store/mod.ts";

/** Lease timing. */
export interface LeaseTiming {
  /** How long a lease lasts after the database took it (default 2 s). */
  ttlMs: number;
  /** Between renewals while leading (default 500 ms). */
  renewMs: number;
  /** Between attempts to take the lease while not leading (default 250 ms). */
  tryMs: number;
  /** Leadership ends this long before the lease could expire (default 500 ms). */
  marginMs: number;
}

/**
 * Defaults: a leader killed outright is replaced within ttl + try = 2.25 s of its last renewal; one that cannot
 * renew stops scheduling 1.5 s after its last renewal started, half a second before anyone else may lead.
 */
export const DEFAULT_LEASE: LeaseTiming = { ttlMs: 2000, renewMs: 500, tryMs: 250, marginMs: 500 };

/** Options for {@linkcode Leadership}. */
export interface LeadershipOptions {
  /** The shared store; undefined: this bootstrap is alone and always leads. */
  cluster?: ClusterStore;
  /** This bootstrap run's id (the lease's holder). */
  holder: string;
  /** This bootstrap's URL (read at each attempt: it is known once the server listens). */
  url: () => string;
  logger: Logger;
  timing?: Partial<LeaseTiming>;
  /** Told when this bootstrap starts or stops leading. */
  onChange?: (leading: boolean, epoch: number | undefined) => void;
  /** A monotonic clock in milliseconds (default `performance.now`). */
  now?: () => number;
}

/** Who leads, as this bootstrap last saw it. */
export interface LeaderInfo {
  holder: string;
  url: string;
  epoch: number;
}

/** Takes, renews and gives up the leader lease. */
export class Leadership {
  #options: LeadershipOptions;
  #timing: LeaseTiming;
  #now: () => number;
  #until = Number.NEGATIVE_INFINITY;
  #epoch: number | undefined;
  #wasLeading = false;
  #leader: LeaderInfo | undefined;
  #stop = new AbortController();
  #loop: Promise<void> | null = null;
  #watch: ReturnType<typeof setInterval> | undefined;

  constructor(options: LeadershipOptions) {
    this.#options = options;
    this.#timing = { ...DEFAULT_LEASE, ...options.timing };
    this.#now = options.now ?? (() => performance.now());
  }

  /** Whether this bootstrap may schedule now (always, without a shared store). */
  get leading(): boolean {
    if (!this.#options.cluster) return true;
    return this.#now() < this.#until;
  }

  /** The epoch of the lease this bootstrap holds; undefined when it does not lead or has no shared store. */
  get epoch(): number | undefined {
    return this.leading ? this.#epoch : undefined;
  }

  /** The leader as last seen (this bootstrap when it leads); undefined when unknown. */
  get leader(): LeaderInfo | undefined {
    if (!this.#options.cluster) {
      return { holder: this.#options.holder, url: this.#options.url(), epoch: 0 };
    }
    if (this.leading) return { holder: this.#options.holder, url: this.#options.url(), epoch: this.#epoch! };
    return this.#leader;
  }

  /** Starts trying to lead (at once without a shared store). */
  start(): void {
    if (!this.#options.cluster) {
      this.#changed(true);
      return;
    }
    this.#loop ??= this.#run();
    // Notices a lapsed lease even while an attempt is stuck waiting for the database.
    this.#watch = setInterval(() => this.#changed(this.leading), 100);
  }

  /** Stops leading and gives the lease up (so another takes it at once). */
  async stop(): Promise<void> {
    this.#stop.abort();
    clearInterval(this.#watch);
    await this.#loop;
    const held = this.leading;
    this.#until = Number.NEGATIVE_INFINITY;
    this.#changed(false);
    if (held && this.#options.cluster) {
      await this.#options.cluster.releaseLease(this.#options.holder).catch(() => {});
    }
  }

  async #run(): Promise<void> {
    const cluster = this.#options.cluster!;
    const { holder, logger } = this.#options;
    const signal = this.#stop.signal;
    let failing = false;
    while (!signal.aborted) {
      const started = this.#now();
      try {
        const url = this.#options.url();
        let lease: LeaderLease | undefined;
        if (url !== "") lease = await cluster.acquireLease(holder, url, this.#timing.ttlMs);
        if (signal.aborted) break;
        if (lease) {
          this.#until = started + this.#timing.ttlMs - this.#timing.marginMs;
          this.#epoch = lease.epoch;
          this.#leader = { holder, url: lease.url, epoch: lease.epoch };
        } else {
          const current = await cluster.lease();
          this.#leader = current && current.expiresInMs > 0
            ? { holder: current.holder, url: current.url, epoch: current.epoch }
            : undefined;
        }
        if (failing) logger.info("leader.store_recovered", {});
        failing = false;
      } catch (error) {
        if (!failing) logger.warn("leader.renew_failed", { error, leading: this.leading });
        failing = true;
      }
      this.#changed(this.leading);
      await sleep(this.leading ? this.#timing.renewMs : this.#timing.tryMs, signal);
    }
  }

  #changed(leading: boolean): void {
    if (leading === this.#wasLeading) return;
    this.#wasLeading = leading;
    const epoch = this.#options.cluster ? this.#epoch : undefined;
    if (this.#options.cluster) {
      if (leading) this.#options.logger.info("leader.elected", { epoch });
      else this.#options.logger.warn("leader.stepped_down", { epoch });
    }
    this.#options.onChange?.(leading, leading ? epoch : undefined);
  }
}
