/**
 * Checks listeners' tokens for a file instance: asks the bootstrap, remembers good answers for a second, and
 * forgets a token at once when the bootstrap pushes its revocation (so a revocation takes effect within a second
 * even when its push is lost). While the bootstrap is unreachable, a
 * token it confirmed before keeps working until it expires, so playback survives a bootstrap restart.
 *
 * It also keeps the streams in flight by session ({@linkcode StreamRegistry}): a revocation cuts the session's
 * streams, a renewal moves them to the new session, and {@linkcode TokenCheck.watch} cuts those whose session
 * outlived its absolute lifetime and re-checks the open streams' sessions at the bootstrap every few seconds
 * (which counts as their use, so a long stream never idles its session out).
 *
 * @module
 */

import { createHash } from "node:crypto";
import { type PeerAccess, UnreachableError } from "../../daemon/cluster/peer_client.ts";
import { callBootstrap } from "../../daemon/cluster/bootstrap_set.ts";
import { HttpError } from "../../daemon/http/http_error.ts";
import { sleep } from "../../daemon/cluster/membership.ts";
import type { RevokedEvent } from "../../protocol/events.ts";
import { type SessionOwner, sessionOwner, sessionsTouched } from "../../protocol/session.ts";
import { type OpenStream, type StreamRegistry, type StreamSession } from "./streams.ts";

interface Confirmed {
  user: string;
  expiresAt: number;
  checkedAt: number;
}

/** Options for {@linkcode TokenCheck}. */
export interface TokenCheckOptions {
  bootstrap: string;
  /** The join secret (and CA) for the bootstrap's internal routes. */
  peer: PeerAccess;
  /** How long a confirmation is trusted without asking again (default 1 s). */
  ttlMs?: number;
  now?: () => number;
  /** The streams in flight, cut when their session ends. */
  streams: StreamRegistry;
  /** Told about streams cut and about re-checks that failed. */
  onStreamsCut?: (count: number, why: string) => void;
}

/** How often {@linkcode TokenCheck.watch} looks for streams past their session's lifetime. */
const EXPIRY_CHECK_MS = 250;
/** The longest time between two re-checks of the open streams' sessions. */
const RECHECK_MS = 5000;
/** The shortest; re-checks come every third of the bootstrap's idle timeout, so a stream keeps its session. */
const RECHECK_MIN_MS = 250;

/** Verifies tokens against the bootstrap, with a short cache. */
export class TokenCheck {
  #options: TokenCheckOptions;
  #cache = new Map<string, Confirmed>();
  #revoked = new Map<string, number>();
  #now: () => number;
  /** Between two re-checks: a third of the bootstrap's idle timeout, once it told it. */
  #recheckMs = 1000;
  /** Wakes {@linkcode TokenCheck.watch} for a re-check now. */
  #wake = new AbortController();
  /**
   * Verifications in flight, by token hash: requests of the same token that arrive meanwhile (a burst of
   * listeners, a player's parallel range requests) wait for the one answer instead of asking again each.
   */
  #verifying = new Map<string, Promise<SessionOwner>>();

