/**
 * Membership, the bootstrap's internal routes every node and instance calls: register
 * (`POST /v1/internal/members`), renew the lease (`POST /v1/internal/members/:id/heartbeat`), and the orders the
 * bootstrap gives content nodes (`POST /v1/internal/spawn`, `POST /v1/internal/stop`,
 * `GET /v1/internal/instances`).
 *
 * @module
 */

import { arrayOf, type Infer, int, nullable, num, obj, oneOf, optional, str } from "./schema.ts";

/** Role of a node or instance. */
export const role = oneOf(["bootstrap", "content", "auth", "file"] as const);
/** Role of a node or instance. */
export type Role = Infer<typeof role>;

/** Role of a member: anything but the bootstrap itself. */
export const memberRole = oneOf(["content", "auth", "file"] as const);
/** Role of a member: anything but the bootstrap itself. */
export type MemberRole = Infer<typeof memberRole>;

/** Role of an instance a content node runs. */
export const instanceRole = oneOf(["auth", "file"] as const);
/** Role of an instance a content node runs. */
export type InstanceRole = Infer<typeof instanceRole>;

/** State of a node or instance in the registry. */
export const instanceState = oneOf(["up", "draining", "down"] as const);
/** State of a node or instance in the registry. */
export type InstanceState = Infer<typeof instanceState>;

/** Load an instance reports with its heartbeat. */
export const load = obj({
  /** Streams (track byte transfers) in progress. */
  activeStreams: int({ min: 0 }),
  /** HTTP requests in progress. */
  inFlight: int({ min: 0 }),
  /** Bytes served per second, averaged over the last few seconds. */
  bytesPerSecond: num({ min: 0 }),
  /** Requests handled since start. */
  requests: int({ min: 0 }),
  /** Auth instances: sign-ins (password checks) per second, averaged over the last few seconds. */
  loginsPerSecond: optional(num({ min: 0 })),
});
/** Load an instance reports with its heartbeat. */
export type Load = Infer<typeof load>;

const MEMBER_ID = /^[A-Za-z0-9_-]+$/;

/** `POST /v1/internal/members`: what a member tells the bootstrap about itself. */
export const memberInfo = obj({
  /** Chosen by the member and kept for its lifetime, so a re-registration (after a bootstrap restart) keeps it. */
  id: str({ min: 8, max: 64, pattern: MEMBER_ID, hint: "use 8-64 letters, digits, '_' or '-'" }),
  role: memberRole,
  url: str({ max: 512, pattern: /^https?:\/\/[^\s/]+$/, hint: "must be a base URL like http://host:port" }),
  host: str({ max: 255 }),
  pid: int({ min: 0 }),
  /** Content node hosting this instance; null or absent for a node or a standalone instance. */
  node: optional(nullable(str({ min: 8, max: 64, pattern: MEMBER_ID }))),
});
/** `POST /v1/internal/members`: what a member tells the bootstrap about itself. */
export type MemberInfo = Infer<typeof memberInfo>;

/** The answer to a registration (201): the id and the lease timing to keep. */
export const registration = obj({
  id: str({ max: 64 }),
  heartbeatMs: int({ min: 1 }),
  leaseMs: int({ min: 1 }),
  /**
   * File instances: the digest of the library the catalog holds from this id (what its last announcement said),
   * absent when it holds none. An instance whose library has the same digest does not announce it again.
   */
  digest: optional(str({ max: 64 })),
});
/** The answer to a registration (201): the id and the lease timing to keep. */
export type Registration = Infer<typeof registration>;

/** `POST /v1/internal/members/:id/heartbeat` (answered 204): the load, and for file instances the track count. */
export const heartbeat = obj({ load, tracks: optional(int({ min: 0 })) });
/** `POST /v1/internal/members/:id/heartbeat` (answered 204). */
export type Heartbeat = Infer<typeof heartbeat>;

/**
 * The leader's fencing epoch an order carries (several bootstraps on one store): a content node refuses an
 * order older than the newest epoch it has seen (409 `stale_epoch`). Absent from a lone bootstrap's orders.
 */
const epoch = optional(int({ min: 0 }));

/** `POST /v1/internal/spawn` to a content node: start an instance of this role. */
export const spawnOrder = obj({ role: instanceRole, epoch });
/** `POST /v1/internal/spawn` to a content node. */
export type SpawnOrder = Infer<typeof spawnOrder>;

/** The answer to a spawn order (202): the node's local name for the instance starting. */
export const spawnAnswer = obj({ local: str({ max: 64 }), role: instanceRole });
/** The answer to a spawn order (202). */
export type SpawnAnswer = Infer<typeof spawnAnswer>;

/** `POST /v1/internal/stop` to a content node (answered 202): drain and stop this instance (id or local name). */
export const stopOrder = obj({ instance: str({ max: 64 }), epoch });
/** `POST /v1/internal/stop` to a content node. */
export type StopOrder = Infer<typeof stopOrder>;

/** One instance a content node runs. */
export const hostedInstance = obj({
  local: str({ max: 64 }),
  role: instanceRole,
  state: oneOf(["starting", "up", "stopping"] as const),
  url: nullable(str({ max: 512 })),
  id: nullable(str({ max: 64 })),
});
/** One instance a content node runs. */
export type HostedInstance = Infer<typeof hostedInstance>;

/** `GET /v1/internal/instances` of a content node. */
export const hostedInstances = obj({ instances: arrayOf(hostedInstance) });
/** `GET /v1/internal/instances` of a content node. */
export type HostedInstances = Infer<typeof hostedInstances>;
