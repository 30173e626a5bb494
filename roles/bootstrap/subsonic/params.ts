/**
 * A Subsonic request's parameters: the query string, plus a form-encoded body for POST (the `formPost`
 * extension), read as one list; and the checks every method uses (required, integers in a range, booleans).
 *
 * @module
 */

import { readBody } from "../../../daemon/http/body.ts";
import { HttpError } from "../../../daemon/http/http_error.ts";
import { ErrorCode, missing, SubsonicError } from "./response.ts";

/** Largest form body taken (a playlist of thousands of songs fits). */
export const FORM_LIMIT = 1024 * 1024;

/** The query string and, for a form POST, the body's parameters. */
export async function readParams(req: Request, url: URL): Promise<URLSearchParams> {
  const params = new URLSearchParams(url.search);
  if (req.method !== "POST") return params;
  const type = req.headers.get("content-type") ?? "";
  if (!/^application\/x-www-form-urlencoded\b/i.test(type)) return params;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(await readBody(req, FORM_LIMIT));
  } catch (error) {
    if (error instanceof HttpError) throw new SubsonicError(ErrorCode.GENERIC, error.message);
    throw new SubsonicError(ErrorCode.GENERIC, "Cannot read the form: it is not valid UTF-8");
  }
  for (const [key, value] of new URLSearchParams(text)) params.append(key, value);
  return params;
}

/** The parameters of one call, with the method's name for messages. */
export class Params {
  readonly raw: URLSearchParams;
  readonly method: string;

  constructor(raw: URLSearchParams, method: string) {
    this.raw = raw;
    this.method = method;
  }

  get(name: string): string | undefined {
    return this.raw.get(name) ?? undefined;
  }

  all(name: string): string[] {
    return this.raw.getAll(name);
  }

  /** A parameter that must be there (code 10 when not). */
  required(name: string): string {
    const value = this.raw.get(name);
    if (value === null || value === "") throw missing(name, this.method);
    return value;
  }

  /** An integer within `min..max`, `fallback` when absent; code 0 with the reason when malformed. */
  int(name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const text = this.raw.get(name);
    if (text === null || text === "") return fallback;
    if (!/^-?\d{1,16}$/.test(text) || Number(text) < min || Number(text) > max) {
      throw new SubsonicError(
        ErrorCode.GENERIC,
        `Cannot run ${this.method}: ${name}=${text.slice(0, 20)} is not an integer in ${min}..${max}`,
      );
    }
    return Number(text);
  }

  /** A required integer. */
  requiredInt(name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    this.required(name);
    return this.int(name, 0, min, max);
  }

  bool(name: string, fallback: boolean): boolean {
    const text = this.raw.get(name);
    if (text === null || text === "") return fallback;
    return text === "true" || text === "1";
  }
}
