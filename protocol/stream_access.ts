/**
 * What the OpenSubsonic API (on the bootstrap) hands to the rest of the cluster:
 *
 * - the password check an auth instance does for it (`POST /v1/internal/password-check`, the join secret
 *   demanded): the bootstrap never hashes a password itself;
 * - stream accesses: a `stream` or `download` is answered with a redirect to a file instance holding a replica,
 *   carrying `?access=…`, a short-lived grant that opens that one track and nothing else. It is signed with an
 *   HMAC whose key every member derives from the join secret, so no call is needed to mint or to check one; it
 *   names the credential it was minted for (`grant`: the SHA-256 a revocation lists, so revoking an API key
 *   refuses and cuts its streams at every file instance like a session's).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";
import { type Infer, obj, str } from "./schema.ts";
import { storeUser } from "./account.ts";

/** `POST /v1/internal/password-check` on an auth instance: 200 {@linkcode passwordChecked}, 401 or 429. */
export const passwordCheck = obj({
  user: storeUser,
  password: str({ min: 0, max: 1024 }),
  /** The address the Subsonic client called from (for the per-address limit). */
  address: str({ min: 0, max: 64 }),
});
/** `POST /v1/internal/password-check` */
export type PasswordCheck = Infer<typeof passwordCheck>;

/** The answer to a good password: the account's name as stored. */
export const passwordChecked = obj({ user: str({ max: 256 }) });
/** The answer to a good password. */
export type PasswordChecked = Infer<typeof passwordChecked>;

/** The query parameter a file instance reads a stream access from. */
export const ACCESS_PARAM = "access";

/** What a stream access grants. */
export interface StreamAccess {
  /** The one track it opens (its id). */
  track: string;
  /** SHA-256 (hex) naming the credential it came from: a revocation of this hash ends the access. */
  grant: string;
  /** The account. */
  user: string;
  /** Unix ms after which it opens nothing more (streams already flowing go on while the grant is valid). */
  expiresAt: number;
}

const HEX64 = /^[0-9a-f]{64}$/;

function accessKey(joinSecret: string): Buffer {
  return createHmac("sha256", joinSecret).update("audiod stream access v1").digest();
}

function sign(key: Buffer, payload: string): string {
  return createHmac("sha256", key).update(payload).digest("base64url");
}

/** Signs a stream access with the key derived from the cluster's join secret. */
export function signStreamAccess(access: StreamAccess, joinSecret: string): string {
  const payload = Buffer.from(JSON.stringify([access.track, access.grant, access.user, access.expiresAt]))
    .toString("base64url");
  return `${payload}.${sign(accessKey(joinSecret), payload)}`;
}

/**
 * The access `text` grants, when its signature holds and it has not expired at `now`; null otherwise (what is
 * wrong with it is nobody's business but the signer's).
 */
export function verifyStreamAccess(text: string, joinSecret: string, now = Date.now()): StreamAccess | null {
  if (text.length > 2048) return null;
  const dot = text.indexOf(".");
  if (dot < 1) return null;
  const payload = text.slice(0, dot);
  const given = Buffer.from(text.slice(dot + 1), "base64url");
  const expected = Buffer.from(sign(accessKey(joinSecret), payload), "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let fields: unknown;
  try {
    fields = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    return null;
  }
  if (!Array.isArray(fields) || fields.length !== 4) return null;
  const [track, grant, user, expiresAt] = fields;
  if (typeof track !== "string" || !HEX64.test(track)) return null;
  if (typeof grant !== "string" || !HEX64.test(grant)) return null;
  if (typeof user !== "string" || typeof expiresAt !== "number" || now >= expiresAt) return null;
  return { track, grant, user, expiresAt };
}
