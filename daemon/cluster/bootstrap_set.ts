/**
 * The bootstraps a member knows: the addresses it was given (`--bootstrap a,b,c`) and those the cluster lists
 * (`GET /v1/bootstraps`), with the one it talks to now. {@linkcode callBootstrap} calls the current one and,
 * when it cannot be reached or answers 502–504, moves on to the next, so a member whose bootstrap died carries
 * on with another (its registration is in the shared store: it does not register again).
 *
 * One set per address list and process (a Worker has its own): every part of a member that calls the bootstrap
 * (membership, events, announcements, token checks, the account calls) moves together.
 *
 * @module
 */

import { HttpError } from "../http/http_error.ts";
import type { Check } from "../../protocol/schema.ts";
import { bootstrapList } from "../../protocol/bootstraps.ts";
import { callJson, type CallOptions, type PeerAccess, UnreachableError } from "./peer_client.ts";

/** Splits a comma-separated list of bootstrap URLs. */
export function splitBootstraps(spec: string): string[] {
  return spec.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

/** The first bootstrap of a list (the one to reach first). */
export function firstBootstrap(spec: string): string {
  return splitBootstraps(spec)[0] ?? spec;
}

/** Known bootstraps and the current one. */
export class BootstrapSet {
  #given: string[];
  #urls: string[];
  #current = 0;

  constructor(spec: string) {
    this.#given = splitBootstraps(spec);
    if (this.#given.length === 0) this.#given = [spec];
    this.#urls = [...this.#given];
  }

  /** The bootstrap to call now. */
  get current(): string {
    return this.#urls[this.#current % this.#urls.length]!;
  }

  /** Every known address, the current one first. */
  get order(): string[] {
    const n = this.#urls.length;
    return Array.from({ length: n }, (_, i) => this.#urls[(this.#current + i) % n]!);
  }

  /** `url` failed: the next call goes to the one after it (unless another call moved on already). */
  failed(url: string): void {
    if (this.current === url) this.#current = (this.#current + 1) % this.#urls.length;
  }

  /** `url` answered: stay with it. */
  succeeded(url: string): void {
    const i = this.#urls.indexOf(url);
    if (i >= 0) this.#current = i;
  }

  /** Takes the cluster's list of live bootstraps; the given addresses stay known (one may come back). */
  learn(urls: readonly string[]): void {
    const current = this.current;
    // A bootstrap listening on every address reports a URL no one else can use.
    const usable = urls.filter((u) => !/^https?:\/\/(0\.0\.0\.0|\[::\])(:|$)/.test(u));
    this.#urls = [...new Set([...usable, ...this.#given])];
    const i = this.#urls.indexOf(current);
    this.#current = i >= 0 ? i : 0;
  }
}

const sets = new Map<string, BootstrapSet>();

/** The process's set for the address list `spec`. */
export function bootstrapSet(spec: string): BootstrapSet {
  let set = sets.get(spec);
  if (!set) sets.set(spec, set = new BootstrapSet(spec));
  return set;
}

/** Whether another bootstrap may be tried after `error`. */
function movesOn(error: unknown): boolean {
  if (error instanceof UnreachableError) return true;
  return error instanceof HttpError && error.status >= 502 && error.status <= 504;
}

/**
 * Calls `method path` on the current bootstrap of `spec`, trying each other known one in turn when it cannot
 * be reached (or answers 502–504); the last error when none answers. Same options as `callJson`.
 */
export function callBootstrap<T>(
  spec: string,
  method: string,
  path: string,
  options: CallOptions & { answer: Check<T> },
): Promise<T>;
export function callBootstrap(
  spec: string,
  method: string,
  path: string,
  options?: CallOptions,
): Promise<void>;
export async function callBootstrap<T>(
  spec: string,
  method: string,
  path: string,
  options: CallOptions & { answer?: Check<T> } = {},
): Promise<T | void> {
  const set = bootstrapSet(spec);
  let last: unknown;
  for (const url of set.order) {
    try {
      const answer = options.answer
        ? await callJson(url, method, path, { ...options, answer: options.answer })
        : await callJson(url, method, path, options);
      set.succeeded(url);
      return answer;
    } catch (error) {
      if (options.signal?.aborted || !movesOn(error)) throw error;
      last = error;
      set.failed(url);
    }
  }
  throw last;
}

/** Asks the cluster for its live bootstraps and learns them (best effort: the known list stays otherwise). */
export async function refreshBootstraps(spec: string, peer: PeerAccess): Promise<void> {
  try {
    const list = await callBootstrap(spec, "GET", "/v1/bootstraps", {
      ...peer,
      answer: bootstrapList,
      timeoutMs: 2000,
    });
    if (list.bootstraps.length > 0) bootstrapSet(spec).learn(list.bootstraps.map((b) => b.url));
  } catch { /* an older bootstrap, or none reachable now */ }
}
