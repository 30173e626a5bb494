/**
 * A small router for `Deno.serve`: method + path patterns with `:params`, 404 for unknown paths, 405 (with
 * `Allow`) for known paths with the wrong method, and one place where errors become responses.
 *
 * @module
 */

import { errorResponse, HttpError } from "./http_error.ts";

/** What a route handler gets besides the request. */
export interface RouteContext {
  params: Record<string, string>;
  url: URL;
  /** The caller's address, when known. */
  remoteAddr: string;
  /** The pattern of the route that matched, e.g. `/v1/tracks/:id`. */
  route: string;
}

/** Handles one matched route. */
export type RouteHandler = (req: Request, ctx: RouteContext) => Response | Promise<Response>;

/**
 * What routing learnt about one request, written into an object the caller of {@linkcode Handler} passes in
 * (the server, to label its request metrics), so that no table of requests outlives them.
 */
export interface Routing {
  /**
   * The pattern (e.g. `/v1/tracks/:id`) of the route the request matched — by path, whatever its method — or
   * null when none did: a bounded metrics label, unlike the path itself.
   */
  route: string | null;
}

/**
 * A request handler as `Deno.serve` takes it. A wrapper passes `routing` on to the handler it wraps; a router
 * fills it in.
 */
export type Handler = (req: Request, info?: Deno.ServeHandlerInfo, routing?: Routing) => Promise<Response>;

interface Route {
  method: string;
  path: string;
  parts: string[];
  handler: RouteHandler;
}

interface Guard {
  prefix: string[];
  check: (req: Request) => void;
}

/** What a Host header may hold: a name or address and an optional port, nothing that could reshape the URL. */
export const HOST_HEADER = /^(?:[A-Za-z0-9_.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** Routes requests to handlers. */
export class Router {
  #routes: Route[] = [];
  #guards: Guard[] = [];
  #onInternal: (error: unknown, req: Request) => void;

  /** `onInternal` hears about every error that became a 500 (to log it). */
  constructor(onInternal: (error: unknown, req: Request) => void) {
    this.#onInternal = onInternal;
  }

  /** Adds a route; `path` like `/v1/tracks/:id`. GET routes also answer HEAD. */
  on(method: string, path: string, handler: RouteHandler): this {
    this.#routes.push({ method, path, parts: splitPath(path), handler });
    return this;
  }

  get(path: string, handler: RouteHandler): this {
    return this.on("GET", path, handler);
  }

  post(path: string, handler: RouteHandler): this {
    return this.on("POST", path, handler);
  }

  delete(path: string, handler: RouteHandler): this {
    return this.on("DELETE", path, handler);
  }

  /**
   * Runs `check` before anything else for every request under `prefix` (matched on the same normalized path
   * segments routes are), whether or not a route matches: `check` throws an HttpError to refuse.
   */
  guard(prefix: string, check: (req: Request) => void): this {
    this.#guards.push({ prefix: splitPath(prefix), check });
    return this;
  }

  /** The handler to give `Deno.serve`; it tells `routing` (when given) which route matched. */
  readonly handle: Handler = async (req, info, routing) => {
    try {
      return await this.#dispatch(req, info, routing);
    } catch (error) {
      return errorResponse(error, (e) => this.#onInternal(e, req));
    }
  };

  async #dispatch(req: Request, info?: Deno.ServeHandlerInfo, routing?: Routing): Promise<Response> {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      throw new HttpError(400, "bad_request", "Cannot parse the request URL");
    }
    const host = req.headers.get("host");
    if (host !== null && !HOST_HEADER.test(host)) {
      throw new HttpError(400, "bad_request", "Cannot accept the Host header: expected HOST or HOST:PORT");
    }
    const parts = splitPath(url.pathname);
    const fitting = this.#routes.filter((r) => fits(r.parts, parts));
    const route = fitting.find((r) =>
      r.method === req.method || (req.method === "HEAD" && r.method === "GET")
    );
    if (routing) routing.route = (route ?? fitting[0])?.path ?? null;
    for (const guard of this.#guards) {
      if (guard.prefix.every((p, i) => parts[i] === p)) guard.check(req);
    }
    if (route) {
      const remote = info?.remoteAddr;
      const remoteAddr = remote && "hostname" in remote ? remote.hostname : "";
      return await route.handler(req, {
        params: paramsOf(route.parts, parts),
        url,
        remoteAddr,
        route: route.path,
      });
    }
    const allowed = new Set<string>();
    for (const r of fitting) {
      allowed.add(r.method);
      if (r.method === "GET") allowed.add("HEAD");
    }
    if (allowed.size > 0) {
      const allow = [...allowed].join(", ");
      throw new HttpError(
        405,
        "method_not_allowed",
        `Cannot ${req.method} ${url.pathname}: allowed are ${allow}`,
        {
          allow,
        },
      );
    }
    throw new HttpError(404, "not_found", `Cannot find ${truncate(url.pathname)}: no such route`);
  }
}

function splitPath(path: string): string[] {
  return path.split("/").filter((p) => p !== "");
}

/** Whether `parts` fits the route `pattern`: as many segments, the same literal ones. */
function fits(pattern: string[], parts: string[]): boolean {
  return pattern.length === parts.length &&
    pattern.every((want, i) => want.startsWith(":") || want === parts[i]);
}

/** The `:name` segments of a path that fits `pattern`, percent-decoded; 400 when one cannot be. */
function paramsOf(pattern: string[], parts: string[]): Record<string, string> {
  const params: Record<string, string> = {};
  pattern.forEach((want, i) => {
    if (!want.startsWith(":")) return;
    try {
      params[want.slice(1)] = decodeURIComponent(parts[i]!);
    } catch {
      throw new HttpError(400, "bad_request", "Cannot decode the request path: invalid percent-encoding");
    }
  });
  return params;
}

function truncate(text: string): string {
  return text.length > 80 ? text.slice(0, 77) + "..." : text;
}
