/**
 * The membership client every node and instance runs: register with the bootstrap, renew the lease with a
 * heartbeat that carries the current load, re-register when the bootstrap forgot us (it restarted), and leave
 * cleanly on shutdown. A bootstrap that refuses us (a wrong join secret, a registration it will never accept)
 * ends the membership: {@linkcode Membership.refused} tells why, and the member should stop.
 *
 * `bootstrap` may list several bootstraps (comma-separated); after joining, the member also learns the live
 * ones from `GET /v1/bootstraps`. Every call goes to the current one and moves to the next when it cannot be
 * reached (`bootstrap_set.ts`): bootstraps sharing a store share the registry, so the member carries on with
 * another without registering again, and its lease never lapses for it.
 *
 * @module
 */

import { type PeerAccess, UnreachableError } from "./peer_client.ts";
import { bootstrapSet, callBootstrap, refreshBootstraps } from "./bootstrap_set.ts";
import { HttpError } from "../http/http_error.ts";
import { Backoff } from "../runtime/backoff.ts";
import { FailureLog } from "../runtime/failure_log.ts";
import type { Logger } from "../runtime/log.ts";
import { type Heartbeat, type MemberInfo, type Registration, registration } from "../../protocol/member.ts";

export type { MemberInfo, Registration } from "../../protocol/member.ts";
/** Extra fields sent with each heartbeat. */
export type HeartbeatExtra = Heartbeat;

/** Options for {@linkcode Membership}. */
export interface MembershipOptions {
  /** The bootstrap's URL, or several comma-separated. */
  bootstrap: string;
  /** The join secret (and CA) every call to the bootstrap carries. */
  peer: PeerAccess;
  info: MemberInfo;
  logger: Logger;
  /** Current load and extras, read at every heartbeat. */
  report: () => HeartbeatExtra;
  /**
   * Called after every (re-)registration with the new id and the bootstrap's answer; a file instance
   * re-announces its tracks here (unless the answer's digest says the catalog holds them).
   */
  onRegistered?: (id: string, answer: Registration) => Promise<void> | void;
  /** Wait between failed registration attempts (default up to 1 s, doubling to 10 s, with full jitter). */
  retryMs?: number;
}

/** Keeps one member registered with the bootstrap. */
export class Membership {
  #options: MembershipOptions;
  #id: string | null = null;
  #stopped = new AbortController();
  #loop: Promise<void> | null = null;
  #registered: PromiseWithResolvers<string> = Promise.withResolvers();
  #refused: PromiseWithResolvers<string> = Promise.withResolvers();

  constructor(options: MembershipOptions) {
    this.#options = options;
  }

  /** The id the bootstrap gave us, or null before registration. */
  get id(): string | null {
    return this.#id;
  }

  /**
   * Starts registering and heartbeating in the background; resolves once the first registration succeeded,
   * rejects when the bootstrap refused us.
   */
  start(): Promise<string> {
    this.#loop ??= this.#run();
    return this.#registered.promise;
  }

  /** Settles with a message saying why, once the bootstrap refused us for good (the member should stop). */
  get refused(): Promise<string> {
    return this.#refused.promise;
  }

  /** Waits until `signal` aborts (null) or the bootstrap refuses us (why), whichever comes first. */
  until(signal: AbortSignal): Promise<string | null> {
    return Promise.race([
      new Promise<null>((resolve) => {
        if (signal.aborted) return resolve(null);
        signal.addEventListener("abort", () => resolve(null), { once: true });
      }),
      this.refused,
    ]);
  }

