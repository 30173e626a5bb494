/**
 * audiod's wire protocol, one module per resource of the JSON API; every shape is a schema (a check built with
 * `schema.ts`) and the type inferred from it. Servers check request bodies strictly (unknown fields refused);
 * clients check answers with `lenient(…)` (unknown fields dropped, so a newer server may add some).
 *
 * - `catalog.ts`: tracks, replicas, announcements, track pages
 * - `session.ts`: register, login, renew, password change, the session answer
 * - `account.ts`: the bootstrap's account store (internal)
 * - `admin.ts`: the registration policy, invites, the admin's routes
 * - `member.ts`: roles, states, load, registration, heartbeat, orders to content nodes (internal)
 * - `status.ts`: status and health
 * - `services.ts`: candidate lists
 * - `events.ts`: the payloads of the event stream
 * - `manifest.ts`: chunk manifests
 * - `error.ts`: the body of every error response
 * - `playlists.ts`: the signed-in user's playlists (the player's, the same the OpenSubsonic API keeps)
 *
 * This folder imports nothing from the rest of audiod.
 *
 * @module
 */

export * from "./schema.ts";
export * from "./error.ts";
export * from "./member.ts";
export * from "./catalog.ts";
export * from "./session.ts";
export * from "./account.ts";
export * from "./admin.ts";
export * from "./status.ts";
export * from "./services.ts";
export * from "./events.ts";
export * from "./manifest.ts";
export * from "./bootstraps.ts";
export * from "./playlists.ts";
