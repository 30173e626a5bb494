/**
 * Favourites of the signed-in user, the same the OpenSubsonic API's `star`/`unstar`/`getStarred2` keep (the
 * bootstrap's store): `GET /v1/stars` lists the starred tracks, `PUT /v1/stars/:id` stars one and
 * `DELETE /v1/stars/:id` unstars it. All three take the caller's session token (`Authorization: Bearer`); the
 * terminal player uses them, so it and a Subsonic app see the same favourites.
 *
 * @module
 */

import { arrayOf, bool, type Infer, obj } from "./schema.ts";
import { trackId } from "./catalog.ts";

/** `GET /v1/stars`: the ids of the starred tracks, the most recently starred first. */
export const starList = obj({ ids: arrayOf(trackId) });
/** `GET /v1/stars` */
export type StarList = Infer<typeof starList>;

/** The answer to `PUT` and `DELETE /v1/stars/:id`. */
export const starChange = obj({ id: trackId, starred: bool() });
/** The answer to `PUT` and `DELETE /v1/stars/:id`. */
export type StarChange = Infer<typeof starChange>;
