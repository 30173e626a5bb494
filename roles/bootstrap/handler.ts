/**
 * The bootstrap's HTTP API. Public: status, catalog, service candidates. Internal (callers with the join secret
 * only): join, heartbeat, announce, and the shared account store and sign-in limits the auth instances use.
 *
 * @module
 */

import { bearer } from "../../daemon/http/bearer.ts";
import { HttpError } from "../../daemon/http/http_error.ts";
import { guardInternal, requireJoinSecret } from "../../daemon/cluster/join_secret.ts";
import type { Logger } from "../../daemon/runtime/log.ts";
import { type Handler, Router } from "../../daemon/http/router.ts";
import { arrayOf, bool, int, nullable, num, obj, oneOf, optional, str } from "../../protocol/schema.ts";
import { readJson } from "../../daemon/http/body.ts";
import type { CatalogTrack, Replica, StatusEntry, StatusReport } from "../../protocol/mod.ts";
import type { Catalog, CatalogEntry } from "./catalog.ts";
import type { EventHub } from "./events.ts";
import { rankMembers } from "./balance.ts";
import { JOIN_SECRET_HEADER } from "../../daemon/cluster/join_secret.ts";
import type { Member, Registry } from "./registry.ts";
import { addressKey, type SignInLimits } from "./sign_in_limits.ts";
import { userKey, type UserStore } from "./user_store.ts";

/** What the bootstrap handler works on. */
export interface BootstrapDeps {
  registry: Registry;
  catalog: Catalog;
  users: UserStore;
  logger: Logger;
  /** The cluster's join secret, demanded on every internal route. */
  joinSecret: string;
  /** Failed sign-ins per account, attempts per address. */
  limits: SignInLimits;
  /** The bootstrap serves HTTPS: members must too, so secrets and tokens never travel in clear. */
  httpsOnly?: boolean;
  /** The push channel (`GET /v1/events`). */
  events: EventHub;
  /** The bootstrap's own row in `status`. */
  self: () => StatusEntry;
  /** A member registered (the scheduler settles its pending spawn). */
  onRegistered?: (member: Member) => void;
  /** A member left or was replaced: its tracks are gone. */
  onGone?: (member: Member) => void;
  /** Tokens were revoked: tell the file instances (answered once they were told, or gave up). */
  onRevoked?: (tokenHashes: string[]) => Promise<void> | void;
}

const HEX64 = /^[0-9a-f]{64}$/;
const HEX32 = /^[0-9a-f]{32}$/;

const loadSchema = obj({
  activeStreams: int({ min: 0 }),
  inFlight: int({ min: 0 }),
  bytesPerSecond: num({ min: 0 }),
  requests: int({ min: 0 }),
  loginsPerSecond: optional(num({ min: 0 })),
});

const trackSchema = obj({
  id: str({ pattern: HEX64, hint: "must be 64 lowercase hex digits (a SHA-256)" }),
  md5: str({ pattern: HEX32, hint: "must be 32 lowercase hex digits (an MD5)" }),
  size: int({ min: 0 }),
  title: str({ min: 0, max: 1024 }),
  artist: str({ min: 0, max: 1024 }),
  album: str({ min: 0, max: 1024 }),
  trackNo: nullable(int({ min: 0, max: 1_000_000 })),
  duration: nullable(num({ min: 0 })),
  format: str({ min: 1, max: 8, pattern: /^[a-z0-9]+$/ }),
});

const userSchema = str({ min: 1, max: 64 });
const tokenSchema = str({ min: 16, max: 512 });

/** What each kind of sign-in attempt is called in a refusal. */
const ATTEMPT_VERB = {
  login: "sign in",
  register: "register",
  password: "change the password",
  delete: "delete the account",
} as const;

function tooMany(kind: keyof typeof ATTEMPT_VERB, waitMs: number): HttpError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return new HttpError(
    429,
    "too_many_attempts",
    `Cannot ${ATTEMPT_VERB[kind]}: too many attempts, try again in ${seconds} s`,
    { "retry-after": String(seconds) },
  );
}

