/**
 * AudiodClient against a tiny real server on 127.0.0.1:0 standing in for a bootstrap that answers malformed
 * bodies: every answer is checked, and a malformed one is a clear error naming the route and the field.
 */

import assert from "node:assert/strict";
import { AudiodClient } from "./api.ts";
import { BadAnswerError } from "../daemon/cluster/peer_client.ts";
import type { CatalogTrack } from "../protocol/catalog.ts";

/** Serves `answers[path]` (path with its query) on 127.0.0.1 until disposed; 404 elsewhere. */
function serve(answers: Record<string, unknown>): { url: string } & AsyncDisposable {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const url = new URL(req.url);
    const key = url.pathname + url.search;
    if (!Object.hasOwn(answers, key)) {
      return Response.json({ error: { code: "not_found", message: `Cannot find ${key}` } }, { status: 404 });
    }
    return Response.json(answers[key]);
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, [Symbol.asyncDispose]: () => server.shutdown() };
}

function track(n: number): CatalogTrack {
  return {
    id: n.toString(16).padStart(64, "0"),
    title: `Track ${n}`,
    artist: "Artist",
    album: "Album",
    trackNo: n,
    duration: 1.5,
    size: 1000 + n,
    md5: n.toString(16).padStart(32, "0"),
    format: "wav",
    replicas: [{ instance: "file-1", url: "http://127.0.0.1:1", host: "127.0.0.1", node: null, state: "up" }],
  };
}

async function rejection(promise: Promise<unknown>): Promise<BadAnswerError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof BadAnswerError) return error;
    throw error;
  }
  assert.fail("the call succeeded");
}

Deno.test("AudiodClient.tracks() names the track and field of a malformed catalog page", async () => {
  const tracks: unknown[] = [track(0), track(1), track(2), { ...track(3), size: "1003" }];
  await using server = serve({ "/v1/tracks": { total: 4, offset: 0, limit: 500, tracks } });
  const error = await rejection(new AudiodClient(server.url).tracks());
  assert.equal(
    error.message,
    `Cannot read the answer of GET ${server.url}/v1/tracks: body.tracks[3].size must be an integer`,
  );
});

Deno.test("AudiodClient checks every answer it reads", async (t) => {
  const good = track(7);
  await using server = serve({
    "/v1/status": { nodes: [{ id: "bootstrap", role: "bootstrap" }], tracks: 0 },
    [`/v1/tracks/${good.id}`]: { ...good, replicas: [{ ...good.replicas[0], state: "gone" }] },
    "/v1/services/auth": { role: "auth", candidates: [{ id: "a", url: "http://x", host: "x", load: null }] },
    "/v1/session": { user: "alice", expiresAt: "tomorrow" },
  });
  const client = new AudiodClient(server.url);
  const cases: [string, () => Promise<unknown>, string, string][] = [
    ["status()", () => client.status(), "/v1/status", "body.nodes[0].url must be a string"],
    [
      "track()",
      () => client.track(good.id),
      `/v1/tracks/${good.id}`,
      "body.replicas[0].state must be one of up, draining, down",
    ],
    [
      "candidates()",
      () => client.candidates("auth"),
      "/v1/services/auth",
      "body.candidates[0].load must be a JSON object",
    ],
    ["session()", () => client.session("x".repeat(32)), "/v1/session", "body.expiresAt must be an integer"],
    [
      "login() (the candidates come first)",
      () => client.login("alice", "secret-password"),
      "/v1/services/auth",
      "body.candidates[0].load must be a JSON object",
    ],
  ];
  for (const [name, call, path, why] of cases) {
    await t.step(name, async () => {
      const error = await rejection(call());
      assert.equal(error.message, `Cannot read the answer of GET ${server.url}${path}: ${why}`);
    });
  }
});

Deno.test("AudiodClient.login() names the field of a malformed session answer from the auth instance", async () => {
  // The stand-in auth instance answers a session without its token.
  await using auth = serve({ "/v1/login": { user: "alice", expiresAt: 1, issuedAt: 0 } });
  const load = { activeStreams: 0, inFlight: 0, bytesPerSecond: 0, requests: 0 };
  await using bootstrap = serve({
    "/v1/services/auth": {
      role: "auth",
      candidates: [{ id: "auth-1", url: auth.url, host: "127.0.0.1", load }],
    },
  });
  const error = await rejection(new AudiodClient(bootstrap.url).login("alice", "secret-password"));
  assert.equal(
    error.message,
    `Cannot read the answer of POST ${auth.url}/v1/login: body.token must be a string`,
  );
});

Deno.test("AudiodClient tolerates answer fields it does not know (a newer server) and drops them", async () => {
  const good = track(1);
  await using server = serve({
    "/v1/tracks": {
      total: 1,
      offset: 0,
      limit: 500,
      tracks: [{ ...good, rating: 5, replicas: [{ ...good.replicas[0], zone: "eu" }] }],
      cursor: "next",
    },
  });
  const page = await new AudiodClient(server.url).trackPage("", 0);
  assert.deepEqual(page, { total: 1, offset: 0, limit: 500, tracks: [good] });
  // In the order the bootstrap sends them, which `audiod tracks --json` prints.
  assert.deepEqual(Object.keys(page.tracks[0]!), Object.keys(good));
});
