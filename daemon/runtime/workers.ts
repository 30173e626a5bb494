/**
 * What starting a worker thread needs.
 *
 * @module
 */

import { fileURLToPath } from "node:url";

/**
 * Whether a worker can load the module at `url`: it needs read access to it, and prints an error when it
 * cannot (so callers that can do the work themselves ask first).
 */
export function canLoadWorker(url: URL): boolean {
  if (url.protocol !== "file:") return false;
  return Deno.permissions.querySync({ name: "read", path: fileURLToPath(url) }).state === "granted";
}
