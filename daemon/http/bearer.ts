import { HttpError } from "./http_error.ts";

/** The bearer token of a request, or a 401 that tells the user to sign in. */
export function bearer(req: Request): string {
  const header = req.headers.get("authorization") ?? "";
  const m = /^Bearer\s+([A-Za-z0-9_-]{16,512})$/.exec(header);
  if (!m) throw new HttpError(401, "no_token", "Cannot find a valid token: sign in first (audiod login)");
  return m[1]!;
}
