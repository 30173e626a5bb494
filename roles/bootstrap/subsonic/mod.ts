/**
 * The OpenSubsonic API every bootstrap serves (`/rest/<method>` and `/rest/<method>.view`, GET and form POST),
 * so Symfonium, DSub, Feishin, Supersonic and the like browse and play an audiod cluster. Browsing answers from
 * the catalog; `stream` and `download` redirect to a file instance holding a replica (or relay the bytes with
 * `--subsonic-relay`); per-user state lives in the bootstrap's store.
 *
 * Every answer is HTTP 200 with the envelope (`response.ts`); failures carry a Subsonic error code; an unknown
 * method is code 70 naming it. `/rest` answers CORS preflights.
 *
 * @module
 */

import type { PeerAccess } from "../../../daemon/cluster/peer_client.ts";
import { HttpError } from "../../../daemon/http/http_error.ts";
import type { RouteContext, Router } from "../../../daemon/http/router.ts";
import type { Logger } from "../../../daemon/runtime/log.ts";
import type { Catalog } from "../catalog.ts";
import type { Registry } from "../registry.ts";
import type { AccountStore } from "../store/mod.ts";
import type { BootstrapDeps } from "../handler.ts";
import { apiKeyRoutes } from "./api_key_routes.ts";
import { starRoutes } from "./star_routes.ts";
import { playlistRoutes } from "./playlist_routes.ts";
import { API_KEY_HELP_PATH, Authenticator, type Caller } from "./auth.ts";
import { grantAwareAccounts, grantEnder } from "./grants.ts";
import { BROWSE_METHODS } from "./browse.ts";
import { Library, type LibrarySnapshot, type UserMarks } from "./library.ts";
import { Params, readParams } from "./params.ts";
import {
  CORS_HEADERS,
  ErrorCode,
  failed,
  type Format,
  formatOf,
  type Item,
  ok,
  SubsonicError,
} from "./response.ts";
import { STATE_METHODS } from "./state.ts";
import { STREAM_METHODS } from "./stream.ts";
import { marksOf, type UserDataStore } from "./user_data.ts";

export { Authenticator } from "./auth.ts";
export type { UserDataStore } from "./user_data.ts";

/** What the API works on. */
export interface SubsonicDeps {
  registry: Registry;
  catalog: Catalog;
  users: AccountStore;
  /** Per-user state; without it stars, playlists and the rest answer code 0. */
  userData?: UserDataStore | undefined;
  /** The join secret (and CA) for auth and file instances. */
  peer: PeerAccess;
  joinSecret: string;
  logger: Logger;
  /** Relay stream bytes through the bootstrap instead of redirecting to a file instance. */
  relay?: boolean;
  /** Shared with the revocation hooks (its cache is dropped on password changes). */
  auth: Authenticator;
  now?: () => number;
}

/** One call of a method. */
export interface Call {
  method: string;
  params: Params;
  caller: Caller;
  deps: SubsonicDeps;
  req: Request;
  ctx: RouteContext;
  format: Format;
  /** The library as it is now. */
  library(): Promise<LibrarySnapshot>;
  /** The caller's stars, ratings and plays (read once per call). */
  marks(): Promise<UserMarks>;
  /** The per-user store, or code 0 when there is none. */
  userData(): UserDataStore;
  now(): number;
}

/** A method: an answer's body, or a whole response (bytes, redirects). */
export type Method = (call: Call) => Promise<Item | Response> | Item | Response;

const PUBLIC = new Set(["getOpenSubsonicExtensions"]);
/** Answered without credentials too (clients probe with them); checked when credentials are given. */
const OPTIONAL_AUTH = new Set(["ping", "getLicense"]);

const ANONYMOUS: Caller = { userId: 0, user: "", grant: "0".repeat(64), via: "password" };

/** How the bootstrap serves the API (`BootstrapDeps.subsonic`). */
export interface SubsonicOptions {
  /** The join secret (and CA) for auth and file instances. */
  peer: PeerAccess;
  /** `--subsonic-relay`: relay stream bytes instead of redirecting. */
  relay?: boolean;
  /** Per-user state (the store's). */
  userData?: UserDataStore | undefined;
}

/**
 * Adds the OpenSubsonic API to the bootstrap's router (`/rest/:method`, GET, HEAD, POST and OPTIONS, and the
 * API-key routes), and returns the deps the other routes should use: their account store knows stream grants
 * (`grants.ts`).
 */