  /** Stops heartbeating and tells the bootstrap we left (best effort). */
  async leave(): Promise<void> {
    this.#stopped.abort();
    await this.#loop?.catch(() => {});
    if (this.#id) {
      await callBootstrap(this.#options.bootstrap, "DELETE", `/v1/internal/members/${this.#id}`, {
        ...this.#options.peer,
        timeoutMs: 2000,
      })
        .catch(() => {});
    }
  }

  /** Tells the bootstrap to send no new work here (best effort). */
  async drain(): Promise<void> {
    if (!this.#id) return;
    await callBootstrap(this.#options.bootstrap, "POST", `/v1/internal/members/${this.#id}/draining`, {
      ...this.#options.peer,
      timeoutMs: 2000,
    })
      .catch(() => {});
  }

  async #run(): Promise<void> {
    const { logger } = this.#options;
    const signal = this.#stopped.signal;
    let heartbeatMs = 1000;
    const joinBackoff = new Backoff({ baseMs: this.#options.retryMs ?? 1000, maxMs: 10_000 });
    const joinLog = new FailureLog(logger, {
      failing: "join.failed",
      recovered: "join.recovered",
      fields: { bootstrap: this.#options.bootstrap },
    });
    let warned = false;
    let beats = 0;
    while (!signal.aborted) {
      if (this.#id === null) {
        try {
          const reg = await callBootstrap(this.#options.bootstrap, "POST", "/v1/internal/members", {
            ...this.#options.peer,
            answer: registration,
            body: this.#options.info,
            signal,
            timeoutMs: 5000,
          });
          this.#id = reg.id;
          heartbeatMs = reg.heartbeatMs;
          joinBackoff.reset();
          joinLog.succeeded();
          warned = false;
          logger.info("joined", { bootstrap: bootstrapSet(this.#options.bootstrap).current, id: reg.id });
          await refreshBootstraps(this.#options.bootstrap, this.#options.peer);
          await this.#options.onRegistered?.(reg.id, reg);
          this.#registered.resolve(reg.id);
        } catch (error) {
          if (signal.aborted) break;
          if (this.#refuse(error)) break;
          joinLog.failed(explain(error)); // one line when joining starts failing, one when it works again
          this.#id = null;
          await sleep(joinBackoff.next(), signal);
          continue;
        }
      }
      await sleep(heartbeatMs, signal);
      if (signal.aborted) break;
      try {
        // Short enough that a bootstrap that stopped answering (not refusing) leaves time for the next one
        // within the lease; callBootstrap moves on at once.
        const several = bootstrapSet(this.#options.bootstrap).order.length > 1;
        await callBootstrap(this.#options.bootstrap, "POST", `/v1/internal/members/${this.#id}/heartbeat`, {
          ...this.#options.peer,
          body: this.#options.report(),
          signal,
          timeoutMs: several ? Math.max(heartbeatMs + 250, 1000) : Math.max(heartbeatMs * 2, 2000),
        });
        if (++beats % 20 === 0) refreshBootstraps(this.#options.bootstrap, this.#options.peer);
        if (warned) logger.info("heartbeat.restored", {});
        warned = false;
      } catch (error) {
        if (signal.aborted) break;
        if (this.#refuse(error)) break;
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

  /**
   * Ends the membership when the bootstrap refused us for a reason retrying cannot fix: the join secret (401,
   * 403) or a registration it will never accept (400). Unreachable bootstraps and 5xx are retried.
   */
  #refuse(error: unknown): boolean {
    if (!(error instanceof HttpError) || ![400, 401, 403].includes(error.status)) return false;
    const { bootstrap } = this.#options;
    const message = error.code === "join_secret_wrong"
      ? `Cannot join the cluster at ${bootstrap}: it refused our join secret (compare --join-secret-file or ` +
        `AUDIOD_JOIN_SECRET with the bootstrap's <data dir>/join-secret)`
      : error.code === "join_secret_missing"
      ? `Cannot join the cluster at ${bootstrap}: it wants the join secret (pass --join-secret-file FILE or ` +
        `AUDIOD_JOIN_SECRET)`
      : `Cannot join the cluster at ${bootstrap}: ${error.message}`;
    this.#options.logger.error("join.refused", { bootstrap, status: error.status, error: error.message });
    this.#stopped.abort();
    this.#refused.resolve(message);
    this.#registered.reject(new Error(message));
    this.#registered.promise.catch(() => {});
    return true;
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
