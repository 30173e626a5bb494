/**
 * Checks listeners' tokens for a file instance: asks the bootstrap, remembers good answers for a second, and
 * forgets a token at once when the bootstrap pushes its revocation (so a revocation takes effect within a second
 * even when its push is lost). While the bootstrap is unreachable, a
 * token it confirmed before keeps working until it expires, so playback survives a bootstrap restart.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { callJson, type PeerAccess, UnreachableError } from "../../daemon/cluster/peer_client.ts";
import { HttpError } from "../../daemon/http/http_error.ts";

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
}

/** Verifies tokens against the bootstrap, with a short cache. */
export class TokenCheck {
  #options: TokenCheckOptions;
  #cache = new Map<string, Confirmed>();
  #revoked = new Map<string, number>();
  #now: () => number;

  constructor(options: TokenCheckOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** The user a token belongs to, or a 401. */
  async verify(token: string): Promise<string> {
    const hash = createHash("sha256").update(token).digest("hex");
    const now = this.#now();
    if (this.#revoked.has(hash)) throw refused();
    const cached = this.#cache.get(hash);
    if (cached && now < cached.expiresAt && now - cached.checkedAt < (this.#options.ttlMs ?? 1000)) {
      return cached.user;
    }
    try {
      const answer = await callJson<{ user: string; expiresAt: number }>(
        this.#options.bootstrap,
        "POST",
        "/v1/internal/sessions/verify",
        { ...this.#options.peer, body: { token }, timeoutMs: 3000 },
      );
      if (this.#revoked.has(hash)) throw refused();
      if (this.#cache.size > 10_000) this.#cache.clear();
      this.#cache.set(hash, { user: answer.user, expiresAt: answer.expiresAt, checkedAt: now });
      return answer.user;
    } catch (error) {
      if (error instanceof UnreachableError || (error instanceof HttpError && error.status >= 500)) {
        if (cached && now < cached.expiresAt) return cached.user;
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

  /** Forgets a revoked token at once (pushed by the bootstrap). */
  revoke(tokenHash: string): void {
    this.#cache.delete(tokenHash);
    const now = this.#now();
    this.#revoked.set(tokenHash, now);
    for (const [hash, at] of this.#revoked) if (now - at > 3600_000) this.#revoked.delete(hash);
  }
}

function refused(): HttpError {
  return new HttpError(
    401,
    "bad_token",
    "Cannot accept the token: it is unknown, expired or revoked (audiod login)",
  );
}
