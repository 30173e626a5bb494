/**
 * Validation of JSON request bodies with field-level messages, and a size-limited body reader.
 *
 * @module
 */

import { HttpError } from "./http_error.ts";

/** Validates a value at `path` (e.g. `body.user`) and returns it typed, or throws a 400 naming the field. */
export type Check<T> = (value: unknown, path: string) => T;

/** The type a check returns. */
export type Infer<C> = C extends Check<infer T> ? T : never;

function fail(path: string, message: string): never {
  throw new HttpError(400, "invalid_request", `Cannot accept ${path}: ${message}`);
}

/** A string, by default 1 to 1024 characters. */
export function str(
  options: { min?: number; max?: number; pattern?: RegExp; hint?: string } = {},
): Check<string> {
  const min = options.min ?? 1;
  const max = options.max ?? 1024;
  return (value, path) => {
    if (typeof value !== "string") fail(path, "must be a string");
    if (value.length < min) {
      fail(path, min === 1 ? "must not be empty" : `must be at least ${min} characters`);
    }
    if (value.length > max) fail(path, `must be at most ${max} characters`);
    if (options.pattern && !options.pattern.test(value)) fail(path, options.hint ?? "has the wrong format");
    return value;
  };
}

/** An integer within bounds. */
export function int(options: { min?: number; max?: number } = {}): Check<number> {
  const min = options.min ?? Number.MIN_SAFE_INTEGER;
  const max = options.max ?? Number.MAX_SAFE_INTEGER;
  return (value, path) => {
    if (typeof value !== "number" || !Number.isInteger(value)) fail(path, "must be an integer");
    if (value < min || value > max) fail(path, `must be between ${min} and ${max}`);
    return value;
  };
}

/** A finite number within bounds. */
export function num(options: { min?: number; max?: number } = {}): Check<number> {
  const min = options.min ?? -Number.MAX_VALUE;
  const max = options.max ?? Number.MAX_VALUE;
  return (value, path) => {
    if (typeof value !== "number" || !Number.isFinite(value)) fail(path, "must be a number");
    if (value < min || value > max) fail(path, `must be between ${min} and ${max}`);
    return value;
  };
}

/** A boolean. */
export function bool(): Check<boolean> {
  return (value, path) => {
    if (typeof value !== "boolean") fail(path, "must be true or false");
    return value;
  };
}

/** One of the given strings. */
export function oneOf<const T extends string>(choices: readonly T[]): Check<T> {
  return (value, path) => {
    if (typeof value !== "string" || !(choices as readonly string[]).includes(value)) {
      fail(path, `must be one of ${choices.join(", ")}`);
    }
    return value as T;
  };
}

/** Null or the inner check. */
export function nullable<T>(inner: Check<T>): Check<T | null> {
  return (value, path) => value === null ? null : inner(value, path);
}

/** Missing (undefined) or the inner check. */
export function optional<T>(inner: Check<T>): Check<T | undefined> {
  return (value, path) => value === undefined ? undefined : inner(value, path);
}

/** An array of at most `max` items. */
export function arrayOf<T>(inner: Check<T>, options: { max?: number } = {}): Check<T[]> {
  const max = options.max ?? 10_000;
  return (value, path) => {
    if (!Array.isArray(value)) fail(path, "must be an array");
    if (value.length > max) fail(path, `must have at most ${max} items`);
    return value.map((item, i) => inner(item, `${path}[${i}]`));
  };
}

type Shape = Record<string, Check<unknown>>;
type ObjectOf<S extends Shape> =
  & { [K in keyof S as undefined extends Infer<S[K]> ? never : K]: Infer<S[K]> }
  & { [K in keyof S as undefined extends Infer<S[K]> ? K : never]?: Exclude<Infer<S[K]>, undefined> };

/** An object with exactly these fields (unknown fields are refused, so typos do not pass silently). */
export function obj<S extends Shape>(shape: S): Check<ObjectOf<S>> {
  return (value, path) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      fail(path, "must be a JSON object");
    }
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!Object.hasOwn(shape, key)) fail(`${path}.${key}`, "is not a known field");
    }
    const out: Record<string, unknown> = {};
    for (const [key, check] of Object.entries(shape)) {
      const result = check(record[key], `${path}.${key}`);
      if (result !== undefined) out[key] = result;
    }
    return out as ObjectOf<S>;
  };
}

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
  return check(value, "body");
}
