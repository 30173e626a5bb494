/**
 * The last resort of a daemon: a promise rejection nobody handled is logged (`internal.unhandled_rejection`,
 * level error, or warn for a lost connection, with the statement a database error belongs to when the driver named one) and the daemon
 * keeps running. Deno's default is to end the process, which for a server means every stream, session and
 * lease it holds ends with it for one missed `.catch` — here a connection error that the PostgreSQL driver
 * raises on its own once while the database restarts.
 *
 * @module
 */

import { createLogger, type LogFormat } from "./log.ts";

let installed = false;

/** Error codes of a connection that failed or ended (the OS's, postgres.js's). */
const CONNECTION_CODES = /^(E[A-Z]+|CONNECTION_[A-Z]+|CONNECT_TIMEOUT)$/;

/** Installs the handler once per process (later calls do nothing). */
export function keepRunningOnUnhandled(role: string, format: LogFormat = "text"): void {
  if (installed) return;
  installed = true;
  const logger = createLogger({ role, format });
  globalThis.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    const reason = event.reason;
    const query = reason instanceof Error ? (reason as { query?: unknown }).query : undefined;
    const code = reason instanceof Error ? (reason as { code?: unknown }).code : undefined;
    // A lost connection is an outage the code around it already reports; anything else is a bug of ours.
    const level = typeof code === "string" && CONNECTION_CODES.test(code) ? "warn" : "error";
    logger[level]("internal.unhandled_rejection", {
      error: reason instanceof Error ? reason : String(reason),
      ...(typeof code === "string" ? { code } : {}),
      ...(typeof query === "string" ? { query: query.replace(/\s+/g, " ").slice(0, 200) } : {}),
      stack: reason instanceof Error ? reason.stack?.split("\n").slice(0, 6).join(" | ") : undefined,
    });
  });
}
