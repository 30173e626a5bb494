/**
 * Autoscaling with real processes: six slow streams against a target of two per file instance scale file
 * instances out to at least three; once the streams end and the scale-down window passed, back to one.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { asMember, isolatedEnv, startBootstrap, startContent, tempDir, waitFor } from "./_harness.ts";
import { parseExposition, sampleOf } from "./_exposition.ts";
import { synthesizeWav } from "../media/wav.ts";
import type { CatalogTrack, StatusReport } from "../protocol/mod.ts";

const STREAMS = 6;

Deno.test({
  name: "six slow streams scale file instances out to three or more, and back to one after the window",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using temp = await tempDir();
    const root = temp.path;
    await Deno.mkdir(join(root, "lib"));
    // About 42 MB: far more than socket buffers hold, so a slowly read stream stays open on the server.
    await Deno.writeFile(
      join(root, "lib", "long.wav"),
      synthesizeWav({ seconds: 240, frequency: 330, tags: { title: "Very Long Tone", artist: "Scaler" } }),
    );
    const env = isolatedEnv(root, "servers");
    await using bootstrap = await startBootstrap(join(root, "boot"), env, [
      "--log-format",
      "json",
      "--file-target-streams",
      "2",
      "--min-file",
      "1",
      "--max-file",
      "6",
      "--scale-down-window",
      "3s",
    ]);
    await using _node = await startContent(bootstrap.url, join(root, "lib"), join(root, "node-data"), env);
    const status = async () =>
      await (await fetch(`${bootstrap.url}/v1/status`, await asMember(bootstrap.url))).json() as StatusReport;
    const files = async () => (await status()).nodes.filter((n) => n.role === "file" && n.state === "up");
    await waitFor("one file instance serving the track", async () => {
      const up = await files();
      return up.length === 1 && up[0]!.tracks === 1 || undefined;
    });

    const auth = await waitFor("an auth instance", async () => {
      const res = await fetch(`${bootstrap.url}/v1/services/auth`);
      return (await res.json() as { candidates: { url: string }[] }).candidates[0]?.url;
    });
    const registered = await fetch(`${auth}/v1/register`, {
      method: "POST",
      body: JSON.stringify({ user: "listener", password: "a long password" }),
    });
    assert.equal(registered.status, 201);
    const { token } = await registered.json() as { token: string };
    const track =
      await (await fetch(`${bootstrap.url}/v1/tracks/Very%20Long%20Tone`, await asMember(bootstrap.url)))
        .json() as CatalogTrack;

    // Six listeners, each reading 64 KiB every 250 ms, like players at a modest bitrate.
    const stop = new AbortController();
    const streams = Array.from({ length: STREAMS }, async () => {
      const res = await fetch(`${track.replicas[0]!.url}/v1/tracks/${track.id}`, {
        headers: { authorization: `Bearer ${token}` },
        signal: stop.signal,
      });
      assert.equal(res.status, 200);
      const reader = res.body!.getReader();
      try {
        while (!stop.signal.aborted) {
          const { done } = await reader.read();
          if (done) throw new Error("the stream ended before the test stopped it");
          await new Promise((r) => setTimeout(r, 250));
        }
      } catch (error) {
        if (!stop.signal.aborted) throw error;
      } finally {
        await reader.cancel().catch(() => {});
      }
    });
    const started = Date.now();
    try {
      await waitFor("the streams to be counted", async () => {
        const load = (await files()).reduce((sum, n) => sum + n.load.activeStreams, 0);
        return load === STREAMS || undefined;
      }, 10_000);
      const out = await waitFor("three file instances or more", async () => {
        const up = await files();
        return up.length >= 3 && up.every((n) => n.tracks === 1) ? up.length : undefined;
      }, 20_000);
      assert.ok(out >= 3 && out <= 6, `${out} file instances`);
    } finally {
      stop.abort();
      await Promise.allSettled(streams);
    }
    const scaledOutAfter = Date.now() - started;

    await waitFor("the streams to end on the servers", async () => {
      const load = (await files()).reduce((sum, n) => sum + n.load.activeStreams, 0);
      return load === 0 || undefined;
    }, 10_000);
    const idleAt = Date.now();
    await waitFor("back to one file instance", async () => {
      const s = await status();
      const live = s.nodes.filter((n) => n.role === "file" && n.state !== "down");
      return live.length === 1 && live[0]!.state === "up" ? true : undefined;
    }, 30_000);
    const scaledInAfter = Date.now() - idleAt;
    assert.ok(scaledInAfter >= 3000, `not before the 3 s window passed (${scaledInAfter} ms)`);

    const events = bootstrap.events();
    const ups = events.filter((e) => e.event === "scale.up" && e.role === "file");
    const downs = events.filter((e) => e.event === "scale.down" && e.role === "file");
    assert.ok(ups.length >= 1, `scale.up logged (out after ${scaledOutAfter} ms)`);
    assert.ok(downs.length >= 1, "scale.down logged");
    for (const e of [...ups, ...downs]) {
      assert.equal(typeof e.from, "number");
      assert.equal(typeof e.to, "number");
      assert.equal(typeof e.reason, "string");
    }
    assert.ok(
      events.some((e) => e.event === "member.draining"),
      "instances were drained before they stopped",
    );
    const metrics = parseExposition(await (await fetch(`${bootstrap.url}/metrics`)).text());
    assert.ok(sampleOf(metrics, "audiod_scale_events_total", { role: "file", direction: "up" })! >= 1);
    assert.ok(sampleOf(metrics, "audiod_scale_events_total", { role: "file", direction: "down" })! >= 1);
    // Nothing went down: instances that scale in leave, they do not die.
    assert.equal(events.filter((e) => e.event === "member.down").length, 0);
  },
});
