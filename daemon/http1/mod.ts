/**
 * audiod's own HTTP/1.1 server, for the file instances whose work is sending bytes: file bodies from reused
 * buffers in large writes, and helper threads on the same port. `server.ts` runs connections; the
 * request parser, response writer, buffer pool and helper threads are its `_` files; `thread.ts` is a helper's
 * Worker entry. Callers may import the files themselves; this is the index.
 *
 * @module
 */

/** `serveHttp1`: serves a `Deno.serve`-shaped handler over HTTP/1.1 (HTTPS with `tls`), on one or more threads. */
export { type Http1Options, type Http1Server, serveHttp1 } from "./server.ts";
/** `fileBody`: a response body the server sends from a file, from its own buffers; `StreamMeter` counts it. */
export { fileBody, type StreamMeter } from "./file_body.ts";
/** `trimHeapWhile`: gives freed heap back to the system while streams are being sent. */
export { trimHeapWhile } from "./heap_trim.ts";
