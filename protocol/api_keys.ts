/**
 * API keys for OpenSubsonic clients (`audiod apikey …`): `GET /v1/apikeys` lists the caller's keys,
 * `POST /v1/apikeys` makes one (the key is in that answer only: the store keeps its SHA-256), and
 * `DELETE /v1/apikeys/:id` revokes one (every file instance refuses it, and cuts its streams, at once). All
 * three take the caller's session token (`Authorization: Bearer`).
 *
 * @module
 */

import { arrayOf, type Infer, int, obj, optional, str } from "./schema.ts";

/** An API key as listed: never the key itself. */
export const apiKeyInfo = obj({
  id: str({ max: 64 }),
  name: str({ min: 0, max: 128 }),
  /** Unix ms. */
  createdAt: int({ min: 0 }),
});
/** An API key as listed. */
export type ApiKeyInfo = Infer<typeof apiKeyInfo>;

/** `POST /v1/apikeys` */
export const apiKeyRequest = obj({ name: optional(str({ min: 0, max: 128 })) });
/** `POST /v1/apikeys` */
export type ApiKeyRequest = Infer<typeof apiKeyRequest>;

/** The answer to `POST /v1/apikeys` (201): the key, shown this once. */
export const newApiKey = obj({
  id: str({ max: 64 }),
  name: str({ min: 0, max: 128 }),
  createdAt: int({ min: 0 }),
  key: str({ max: 256 }),
});
/** The answer to `POST /v1/apikeys`. */
export type NewApiKey = Infer<typeof newApiKey>;

/** `GET /v1/apikeys` */
export const apiKeyList = obj({ keys: arrayOf(apiKeyInfo) });
/** `GET /v1/apikeys` */
export type ApiKeyList = Infer<typeof apiKeyList>;
