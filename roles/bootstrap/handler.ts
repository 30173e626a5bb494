/**
 * The bootstrap's HTTP API. Public: status, catalog, service candidates. Internal (members only): join,
 * heartbeat, announce, and the shared account store the auth instances use.
 *
 * @module
 */

import { HttpError } from "../../daemon/http_error.ts";
import type { Logger } from "../../daemon/log.ts";
import { type Handler, Router } from "../../daemon/router.ts";
import {
  arrayOf,
  bool,
  int,
  nullable,
  num,
  obj,
  oneOf,
  optional,
  readJson,
  str,
} from "../../daemon/schema.ts";
import type { CatalogTrack, Replica, StatusEntry, StatusReport } from "../../client/types.ts";
import type { Catalog, CatalogEntry } from "./catalog.ts";
import type { Member, Registry } from "./registry.ts";
import type { UserStore } from "./user_store.ts";

/** What the bootstrap handler works on. */
export interface BootstrapDeps {
  registry: Registry;
  catalog: Catalog;
  users: UserStore;
  logger: Logger;
  /** The bootstrap's own row in `status`. */
  self: () => StatusEntry;
  /** A member registered (the scheduler settles its pending spawn). */
  onRegistered?: (member: Member) => void;
  /** A member left or was replaced: its tracks are gone. */
  onGone?: (member: Member) => void;
  /** A token was revoked: tell the file instances. */
  onRevoked?: (tokenHash: string) => void;
}

const HEX64 = /^[0-9a-f]{64}$/;
const HEX32 = /^[0-9a-f]{32}$/;

const loadSchema = obj({
  activeStreams: int({ min: 0 }),
  inFlight: int({ min: 0 }),
  bytesPerSecond: num({ min: 0 }),
  requests: int({ min: 0 }),
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

/** Builds the bootstrap's request handler. */
export function createHandler(deps: BootstrapDeps): Handler {
  const { registry, catalog, users, logger } = deps;
  const router = new Router((error, req) => logger.error("request.failed", { method: req.method, error }));

  const member = (id: string): Member => {
    const m = registry.get(id);
    if (!m) throw new HttpError(404, "unknown_member", `Cannot find member ${id}: register again`);
    return m;
  };

  const toTrack = (entry: CatalogEntry): CatalogTrack => {
    const replicas: Replica[] = [];
    for (const id of entry.replicas) {
      const m = registry.get(id);
      if (!m || m.state === "down") continue;
      replicas.push({ instance: m.id, url: m.url, host: m.host, node: m.node, state: m.state });
    }
    replicas.sort((a, b) => rank(registry.get(a.instance)) - rank(registry.get(b.instance)));
    const { id, title, artist, album, trackNo, duration, size, md5, format } = entry;
    return { id, title, artist, album, trackNo, duration, size, md5, format, replicas };
  };

  router
    .get("/v1/health", () => Response.json({ ok: true, role: "bootstrap" }))
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
      const limit = intParam(url, "limit", 1, 100_000, 100_000);
      const offset = intParam(url, "offset", 0, Number.MAX_SAFE_INTEGER, 0);
      const matches = catalog.search(q);
      return Response.json({
        total: matches.length,
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
    .get("/v1/services/:role", (_req, { params }) => {
      const role = oneOf(["auth", "file", "content"] as const)(params.role, "role");
      const candidates = registry.available(role).sort((a, b) => rank(a) - rank(b))
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
      const { member: m, replaced } = registry.register({ ...body, node: body.node ?? null });
      if (replaced) {
        catalog.removeInstance(replaced.id);
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
        const gone = catalog.removeInstance(m.id);
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
      catalog.announce(m.id, body.tracks, {
        ...(body.replace ? { replace: true } : {}),
        ...(body.removed ? { removed: body.removed } : {}),
      });
      m.tracks = catalog.countFor(m.id);
      logger.debug("tracks.announced", {
        id: m.id,
        added: body.tracks.length,
        removed: body.removed?.length ?? 0,
      });
      return Response.json({ tracks: m.tracks });
    });

  // Internal routes: the shared account store.
  router
    .post("/v1/internal/users", async (req) => {
      const body = await readJson(req, obj({ user: userSchema, hash: str({ max: 512 }) }));
      const user = users.createUser(body.user, body.hash);
      logger.info("user.registered", { user: user.name });
      return Response.json({ user: user.name }, { status: 201 });
    })
    .get("/v1/internal/users/:name", (_req, { params }) => {
      const user = users.findUser(userSchema(params.name, "name"));
      if (!user) throw new HttpError(404, "unknown_user", "Cannot find that user");
      return Response.json({ user: user.name, hash: user.hash });
    })
    .post("/v1/internal/users/:name/hash", async (req, { params }) => {
      const body = await readJson(req, obj({ hash: str({ max: 512 }) }));
      const user = users.findUser(userSchema(params.name, "name"));
      if (!user) throw new HttpError(404, "unknown_user", "Cannot find that user");
      users.setHash(user.id, body.hash);
      return new Response(null, { status: 204 });
    })
    .post("/v1/internal/sessions", async (req) => {
      const body = await readJson(req, obj({ user: userSchema }));
      const user = users.findUser(body.user);
      if (!user) throw new HttpError(404, "unknown_user", "Cannot find that user");
      const session = users.createSession(user.id);
      return Response.json({ user: user.name, ...session }, { status: 201 });
    })
    .post("/v1/internal/sessions/verify", async (req) => {
      const body = await readJson(req, obj({ token: tokenSchema }));
      const session = users.verify(body.token);
      if (!session) {
        throw new HttpError(401, "bad_token", "Cannot accept the token: it is unknown, expired or revoked");
      }
      return Response.json({ user: session.user, expiresAt: session.expiresAt });
    })
    .post("/v1/internal/sessions/revoke", async (req) => {
      const body = await readJson(req, obj({ token: tokenSchema }));
      const hash = users.revoke(body.token);
      if (hash) {
        logger.info("session.revoked", {});
        deps.onRevoked?.(hash);
      }
      return new Response(null, { status: 204 });
    });

  return router.handle;
}

/** Lower is better: the least outstanding work first. */
function rank(m: Member | undefined): number {
  if (!m) return Number.MAX_SAFE_INTEGER;
  return m.load.activeStreams * 4 + m.load.inFlight + (m.state === "up" ? 0 : 1000);
}

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
