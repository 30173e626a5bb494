/**
 * The client side of audiod's public API: what `audiod tracks/get/status/login` and the TUI call.
 *
 * @module
 */

import { callJson, UnreachableError } from "../daemon/bootstrap_client.ts";
import { HttpError } from "../daemon/http_error.ts";
import type { CatalogTrack, Load, Session, StatusReport } from "./types.ts";

/** A candidate instance for a role, best first. */
export interface Candidate {
  id: string;
  url: string;
  host: string;
  load: Load;
}

/** Talks to one cluster through its bootstrap. */
export class AudiodClient {
  /** Base URL of the bootstrap. */
  readonly host: string;

  constructor(host: string) {
    this.host = host;
  }

  status(): Promise<StatusReport> {
    return callJson<StatusReport>(this.host, "GET", "/v1/status");
  }

  async tracks(query = ""): Promise<CatalogTrack[]> {
    const q = query ? `?q=${encodeURIComponent(query)}` : "";
    return (await callJson<{ tracks: CatalogTrack[] }>(this.host, "GET", `/v1/tracks${q}`)).tracks;
  }

  /** One track by id, id prefix or unique title. */
  track(ref: string): Promise<CatalogTrack> {
    return callJson<CatalogTrack>(this.host, "GET", `/v1/tracks/${encodeURIComponent(ref)}`);
  }

  async candidates(role: "auth" | "file"): Promise<Candidate[]> {
    return (await callJson<{ candidates: Candidate[] }>(this.host, "GET", `/v1/services/${role}`)).candidates;
  }

  register(user: string, password: string): Promise<Session> {
    return this.#signIn("/v1/register", user, password);
  }

  login(user: string, password: string): Promise<Session> {
    return this.#signIn("/v1/login", user, password);
  }

  /** Revokes the token on the server. */
  async logout(token: string): Promise<void> {
    await this.#onAuth((url) => callJson(url, "POST", "/v1/logout", { token }));
  }

  async #signIn(path: string, user: string, password: string): Promise<Session> {
    const answer = await this.#onAuth((url) =>
      callJson<{ user: string; token: string; expiresAt: number }>(url, "POST", path, {
        body: { user, password },
      })
    );
    return { host: this.host, user: answer.user, token: answer.token, expiresAt: answer.expiresAt };
  }

  /** Runs `call` on the least loaded auth instance, trying the next on a connection error or 5xx. */
  async #onAuth<T>(call: (url: string) => Promise<T>): Promise<T> {
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
        if (error instanceof UnreachableError || (error instanceof HttpError && error.status >= 500)) {
          continue;
        }
        throw error;
      }
    }
    throw last;
  }
}
