/**
 * The plumbing every role shares, one folder per concern. Callers may import the files themselves; this is the
 * table of contents.
 *
 * - `http/`: `Deno.serve` servers, routing, the error envelope, bodies, ranges, TLS, metrics.
 * - `http1/`: audiod's own HTTP/1.1 server, for file instances.
 * - `cluster/`: membership, the join secret, calls to peers, load, the event stream.
 * - `runtime/`: logging, paths, version, self-command, memory tuning, lanes.
 *
 * @module
 */

/** HTTP on `Deno.serve`: `startServer`, `Router`, `HttpError`, `readJson`, `Metrics`, … */
export * from "./http/mod.ts";
/** audiod's own HTTP/1.1 server: `serveHttp1`, `fileBody`, `trimHeapWhile`. */
export * from "./http1/mod.ts";
/** The cluster: `Membership`, `callJson`, `guardInternal`, `LoadMeter`, `subscribeEvents`, … */
export * from "./cluster/mod.ts";
/** The process: `createLogger`, `VERSION`, `defaultDataDir`, `selfCommand`, `Lanes`, … */
export * from "./runtime/mod.ts";
