/**
 * Load balancing with real processes: the bootstrap ranks candidates by the power of two choices, so equally
 * loaded instances take turns being first; a client that meets a failing instance (an instance answering 5xx,
 * registered beside the real ones) goes on to the next candidate for requests that may be repeated, and does
 * not repeat those that may not.
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
import { AudiodClient } from "../client/api.ts";
import { HttpError } from "../daemon/http/http_error.ts";
import { streamVerified } from "../media/transfer.ts";
import { synthesizeWav } from "../media/wav.ts";
import type { CatalogTrack } from "../protocol/mod.ts";
import { createHash } from "node:crypto";

/**
 * An instance that joins the cluster like any other (registers, heartbeats) and then answers every request
 * with `status()`: what a broken or overloaded instance looks like to clients.
 */
async function failingInstance(bootstrap: string, joinSecret: string, role: "auth" | "file") {
  const hits: string[] = [];
  let status = 500;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    hits.push(new URL(req.url).pathname);
    return Response.json({ error: { code: "broken", message: "this instance is broken" } }, { status });
  });
  const id = `failing-${role}-${crypto.randomUUID().slice(0, 8)}`;
  const internal = (path: string, body: unknown) =>
    fetch(`${bootstrap}/v1/internal/${path}`, {
      method: "POST",
      headers: { "x-audiod-join-secret": joinSecret, "content-type": "application/json" },
      body: JSON.stringify(body),
    }).then(async (res) => {
      await res.body?.cancel();
      assert.ok(res.ok, `${path}: ${res.status}`);
    });
  await internal("members", {
    id,
    role,
    url: `http://127.0.0.1:${server.addr.port}`,
    host: "127.0.0.1",
    pid: Deno.pid,
    node: null,
  });
  const idle = { activeStreams: 0, inFlight: 0, bytesPerSecond: 0, requests: 0 };
  const heartbeat = setInterval(
    () => internal(`members/${id}/heartbeat`, { load: idle }).catch(() => {}),
    400,
  );
  return {
    id,
    hits,
    announce: (track: CatalogTrack) => {
      const { id: trackId, md5, size, title, artist, album, trackNo, duration, format } = track;
      return internal("announce", {
        instance: id,
        replace: true,
        tracks: [{ id: trackId, md5, size, title, artist, album, trackNo, duration, format }],
      });
    },
    answer: (code: number) => status = code,
    [Symbol.asyncDispose]: async () => {
      clearInterval(heartbeat);
      await server.shutdown();
    },
  };
}

Deno.test({
  name: "clients go past a failing instance for repeatable requests, and not for the others",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using temp = await tempDir();
    const root = temp.path;
    const lib = join(root, "lib");
    await Deno.mkdir(lib);
    const bytes = synthesizeWav({ seconds: 20, frequency: 440, tags: { title: "Balanced" } });
    await Deno.writeFile(join(lib, "balanced.wav"), bytes);
    const env = isolatedEnv(root, "servers");
    await using bootstrap = await startBootstrap(join(root, "boot"), env, ["--sign-in-rate", "1000/min"]);
    const secret = (await Deno.readTextFile(joinSecretFileOf(bootstrap.url))).trim();
    await using _node = await startContent(bootstrap.url, lib, join(root, "node-data"), env);
    const client = new AudiodClient(bootstrap.url, { joinSecret: await joinSecretOf(bootstrap.url) });
    const track = await waitFor("the track", () => client.track("Balanced").catch(() => undefined));
    await using badAuth = await failingInstance(bootstrap.url, secret, "auth");
    await using badFile = await failingInstance(bootstrap.url, secret, "file");
    await badFile.announce(track);
    await waitFor(
      "two auth candidates",
      async () => (await client.candidates("auth")).length === 2 || undefined,
    );

    await t.step("equally idle candidates take turns being first", async () => {
      const firsts = new Set<string>();
      for (let i = 0; i < 40; i++) firsts.add((await client.candidates("auth"))[0]!.id);
      assert.equal(firsts.size, 2);
      const replicas = (await client.track(track.id)).replicas;
      assert.equal(replicas.length, 2);
    });

    await t.step("a login goes on past a 500", async () => {
      // A registration is not repeated after a 500: try again until it meets the real instance first.
      await waitFor("an account", () => client.register("first", "a long password").then(() => true));
      const before = badAuth.hits.length;
      for (let i = 0; i < 12; i++) await client.login("first", "a long password");
      assert.ok(badAuth.hits.length > before, "the failing instance was tried first now and then");
    });

    await t.step(
      "a registration does not repeat after a 500 (it may have happened), but does after a 503",
      async () => {
        // Which candidate comes first is up to the ranking (a failing instance answering at once looks idle, so
        // it is often first); whichever it was, the outcome must fit.
        const registers = () => badAuth.hits.filter((p) => p === "/v1/register").length;
        const outcomes = { triedFailingFirst: 0, registered: 0 };
        for (let i = 0; i < 14; i++) {
          const before = registers();
          const user = `user${i}`;
          try {
            await client.register(user, "a long password");
            assert.equal(registers(), before, `${user}: registered without meeting the failing one`);
            outcomes.registered++;
          } catch (error) {
            assert.ok(error instanceof HttpError && error.status === 500, String(error));
            assert.equal(registers(), before + 1);
            const stored = await fetch(`${bootstrap.url}/v1/internal/users/${user}`, {
              headers: { "x-audiod-join-secret": secret },
            });
            await stored.body?.cancel();
            assert.equal(stored.status, 404, `${user} was not registered elsewhere behind the client's back`);
            outcomes.triedFailingFirst++;
          }
        }
        assert.ok(outcomes.triedFailingFirst > 0, JSON.stringify(outcomes));
        badAuth.answer(503);
        const before = registers();
        for (let i = 0; i < 8; i++) await client.register(`later${i}`, "a long password");
        assert.ok(registers() > before, "the 503 instance was met and passed");
      },
    );

    await t.step("a download goes on past a replica answering 500 and verifies", async () => {
      const { token } = await client.login("first", "a long password");
      const md5 = createHash("md5").update(bytes).digest("hex");
      // The two replicas are ordered at random when their loads tie: 16 downloads all miss the failing one
      // once in 65,536 runs (8 did once in 256, and did).
      for (let i = 0; i < 16; i++) {
        const fresh = await client.track(track.id);
        const hash = createHash("md5");
        for await (const piece of streamVerified(fresh, { token })) hash.update(piece);
        assert.equal(hash.digest("hex"), md5);
      }
      assert.ok(badFile.hits.length > 0, "the failing replica was tried first now and then");
    });
  },
});
