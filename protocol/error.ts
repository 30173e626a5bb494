/**
 * The body of every error response on audiod's JSON API: `{"error": {"code": "…", "message": "…"}}`.
 *
 * @module
 */

import { type Infer, obj, str } from "./schema.ts";

/** `{"error": {"code", "message"}}`: `code` is stable and machine-readable, `message` says what to do. */
export const errorBody = obj({
  error: obj({ code: str({ max: 64 }), message: str({ min: 0, max: 4096 }) }),
});

/** The body of every error response. */
export type ErrorBody = Infer<typeof errorBody>;
