/**
 * The reading half of {@linkcode serveHttp1}: a connection's bytes, one request head at a time, and the request
 * body as a stream (Content-Length or chunked). Anything malformed is a {@linkcode WireError} with the status
 * to answer before the connection closes.
 *
 * @module
 */

/** The error codes of the statuses a WireError has. */
const WIRE_CODES: Record<number, string> = {
  400: "bad_request",
  417: "expectation_failed",
  431: "headers_too_large",
};

/** A request the server cannot take: answered with `status` and the connection closed. */
export class WireError extends Error {
  readonly status: number;
  /** The error code of the answer (`bad_request`, `expectation_failed`, `headers_too_large`). */
  readonly code: string;
  constructor(status: number, message: string) {
    super(message);
    this.name = "WireError";
    this.status = status;
    this.code = WIRE_CODES[status] ?? "bad_request";
  }
}

/** The longest request head (request line and headers) taken. */
const MAX_HEAD = 16 * 1024;
/** The reading buffer's first size; it grows (to MAX_HEAD) for a longer head. */
const FIRST_BUFFER = 4 * 1024;
/** The longest chunk-size line of a chunked body. */
const MAX_CHUNK_LINE = 256;

/** A parsed request head. */
export interface RequestHead {
  method: string;
  target: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minor: 0 | 1;
  headers: [string, string][];
  /** How the body is framed. */
  body: { kind: "none" } | { kind: "length"; length: number } | { kind: "chunked" };
  /** The connection closes after this request (Connection: close, or HTTP/1.0). */
  close: boolean;
  /** The client waits for "100 Continue" before sending its body. */
  expectContinue: boolean;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Field values: visible characters, spaces and tabs (obs-text allowed), nothing that ends a line. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) (\/[\x21-\x7e]*) HTTP\/1\.([01])$/;

