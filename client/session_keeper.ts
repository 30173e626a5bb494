/**
 * Keeps the player's session alive for as long as the player runs: it renews the token before the session's
 * lifetime ends (the CLI's `get` does the same once per download) and asks the bootstrap now and then whether
 * the token is still good, which also counts as use against the idle timeout. Each renewal is saved (so the
 * next `audiod play` starts signed in) and remembered: a session the TUI still holds maps to the newest token.
 * When renewal is impossible (the token was revoked, the account ended), the session is marked ended and
 * every later call with it fails with a 401, which the services turn into "sign in again".
 *
 * @module
 */

import { HttpError } from "../daemon/http/http_error.ts";
import type { Session } from "../protocol/mod.ts";
import type { AudiodClient } from "./api.ts";

/** Options of {@linkcode SessionKeeper}. */
export interface SessionKeeperOptions {
  /** A client for a bootstrap. */
  client: (host: string) => AudiodClient;
  /** Told every renewed session (to save it). */
  onRenewed?: (session: Session) => Promise<void> | void;
  /** Told when the kept session ended and cannot be renewed. */
  onEnded?: (session: Session, why: string) => void;
  now?: () => number;
  /** Longest time between checks (default 15 s); shorter for short lifetimes (a twentieth of it, 1 s at least). */
  maxTickMs?: number;
}

/** Renews and checks one session at a time in the background; see the module. */
export class SessionKeeper {
  #options: SessionKeeperOptions;
  #now: () => number;
  /** Old token → the session it was renewed into. */
  #renewed = new Map<string, Session>();
  /** Tokens that ended for good, and why. */
  #ended = new Map<string, string>();
  #kept: Session | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #busy: Promise<void> | null = null;

  constructor(options: SessionKeeperOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** The newest session `session` was renewed into (itself when it never was). */
  current(session: Session): Session {
    let at = session;
    for (let hops = 0, next = this.#renewed.get(at.token); next && hops < 1000; hops++) {
      at = next;
      next = this.#renewed.get(at.token);
    }
    return at;
  }

  /** Why `session` (after its renewals) ended, or null while it may still be good. */
  endedWhy(session: Session): string | null {
    return this.#ended.get(this.current(session).token) ?? null;
  }

  /** Keeps `session` (its newest form) alive from now on, instead of whichever was kept before. */
  keep(session: Session): void {
    const current = this.current(session);
    if (this.#kept?.token === current.token || !current.token) return;
    this.#kept = current;
    this.#schedule();
  }

  /** Stops keeping any session (sign-out, quit). */
  stop(): void {
    this.#kept = null;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Renews `session` now when the end of its lifetime is near (less than a tenth of it, or three checks, left);
   * returns its newest form either way. An HttpError 401 when it ended.
   */
  async fresh(session: Session): Promise<Session> {
    const current = this.current(session);
    const why = this.#ended.get(current.token);
    if (why !== undefined) throw new HttpError(401, "bad_token", why);
    if (!this.#renewalDue(current)) return current;
    try {
      const renewed = await this.#options.client(current.host).renew(current.token);
      this.#renewed.set(current.token, renewed);
      if (this.#kept?.token === current.token) this.#kept = renewed;
      await this.#options.onRenewed?.(renewed);
      return renewed;
    } catch (error) {
      if (error instanceof HttpError && error.status === 401) this.#end(current, error.message);
      throw error;
    }
  }

  #tickMs(session: Session): number {
    const lifetime = session.issuedAt ? session.expiresAt - session.issuedAt : 0;
    const max = this.#options.maxTickMs ?? 15_000;
    return lifetime > 0 ? Math.min(max, Math.max(1000, lifetime / 20)) : max;
  }

  #renewalDue(session: Session): boolean {
    if (!session.issuedAt) return false; // an old saved session: nothing tells its lifetime
    const lifetime = session.expiresAt - session.issuedAt;
    const left = session.expiresAt - this.#now();
    return left < Math.max(lifetime / 10, 3 * this.#tickMs(session));
  }

  #end(session: Session, why: string): void {
    this.#ended.set(session.token, why);
    if (this.#kept?.token === session.token) {
      this.stop();
      this.#options.onEnded?.(session, why);
    }
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    const kept = this.#kept;
    if (kept === null) return;
    this.#timer = setTimeout(() => {
      this.#busy ??= this.#check().finally(() => {
        this.#busy = null;
        this.#schedule();
      });
    }, this.#tickMs(kept));
    // The player's own work keeps the process alive; this timer alone must not.
    Deno.unrefTimer(this.#timer);
  }

  /** Renews the kept session when due, else asks whether it is still good (which counts as use). */
  async #check(): Promise<void> {
    const kept = this.#kept;
    if (kept === null) return;
    try {
      const fresh = await this.fresh(kept);
      if (fresh === kept) await this.#options.client(kept.host).session(kept.token);
    } catch (error) {
      // Unreachable for now: the next check tries again. Refused: it ended (fresh() marked renewals refused).
      if (error instanceof HttpError && error.status === 401) this.#end(this.current(kept), error.message);
    }
  }
}
