/**
 * Two bootstraps on PostgreSQL across network namespaces: the database, each bootstrap and the content node on a
 * host of its own address, the client in this namespace. The leader's link is cut (`ip link set <veth> down`):
 * leadership moves to the other bootstrap, and a client knowing both addresses signs in and downloads a verified
 * track through it; healed, the old leader schedules nothing (it lost the lease). Skipped, with the reason in
 * its name, when not root or PostgreSQL is missing.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { type Daemon, isolatedEnv, startDaemon, tempDir, waitFor } from "./_harness.ts";
import { netnsUnavailable, startNetnsHosts } from "./_netns_hosts.ts";
import { POSTGRES_MISSING, startPostgres } from "./_postgres.ts";
import { makeLibrary } from "./fixtures.ts";
import { AudiodClient } from "../client/api.ts";
import { JOIN_SECRET_HEADER } from "../daemon/cluster/join_secret.ts";
import type { BootstrapList, StatusReport } from "../protocol/mod.ts";

const MISSING = (await netnsUnavailable()) ?? POSTGRES_MISSING;
const PORT = 7700;

Deno.test({
  name: "cutting the leader's link moves leadership; healed, the old leader schedules nothing" +
    (MISSING ? ` (skipped: ${MISSING})` : ""),
  ignore: !!MISSING,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using net = await startNetnsHosts(["db", "boot0", "boot1", "node"]);
    const { db, boot0, boot1, node } = net.hosts as Record<string, NonNullable<typeof net.hosts[string]>>;
    await using pg = await startPostgres({ netns: db!.namespace, address: db!.address });
    await using temp = await tempDir();
    const root = temp.path;
    const storeUrl = await pg.createDatabase("audiod");
    const env = isolatedEnv(root, "servers");
    const hosts = [boot0!, boot1!];
    const urls = hosts.map((h) => `http://${h.address}:${PORT}`);
    const daemons: Daemon[] = [];
    try {
      const bootstraps = await Promise.all(hosts.map((h, i) =>
        startDaemon([
          "bootstrap",
          "--listen",
          `${h.address}:${PORT}`,
          "--data",
          join(root, `boot-${i}`),
          "--store",
          storeUrl,
          "--log-format",
          "json",
        ], { env, netns: h.namespace })
      ));
      daemons.push(...bootstraps);
      const secretFile = join(root, "boot-0", "join-secret");
      const secret = (await Deno.readTextFile(secretFile)).trim();
      const media = join(root, "music");
      await makeLibrary(media, [{
        file: "a.wav",
        title: "Across",
        artist: "Namespaces",
        album: "HA",
        seconds: 1,
      }]);
      daemons.push(
        await startDaemon([
          "content",
          "--bootstrap",
          urls.join(","),
          "--media",
          media,
          "--data",
          join(root, "node"),
          "--listen",
          `${node!.address}:0`,
          "--join-secret-file",
          secretFile,
          "--log-format",
          "json",
        ], { env, netns: node!.namespace }),
      );
      const ask = async <T>(url: string, path: string): Promise<T | undefined> => {
        try {
          const res = await fetch(`${url}${path}`, {
            headers: { [JOIN_SECRET_HEADER]: secret },
            signal: AbortSignal.timeout(1500),
          });
          if (!res.ok) return void await res.body?.cancel();
          return await res.json() as T;
        } catch {
          return undefined;
        }
      };
      const leaderSeenBy = async (url: string) => {
        const list = await ask<BootstrapList>(url, "/v1/bootstraps");
        const leader = list?.bootstraps.find((b) => b.leader);
        return leader ? { url: leader.url, epoch: list!.epoch } : undefined;
      };
      const ready = async (url: string) => {
        const s = await ask<StatusReport>(url, "/v1/status");
        const up = (role: string) => s?.nodes.some((n) => n.role === role && n.state === "up");
        return up("content") && up("auth") && up("file") && s?.tracks === 1 || undefined;
      };
      await waitFor(
        "the cluster, seen by both bootstraps",
        async () => await ready(urls[0]!) && await ready(urls[1]!),
        30_000,
      );
      const before = await waitFor("a leader", () => leaderSeenBy(urls[0]!));
      const leaderAt = urls.indexOf(before.url);
      assert.ok(leaderAt >= 0, `the leader ${before.url} is one of the two`);
      const leader = bootstraps[leaderAt]!;
      const otherUrl = urls[1 - leaderAt]!;

      // The leader's link is cut: it reaches neither the database nor anyone else.
      await hosts[leaderAt]!.setLink(false);
      try {
        const after = await waitFor("the other bootstrap to lead", async () => {
          const seen = await leaderSeenBy(otherUrl);
          return seen?.url === otherUrl && seen.epoch > before.epoch ? seen : undefined;
        }, 15_000);
        assert.ok(after.epoch > before.epoch);
        await waitFor(
          "the cut leader to step down",
          () => leader.events().some((e) => e.event === "leader.stepped_down") || undefined,
          10_000,
        );

        // A client knowing both addresses, the cut one first: signs in and downloads through the other.
        const client = new AudiodClient([before.url, otherUrl].join(","));
        await waitFor(
          "a sign-up through the reachable bootstrap",
          () => client.register("alice", "a long password"),
          30_000,
        );
        const session = await client.login("alice", "a long password");
        const signedIn = new AudiodClient([before.url, otherUrl].join(","), { token: session.token });
        const track = (await signedIn.listTracks()).tracks[0]!;
        const bytes = await waitFor("a download from the file instance", async () => {
          const fresh = await signedIn.track(track.id);
          const res = await fetch(`${fresh.replicas[0]!.url}/v1/tracks/${track.id}`, {
            headers: { authorization: `Bearer ${session.token}` },
            signal: AbortSignal.timeout(5000),
          });
          if (!res.ok) throw new Error(`${res.status}: ${await res.text()}`);
          return new Uint8Array(await res.arrayBuffer());
        }, 15_000);
        assert.equal(createHash("md5").update(bytes).digest("hex"), track.md5, "the download verifies");
      } finally {
        await hosts[leaderAt]!.setLink(true);
      }

      // Healed: the old leader sees the other's lease and schedules nothing.
      const healedAt = leader.logs().length;
      await waitFor(
        "the healed bootstrap to see the new leader",
        async () => (await leaderSeenBy(before.url))?.url === otherUrl || undefined,
        15_000,
      );
      await new Promise((r) => setTimeout(r, 2000));
      const since = leader.logs().slice(healedAt);
      for (const event of ["instance.spawn", "scale.up", "scale.down", "member.down", "leader.elected"]) {
        assert.ok(!since.includes(`"event":"${event}"`), `the healed bootstrap logged ${event}:\n${since}`);
      }
      assert.equal((await leaderSeenBy(otherUrl))?.url, otherUrl, "the lease stayed with the other");
      assert.ok(await ready(before.url), "the healed bootstrap lists the cluster again");
      for (const d of daemons) {
        assert.ok(!d.logs().includes('"event":"member.down"'), `${d.url} marked a member down:\n${d.logs()}`);
        assert.ok(
          !d.logs().includes('"event":"bootstrap.forgot"'),
          `a member had to register again:\n${d.logs()}`,
        );
      }
    } finally {
      await Promise.allSettled(daemons.reverse().map((d) => d.stop()));
    }
  },
});