/** Reads a connection's bytes through one buffer. */
export class ConnReader {
  #conn: Deno.Conn;
  // Most heads fit the first size: a thousand idle or streaming connections hold 4 MiB, not 16.
  #buf = new Uint8Array(FIRST_BUFFER);
  #start = 0;
  #end = 0;

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** Reads more bytes into the buffer; false at the end of the stream. */
  async #fill(): Promise<boolean> {
    if (this.#start > 0) {
      this.#buf.copyWithin(0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
    }
    if (this.#end === this.#buf.length && this.#buf.length < MAX_HEAD) {
      const grown = new Uint8Array(Math.min(MAX_HEAD, this.#buf.length * 4));
      grown.set(this.#buf.subarray(0, this.#end));
      this.#buf = grown;
    }
    // A full buffer holds an over-long line or head: callers check for that first; never read nothing.
    if (this.#end === this.#buf.length) {
      throw new WireError(400, "Cannot read the request: a line is too long");
    }
    const n = await this.#conn.read(this.#buf.subarray(this.#end));
    if (n === null) return false;
    this.#end += n;
    return true;
  }

  /**
   * The next request head, or null when the client closed (or sent only blank lines) before starting one.
   * `onFirstByte` is called once a request has begun to arrive.
   */
  async readHead(onFirstByte: () => void): Promise<RequestHead | null> {
    let begun = false;
    for (;;) {
      // Blank lines before a request are ignored (RFC 9112 §2.2).
      while (this.#start < this.#end && (this.#buf[this.#start] === 13 || this.#buf[this.#start] === 10)) {
        this.#start++;
      }
      if (this.#start < this.#end) {
        if (!begun) {
          begun = true;
          onFirstByte();
        }
        const at = indexOfHeadEnd(this.#buf, this.#start, this.#end);
        if (at >= 0) {
          const text = latin1(this.#buf, this.#start, at);
          this.#start = at + 4;
          return parseHead(text);
        }
        if (this.#end - this.#start >= MAX_HEAD) {
          throw new WireError(431, `Cannot read a request head longer than ${MAX_HEAD} bytes`);
        }
      }
      if (!(await this.#fill())) {
        if (begun) throw new WireError(400, "Cannot read the request: the connection closed in its head");
        return null;
      }
    }
  }

  /** Up to `max` bytes (copied out), or null at the end of the stream. */
  async read(max: number): Promise<Uint8Array | null> {
    if (this.#start === this.#end && !(await this.#fill())) return null;
    const n = Math.min(max, this.#end - this.#start);
    const out = this.#buf.slice(this.#start, this.#start + n);
    this.#start += n;
    return out;
  }

  /** One CRLF-terminated line, at most `max` bytes with its CRLF, returned without it. */
  async readLine(max: number): Promise<string> {
    for (;;) {
      for (let i = this.#start; i < this.#end - 1; i++) {
        if (this.#buf[i] === 13 && this.#buf[i + 1] === 10) {
          const line = latin1(this.#buf, this.#start, i);
          this.#start = i + 2;
          return line;
        }
      }
      if (this.#end - this.#start >= max) {
        throw new WireError(400, "Cannot read the chunked body: a line is too long");
      }
      if (!(await this.#fill())) {
        throw new WireError(400, "Cannot read the body: the connection closed in it");
      }
    }
  }
}

/** What the server hears from a request body while it is read. */
export interface BodyHooks {
  /** Before the first read (to send "100 Continue"). */
  start(): Promise<void>;
  /** A read begins (true) or ends (false): the server times out clients that stall inside one. */
  reading(active: boolean): void;
}

/** A request's body: the stream for the handler, and what is left of it afterwards. */
export interface RequestBody {
  stream: ReadableStream<Uint8Array> | null;
  /** "done" once all of it was read; "untouched" when nothing was; "partial" otherwise. */
  state(): "done" | "untouched" | "partial";
  /**
   * Reads and discards an untouched body of at most `limit` bytes: true once the next request can be read (also
   * when the body was read already), false when it is longer, partly read, or fails.
   */
  discard(limit: number): Promise<boolean>;
}

/** The body of a request as a stream over `reader`. */
export function bodyStream(reader: ConnReader, framing: RequestHead["body"], hooks: BodyHooks): RequestBody {
  if (framing.kind === "none" || (framing.kind === "length" && framing.length === 0)) {
    return { stream: null, state: () => "done", discard: () => Promise.resolve(true) };
  }
  let done = false;
  let started = false;
  let remaining = framing.kind === "length" ? framing.length : 0;
  let trailers = false;
  /** Up to 64 KiB of the `remaining` bytes of the body (or of the current chunk). */
  const take = async (): Promise<Uint8Array> => {
    const chunk = await reader.read(Math.min(remaining, 64 * 1024));
    if (chunk === null) throw new WireError(400, "Cannot read the body: the connection closed in it");
    remaining -= chunk.length;
    return chunk;
  };
  const next = async (): Promise<Uint8Array | null> => {
    if (!started) {
      started = true;
      await hooks.start();
    }
    if (framing.kind === "length") return remaining === 0 ? null : await take();
    if (trailers) return null;
    if (remaining === 0) {
      const line = await reader.readLine(MAX_CHUNK_LINE);
      const size = /^([0-9A-Fa-f]{1,8})[ \t]*(?:;.*)?$/.exec(line);
      if (!size) throw new WireError(400, "Cannot read the chunked body: bad chunk size");
      remaining = parseInt(size[1]!, 16);
      if (remaining === 0) {
        // Trailer fields, ignored, up to the blank line.
        for (let lines = 0; (await reader.readLine(MAX_HEAD)) !== ""; lines++) {
          if (lines > 100) throw new WireError(400, "Cannot read the chunked body: too many trailers");
        }
        trailers = true;
        return null;
      }
    }
    const chunk = await take();
    if (remaining === 0 && (await reader.readLine(2)) !== "") {
      throw new WireError(400, "Cannot read the chunked body: a chunk does not end with CRLF");
    }
    return chunk;
  };
  const read = async (): Promise<Uint8Array | null> => {
    hooks.reading(true);
    try {
      const chunk = await next();
      if (chunk === null) done = true;
      return chunk;
    } finally {
      hooks.reading(false);
    }
  };
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const chunk = await read();
        if (chunk === null) controller.close();
        else controller.enqueue(chunk);
      } catch (error) {
        controller.error(error);
      }
    },
  }, { highWaterMark: 0 });
  return {
    stream,
    state: () => done ? "done" : started ? "partial" : "untouched",
    async discard(limit) {
      if (done) return true;
      if (started || framing.kind !== "length" || framing.length > limit) return false;
      try {
        while ((await read()) !== null) { /* discarded */ }
        return true;
      } catch {
        return false;
      }
    },
  };
}

function indexOfHeadEnd(buf: Uint8Array, from: number, to: number): number {
  for (let i = buf.indexOf(13, from); i >= 0 && i + 3 < to; i = buf.indexOf(13, i + 1)) {
    if (buf[i + 1] === 10 && buf[i + 2] === 13 && buf[i + 3] === 10) return i;
  }
  return -1;
}

/** Bytes as a string of the same code units (headers are byte strings). */
function latin1(buf: Uint8Array, from: number, to: number): string {
  let text = "";
  for (let i = from; i < to; i += 4096) {
    text += String.fromCharCode(...buf.subarray(i, Math.min(to, i + 4096)));
  }
  return text;
}

/** Parses a request head (without its final blank line). */
function parseHead(text: string): RequestHead {
  const lines = text.split("\r\n");
  const line = REQUEST_LINE.exec(lines[0]!);
  if (!line) throw new WireError(400, "Cannot parse the request line: expected METHOD /path HTTP/1.1");
  const headers: [string, string][] = [];
  let lengths: string[] = [];
  let transfer: string | null = null;
  let connection = "";
  let expect: string | null = null;
  for (const field of lines.slice(1)) {
    const colon = field.indexOf(":");
    const name = colon > 0 ? field.slice(0, colon) : "";
    const value = field.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
    if (!TOKEN.test(name) || !FIELD_VALUE.test(value)) {
      throw new WireError(400, "Cannot parse a request header: expected NAME: VALUE on one line");
    }
    headers.push([name, value]);
    switch (name.toLowerCase()) {
      case "content-length":
        lengths = lengths.concat(value.split(",").map((v) => v.trim()));
        break;
      case "transfer-encoding":
        transfer = transfer === null ? value : `${transfer}, ${value}`;
        break;
      case "connection":
        connection += `,${value.toLowerCase()}`;
        break;
      case "expect":
        expect = value.toLowerCase();
        break;
    }
  }
  if (headers.length > 100) throw new WireError(431, "Cannot take more than 100 request headers");
  const minor = line[3] === "1" ? 1 : 0;
  let body: RequestHead["body"] = { kind: "none" };
  if (transfer !== null) {
    if (lengths.length > 0) {
      throw new WireError(400, "Cannot take both Transfer-Encoding and Content-Length");
    }
    if (transfer.trim().toLowerCase() !== "chunked" || minor === 0) {
      // RFC 9112 §6.3: without chunked as the final coding the body's length cannot be known.
      throw new WireError(400, "Cannot decode that Transfer-Encoding: only chunked is supported");
    }
    body = { kind: "chunked" };
  } else if (lengths.length > 0) {
    if (!lengths.every((l) => /^\d{1,15}$/.test(l) && l === lengths[0])) {
      throw new WireError(400, "Cannot parse Content-Length: expected one whole number");
    }
    body = { kind: "length", length: Number(lengths[0]) };
  }
  if (expect !== null && expect !== "100-continue") {
    throw new WireError(417, "Cannot meet that Expect header: only 100-continue is supported");
  }
  const tokens = connection.split(",").map((t) => t.trim());
  return {
    method: line[1]!,
    target: line[2]!,
    minor,
    headers,
    body,
    // HTTP/1.0 clients get one response per connection.
    close: minor === 0 || tokens.includes("close"),
    expectContinue: expect === "100-continue" && minor === 1 && body.kind !== "none",
  };
}
