/**
 * Request bodies: a size-limited reader, and JSON parsed and checked against a `protocol/` schema (a
 * {@linkcode SchemaError} becomes a 400 that names the field).
 *
 * @module
 */

import { type Check, SchemaError } from "../../protocol/schema.ts";
import { HttpError } from "./http_error.ts";

/** Largest JSON body accepted by default. */
export const JSON_LIMIT = 64 * 1024;

/** Reads a request body of at most `limit` bytes (413 past it). */
export async function readBody(req: Request, limit: number): Promise<Uint8Array> {
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) {
    throw new HttpError(413, "too_large", `Cannot accept a body of ${declared} bytes: the limit is ${limit}`);
  }
  if (!req.body) return new Uint8Array();
  const parts: Uint8Array[] = [];
  let total = 0;
  const reader = req.body.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        throw new HttpError(413, "too_large", `Cannot accept a body larger than ${limit} bytes`);
      }
      parts.push(value);
    }
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw new HttpError(400, "bad_request", "Cannot read the request body: the connection broke");
  } finally {
    reader.releaseLock();
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
}

/** Reads, parses and validates a JSON body. */
export async function readJson<T>(req: Request, check: Check<T>, limit = JSON_LIMIT): Promise<T> {
  const bytes = await readBody(req, limit);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new HttpError(400, "malformed_json", "Cannot parse the request body: it is not valid UTF-8 JSON");
  }
  try {
    return check(value, "body");
  } catch (error) {
    if (error instanceof SchemaError) throw new HttpError(400, "invalid_request", error.message);
    throw error;
  }
}
