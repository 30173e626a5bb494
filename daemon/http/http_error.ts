/**
 * The one error type HTTP handlers throw. {@linkcode errorResponse} is the only place that turns errors into
 * responses.
 *
 * @module
 */

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

/** The JSON body of every error response: `{"error": {"code", "message"}}`. */
export interface ErrorBody {
  error: { code: string; message: string };
}

/**
 * Turns anything thrown by a handler into a response. HttpErrors keep their status and message; anything else
 * becomes a 500 with a generic message (never a stack trace or an internal path), and `onInternal` is told.
 */
export function errorResponse(error: unknown, onInternal: (error: unknown) => void): Response {
  if (error instanceof HttpError) {
    const body: ErrorBody = { error: { code: error.code, message: error.message } };
    return Response.json(body, { status: error.status, headers: error.headers });
  }
  onInternal(error);
  const body: ErrorBody = {
    error: { code: "internal", message: "Internal error: the server logged the details" },
  };
  return Response.json(body, { status: 500 });
}
