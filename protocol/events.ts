/**
 * The bootstrap's push channel, `GET /v1/events` (Server-Sent Events): each event's `event:` field names its
 * type and its `data:` line holds one of these JSON payloads.
 *
 * @module
 */

import {
  arrayOf,
  bool,
  type Check,
  type Infer,
  int,
  lenient,
  nullable,
  obj,
  optional,
  str,
} from "./schema.ts";
import { instanceState, memberRole } from "./member.ts";
import { HEX64 } from "./catalog.ts";

/** `instance`: an instance or node changed state. */
export const instanceEvent = obj({
  state: instanceState,
  id: str({ max: 64 }),
  role: memberRole,
  url: str({ max: 512 }),
  host: str({ max: 255 }),
  node: nullable(str({ max: 64 })),
  /** Why, in words ("joined", "lease expired", "left", "scale down", …). */
  reason: str({ min: 0, max: 1024 }),
  /** Unix ms when the bootstrap made the change. */
  at: int({ min: 0 }),
});
/** `instance`: an instance or node changed state. */
export type InstanceEvent = Infer<typeof instanceEvent>;

/** Track ids an event lists at most (a larger change comes as several events). */
export const IDS_PER_EVENT = 1000;

/** `tracks`: what one file instance's announcement (or its departure) changed. */
export const tracksEvent = obj({
  instance: str({ max: 64 }),
  added: int({ min: 0 }),
  removed: int({ min: 0 }),
  addedIds: arrayOf(str({ pattern: HEX64 }), { max: IDS_PER_EVENT }),
  removedIds: arrayOf(str({ pattern: HEX64 }), { max: IDS_PER_EVENT }),
  /** Distinct tracks in the catalog afterwards. */
  total: int({ min: 0 }),
});
/** `tracks`: what one file instance's announcement (or its departure) changed. */
export type TracksEvent = Infer<typeof tracksEvent>;

/** Token hashes a revocation lists at most (more come as several). */
export const HASHES_PER_REVOCATION = 500;

/** A session a token was traded for (a renewal): its token's SHA-256 in hex and its absolute end (Unix ms). */
export const renewedSession = obj({
  tokenHash: str({ pattern: HEX64, hint: "must be a SHA-256 in hex" }),
  expiresAt: int({ min: 0 }),
});
/** A session a token was traded for. */
export type RenewedSession = Infer<typeof renewedSession>;

/**
 * `revoked` (members only): sessions that ended, as the SHA-256 of their tokens in hex. The same body is pushed
 * to file instances directly (`POST /v1/internal/revoked`, answered 204), which cut the streams of those
 * sessions. `user` names the account they belonged to; `accountEnded` says the account itself is gone (deleted;
 * later disabled), so every stream of it ends, listed or not; `renewedAs` says the one listed token was renewed:
 * it is refused for new requests, but its streams go on as the new session's.
 */
export const revokedEvent = obj({
  tokenHashes: arrayOf(str({ pattern: HEX64, hint: "must be a SHA-256 in hex" }), {
    max: HASHES_PER_REVOCATION,
  }),
  user: optional(str({ max: 256 })),
  accountEnded: optional(bool()),
  renewedAs: optional(renewedSession),
});
/** `revoked` (members only): sessions that ended. */
export type RevokedEvent = Infer<typeof revokedEvent>;

/** What the channel carries. */
export type ClusterEvent =
  | { type: "instance"; data: InstanceEvent }
  | { type: "tracks"; data: TracksEvent }
  | { type: "revoked"; data: RevokedEvent };

/** The payload schema of each event type. */
export const EVENT_DATA: { [K in ClusterEvent["type"]]: Check<Extract<ClusterEvent, { type: K }>["data"]> } =
  {
    instance: instanceEvent,
    tracks: tracksEvent,
    revoked: revokedEvent,
  };

/**
 * The event of `type` with `data` (its parsed JSON) checked, or undefined for a type this version does not know.
 * Like every answer, a payload may carry fields this version does not know (they are dropped); a malformed one
 * throws a SchemaError naming the field (`data.tokenHashes[0]`).
 */
export function eventOf(type: string, data: unknown): ClusterEvent | undefined {
  if (!Object.hasOwn(EVENT_DATA, type)) return undefined;
  const key = type as ClusterEvent["type"];
  return { type: key, data: lenient(EVENT_DATA[key] as Check<unknown>)(data, "data") } as ClusterEvent;
}
