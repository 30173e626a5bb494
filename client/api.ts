/**
 * The client side of audiod's public API: what `audiod tracks/get/status/login` and the TUI call.
 *
 * @module
 */

import { callJson, type CallOptions, UnreachableError } from "../daemon/cluster/peer_client.ts";
import { bootstrapSet, callBootstrap, refreshBootstraps } from "../daemon/cluster/bootstrap_set.ts";
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
import { starChange, starList } from "../protocol/stars.ts";
import {
  playlistList,
  type PlaylistSummary,
  type PlaylistTracks,
  playlistTracks,
} from "../protocol/playlists.ts";

export type { Candidate } from "../protocol/services.ts";
export type { TrackPage } from "../protocol/catalog.ts";

/** Catalog pages in flight at once while listing a large catalog. */
const PAGES_IN_FLIGHT = 4;

/**
 * Talks to one cluster through its bootstrap. `host` may list several bootstraps (comma-separated); the client
 * also learns the live ones when it signs in (`GET /v1/bootstraps`, kept in the saved session), and moves to
 * the next when one cannot be reached.
 */
export class AudiodClient {
  /** Base URL of the bootstrap (or several, comma-separated). */
  readonly host: string;

  #httpClient: Deno.HttpClient | undefined;
  #joinSecret: string | undefined;

  /**
   * The session token the private routes (catalog, status) are called with; renewing a session replaces it.
   * Empty: none.
   */
  token: string;

  /**
   * `httpClient` trusts the cluster's CA (`--ca`) when the cluster uses TLS with a private CA. The catalog and
   * status need a signed-in session (`token`) or, for members and tools on a node's machine, the join secret
   * (`joinSecret`, which also shows hosts and process ids in status).
   */
  constructor(
    host: string,
    options: { httpClient?: Deno.HttpClient; token?: string; joinSecret?: string } = {},
  ) {
    this.host = host;
    this.#httpClient = options.httpClient;
    this.token = options.token ?? "";
    this.#joinSecret = options.joinSecret;
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

  /**
   * Calls the bootstrap, moving to the next known one when it cannot be reached; with several known, one that
   * does not answer within 4 s counts as unreachable.
   */
  #boot<T>(method: string, path: string, options: CallOptions & { answer: Check<T> }): Promise<T> {
    const several = bootstrapSet(this.host).order.length > 1;
    const call = {
      ...(several ? { timeoutMs: 4000 } : {}),
      ...options,
      ...(this.#httpClient ? { httpClient: this.#httpClient } : {}),
    };
    return callBootstrap(this.host, method, path, call);
  }

  /** Every bootstrap this client knows of, the one it talks to first. */
  get bootstraps(): string[] {
    return bootstrapSet(this.host).order;
  }

  /** Who a token belongs to; a 401 HttpError when it is no longer valid. */
  session(token: string): Promise<SessionOwner> {
    return this.#boot("GET", "/v1/session", { token, answer: sessionOwner });
  }

  /** What the private routes are called with: the session's token, or the join secret. */
  #viewer(): CallOptions {
    if (this.#joinSecret) return { joinSecret: this.#joinSecret };
    return this.token ? { token: this.token } : {};
  }

  /** The ids of the tracks the session's user starred (the OpenSubsonic API's favourites), newest first. */
  async stars(): Promise<string[]> {
    return (await this.#boot("GET", "/v1/stars", { token: this.token, answer: starList })).ids;
  }

  /** Stars (`starred`) or unstars a track for the session's user. */
  async setStar(id: string, starred: boolean): Promise<void> {
    await this.#boot(starred ? "PUT" : "DELETE", `/v1/stars/${encodeURIComponent(id)}`, {
      token: this.token,
      answer: starChange,
    });
  }

