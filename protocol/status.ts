/**
 * `GET /v1/status` (the bootstrap: every node and instance with its load) and `GET /v1/health` (every role).
 *
 * @module
 */

import { arrayOf, bool, type Infer, int, nullable, obj, optional, str } from "./schema.ts";
import { instanceState, load, role } from "./member.ts";

/** One row of `status`: a node (bootstrap, content) or a role instance (auth, file). */
export const statusEntry = obj({
  id: str({ max: 64 }),
  role,
  url: str({ max: 512 }),
  state: instanceState,
  /** The host's address (shown to admins only). */
  host: optional(str({ max: 255 })),
  /** OS process hosting it (a content node hosts its instances as Workers; shown to admins only). */
  pid: optional(int({ min: 0 })),
  /** Content node id hosting this instance, or null. */
  node: nullable(str({ max: 64 })),
  load,
  /** File instances: how many tracks they serve. */
  tracks: optional(int({ min: 0 })),
  /** Milliseconds since its last heartbeat. */
  lastSeenMs: int(),
  /** Unix ms when it registered. */
  since: int({ min: 0 }),
  /** Bootstraps: whether this one schedules (one leads; with several on one store, the lease's holder). */
  leader: optional(bool()),
});
/** One row of `status`: a node (bootstrap, content) or a role instance (auth, file). */
export type StatusEntry = Infer<typeof statusEntry>;

/**
 * `GET /v1/status`: every node and instance, and how many distinct tracks the catalog holds. It needs a signed-in
 * session (or the join secret); host addresses and process ids are shown to admins (and members) only.
 */
export const statusReport = obj({ nodes: arrayOf(statusEntry), tracks: int({ min: 0 }) });
/** `GET /v1/status` */
export type StatusReport = Infer<typeof statusReport>;

/** `GET /v1/health` of any role; file instances add how many tracks they serve. */
export const health = obj({ ok: bool(), role, tracks: optional(int({ min: 0 })) });
/** `GET /v1/health` of any role. */
export type Health = Infer<typeof health>;
