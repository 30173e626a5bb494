/**
 * The OpenSubsonic response envelope and its two renderings. Every method answers one data model — plain
 * objects whose scalar fields are XML attributes, whose object and array fields are child elements (an array
 * one element per item), and whose `value` field is an element's text — rendered as XML (the default, namespace
 * `http://subsonic.org/restapi`), JSON (`f=json`) or JSONP (`f=jsonp&callback=NAME`).
 *
 * Failures are HTTP 200 with `status="failed"` and a Subsonic error code ({@linkcode SubsonicError}).
 *
 * @module
 */

import { VERSION } from "../../../daemon/runtime/version.ts";

/** The Subsonic API version served. */
export const API_VERSION = "1.16.1";
/** The XML namespace of every answer. */
export const XML_NAMESPACE = "http://subsonic.org/restapi";

/** A scalar: an XML attribute, a JSON value. */
export type Scalar = string | number | boolean;
/** One element of an answer. */
export interface Item {
  [key: string]: Scalar | Item | Scalar[] | Item[] | undefined | null;
}

/** Subsonic error codes audiod answers. */
export const ErrorCode = {
  GENERIC: 0,
  MISSING_PARAMETER: 10,
  WRONG_CREDENTIALS: 40,
  TOKEN_AUTH_UNSUPPORTED: 41,
  CONFLICTING_AUTH: 43,
  INVALID_API_KEY: 44,
  NOT_AUTHORIZED: 50,
  NOT_FOUND: 70,
} as const;

/** A failure answered as a Subsonic error (HTTP 200, `status="failed"`). */
export class SubsonicError extends Error {
  readonly code: number;
  readonly helpUrl: string | undefined;
  constructor(code: number, message: string, options: { helpUrl?: string } = {}) {
    super(message);
    this.name = "SubsonicError";
    this.code = code;
    this.helpUrl = options.helpUrl;
  }
}

/** A missing required parameter (code 10). */
export function missing(name: string, method: string): SubsonicError {
  return new SubsonicError(
    ErrorCode.MISSING_PARAMETER,
    `Cannot run ${method}: the parameter ${name} is missing`,
  );
}

/** Something asked for does not exist (code 70). */
export function notFound(what: string): SubsonicError {
  return new SubsonicError(ErrorCode.NOT_FOUND, `Cannot find ${what}`);
}

/** How an answer is rendered. */
export type Format = { kind: "xml" } | { kind: "json" } | { kind: "jsonp"; callback: string };

const CALLBACK = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/;

/** The format `f` (and `callback`) ask for; XML by default, also for a format audiod does not know. */
export function formatOf(params: URLSearchParams): Format {
  const f = params.get("f");
  if (f === "json") return { kind: "json" };
  if (f === "jsonp") {
    const callback = params.get("callback") ?? "";
    // A name only: the callback is echoed into JavaScript.
    if (CALLBACK.test(callback) && callback.length <= 128) return { kind: "jsonp", callback };
    return { kind: "json" };
  }
  return { kind: "xml" };
}

/** Headers on every `/rest` answer so browser clients (Feishin's web build) can call from another origin. */
export const CORS_HEADERS: Record<string, string> = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, HEAD, OPTIONS",
  "access-control-allow-headers": "Content-Type, Range, Authorization, Accept",
  "access-control-expose-headers": "Content-Length, Content-Range, Accept-Ranges, Content-Type, Location",
  "access-control-max-age": "86400",
};

function envelope(status: "ok" | "failed"): Item {
  return { status, version: API_VERSION, type: "audiod", serverVersion: VERSION, openSubsonic: true };
}

/** A successful answer: `body`'s fields go inside `subsonic-response`. */
export function ok(body: Item, format: Format): Response {
  return render({ ...envelope("ok"), ...body }, format);
}

/** A failed answer for `error` (HTTP 200). */
export function failed(error: SubsonicError, format: Format): Response {
  const detail: Item = { code: error.code, message: error.message };
  if (error.helpUrl) detail.helpUrl = error.helpUrl;
  return render({ ...envelope("failed"), error: detail }, format);
}

function render(root: Item, format: Format): Response {
  if (format.kind === "xml") {
    return new Response(toXml(root), {
      headers: { "content-type": "text/xml; charset=utf-8", ...CORS_HEADERS },
    });
  }
  const json = JSON.stringify({ "subsonic-response": root });
  if (format.kind === "jsonp") {
    return new Response(`${format.callback}(${json});`, {
      headers: { "content-type": "application/javascript; charset=utf-8", ...CORS_HEADERS },
    });
  }
  return new Response(json, {
    headers: { "content-type": "application/json; charset=utf-8", ...CORS_HEADERS },
  });
}

/** The XML document of an answer whose root is `subsonic-response`. */
export function toXml(root: Item): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  element(out, "subsonic-response", root, ` xmlns="${XML_NAMESPACE}"`);
  return out.join("");
}

function element(out: string[], name: string, item: Item | Scalar, extra = ""): void {
  if (typeof item !== "object") {
    out.push(`<${name}>${escapeXml(String(item))}</${name}>`);
    return;
  }
  let attributes = extra;
  let text = "";
  const children: [string, Item | Scalar][] = [];
  for (const [key, value] of Object.entries(item)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) {
      for (const child of value) children.push([key, child]);
    } else if (typeof value === "object") {
      children.push([key, value]);
    } else if (key === "value") {
      text = escapeXml(String(value));
    } else {
      attributes += ` ${key}="${escapeXml(String(value))}"`;
    }
  }
  if (children.length === 0 && text === "") {
    out.push(`<${name}${attributes}/>`);
    return;
  }
  out.push(`<${name}${attributes}>`, text);
  for (const [key, child] of children) element(out, key, child);
  out.push(`</${name}>`);
}

const XML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
};

/** Escapes text for XML, dropping the control characters XML 1.0 cannot hold. */
export function escapeXml(text: string): string {
  return text
    // deno-lint-ignore no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, "")
    .replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);
}
