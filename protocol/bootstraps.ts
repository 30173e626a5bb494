/**
 * `GET /v1/bootstraps` (public): the live bootstraps of the cluster and which one leads, so clients and
 * members can keep the list and move to the next address when one fails.
 *
 * @module
 */

import { arrayOf, bool, type Infer, int, obj, str } from "./schema.ts";

/** One live bootstrap. */
export const bootstrapEntry = obj({
  /** This bootstrap run's id. */
  id: str({ max: 64 }),
  url: str({ max: 512 }),
  /** Whether it holds the leader lease (schedules). */
  leader: bool(),
  /** Unix ms when it started. */
  since: int({ min: 0 }),
});
/** One live bootstrap. */
export type BootstrapEntry = Infer<typeof bootstrapEntry>;

/** `GET /v1/bootstraps`: the live bootstraps, oldest first, and the leader's epoch (0 for a lone bootstrap). */
export const bootstrapList = obj({ bootstraps: arrayOf(bootstrapEntry), epoch: int({ min: 0 }) });
/** `GET /v1/bootstraps` */
export type BootstrapList = Infer<typeof bootstrapList>;