export function mountSubsonic(router: Router, deps: BootstrapDeps, options: SubsonicOptions): BootstrapDeps {
  const accountAdmin = deps.accountAdmin;
  const auth = new Authenticator({
    users: deps.users,
    apiKeys: options.userData,
    ...(accountAdmin
      ? { isDisabled: async (user: string) => (await accountAdmin.account(user))?.disabled === true }
      : {}),
    registry: deps.registry,
    peer: options.peer,
  });
  subsonicRoutes(router, {
    registry: deps.registry,
    catalog: deps.catalog,
    users: deps.users,
    userData: options.userData,
    peer: options.peer,
    joinSecret: deps.joinSecret,
    logger: deps.logger,
    relay: options.relay ?? false,
    auth,
  });
  if (options.userData) {
    apiKeyRoutes(router, deps, options.userData);
    starRoutes(router, deps, options.userData);
    playlistRoutes(router, deps, options.userData);
  }
  const onRevoked = deps.onRevoked;
  return {
    ...deps,
    users: grantAwareAccounts(deps.users, auth),
    grantsOf: grantEnder(auth, options.userData),
    onRevoked: (hashes, details) => {
      if (details?.user) auth.forgetUser(details.user);
      return onRevoked?.(hashes, details);
    },
  };
}

/** Adds `/rest/:method` (GET, HEAD, POST, OPTIONS) to `router`. */
export function subsonicRoutes(router: Router, deps: SubsonicDeps): void {
  const library = new Library(deps.catalog);
  const methods: Record<string, Method> = { ...BROWSE_METHODS, ...STREAM_METHODS, ...STATE_METHODS };
  const handle = async (req: Request, ctx: RouteContext): Promise<Response> => {
    let format = formatOf(ctx.url.searchParams);
    const name = (ctx.params.method ?? "").replace(/\.view$/, "");
    try {
      const raw = await readParams(req, ctx.url);
      format = formatOf(raw);
      const params = new Params(raw, name);
      const method = Object.hasOwn(methods, name) ? methods[name] : undefined;
      if (!method) {
        throw new SubsonicError(
          ErrorCode.NOT_FOUND,
          `Cannot run ${name.slice(0, 64)}: audiod does not implement this method`,
        );
      }
      const caller = PUBLIC.has(name) || (OPTIONAL_AUTH.has(name) && !Authenticator.hasCredentials(params))
        ? ANONYMOUS
        : await deps.auth.authenticate(params, ctx.remoteAddr);
      let marks: Promise<UserMarks> | undefined;
      const call: Call = {
        method: name,
        params,
        caller,
        deps,
        req,
        ctx,
        format,
        library: () => library.snapshot(),
        marks: () => marks ??= marksOf(deps.userData, caller.userId).then((m) => library.withAlbumPlays(m)),
        userData: () => {
          if (!deps.userData) {
            throw new SubsonicError(ErrorCode.GENERIC, `Cannot run ${name}: no store for it`);
          }
          return deps.userData;
        },
        now: deps.now ?? Date.now,
      };
      const answer = await method(call);
      if (answer instanceof Response) return withCors(answer);
      return ok(answer, format);
    } catch (error) {
      if (error instanceof SubsonicError) {
        // A help path names a page of the bootstrap that answered, as clients reach it.
        const help = error.helpUrl?.startsWith("/")
          ? new SubsonicError(error.code, error.message, { helpUrl: new URL(error.helpUrl, ctx.url).href })
          : error;
        return failed(help, format);
      }
      if (error instanceof HttpError) {
        if (error.status >= 500) deps.logger.warn("subsonic.failed", { method: name, error });
        return failed(new SubsonicError(ErrorCode.GENERIC, error.message), format);
      }
      deps.logger.error("subsonic.failed", { method: name, error });
      return failed(
        new SubsonicError(ErrorCode.GENERIC, "Internal error: the server logged the details"),
        format,
      );
    }
  };
  const preflight = () => new Response(null, { status: 204, headers: CORS_HEADERS });
  router
    .get(
      API_KEY_HELP_PATH,
      () =>
        new Response(API_KEY_HELP, {
          headers: { "content-type": "text/plain; charset=utf-8", ...CORS_HEADERS },
        }),
    )
    .get("/rest/:method", handle)
    .post("/rest/:method", handle)
    .on("OPTIONS", "/rest/:method", preflight);
}

function withCors(res: Response): Response {
  for (const [key, value] of Object.entries(CORS_HEADERS)) {
    if (!res.headers.has(key)) {
      try {
        res.headers.set(key, value);
      } catch {
        // A response whose headers are immutable (a fetched one) is re-wrapped.
        const headers = new Headers(res.headers);
        for (const [k, v] of Object.entries(CORS_HEADERS)) headers.set(k, v);
        return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
      }
    }
  }
  return res;
}

const API_KEY_HELP = `audiod and OpenSubsonic apps: API keys

audiod keeps only Argon2id hashes of passwords, so the Subsonic token login (t = md5(password + salt), s = salt)
cannot be checked and is refused with error 41. Sign your app in one of two ways:

1. An API key (best). On a computer signed in to this cluster (audiod login --host THIS-SERVER --user NAME):
     audiod apikey create --name phone
   shows the key once. Paste it where the app asks for an API key (Feishin, Supersonic, Symfonium).
   audiod apikey list shows your keys; audiod apikey revoke ID stops one at once, streams included.
2. The password itself: in the app, turn off token or salted authentication ("legacy" or "plain password"
   mode in DSub and Symfonium). It counts against the same sign-in limits as audiod login.
`;