/** Builds the bootstrap's request handler. */
export function createHandler(deps: BootstrapDeps): Handler {
  const { registry, catalog, users, logger, limits } = deps;
  const router = new Router((error, req) => logger.error("request.failed", { method: req.method, error }));
  guardInternal(router, deps.joinSecret);
  const revoked = async (hashes: string[]) => {
    if (hashes.length === 0) return;
    logger.info("session.revoked", { sessions: hashes.length });
    await deps.onRevoked?.(hashes);
  };
  const userNamed = (name: string) => {
    const user = users.findUser(userSchema(name, "name"));
    if (!user) throw new HttpError(404, "unknown_user", "Cannot find that user");
    return user;
  };

  const member = (id: string): Member => {
    const m = registry.get(id);
    if (!m) throw new HttpError(404, "unknown_member", `Cannot find member ${id}: register again`);
    return m;
  };

  const toTrack = (entry: CatalogEntry): CatalogTrack => {
    const holders: Member[] = [];
    for (const id of entry.replicas) {
      const m = registry.get(id);
      if (m && m.state !== "down") holders.push(m);
    }
    const replicas: Replica[] = rankMembers(holders).map((m) => ({
      instance: m.id,
      url: m.url,
      host: m.host,
      node: m.node,
      state: m.state,
    }));
    const { id, title, artist, album, trackNo, duration, size, md5, format } = entry;
    return { id, title, artist, album, trackNo, duration, size, md5, format, replicas };
  };

  router
    .get("/v1/health", () => Response.json({ ok: true, role: "bootstrap" }))
    .get("/v1/session", (req) => {
      // Tells a client whether its saved token is still good (the TUI checks before skipping sign-in).
      const session = users.verify(bearer(req));
      if (!session) {
        throw new HttpError(401, "bad_token", "Cannot accept the token: it is unknown, expired or revoked");
      }
      return Response.json({ user: session.user, expiresAt: session.expiresAt });
    })
    .get("/v1/status", () => {
      const report: StatusReport = {
        nodes: [deps.self(), ...registry.list().map((m) => registry.toStatus(m))],
        tracks: catalog.size,
      };
      for (const entry of report.nodes) if (entry.role === "file") entry.tracks = catalog.countFor(entry.id);
      return Response.json(report);
    })
    .get("/v1/tracks", (_req, { url }) => {
      const q = url.searchParams.get("q") ?? "";
      if (q.length > 256) {
        throw new HttpError(400, "invalid_request", "Cannot search: the query is over 256 characters");
      }
      // Pages keep every answer small and fast however large the catalog: clients ask for the next page
      // (offset += tracks.length) until they hold `total`.
      const limit = intParam(url, "limit", 1, MAX_PAGE, DEFAULT_PAGE);
      const offset = intParam(url, "offset", 0, Number.MAX_SAFE_INTEGER, 0);
      const matches = catalog.search(q);
      return Response.json({
        total: matches.length,
        offset,
        limit,
        tracks: matches.slice(offset, offset + limit).map(toTrack),
      });
    })
    .get("/v1/tracks/:ref", (_req, { params }) => {
      const ref = params.ref!;
      if (ref.length > 1024) {
        throw new HttpError(400, "invalid_request", "Cannot look up a track: the name is too long");
      }
      const found = catalog.resolve(ref);
      if (found.kind === "none") {
        throw new HttpError(
          404,
          "unknown_track",
          `Cannot find track "${ref}": no id, id prefix or title matches`,
        );
      }
      if (found.kind === "ambiguous") {
        const names = found.matches.slice(0, 5).map((e) => `${e.id.slice(0, 12)} ${e.title}`).join("; ");
        throw new HttpError(
          409,
          "ambiguous_track",
          `Cannot pick one track for "${ref}": it matches ${names}`,
        );
      }
      return Response.json(toTrack(found.entry));
    })
    .get("/v1/events", (req) => {
      // Anyone may follow availability and media; the join secret adds token revocations. A wrong secret is
      // refused rather than quietly downgraded, so a misconfigured member notices.
      const given = req.headers.get(JOIN_SECRET_HEADER);
      const member = given !== null && given !== "";
      if (member) requireJoinSecret(req, deps.joinSecret);
      return deps.events.subscribe({ member, lastEventId: req.headers.get("last-event-id") });
    })
    .get("/v1/services/:role", (_req, { params }) => {
      const role = oneOf(["auth", "file", "content"] as const)(params.role, "role");
      const candidates = rankMembers(registry.available(role))
        .map((m) => ({ id: m.id, url: m.url, host: m.host, load: m.load }));
      return Response.json({ role, candidates });
    });

  // Internal routes: membership.
  router
    .post("/v1/internal/members", async (req) => {
      const body = await readJson(
        req,
        obj({
          id: str({
            min: 8,
            max: 64,
            pattern: /^[A-Za-z0-9_-]+$/,
            hint: "use 8-64 letters, digits, '_' or '-'",
          }),
          role: oneOf(["content", "auth", "file"] as const),
          url: str({
            max: 512,
            pattern: /^https?:\/\/[^\s/]+$/,
            hint: "must be a base URL like http://host:port",
          }),
          host: str({ max: 255 }),
          pid: int({ min: 0 }),
          node: optional(nullable(str({ min: 8, max: 64, pattern: /^[A-Za-z0-9_-]+$/ }))),
        }),
      );
      if (deps.httpsOnly && !body.url.startsWith("https://")) {
        throw new HttpError(
          400,
          "tls_required",
          `Cannot register ${body.url}: this cluster uses TLS, so serve HTTPS too (--tls-cert and --tls-key)`,
        );
      }
      const { member: m, replaced } = registry.register({ ...body, node: body.node ?? null });
      if (replaced) {
        removeTracks(catalog, deps.events, replaced.id);
        deps.onGone?.(replaced);
      }
      logger.info("member.joined", { role: m.role, id: m.id, url: m.url, host: m.host, pid: m.pid });
      deps.onRegistered?.(m);
      return Response.json(
        { id: m.id, heartbeatMs: registry.timing.heartbeatMs, leaseMs: registry.timing.leaseMs },
        { status: 201 },
      );
    })
    .post("/v1/internal/members/:id/heartbeat", async (req, { params }) => {
      const body = await readJson(req, obj({ load: loadSchema, tracks: optional(int({ min: 0 })) }));
      const m = registry.heartbeat(params.id!, body.load, body.tracks);
      if (!m) {
        throw new HttpError(404, "unknown_member", `Cannot renew the lease of ${params.id}: register again`);
      }
      return new Response(null, { status: 204 });
    })
    .post("/v1/internal/members/:id/draining", (_req, { params }) => {
      const m = member(params.id!);
      registry.drain(m.id);
      logger.info("member.draining", { role: m.role, id: m.id });
      return new Response(null, { status: 204 });
    })
    .delete("/v1/internal/members/:id", (_req, { params }) => {
      const m = registry.remove(params.id!);
      if (m) {
        const gone = removeTracks(catalog, deps.events, m.id);
        logger.info("member.left", { role: m.role, id: m.id, url: m.url, tracksGone: gone });
        deps.onGone?.(m);
      }
      return new Response(null, { status: 204 });
    })
    .post("/v1/internal/announce", async (req) => {
      const body = await readJson(
        req,
        obj({
          instance: str({ max: 64 }),
          replace: optional(bool()),
          tracks: arrayOf(trackSchema, { max: 200 }),
          removed: optional(arrayOf(str({ pattern: HEX64 }), { max: 10_000 })),
        }),
        256 * 1024,
      );
      const m = member(body.instance);
      if (m.role !== "file") {
        throw new HttpError(400, "invalid_request", "Cannot accept tracks from a non-file member");
      }
      const changed = catalog.announce(m.id, body.tracks, {
        ...(body.replace ? { replace: true } : {}),
        ...(body.removed ? { removed: body.removed } : {}),
      });
      publishTracks(deps.events, m.id, changed, catalog.size);
      m.tracks = catalog.countFor(m.id);
      logger.debug("tracks.announced", {
        id: m.id,
        added: body.tracks.length,
        removed: body.removed?.length ?? 0,
      });
      return Response.json({ tracks: m.tracks });
    });

  // Internal routes: the shared account store and the sign-in limits.
  router
    .post("/v1/internal/sign-in/attempt", async (req) => {
      const body = await readJson(
        req,
        obj({
          kind: oneOf(["login", "register", "password", "delete"] as const),
          address: str({ max: 64 }),
          user: userSchema,
        }),
      );
      if (body.kind !== "register") {
        const wait = limits.accountWait(userKey(body.user));
        if (wait > 0) {
          logger.warn("sign_in.limited", { limit: "account", user: body.user, waitMs: wait });
          throw tooMany(body.kind, wait);
        }
      }
      const wait = limits.takeAddress(addressKey(body.address));
      if (wait > 0) {
        logger.warn("sign_in.limited", { limit: "address", address: body.address, waitMs: wait });
        throw tooMany(body.kind, wait);
      }
      return new Response(null, { status: 204 });
    })
    .post("/v1/internal/sign-in/failed", async (req) => {
      const body = await readJson(req, obj({ user: userSchema }));
      limits.recordFailure(userKey(body.user));
      return new Response(null, { status: 204 });
    })
    .post("/v1/internal/users", async (req) => {
      const body = await readJson(req, obj({ user: userSchema, hash: str({ max: 512 }) }));
      const user = users.createUser(body.user, body.hash);
      logger.info("user.registered", { user: user.name });
      return Response.json({ user: user.name }, { status: 201 });
    })
    .get("/v1/internal/users/:name", (_req, { params }) => {
      const user = userNamed(params.name!);
      return Response.json({ user: user.name, hash: user.hash });
    })
    .delete("/v1/internal/users/:name", async (_req, { params }) => {
      const user = userNamed(params.name!);
      const ended = users.deleteUser(user.id);
      limits.clearFailures(userKey(user.name));
      logger.info("user.deleted", { user: user.name, sessions: ended.length });
      await revoked(ended);
      return Response.json({ revoked: ended.length });
    })
    .post("/v1/internal/users/:name/hash", async (req, { params }) => {
      const body = await readJson(req, obj({ hash: str({ max: 512 }) }));
      users.setHash(userNamed(params.name!).id, body.hash);
      return new Response(null, { status: 204 });
    })
    .post("/v1/internal/users/:name/password", async (req, { params }) => {
      const body = await readJson(req, obj({ hash: str({ max: 512 }), keep: tokenSchema }));
      const user = userNamed(params.name!);
      const ended = users.changePassword(user.id, body.hash, body.keep);
      logger.info("user.password_changed", { user: user.name, sessionsEnded: ended.length });
      await revoked(ended);
      return Response.json({ revoked: ended.length });
    })
    .post("/v1/internal/sessions", async (req) => {
      const body = await readJson(req, obj({ user: userSchema }));
      const user = users.findUser(body.user);
      if (!user) throw new HttpError(404, "unknown_user", "Cannot find that user");
      limits.clearFailures(userKey(user.name));
      const session = users.createSession(user.id);
      return Response.json({ user: user.name, ...session }, { status: 201 });
    })
    .post("/v1/internal/sessions/verify", async (req) => {
      const body = await readJson(req, obj({ token: tokenSchema }));
      const session = users.verify(body.token);
      if (!session) throw badToken();
      return Response.json({ user: session.user, expiresAt: session.expiresAt });
    })
    .post("/v1/internal/sessions/renew", async (req) => {
      const body = await readJson(req, obj({ token: tokenSchema }));
      const renewed = users.renew(body.token);
      if (!renewed) throw badToken();
      const { revoked: old, ...session } = renewed;
      await revoked([old]);
      return Response.json(session, { status: 201 });
    })
    .post("/v1/internal/sessions/revoke", async (req) => {
      const body = await readJson(req, obj({ token: tokenSchema }));
      const hash = users.revoke(body.token);
      if (hash) await revoked([hash]);
      return new Response(null, { status: 204 });
    });

  return router.handle;
}

