/**
 * The one error type HTTP handlers throw, and the one place that turns errors into responses
 * ({@linkcode errorAnswer}; {@linkcode errorResponse} is it as a `Response`). Both servers use it: `Deno.serve`
 * through the router and `startServer`, audiod's own HTTP/1.1 server for requests it refuses on the wire.
 *
 * @module
 */

import type { ErrorBody } from "../../protocol/error.ts";
import { SchemaError } from "../../protocol/schema.ts";

/** An error with an HTTP status and a stable, machine-readable code. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export type { ErrorBody } from "../../protocol/error.ts";

/** What to answer to an error: the status, the headers besides Content-Type, and the JSON body. */
export interface ErrorAnswer {
  status: number;
  headers: Record<string, string>;
  body: ErrorBody;
}

/** The message of every 500: the details go to the log, never to the client. */
const INTERNAL_MESSAGE = "Internal error: the server logged the details";

/**
 * What to answer to anything a handler threw. HttpErrors keep their status, code, message and headers; a
 * {@linkcode SchemaError} (a value checked outside `readJson`) is a 400 `invalid_request` naming the field;
 * anything else is a 500 with a generic message (never a stack trace or an internal path), and `onInternal`
 * is told.
 */
export function errorAnswer(error: unknown, onInternal: (error: unknown) => void): ErrorAnswer {
  if (error instanceof HttpError) {
    return {
      status: error.status,
      headers: error.headers,
      body: { error: { code: error.code, message: error.message } },
    };
  }
  if (error instanceof SchemaError) {
    return { status: 400, headers: {}, body: { error: { code: "invalid_request", message: error.message } } };
  }
  onInternal(error);
  return { status: 500, headers: {}, body: { error: { code: "internal", message: INTERNAL_MESSAGE } } };
}

/** {@linkcode errorAnswer} as a JSON response. */
export function errorResponse(error: unknown, onInternal: (error: unknown) => void): Response {
  const { status, headers, body } = errorAnswer(error, onInternal);
  return Response.json(body, { status, headers });
}
