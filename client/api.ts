/**
 * The client side of audiod's public API: what `audiod tracks/get/status/login` and the TUI call.
 *
 * @module
 */

import { callJson, type CallOptions, UnreachableError } from "../daemon/cluster/peer_client.ts";
import { HttpError } from "../daemon/http/http_error.ts";
import type { Check } from "../protocol/schema.ts";
import { type CatalogTrack, catalogTrack, MAX_PAGE, type TrackPage, trackPage } from "../protocol/catalog.ts";
import { type Candidate, candidates } from "../protocol/services.ts";
import {
  accountChanged,
  type Session,
  type SessionAnswer,
  sessionAnswer,
  type SessionOwner,
  sessionOwner,
} from "../protocol/session.ts";
import { type StatusReport, statusReport } from "../protocol/status.ts";

export type { Candidate } from "../protocol/services.ts";
export type { TrackPage } from "../protocol/catalog.ts";

/** Catalog pages fetched at once while listing a large catalog. */
const PAGES_IN_FLIGHT = 4;

/** Talks to one cluster through its bootstrap. */
export class AudiodClient {
  /** Base URL of the bootstrap. */
  readonly host: string;

  #httpClient: Deno.HttpClient | undefined;

  /** `httpClient` trusts the cluster's CA (`--ca`) when the cluster uses TLS with a private CA. */
  constructor(host: string, options: { httpClient?: Deno.HttpClient } = {}) {
    this.host = host;
    this.#httpClient = options.httpClient;
  }

  /** The HTTP client for calls and downloads (undefined: the default one). */
  get httpClient(): Deno.HttpClient | undefined {
    return this.#httpClient;
  }

