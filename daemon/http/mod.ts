/**
 * HTTP plumbing every role shares, on `Deno.serve`: routing, the one error envelope, request bodies, ranges,
 * TLS, bearer tokens and `/metrics`. Callers may import the files themselves; this is the index.
 *
 * @module
 */

/** `startServer`: listens, counts requests by route, prints `audiod <role> listening on URL`. */
export { type RunningServer, startServer, type StartServerOptions } from "./server.ts";
/** `Router`: method + `:param` patterns, 404/405, guards; tells each handler its `ctx.route`. */
export {
  type Handler,
  HOST_HEADER,
  type RouteContext,
  type RouteHandler,
  Router,
  type Routing,
} from "./router.ts";
/** `HttpError` and `errorResponse`/`errorAnswer`, the one place an error becomes a JSON response. */
export { type ErrorAnswer, errorAnswer, type ErrorBody, errorResponse, HttpError } from "./http_error.ts";
/** `readBody` (size-limited) and `readJson` (parsed, checked against a `protocol/` schema). */
export { JSON_LIMIT, readBody, readJson } from "./body.ts";
/** `parseRange`: a single-range `Range` header against a size. */
export { parseRange, type RangeResult } from "./range.ts";
/** `readTls`, `readCa`, `readDaemonTls`, `httpClientFor`: certificates served and trusted. */
export {
  CA_ENV,
  type DaemonTlsOptions,
  httpClientFor,
  readCa,
  readDaemonTls,
  readTls,
  type TlsPem,
} from "./tls.ts";
/** `bearer`: the request's bearer token, or a 401. */
export { bearer } from "./bearer.ts";
/** `Metrics`, `Counter`, `standardMetrics`: counters and gauges in Prometheus' text format. */
export {
  countByRoleState,
  Counter,
  EXPOSITION_TYPE,
  type Labels,
  Metrics,
  standardMetrics,
} from "./metrics.ts";