  /** The session's user's playlists (the OpenSubsonic API's), by name. */
  async playlists(): Promise<PlaylistSummary[]> {
    return (await this.#boot("GET", "/v1/playlists", { token: this.token, answer: playlistList })).playlists;
  }

  /** One playlist of the session's user and its tracks, in order. */
  playlist(id: string): Promise<PlaylistTracks> {
    return this.#boot("GET", `/v1/playlists/${encodeURIComponent(id)}`, {
      token: this.token,
      answer: playlistTracks,
    });
  }

  /** The cluster's nodes and instances (hosts and process ids for admins only). */
  status(): Promise<StatusReport> {
    return this.#boot("GET", "/v1/status", { ...this.#viewer(), answer: statusReport });
  }

  /** One page of the tracks matching `query` (all tracks when empty), from `offset`. */
  trackPage(query: string, offset: number, limit?: number): Promise<TrackPage> {
    const params = new URLSearchParams();
    if (query) params.set("q", query);
    if (offset > 0) params.set("offset", String(offset));
    if (limit !== undefined) params.set("limit", String(limit));
    const search = params.size > 0 ? `?${params}` : "";
    return this.#boot("GET", `/v1/tracks${search}`, { ...this.#viewer(), answer: trackPage });
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
    let total = 0;
    const tracks: CatalogTrack[] = [];
    for await (
      const page of this.trackPages(query, options.limit === undefined ? {} : { limit: options.limit })
    ) {
      total = page.total;
      tracks.push(...page.tracks);
      options.onProgress?.(Math.min(tracks.length, page.wanted), page.wanted);
    }
    return { total, tracks };
  }

  /**
   * The tracks matching `query` (all tracks when empty), at most `limit` of them, a page at a time in catalog
   * order as the pages arrive: a few pages are in flight at once, each handed out once those before it were, so
   * a caller that writes them out holds a few pages, never the whole catalog. Each page says how many match in
   * all (`total`) and how many will be handed out in all (`wanted`: `total` cut by `limit`).
   */
  async *trackPages(
    query = "",
    options: { limit?: number } = {},
  ): AsyncGenerator<{ total: number; wanted: number; tracks: CatalogTrack[] }> {
    const limit = options.limit ?? Infinity;
    const first = await this.trackPage(
      query,
      0,
      Number.isFinite(limit) ? Math.min(limit, MAX_PAGE) : undefined,
    );
    const wanted = Math.min(first.total, limit);
    const pageSize = Math.max(1, first.tracks.length);
    // The catalog may change between pages: a track that moved across a page boundary is handed out once (it
    // can only be in the page before).
    let previous = new Set<string>();
    let count = 0;
    const fresh = (tracks: CatalogTrack[]) => {
      const out: CatalogTrack[] = [];
      for (const track of tracks) {
        if (count >= limit || previous.has(track.id)) continue;
        out.push(track);
        count++;
      }
      previous = new Set(tracks.map((t) => t.id));
      return out;
    };
    yield { total: first.total, wanted, tracks: fresh(first.tracks) };
    if (first.tracks.length === 0) return;
    const offsets: number[] = [];
    for (let at = first.tracks.length; at < wanted; at += pageSize) offsets.push(at);
    const fetchAt = (at: number) => this.trackPage(query, at, Math.min(pageSize, wanted - at));
    const inFlight: Promise<TrackPage>[] = [];
    let next = 0;
    const refill = () => {
      while (next < offsets.length && inFlight.length < PAGES_IN_FLIGHT) {
        const page = fetchAt(offsets[next++]!);
        page.catch(() => {}); // awaited in turn below; one left behind when the caller stops must not go unhandled
        inFlight.push(page);
      }
    };
    refill();
    while (inFlight.length > 0) {
      const page = await inFlight.shift()!;
      refill();
      yield { total: page.total, wanted, tracks: fresh(page.tracks) };
    }
  }

  /** One track by id, id prefix or unique title. */
  track(ref: string): Promise<CatalogTrack> {
    return this.#boot("GET", `/v1/tracks/${encodeURIComponent(ref)}`, {
      ...this.#viewer(),
      answer: catalogTrack,
    });
  }

  async candidates(role: "auth" | "file"): Promise<Candidate[]> {
    return (await this.#boot("GET", `/v1/services/${role}`, { answer: candidates })).candidates;
  }

  /** Creates an account and signs in; `invite` is the code a `--registration invite` cluster needs. */
  register(user: string, password: string, invite?: string): Promise<Session> {
    return this.#signIn("/v1/register", user, password, invite);
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
    return await this.#session(
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

  async #signIn(
    path: "/v1/login" | "/v1/register",
    user: string,
    password: string,
    invite?: string,
  ): Promise<Session> {
    // A login repeated elsewhere after a 5xx has the same outcome (at worst an unused extra session, which
    // expires); a registration repeated after a 500 that did create the account would answer "name taken".
    const idempotent = path === "/v1/login";
    return await this.#session(
      await this.#onAuth(
        (url) =>
          this.#call(url, "POST", path, {
            body: { user, password, ...(invite !== undefined ? { invite } : {}) },
            answer: sessionAnswer,
          }),
        { idempotent },
      ),
    );
  }

  async #session(answer: SessionAnswer): Promise<Session> {
    await refreshBootstraps(this.host, this.#httpClient ? { httpClient: this.#httpClient } : {});
    const known = bootstrapSet(this.host).order;
    return {
      host: this.host,
      ...(known.length > 1 ? { bootstraps: known } : {}),
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
