/**
 * Every daemon serves Prometheus metrics at /metrics, readable by anyone and holding no secrets: requests by
 * route and status, streams and bytes, instance counts, scale events and sign-in outcomes.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  isolatedEnv,
  joinSecretFileOf,
  joinSecretOf,
  startBootstrap,
  startContent,
  tempDir,
  waitFor,
} from "./_harness.ts";
import { parseExposition, sampleOf } from "./_exposition.ts";
import { AudiodClient } from "../client/api.ts";
import { streamVerified } from "../media/transfer.ts";
import { synthesizeWav } from "../media/wav.ts";

Deno.test({
  name: "every daemon serves /metrics in the Prometheus text format, counting what happened",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using temp = await tempDir();
    const root = temp.path;
    const lib = join(root, "lib");
    await Deno.mkdir(lib);
    await Deno.writeFile(
      join(lib, "m.wav"),
      synthesizeWav({ seconds: 3, frequency: 440, tags: { title: "Metered" } }),
    );
    const env = isolatedEnv(root, "servers");
    await using bootstrap = await startBootstrap(join(root, "boot"), env);
    await using node = await startContent(bootstrap.url, lib, join(root, "node-data"), env);
    const client = new AudiodClient(bootstrap.url, { joinSecret: await joinSecretOf(bootstrap.url) });
    const track = await waitFor("the track", () => client.track("Metered").catch(() => undefined));
    const [auth] = await waitFor("an auth instance", async () => {
      const c = await client.candidates("auth");
      return c.length > 0 ? c : undefined;
    });

    const session = await client.register("meter", "a long password");
    await client.login("meter", "a long password");
    await assert.rejects(client.login("meter", "the wrong password"));
    let bytes = 0;
    for await (const piece of streamVerified(track, { token: session.token })) bytes += piece.length;
    await (await fetch(`${bootstrap.url}/nowhere/${crypto.randomUUID()}`)).body?.cancel();

    const scrape = async (url: string) => {
      const res = await fetch(`${url}/metrics`);
      assert.equal(res.status, 200, url);
      assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
      const text = await res.text();
      return { text, families: parseExposition(text) };
    };
    const secret = (await Deno.readTextFile(joinSecretFileOf(bootstrap.url))).trim();
    const file = track.replicas[0]!.url;
    const all = await Promise.all([bootstrap.url, node.url, auth!.url, file].map(scrape));
    for (const { text } of all) {
      assert.ok(!text.includes(secret), "no join secret");
      assert.ok(!text.includes(session.token), "no token");
      assert.ok(!text.includes("meter"), "no user names");
    }
    const [boot, content, authMetrics, fileMetrics] = all.map((a) => a.families);
    for (
      const [families, role] of [[boot, "bootstrap"], [content, "content"], [authMetrics, "auth"], [
        fileMetrics,
        "file",
      ]] as const
    ) {
      assert.equal(sampleOf(families!, "audiod_info", { role }), 1, role);
      assert.equal(families!.get("audiod_http_requests_total")?.type, "counter", role);
      assert.ok(sampleOf(families!, "audiod_process_resident_memory_bytes")! > 0, role);
      const heapUsed = sampleOf(families!, "audiod_process_heap_used_bytes")!;
      assert.ok(heapUsed > 0 && heapUsed <= sampleOf(families!, "audiod_process_heap_total_bytes")!, role);
    }

    // The bootstrap: instances by role and state, the catalog, scale events, requests by route pattern.
    assert.equal(sampleOf(boot!, "audiod_instances", { role: "file", state: "up" }), 1);
    assert.equal(sampleOf(boot!, "audiod_instances", { role: "auth", state: "up" }), 1);
    assert.equal(sampleOf(boot!, "audiod_instances", { role: "content", state: "down" }), 0);
    assert.equal(sampleOf(boot!, "audiod_catalog_tracks"), 1);
    assert.equal(boot!.get("audiod_scale_events_total")?.type, "counter");
    assert.ok(
      sampleOf(boot!, "audiod_http_requests_total", { route: "/v1/tracks/:ref", status: "200" })! >= 1,
    );
    assert.equal(sampleOf(boot!, "audiod_http_requests_total", { route: "unmatched", status: "404" }), 1);

    // The auth instance: sign-in outcomes.
    assert.equal(sampleOf(authMetrics!, "audiod_sign_ins_total", { kind: "register", outcome: "ok" }), 1);
    assert.equal(sampleOf(authMetrics!, "audiod_sign_ins_total", { kind: "login", outcome: "ok" }), 1);
    assert.equal(sampleOf(authMetrics!, "audiod_sign_ins_total", { kind: "login", outcome: "refused" }), 1);

    // The file instance: bytes, streams, tracks, ranged requests.
    assert.ok(sampleOf(fileMetrics!, "audiod_bytes_served_total")! >= bytes);
    assert.equal(sampleOf(fileMetrics!, "audiod_active_streams"), 0);
    assert.equal(sampleOf(fileMetrics!, "audiod_tracks"), 1);
    assert.ok(
      sampleOf(fileMetrics!, "audiod_http_requests_total", { route: "/v1/tracks/:id", status: "206" })! >= 1,
    );

    // The content node: the instances it hosts.
    assert.equal(sampleOf(content!, "audiod_hosted_instances", { role: "file", state: "up" }), 1);
  },
});