  constructor(options: TokenCheckOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** The user a token belongs to, or a 401. */
  async verify(token: string): Promise<string> {
    return (await this.session(token)).user;
  }

  /** The session of a token (its hash, user and absolute end), or a 401. */
  async session(token: string): Promise<StreamSession> {
    const hash = createHash("sha256").update(token).digest("hex");
    const now = this.#now();
    if (this.#revoked.has(hash)) throw refused();
    const cached = this.#cache.get(hash);
    if (cached && now < cached.expiresAt && now - cached.checkedAt < (this.#options.ttlMs ?? 1000)) {
      return { tokenHash: hash, user: cached.user, expiresAt: cached.expiresAt };
    }
    try {
      let verifying = this.#verifying.get(hash);
      if (!verifying) {
        verifying = callBootstrap(
          this.#options.bootstrap,
          "POST",
          "/v1/internal/sessions/verify",
          { ...this.#options.peer, body: { token }, answer: sessionOwner, timeoutMs: 3000 },
        );
        const mine = verifying;
        this.#verifying.set(hash, mine);
        mine.finally(() => {
          if (this.#verifying.get(hash) === mine) this.#verifying.delete(hash);
        }).catch(() => {});
      }
      const answer = await verifying;
      if (this.#revoked.has(hash)) throw refused();
      if (this.#cache.size > 10_000) this.#cache.clear();
      this.#cache.set(hash, { user: answer.user, expiresAt: answer.expiresAt, checkedAt: now });
      return { tokenHash: hash, user: answer.user, expiresAt: answer.expiresAt };
    } catch (error) {
      if (error instanceof UnreachableError || (error instanceof HttpError && error.status >= 500)) {
        if (cached && now < cached.expiresAt) {
          return { tokenHash: hash, user: cached.user, expiresAt: cached.expiresAt };
        }
        throw new HttpError(
          503,
          "auth_unavailable",
          "Cannot check the token: the bootstrap is unreachable, retry",
          {
            "retry-after": "2",
          },
        );
      }
      this.#cache.delete(hash);
      if (error instanceof HttpError && error.status === 401) throw refused();
      throw error;
    }
  }

  /**
   * Registers a stream of `session` (just verified), cut when the session ends; one whose revocation arrived
   * since it was verified is cut at once.
   */
  openStream(session: StreamSession): OpenStream {
    const stream = this.#options.streams.open(session);
    if (this.#revoked.has(session.tokenHash)) this.#cut(this.#options.streams.endSession(session.tokenHash));
    return stream;
  }

  /**
   * Forgets a revoked token at once (pushed by the bootstrap) and cuts its streams; when the client renewed it
   * (`renewedAs`), its streams go on as the new session's instead.
   */
  revoke(tokenHash: string, renewedAs?: { tokenHash: string; expiresAt: number }): void {
    this.#cache.delete(tokenHash);
    const now = this.#now();
    this.#revoked.set(tokenHash, now);
    for (const [hash, at] of this.#revoked) if (now - at > 3600_000) this.#revoked.delete(hash);
    const streams = this.#options.streams;
    if (renewedAs) streams.renew(tokenHash, renewedAs.tokenHash, renewedAs.expiresAt);
    else this.#cut(streams.endSession(tokenHash), "revoked");
  }

  /** A `revoked` event (or its direct push): the listed sessions end, or all of an ended account's. */
  revoked(event: RevokedEvent): void {
    const renewedAs = event.renewedAs;
    for (const hash of event.tokenHashes) this.revoke(hash, renewedAs);
    if (event.user && event.accountEnded) {
      for (const [hash, cached] of this.#cache) if (cached.user === event.user) this.#cache.delete(hash);
      this.#cut(this.#options.streams.endUser(event.user), "account ended");
    }
  }

  /** Whether the bootstrap revoked this token's (or stream grant's) hash lately. */
  isRevoked(tokenHash: string): boolean {
    return this.#revoked.has(tokenHash);
  }

  /** Re-checks the open streams' sessions at once (say, after missing events), not at the next period. */
  recheckSoon(): void {
    this.#wake.abort();
  }

  /**
   * Until `signal` aborts: cuts streams past their session's absolute lifetime (checked every 250 ms), and while
   * streams are open, re-checks their sessions at the bootstrap every few seconds, which also counts as their
   * use; the streams of sessions found ended are cut. A bootstrap that cannot answer cuts nothing.
   */
  async watch(signal: AbortSignal): Promise<void> {
    const streams = this.#options.streams;
    let lastCheck = -Infinity;
    while (!signal.aborted) {
      await sleep(EXPIRY_CHECK_MS, AbortSignal.any([signal, this.#wake.signal]));
      if (signal.aborted) break;
      this.#cut(streams.expire(), "expired");
      const woken = this.#wake.signal.aborted;
      if (woken) this.#wake = new AbortController();
      if (streams.size === 0 || (!woken && performance.now() - lastCheck < this.#recheckMs)) continue;
      lastCheck = performance.now();
      await this.recheck(signal).catch(() => {});
    }
  }

  /** Asks the bootstrap which of the open streams' sessions are still valid, and cuts the others' streams. */
  async recheck(signal?: AbortSignal): Promise<void> {
    const streams = this.#options.streams;
    const hashes = streams.sessions();
    for (let i = 0; i < hashes.length; i += TOUCH_BATCH) {
      const batch = hashes.slice(i, i + TOUCH_BATCH);
      let answer;
      try {
        answer = await callBootstrap(this.#options.bootstrap, "POST", "/v1/internal/sessions/touch", {
          ...this.#options.peer,
          body: { tokenHashes: batch },
          answer: sessionsTouched,
          timeoutMs: 3000,
          ...(signal ? { signal } : {}),
        });
      } catch (error) {
        // Unreachable, or a bootstrap too old for the route: the streams go on (expiry still applies).
        if (error instanceof HttpError && error.status === 404) return;
        throw error;
      }
      this.#recheckMs = Math.min(RECHECK_MS, Math.max(RECHECK_MIN_MS, Math.floor(answer.idleMs / 3)));
      const valid = new Map(answer.sessions.map((s) => [s.tokenHash, s]));
      for (const hash of batch) {
        const session = valid.get(hash);
        if (!session) {
          this.#cache.delete(hash);
          this.#cut(streams.endSession(hash), "ended");
        } else if (session.renewedAs) {
          streams.renew(hash, session.renewedAs.tokenHash, session.renewedAs.expiresAt);
        } else {
          streams.confirm(hash, session.expiresAt);
        }
      }
    }
  }

  #cut(count: number, why = "revoked"): void {
    if (count > 0) this.#options.onStreamsCut?.(count, why);
  }
}

/** Sessions asked about per re-check request. */
const TOUCH_BATCH = 500;

function refused(): HttpError {
  return new HttpError(
    401,
    "bad_token",
    "Cannot accept the token: it is unknown, expired or revoked (audiod login)",
  );
}
