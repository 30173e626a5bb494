/**
 * The membership client every node and instance runs: register with the bootstrap, renew the lease with a
 * heartbeat that carries the current load, re-register when the bootstrap forgot us (it restarted), and leave
 * cleanly on shutdown.
 *
 * @module
 */

import { callJson, UnreachableError } from "./bootstrap_client.ts";
import { HttpError } from "./http_error.ts";
import type { Logger } from "./log.ts";
import type { Load, Role } from "../client/types.ts";

/** What a member tells the bootstrap about itself. */
export interface MemberInfo {
  /** Chosen by the member and kept for its lifetime, so a re-registration (after a bootstrap restart) keeps it. */
  id: string;
  role: Exclude<Role, "bootstrap">;
  url: string;
  host: string;
  pid: number;
  /** Content node hosting this instance, if any. */
  node: string | null;
}

/** What the bootstrap answers to a registration. */
export interface Registration {
  id: string;
  heartbeatMs: number;
  leaseMs: number;
}

/** Extra fields sent with each heartbeat. */
export interface HeartbeatExtra {
  load: Load;
  tracks?: number;
}

/** Options for {@linkcode Membership}. */
export interface MembershipOptions {
  bootstrap: string;
  info: MemberInfo;
  logger: Logger;
  /** Current load and extras, read at every heartbeat. */
  report: () => HeartbeatExtra;
  /** Called after every (re-)registration with the new id; a file instance re-announces its tracks here. */
  onRegistered?: (id: string) => Promise<void> | void;
  /** Wait between failed registration attempts (default 1 s, doubling to 10 s). */
  retryMs?: number;
}

/** Keeps one member registered with the bootstrap. */
export class Membership {
  #options: MembershipOptions;
  #id: string | null = null;
  #stopped = new AbortController();
  #loop: Promise<void> | null = null;
  #registered: PromiseWithResolvers<string> = Promise.withResolvers();

  constructor(options: MembershipOptions) {
    this.#options = options;
  }

  /** The id the bootstrap gave us, or null before registration. */
  get id(): string | null {
    return this.#id;
  }

  /** Starts registering and heartbeating in the background; resolves once the first registration succeeded. */
  start(): Promise<string> {
    this.#loop ??= this.#run();
    return this.#registered.promise;
  }

  /** Stops heartbeating and tells the bootstrap we left (best effort). */
  async leave(): Promise<void> {
    this.#stopped.abort();
    await this.#loop?.catch(() => {});
    if (this.#id) {
      await callJson(this.#options.bootstrap, "DELETE", `/v1/internal/members/${this.#id}`, {
        timeoutMs: 2000,
      })
        .catch(() => {});
    }
  }

  /** Tells the bootstrap to send no new work here (best effort). */
  async drain(): Promise<void> {
    if (!this.#id) return;
    await callJson(this.#options.bootstrap, "POST", `/v1/internal/members/${this.#id}/draining`, {
      timeoutMs: 2000,
    })
      .catch(() => {});
  }

  async #run(): Promise<void> {
    const { logger } = this.#options;
    const signal = this.#stopped.signal;
    let heartbeatMs = 1000;
    let retryMs = this.#options.retryMs ?? 1000;
    let warned = false;
    while (!signal.aborted) {
      if (this.#id === null) {
        try {
          const reg = await callJson<Registration>(this.#options.bootstrap, "POST", "/v1/internal/members", {
            body: this.#options.info,
            signal,
            timeoutMs: 5000,
          });
          this.#id = reg.id;
          heartbeatMs = reg.heartbeatMs;
          retryMs = this.#options.retryMs ?? 1000;
          warned = false;
          logger.info("joined", { bootstrap: this.#options.bootstrap, id: reg.id });
          await this.#options.onRegistered?.(reg.id);
          this.#registered.resolve(reg.id);
        } catch (error) {
          if (signal.aborted) break;
          if (!warned) {
            logger.warn("join.failed", {
              bootstrap: this.#options.bootstrap,
              error: explain(error),
              retry: "yes",
            });
            warned = true;
          }
          this.#id = null;
          await sleep(retryMs, signal);
          retryMs = Math.min(retryMs * 2, 10_000);
          continue;
        }
      }
      await sleep(heartbeatMs, signal);
      if (signal.aborted) break;
      try {
        await callJson(this.#options.bootstrap, "POST", `/v1/internal/members/${this.#id}/heartbeat`, {
          body: this.#options.report(),
          signal,
          timeoutMs: Math.max(heartbeatMs * 2, 2000),
        });
        if (warned) logger.info("heartbeat.restored", {});
        warned = false;
      } catch (error) {
        if (signal.aborted) break;
        if (error instanceof HttpError && error.status === 404) {
          logger.warn("bootstrap.forgot", { id: this.#id, action: "re-registering" });
          this.#id = null;
        } else if (!warned) {
          logger.warn("heartbeat.failed", { error: explain(error) });
          warned = true;
        }
      }
    }
  }
}

function explain(error: unknown): string {
  if (error instanceof UnreachableError || error instanceof HttpError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

/** Sleeps, waking early when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