/** Publishes what an instance added and removed, at most 1000 ids per event. */
export function publishTracks(
  events: EventHub,
  instance: string,
  changed: { added: string[]; removed: string[] },
  total: number,
): void {
  const { added, removed } = changed;
  for (let i = 0; i < Math.max(added.length, removed.length); i += 1000) {
    const addedIds = added.slice(i, i + 1000);
    const removedIds = removed.slice(i, i + 1000);
    events.publish({
      type: "tracks",
      data: { instance, added: addedIds.length, removed: removedIds.length, addedIds, removedIds, total },
    });
  }
}

/** Drops every track an instance announced (it left or went down) and says so; returns how many left the catalog. */
export function removeTracks(catalog: Catalog, events: EventHub, instance: string): number {
  const held = catalog.heldBy(instance);
  const gone = catalog.removeInstance(instance);
  publishTracks(events, instance, { added: [], removed: held }, catalog.size);
  return gone;
}

function badToken(): HttpError {
  return new HttpError(
    401,
    "bad_token",
    "Cannot accept the token: it is unknown, expired or revoked (sign in again with audiod login)",
  );
}

/** Tracks per page of `GET /v1/tracks` when the client does not say, and at most. */
export const DEFAULT_PAGE = 500;
export const MAX_PAGE = 1000;

function intParam(url: URL, name: string, min: number, max: number, fallback: number): number {
  const text = url.searchParams.get(name);
  if (text === null) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new HttpError(
      400,
      "invalid_request",
      `Cannot accept ${name}=${text.slice(0, 20)}: expected ${min}..${max}`,
    );
  }
  return value;
}
