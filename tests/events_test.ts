/**
 * The bootstrap's push channel with real processes: subscribers hear instances come and go (a kill -9 within a
 * second of the bootstrap marking it down), tracks added to and removed from a media directory, and — members
 * presenting the join secret only — token revocations.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import {
  isolatedEnv,
  joinSecretFileOf,
  sessionFor,
  startBootstrap,
  startContent,
  tempDir,
  waitFor,
} from "./_harness.ts";
import { subscribeEvents } from "../daemon/cluster/event_stream.ts";
import { synthesizeWav } from "../media/wav.ts";
import type { InstanceEvent, RevokedEvent, TracksEvent } from "../protocol/events.ts";

interface Heard {
  type: string;
  data: unknown;
  at: number;
}

/** Follows the bootstrap's events into a list, until disposed. */
function follow(bootstrap: string, access: { joinSecret?: string; token?: string }) {
  const heard: Heard[] = [];
  const stop = new AbortController();
  const connected = Promise.withResolvers<void>();
  const done = subscribeEvents({
    bootstrap,
    ...(access.joinSecret ? { peer: { joinSecret: access.joinSecret } } : {}),
    ...(access.token ? { token: access.token } : {}),
    signal: stop.signal,
    onEvent: ({ type, data }) => heard.push({ type, data, at: Date.now() }),
    onConnection: (change) => change.connected && connected.resolve(),
  });
  return {
    heard,
    connected: connected.promise,
    of<T>(type: string): (Heard & { data: T })[] {
      return heard.filter((h) => h.type === type) as (Heard & { data: T })[];
    },
    [Symbol.asyncDispose]: async () => {
      stop.abort();
      await done;
    },
  };
}

Deno.test({
  name: "GET /v1/events pushes instance changes, track changes and (to members) revocations",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using temp = await tempDir();
    const root = temp.path;
    const lib = join(root, "lib");
    await Deno.mkdir(lib);
    await Deno.writeFile(
      join(lib, "first.wav"),
      synthesizeWav({ seconds: 1, frequency: 440, tags: { title: "First" } }),
    );
    const env = isolatedEnv(root, "servers");
    await using bootstrap = await startBootstrap(join(root, "boot"), env, ["--log-format", "json"]);
    const secret = (await Deno.readTextFile(joinSecretFileOf(bootstrap.url))).trim();
    // A visitor is a signed-in listener: the channel is private (issue 17).
    await using visitor = follow(bootstrap.url, { token: await sessionFor(bootstrap.url, "visitor") });
    await using member = follow(bootstrap.url, { joinSecret: secret });
    await Promise.all([visitor.connected, member.connected]);

    await using node = await startContent(bootstrap.url, lib, join(root, "node-data"), env);

    await t.step("instances coming up are announced with their role and url", async () => {
      const up = await waitFor("content, auth and file up", () => {
        const ups = visitor.of<InstanceEvent>("instance").filter((h) => h.data.state === "up");
        const roles = new Set(ups.map((h) => h.data.role));
        return roles.has("content") && roles.has("auth") && roles.has("file") ? ups : undefined;
      });
      for (const h of up) assert.match(h.data.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    });

    const fileInstance = () =>
      visitor.of<InstanceEvent>("instance").find((h) => h.data.role === "file" && h.data.state === "up")!.data
        .id;

    await t.step(
      "the first announcement and a file added to the media directory come as tracks",
      async () => {
        await waitFor(
          "the first track",
          () => visitor.of<TracksEvent>("tracks").find((h) => h.data.added === 1),
        );
        const bytes = synthesizeWav({ seconds: 1, frequency: 550, tags: { title: "Second" } });
        const id = createHash("sha256").update(bytes).digest("hex");
        await Deno.writeFile(join(lib, "second.wav"), bytes);
        const added = await waitFor(
          "the added track",
          () => visitor.of<TracksEvent>("tracks").find((h) => h.data.addedIds.includes(id)),
          10_000,
        );
        assert.equal(added.data.instance, fileInstance());
        assert.equal(added.data.total, 2);
        await Deno.remove(join(lib, "second.wav"));
        const removed = await waitFor(
          "the removed track",
          () => visitor.of<TracksEvent>("tracks").find((h) => h.data.removedIds.includes(id)),
          10_000,
        );
        assert.equal(removed.data.removed, 1);
        assert.equal(removed.data.total, 1);
      },
    );

    await t.step("a logout reaches members as a revocation, and visitors never", async () => {
      const auth = visitor.of<InstanceEvent>("instance").find((h) => h.data.role === "auth")!.data.url;
      const res = await fetch(`${auth}/v1/register`, {
        method: "POST",
        body: JSON.stringify({ user: "eve", password: "a long password" }),
      });
      assert.equal(res.status, 201);
      const { token } = await res.json() as { token: string };
      const hash = createHash("sha256").update(token).digest("hex");
      const out = await fetch(`${auth}/v1/logout`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(out.status, 204);
      await waitFor(
        "the revocation",
        () => member.of<RevokedEvent>("revoked").find((h) => h.data.tokenHashes.includes(hash)),
      );
      // The visitor's stream carries everything published after it (heartbeats aside) but this.
      assert.equal(visitor.of("revoked").length, 0);
      const wrong = await fetch(`${bootstrap.url}/v1/events`, {
        headers: { "x-audiod-join-secret": "nope" },
      });
      assert.equal(wrong.status, 401, "a wrong secret is refused, not downgraded");
      await wrong.body?.cancel();
    });

    await t.step("kill -9 of the node: every instance on it is announced down within 1 s", async () => {
      const ids = new Set(
        visitor.of<InstanceEvent>("instance").filter((h) => h.data.state === "up").map((h) => h.data.id),
      );
      Deno.kill(node.process.pid, "SIGKILL");
      const downs = await waitFor("the instances down", () => {
        const d = visitor.of<InstanceEvent>("instance").filter((h) => h.data.state === "down");
        return d.length >= ids.size ? d : undefined;
      }, 10_000);
      for (const h of downs) {
        assert.ok(ids.has(h.data.id));
        const delay = h.at - h.data.at;
        assert.ok(delay <= 1000, `${h.data.role} down heard ${delay} ms after the bootstrap marked it`);
      }
      const gone = await waitFor(
        "its tracks leaving",
        () => visitor.of<TracksEvent>("tracks").find((h) => h.data.removed === 1 && h.data.total === 0),
      );
      assert.equal(gone.data.instance, fileInstance());
    });
  },
});
