/**
 * The bootstrap's membership routes (internal: callers with the join secret only): nodes and instances
 * register, renew their lease, drain and leave; file instances announce their tracks.
 *
 * @module
 */

import { HttpError } from "../../daemon/http/http_error.ts";
import type { Router } from "../../daemon/http/router.ts";
import { readJson } from "../../daemon/http/body.ts";
import { ANNOUNCE_MAX_BYTES, type Announced, announcement } from "../../protocol/catalog.ts";
import { heartbeat, memberInfo, type Registration } from "../../protocol/member.ts";
import type { BootstrapDeps } from "./handler.ts";
import { announceTracks, removeTracks } from "./publishing.ts";
import type { Member } from "./registry.ts";

/** Adds the membership routes to `router` (its internal guard demands the join secret). */
export function memberRoutes(router: Router, deps: BootstrapDeps): void {
  const { registry, catalog, events, logger } = deps;
  const member = (id: string): Member => {
    const m = registry.get(id);
    if (!m) throw new HttpError(404, "unknown_member", `Cannot find member ${id}: register again`);
    return m;
  };

  router
    .post("/v1/internal/members", async (req) => {
      const body = await readJson(req, memberInfo);
      if (deps.httpsOnly && !body.url.startsWith("https://")) {
        throw new HttpError(
          400,
          "tls_required",
          `Cannot register ${body.url}: this cluster uses TLS, so serve HTTPS too (--tls-cert and --tls-key)`,
        );
      }
      const { member: m, replaced } = registry.register({ ...body, node: body.node ?? null });
      if (replaced) {
        removeTracks(catalog, events, replaced.id);
        deps.onGone?.(replaced);
      }
      logger.info("member.joined", { role: m.role, id: m.id, url: m.url, host: m.host, pid: m.pid });
      deps.onRegistered?.(m);
      // A file instance the catalog still holds (this bootstrap restarted) is told what it last announced.
      const digest = m.role === "file" && !replaced ? catalog.digestOf(m.id) : undefined;
      if (digest) m.tracks = catalog.countFor(m.id);
      const answer: Registration = {
        id: m.id,
        heartbeatMs: registry.timing.heartbeatMs,
        leaseMs: registry.timing.leaseMs,
        ...(digest ? { digest } : {}),
      };
      return Response.json(answer, { status: 201 });
    })
    .post("/v1/internal/members/:id/heartbeat", async (req, { params }) => {
      const body = await readJson(req, heartbeat);
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
        const gone = removeTracks(catalog, events, m.id);
        logger.info("member.left", { role: m.role, id: m.id, url: m.url, tracksGone: gone });
        deps.onGone?.(m);
      }
      return new Response(null, { status: 204 });
    })
    .post("/v1/internal/announce", async (req) => {
      const body = await readJson(req, announcement, ANNOUNCE_MAX_BYTES);
      const m = member(body.instance);
      // Its lease ran out and its tracks left the catalog: what it announces now would be held by no one up.
      if (m.state === "down") {
        throw new HttpError(
          404,
          "unknown_member",
          `Cannot accept tracks from ${m.id}: its lease ran out, register again`,
        );
      }
      if (m.role !== "file") {
        throw new HttpError(400, "invalid_request", "Cannot accept tracks from a non-file member");
      }
      const tracks = announceTracks(catalog, events, m, body);
      logger.debug("tracks.announced", {
        id: m.id,
        added: body.tracks.length,
        removed: body.removed?.length ?? 0,
      });
      return Response.json({ tracks } satisfies Announced);
    });
}
