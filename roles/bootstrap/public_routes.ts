/**
 * The bootstrap's public routes: health, who a token belongs to and the service candidates are open to anyone
 * (they carry no names); status, the catalog and the event channel need a signed-in session or, for members,
 * the join secret (`_access.ts`), and only admins see the hosts and process ids in status.
 *
 * @module
 */

import { bearer } from "../../daemon/http/bearer.ts";
import { HttpError } from "../../daemon/http/http_error.ts";
import type { Router } from "../../daemon/http/router.ts";
import { DEFAULT_PAGE, MAX_PAGE, type TrackPage } from "../../protocol/catalog.ts";
import { type Candidates, serviceRole } from "../../protocol/services.ts";
import type { SessionOwner } from "../../protocol/session.ts";
import type { Health, StatusEntry, StatusReport } from "../../protocol/status.ts";
import { viewerOf } from "./_access.ts";
import { rankMembers } from "./balance.ts";
import type { BootstrapDeps } from "./handler.ts";
import { catalogTrackOf } from "./publishing.ts";

/** Adds the public routes to `router`. */
export function publicRoutes(router: Router, deps: BootstrapDeps): void {
  const { registry, catalog, users } = deps;
  const viewer = (req: Request, url: URL, toDo: string) => viewerOf(req, deps, { toDo, host: url.host });
  router
    .get("/v1/health", () => Response.json({ ok: true, role: "bootstrap" } satisfies Health))
    .get("/v1/session", async (req) => {
      // Tells a client whether its saved token is still good (the TUI checks before skipping sign-in).
      const session = await users.verify(bearer(req));
      if (!session) {
        throw new HttpError(401, "bad_token", "Cannot accept the token: it is unknown, expired or revoked");
      }
      return Response.json({ user: session.user, expiresAt: session.expiresAt } satisfies SessionOwner);
    })
    .get("/v1/status", async (req, { url }) => {
      const { admin } = await viewer(req, url, "show the cluster's status");
      const entries = [
        deps.self(),
        ...(deps.peers?.() ?? []),
        ...registry.list().map((m) => registry.toStatus(m)),
      ];
      const report: StatusReport = {
        nodes: admin ? entries : entries.map(withoutHost),
        tracks: catalog.size,
      };
      for (const entry of report.nodes) if (entry.role === "file") entry.tracks = catalog.countFor(entry.id);
      return Response.json(report);
    })
    .get("/v1/tracks", async (req, { url }) => {
      await viewer(req, url, "list the catalog");
      const q = url.searchParams.get("q") ?? "";
      if (q.length > 256) {
        throw new HttpError(400, "invalid_request", "Cannot search: the query is over 256 characters");
      }
      // Pages keep every answer small and fast however large the catalog: clients ask for the next page
      // (offset += tracks.length) until they hold `total`.
      const limit = intParam(url, "limit", 1, MAX_PAGE, DEFAULT_PAGE);
      const offset = intParam(url, "offset", 0, Number.MAX_SAFE_INTEGER, 0);
      const { total, entries } = catalog.page(q, offset, limit);
      const page: TrackPage = {
        total,
        offset,
        limit,
        tracks: entries.map((entry) => catalogTrackOf(registry, entry)),
      };
      return Response.json(page);
    })
    .get("/v1/tracks/:ref", async (req, { params, url }) => {
      await viewer(req, url, "look up a track");
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
      return Response.json(catalogTrackOf(registry, found.entry));
    })
    .get("/v1/events", async (req, { url }) => {
      // Signed-in users follow availability and media; members (the join secret) also hear token revocations.
      const who = await viewer(req, url, "follow the cluster's events");
      return deps.events.subscribe({
        member: who.kind === "member",
        lastEventId: req.headers.get("last-event-id"),
      });
    })
    .get("/v1/services/:role", (_req, { params }) => {
      const role = serviceRole(params.role, "role");
      const candidates = rankMembers(registry.available(role))
        .map((m) => ({ id: m.id, url: m.url, host: m.host, load: m.load }));
      return Response.json({ role, candidates } satisfies Candidates);
    });
}

/** A status row without what only admins see: the host's address and the process id. */
function withoutHost(entry: StatusEntry): StatusEntry {
  const { host: _host, pid: _pid, ...rest } = entry;
  return rest;
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
