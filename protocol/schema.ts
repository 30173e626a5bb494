/**
 * The schema helper every wire shape is written with: a schema is a check that takes an unknown JSON value and
 * returns it typed, or throws a {@linkcode SchemaError} naming the field (`body.user: must be a string`). Servers
 * check request bodies with it (a 400), clients check answers with it (a clear error, never a crash deep inside).
 * This folder imports nothing else of audiod's.
 *
 * @module
 */

/** A value did not fit its schema: `path` names the field (e.g. `body.replicas[2].url`). */
export class SchemaError extends Error {
  readonly path: string;
  readonly reason: string;

  constructor(path: string, reason: string) {
    super(`Cannot accept ${path}: ${reason}`);
    this.name = "SchemaError";
    this.path = path;
    this.reason = reason;
  }
}

/** Validates a value at `path` (e.g. `body.user`) and returns it typed, or throws a SchemaError naming the field. */
export type Check<T> = (value: unknown, path: string) => T;

/** The type a check returns. */
export type Infer<C> = C extends Check<infer T> ? T : never;

function fail(path: string, message: string): never {
  throw new SchemaError(path, message);
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

/**
 * An object with exactly these fields (unknown fields are refused, so typos do not pass silently; inside a
 * {@linkcode lenient} check they are dropped instead).
 */
export function obj<S extends Shape>(shape: S): Check<ObjectOf<S>> {
  return (value, path) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      fail(path, "must be a JSON object");
    }
    const record = value as Record<string, unknown>;
    if (!tolerant) {
      for (const key of Object.keys(record)) {
        if (!Object.hasOwn(shape, key)) fail(`${path}.${key}`, "is not a known field");
      }
    }
    const out: Record<string, unknown> = {};
    for (const [key, check] of Object.entries(shape)) {
      const result = check(record[key], `${path}.${key}`);
      if (result !== undefined) out[key] = result;
    }
    return out as ObjectOf<S>;
  };
}

/** True while a {@linkcode lenient} check runs (checks are synchronous, so one flag is enough). */
let tolerant = false;

/**
 * The same check for an answer: the objects in it, at any depth, drop the fields they do not know instead of
 * refusing them, so a newer server may add fields without breaking older clients and peers. Requests stay
 * strict: a field the server does not know is a mistake of the caller's.
 */
export function lenient<T>(check: Check<T>): Check<T> {
  return (value, path) => {
    const outer = tolerant;
    tolerant = true;
    try {
      return check(value, path);
    } finally {
      tolerant = outer;
    }
  };
}