  /** Calls `method path` on `base`; the answer is checked with `answer` (a clear error naming the field). */
  #call<T>(
    base: string,
    method: string,
    path: string,
    options: CallOptions & { answer: Check<T> },
  ): Promise<T>;
  #call(base: string, method: string, path: string, options?: CallOptions): Promise<void>;
  #call<T>(
    base: string,
    method: string,
    path: string,
    options: CallOptions & { answer?: Check<T> } = {},
  ): Promise<T | void> {
    const { answer, ...rest } = options;
    const call = { ...rest, ...(this.#httpClient ? { httpClient: this.#httpClient } : {}) };
    return answer ? callJson(base, method, path, { ...call, answer }) : callJson(base, method, path, call);
  }

  /** Who a token belongs to; a 401 HttpError when it is no longer valid. */
  session(token: string): Promise<SessionOwner> {
    return this.#call(this.host, "GET", "/v1/session", { token, answer: sessionOwner });
  }

  status(): Promise<StatusReport> {
    return this.#call(this.host, "GET", "/v1/status", { answer: statusReport });
  }

  /** One page of the tracks matching `query` (all tracks when empty), from `offset`. */
  trackPage(query: string, offset: number, limit?: number): Promise<TrackPage> {
    const params = new URLSearchParams();
    if (query) params.set("q", query);
    if (offset > 0) params.set("offset", String(offset));
    if (limit !== undefined) params.set("limit", String(limit));
    const search = params.size > 0 ? `?${params}` : "";
    return this.#call(this.host, "GET", `/v1/tracks${search}`, { answer: trackPage });
  }

  /**
   * The tracks matching `query` (all tracks when empty), at most `limit` of them, fetched a page at a time with
   * a few pages in flight; `onProgress` hears how many have arrived of how many there are.
   */
  async tracks(
    query = "",
    options: { limit?: number; onProgress?: (loaded: number, total: number) => void } = {},
  ): Promise<CatalogTrack[]> {
    return (await this.listTracks(query, options)).tracks;
  }

  /** Like {@linkcode tracks}, and how many match in all (more than were fetched when `limit` cut the list). */
  async listTracks(
    query = "",
    options: { limit?: number; onProgress?: (loaded: number, total: number) => void } = {},
  ): Promise<{ total: number; tracks: CatalogTrack[] }> {
    const wanted = options.limit ?? Infinity;
    const first = await this.trackPage(
      query,
      0,
      Number.isFinite(wanted) ? Math.min(wanted, MAX_PAGE) : undefined,
    );
    const total = Math.min(first.total, wanted);
    const pageSize = Math.max(1, first.tracks.length);
    const pages: CatalogTrack[][] = [first.tracks];
    let loaded = first.tracks.length;
    options.onProgress?.(Math.min(loaded, total), total);
    const offsets: number[] = [];
    for (let at = first.tracks.length; first.tracks.length > 0 && at < total; at += pageSize) {
      offsets.push(at);
    }
    let next = 0;
    const worker = async () => {
      while (next < offsets.length) {
        const index = next++;
        const page = await this.trackPage(
          query,
          offsets[index]!,
          Math.min(pageSize, total - offsets[index]!),
        );
        pages[index + 1] = page.tracks;
        loaded += page.tracks.length;
        options.onProgress?.(Math.min(loaded, total), total);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PAGES_IN_FLIGHT, offsets.length) }, worker));
    // The catalog may change between pages: a track that moved across a page boundary is kept once.
    const seen = new Set<string>();
    const tracks: CatalogTrack[] = [];
    for (const page of pages) {
      for (const track of page ?? []) {
        if (tracks.length >= wanted || seen.has(track.id)) continue;
        seen.add(track.id);
        tracks.push(track);
      }
    }
    return { total: first.total, tracks };
  }

  /** One track by id, id prefix or unique title. */
  track(ref: string): Promise<CatalogTrack> {
    return this.#call(this.host, "GET", `/v1/tracks/${encodeURIComponent(ref)}`, { answer: catalogTrack });
  }

  async candidates(role: "auth" | "file"): Promise<Candidate[]> {
    return (await this.#call(this.host, "GET", `/v1/services/${role}`, { answer: candidates })).candidates;
  }

  register(user: string, password: string): Promise<Session> {
    return this.#signIn("/v1/register", user, password);
  }

  login(user: string, password: string): Promise<Session> {
    return this.#signIn("/v1/login", user, password);
  }

  /** Revokes the token on the server. */
  async logout(token: string): Promise<void> {
    await this.#onAuth((url) => this.#call(url, "POST", "/v1/logout", { token }), { idempotent: true });
  }

  /** Trades a valid token for a new one with a fresh lifetime; the old one is revoked. */
  async renew(token: string): Promise<Session> {
    return this.#session(
      await this.#onAuth((url) => this.#call(url, "POST", "/v1/renew", { token, answer: sessionAnswer }), {
        idempotent: false,
      }),
    );
  }

  /**
   * The session, renewed when less than a tenth of its lifetime is left (so playback is never cut off by its
   * expiry); the same session otherwise.
   */
  async fresh(session: Session, now = Date.now()): Promise<Session> {
    if (!session.token || !session.issuedAt || now >= session.expiresAt) return session;
    const lifetime = session.expiresAt - session.issuedAt;
    return session.expiresAt - now < lifetime / 10 ? await this.renew(session.token) : session;
  }

  /** Changes the password; the server ends every other session of the account. */
  changePassword(token: string, oldPassword: string, newPassword: string): Promise<{ revoked: number }> {
    return this.#onAuth((url) =>
      this.#call(url, "POST", "/v1/password", {
        token,
        body: { oldPassword, newPassword },
        answer: accountChanged,
      }), { idempotent: false });
  }

  /** Deletes the account and ends all its sessions. */
  deleteAccount(token: string, password: string): Promise<{ revoked: number }> {
    return this.#onAuth(
      (url) =>
        this.#call(url, "DELETE", "/v1/account", { token, body: { password }, answer: accountChanged }),
      { idempotent: false },
    );
  }

  async #signIn(path: "/v1/login" | "/v1/register", user: string, password: string): Promise<Session> {
    // A login repeated elsewhere after a 5xx has the same outcome (at worst an unused extra session, which
    // expires); a registration repeated after a 500 that did create the account would answer "name taken".
    const idempotent = path === "/v1/login";
    return this.#session(
      await this.#onAuth(
        (url) => this.#call(url, "POST", path, { body: { user, password }, answer: sessionAnswer }),
        { idempotent },
      ),
    );
  }

  #session(answer: SessionAnswer): Session {
    return {
      host: this.host,
      user: answer.user,
      token: answer.token,
      expiresAt: answer.expiresAt,
      issuedAt: answer.issuedAt,
    };
  }

  /**
   * Runs `call` on the first auth candidate (the bootstrap ranks them by load), trying the next one when this
   * one surely did nothing — it could not be connected to, or answered 503 — and, for requests that may be
   * repeated (`idempotent`), also on any other 5xx or a connection that broke.
   */
  async #onAuth<T>(call: (url: string) => Promise<T>, options: { idempotent: boolean }): Promise<T> {
    const candidates = await this.candidates("auth");
    if (candidates.length === 0) {
      throw new HttpError(
        503,
        "no_auth",
        `Cannot sign in: ${this.host} has no auth instance up yet (retry shortly)`,
      );
    }
    let last: unknown;
    for (const c of candidates) {
      try {
        return await call(c.url);
      } catch (error) {
        last = error;
        if (retryable(error, options.idempotent)) continue;
        throw error;
      }
    }
    throw last;
  }
}

/** Whether another candidate may be tried after `error`. */
function retryable(error: unknown, idempotent: boolean): boolean {
  if (error instanceof UnreachableError) return error.notSent || idempotent;
  if (error instanceof HttpError && error.status >= 500) return error.status === 503 || idempotent;
  return false;
}
