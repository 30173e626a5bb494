/**
 * DRAFT (issue 19): wire shapes to move into protocol/ (events.ts, session.ts) once the protocol engineer is done.
 *
 * @module
 */

import { arrayOf, bool, type Infer, int, obj, optional, str } from "../../protocol/schema.ts";
import { HASHES_PER_REVOCATION } from "../../protocol/events.ts";

const HEX64 = /^[0-9a-f]{64}$/;
const hash = () => str({ pattern: HEX64, hint: "must be a SHA-256 in hex" });

/** A session a token was traded for (a renewal): its token's hash and its absolute end. */
export const renewedSession = obj({ tokenHash: hash(), expiresAt: int({ min: 0 }) });

/** `revoked`, with what a file instance needs to find the streams. */
export const revokedEvent = obj({
  tokenHashes: arrayOf(hash(), { max: HASHES_PER_REVOCATION }),
  user: optional(str({ max: 256 })),
  accountEnded: optional(bool()),
  renewedAs: optional(renewedSession),
});
export type RevokedEvent = Infer<typeof revokedEvent>;

/** `POST /v1/internal/sessions/touch`. */
export const sessionsTouch = obj({ tokenHashes: arrayOf(hash(), { max: HASHES_PER_REVOCATION }) });
/** Its answer. */
export const sessionsTouched = obj({
  sessions: arrayOf(
    obj({
      tokenHash: hash(),
      expiresAt: int({ min: 0 }),
      renewedAs: optional(renewedSession),
    }),
    { max: HASHES_PER_REVOCATION },
  ),
  idleMs: int({ min: 0 }),
});
export type SessionsTouched = Infer<typeof sessionsTouched>;
