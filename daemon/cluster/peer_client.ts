/**
 * Calls a daemon's JSON API (the bootstrap's internal routes, an auth or file instance). Checks the answer
 * against its `protocol/` schema (leniently: fields this version does not know are dropped), turns error
 * responses into {@linkcode HttpError}s with the server's message, a malformed answer into a
 * {@linkcode BadAnswerError} naming the route and the field, and network failures into a clear
 * {@linkcode UnreachableError}.
 *
 * @module
 */

import { HttpError } from "../http/http_error.ts";
import { type Check, lenient, SchemaError } from "../../protocol/schema.ts";
import { errorBody } from "../../protocol/error.ts";
import { JOIN_SECRET_HEADER } from "./join_secret.ts";
import { httpClientFor } from "../http/tls.ts";

/** The address could not be reached at all. */
export class UnreachableError extends Error {
  readonly url: string;
  /** No connection was made (refused, unknown host), so the request surely had no effect there. */
  readonly notSent: boolean;
  constructor(url: string, why: string, options: { notSent?: boolean } = {}) {
    super(`Cannot reach ${url}: ${why}`);
    this.name = "UnreachableError";
    this.url = url;
    this.notSent = options.notSent ?? false;
  }
}

/**
 * A peer answered with a body that does not fit the route's schema (a 502 to whoever asked us). The message
 * names the call and the field: `Cannot read the answer of GET http://…/v1/tracks: body.tracks[3].size must be
 * an integer`.
 */
export class BadAnswerError extends HttpError {
  /** `METHOD URL` of the call. */
  readonly call: string;
  /** The field that did not fit, e.g. `body.tracks[3].size`. */
  readonly path: string;
  constructor(call: string, why: { path: string; reason: string }) {
    super(502, "bad_answer", `Cannot read the answer of ${call}: ${why.path} ${why.reason}`);
    this.name = "BadAnswerError";
    this.call = call;
    this.path = why.path;
  }
}

/**
 * How a daemon reaches its peers: the cluster's join secret for their internal routes, and an HTTP client
 * trusting the cluster's CA for https peers.
 */
export interface PeerAccess {
  joinSecret?: string;
  httpClient?: Deno.HttpClient;
}

/** How a node or instance reaches its peers: the join secret, and a client trusting the cluster's CA. */
export function peerAccess(options: { joinSecret: string; caCerts?: string[] | undefined }): PeerAccess {
  const httpClient = httpClientFor(options.caCerts);
  return { joinSecret: options.joinSecret, ...(httpClient ? { httpClient } : {}) };
}

/** Options for one call. */
export interface CallOptions extends PeerAccess {
  body?: unknown;
  token?: string;
  signal?: AbortSignal;
  /** Give up after this many milliseconds (default 10 s). */
  timeoutMs?: number;
  headers?: Record<string, string>;
}

/**
 * Calls `method path` on `baseUrl` and returns the answer checked by `answer` (a `protocol/` schema; unknown
 * fields are dropped). Without `answer` the body must only be JSON (or empty): for routes that answer 204,
 * or whose answer the caller does not use.
 */
export function callJson<T>(
  baseUrl: string,
  method: string,
  path: string,
  options: CallOptions & { answer: Check<T> },
): Promise<T>;
export function callJson(baseUrl: string, method: string, path: string, options?: CallOptions): Promise<void>;
export async function callJson<T>(
  baseUrl: string,
  method: string,
  path: string,
  options: CallOptions & { answer?: Check<T> } = {},
): Promise<T | void> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers["content-type"] = "application/json";
  if (options.token) headers["authorization"] = `Bearer ${options.token}`;
  if (options.joinSecret) headers[JOIN_SECRET_HEADER] = options.joinSecret;
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 10_000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let res: Response;
  try {
    res = await fetch(baseUrl + path, {
      method,
      headers,
      signal,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      ...(options.httpClient ? { client: options.httpClient } : {}),
    });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    const why = describeFetchError(error, timeout.aborted);
    throw new UnreachableError(baseUrl, why, { notSent: /^(connection refused|unknown host)/.test(why) });
  }
  const call = `${method} ${baseUrl}${path}`;
  if (!options.answer) {
    await parseResponse(res, call);
    return;
  }
  return await parseResponse(res, call, options.answer);
}

/**
 * Parses a JSON response and checks it with `answer` (leniently), throwing an HttpError with the server's
 * message for non-2xx statuses and a {@linkcode BadAnswerError} for a body that does not fit. `call` names the
 * request in errors (`GET http://host/v1/tracks`). Without `answer`, the body must only be JSON or empty.
 */
export async function parseResponse<T>(
  res: Response,
  call: string,
  answer?: Check<T>,
): Promise<T | undefined> {
  const text = await res.text();
  if (!res.ok) {
    let code = "http_" + res.status;
    let message = `the server answered ${res.status} ${res.statusText}`.trim();
    try {
      const body = lenient(errorBody)(JSON.parse(text), "body");
      message = body.error.message;
      code = body.error.code;
    } catch { /* not our JSON: keep the status line */ }
    const headers: Record<string, string> = {};
    const retryAfter = res.headers.get("retry-after");
    if (retryAfter) headers["retry-after"] = retryAfter;
    throw new HttpError(res.status, code, message, headers);
  }
  let value: unknown;
  if (res.status !== 204 && text !== "") {
    try {
      value = JSON.parse(text);
    } catch {
      throw new HttpError(502, "bad_gateway", `Cannot parse the answer of ${call}: it is not JSON`);
    }
  }
  if (!answer) return undefined;
  try {
    return lenient(answer)(value, "body");
  } catch (error) {
    if (error instanceof SchemaError) throw new BadAnswerError(call, error);
    throw error;
  }
}

/** Explains why a fetch failed, in words. */
export function describeFetchError(error: unknown, timedOut: boolean): string {
  if (timedOut) return "no answer in time";
  let message = error instanceof Error ? error.message : String(error);
  // fetch says "fetch failed" and keeps the reason in its cause.
  for (let e = error, depth = 0; e instanceof Error && e.cause !== undefined && depth < 4; depth++) {
    e = e.cause;
    message += ` ${e instanceof Error ? e.message : String(e)}`;
  }
  if (/NotValidForName/i.test(message)) {
    return "its TLS certificate is not made out to that name (use the host name or address it names)";
  }
  if (/Expired/i.test(message) && /certificate/i.test(message)) return "its TLS certificate expired";
  if (/UnknownIssuer|invalid peer certificate/i.test(message)) {
    return "its TLS certificate is not trusted here (pass --ca FILE with the CA that signed it, or AUDIOD_CA)";
  }
  if (/invalid HTTP version|InvalidContentType|corrupt message/i.test(message)) {
    return "it does not speak that protocol (https to an http port, or http to an https one?)";
  }
  if (/refused/i.test(message)) return "connection refused (is audiod running there?)";
  if (/dns|lookup|resolve|not known/i.test(message)) return "unknown host";
  if (/reset|closed|broken/i.test(message)) return "the connection broke";
  return message.replace(/\s+/g, " ").slice(0, 200);
}
