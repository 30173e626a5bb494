/**
 * How daemons find and trust each other: membership with the bootstrap, the join secret, calls to peers, the
 * load each reports, and the bootstrap's event stream. Callers may import the files themselves; this is the
 * index.
 *
 * @module
 */

/** `Membership`: register, heartbeat with the load, re-register when forgotten, leave on shutdown. */
export {
  type HeartbeatExtra,
  type MemberInfo,
  Membership,
  type MembershipOptions,
  type Registration,
  sleep,
} from "./membership.ts";
/** `callJson`: calls a peer's JSON API; error answers become `HttpError`s, network failures `UnreachableError`. */
export {
  callJson,
  type CallOptions,
  describeFetchError,
  parseResponse,
  type PeerAccess,
  peerAccess,
  UnreachableError,
} from "./peer_client.ts";
/** The join secret: created by the bootstrap, demanded on `/v1/internal/*` by `guardInternal`. */
export {
  type BootstrapSecret,
  ensureJoinSecret,
  guardInternal,
  JOIN_SECRET_ENV,
  JOIN_SECRET_FILE,
  JOIN_SECRET_HEADER,
  randomToken,
  requireJoinSecret,
  resolveJoinSecret,
  secretMatches,
} from "./join_secret.ts";
/** `LoadMeter`: requests in flight, streams, bytes and sign-ins per second, for heartbeats and `status`. */
export { LoadMeter, type LoadMeterOptions } from "./load_meter.ts";
/** `subscribeEvents`, `parseEventStream`: follow the bootstrap's `GET /v1/events` (Server-Sent Events). */
export {
  parseEventStream,
  type ServerSentEvent,
  subscribeEvents,
  type SubscribeOptions,
} from "./event_stream.ts";
