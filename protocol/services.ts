/**
 * `GET /v1/services/:role`: the instances of a role that take work now, best (least loaded) first.
 *
 * @module
 */

import { arrayOf, type Infer, obj, oneOf, str } from "./schema.ts";
import { load } from "./member.ts";

/** The roles `GET /v1/services/:role` lists. */
export const serviceRole = oneOf(["auth", "file", "content"] as const);
/** The roles `GET /v1/services/:role` lists. */
export type ServiceRole = Infer<typeof serviceRole>;

/** A candidate instance for a role. */
export const candidate = obj({
  id: str({ max: 64 }),
  url: str({ max: 512 }),
  host: str({ max: 255 }),
  load,
});
/** A candidate instance for a role. */
export type Candidate = Infer<typeof candidate>;

/** `GET /v1/services/:role`: the candidates, best first. */
export const candidates = obj({ role: serviceRole, candidates: arrayOf(candidate) });
/** `GET /v1/services/:role` */
export type Candidates = Infer<typeof candidates>;
