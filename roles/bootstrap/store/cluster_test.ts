/**
 * The PostgreSQL store's cluster facet against a real throwaway server: the leader lease and its epoch, the
 * event sequence, members' full and heartbeat writes, pending spawns, the shared catalog. Skipped where PostgreSQL is missing.
 */

import assert from "node:assert/strict";
import { POSTGRES_MISSING, skippedSuffix, startPostgres } from "../../../tests/_postgres.ts";
import { openStore, type Store } from "./mod.ts";
import type { Member } from "../registry.ts";

const member = (id: string, extra: Partial<Member> = {}): Member => ({
  id,
  role: "file",
  url: `http://127.0.0.1:1/${id}`,
  host: "127.0.0.1",
  pid: 1,
  node: null,
  state: "up",
  load: { activeStreams: 0, inFlight: 0, bytesPerSecond: 0, requests: 0 },
  tracks: 0,
  since: 1000,
  lastSeen: 1000,
  downSince: null,
  ...extra,
});

Deno.test({
  name: "the cluster facet: lease and epoch, events in order, members, pending spawns, catalog" +
    skippedSuffix(),
  ignore: !!POSTGRES_MISSING,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using pg = await startPostgres();
    const url = await pg.createDatabase();
    const dataDir = await Deno.makeTempDir();
    const stores: Store[] = [];
    try {
      for (let i = 0; i < 2; i++) stores.push(await openStore({ kind: "postgres", url }, { dataDir }));
      const [a, b] = stores.map((s) => s.cluster!);

      await t.step("one holder at a time; the epoch rises when the lease changes hands", async () => {
        const first = await a!.acquireLease("A", "http://a", 300);
        assert.equal(first?.epoch, 1);
        assert.equal(await b!.acquireLease("B", "http://b", 300), undefined, "A holds it");
        assert.equal((await a!.acquireLease("A", "http://a", 300))?.epoch, 1, "a renewal keeps the epoch");
        await new Promise((r) => setTimeout(r, 400));
        const taken = await b!.acquireLease("B", "http://b", 300);
        assert.equal(taken?.epoch, 2);
        assert.equal(await a!.acquireLease("A", "http://a", 300), undefined, "the old holder cannot renew");
        await b!.releaseLease("B");
        assert.equal((await a!.acquireLease("A", "http://a", 300))?.epoch, 3, "released: taken at once");
        assert.equal((await b!.lease())?.holder, "A");
      });

      await t.step("events get one sequence across stores, listeners hear them in order", async () => {
        const heard: number[] = [];
        const stop = await b!.listen((e) => heard.push(e.seq), () => {});
        const start = await a!.lastEventSeq();
        const seqs = await Promise.all(
          Array.from({ length: 20 }, (_, i) => (i % 2 ? a! : b!).publish("instance", `{"n":${i}}`, false)),
        );
        const big = await a!.publish("tracks", JSON.stringify({ pad: "x".repeat(9000) }), false);
        await new Promise((r) => setTimeout(r, 300));
        await stop();
        assert.deepEqual(
          [...seqs].sort((x, y) => x - y),
          seqs.map((_, i) => start + i + 1).sort((x, y) => x - y),
        );
        assert.deepEqual(heard, [...heard].sort((x, y) => x - y), "in sequence order");
        assert.ok(heard.includes(big), "a large event is notified by its number");
        const stored = await b!.eventsAfter(start, 100);
        assert.equal(stored.length, 21);
        assert.equal(stored.at(-1)!.data.length > 9000, true);
      });

      await t.step("a heartbeat write changes the lease and load but never the state", async () => {
        await a!.putMembers([member("m1")], "full", "A");
        await b!.putMembers([member("m1", { state: "down", downSince: 2000 })], "full", "B");
        await a!.putMembers([member("m1", { lastSeen: 5000, tracks: 7 })], "beat", "A");
        const [row] = await b!.members();
        assert.equal(row!.state, "down");
        assert.equal(row!.lastSeen, 5000);
        assert.equal(row!.tracks, 7);
        await a!.putMembers([member("m1", { lastSeen: 10 })], "beat", "C");
        assert.equal((await b!.members())[0]!.lastSeen, 5000, "an older heartbeat does not go back");
        await b!.deleteMembers(["m1"]);
        assert.deepEqual(await a!.members(), []);
      });

      await t.step("pending spawns: shared, answered oldest first, removed, expired", async () => {
        await a!.addPendingSpawn({ id: "s1", node: "n1", role: "file", epoch: 3 });
        await new Promise((r) => setTimeout(r, 5));
        await a!.addPendingSpawn({ id: "s2", node: "n1", role: "file", epoch: 3 });
        await a!.addPendingSpawn({ id: "s3", node: "n2", role: "auth", epoch: 3 });
        await a!.addPendingSpawn({ id: "s3", node: "n9", role: "file", epoch: 9 }); // sent twice: kept once
        const seen = await b!.pendingSpawns(60_000);
        assert.deepEqual(seen.map((p) => [p.id, p.node, p.role, p.instance, p.epoch]), [
          ["s1", "n1", "file", null, 3],
          ["s2", "n1", "file", null, 3],
          ["s3", "n2", "auth", null, 3],
        ]);
        assert.ok(seen.every((p) => p.ageMs >= 0 && p.ageMs < 60_000));
        const [x, y] = await Promise.all([
          b!.answerOldestSpawn("n1", "file", "f-1"),
          a!.answerOldestSpawn("n1", "file", "f-2"),
        ]);
        assert.deepEqual([x, y].sort(), ["s1", "s2"], "two registrations answer two spawns");
        assert.equal(await b!.answerOldestSpawn("n1", "file", "f-3"), undefined, "none left to answer");
        await a!.answerPendingSpawn("s3", "a-1");
        await a!.answerPendingSpawn("s3", "a-2"); // answered once: the first instance stays
        const answered = new Map((await b!.pendingSpawns(60_000)).map((p) => [p.id, p.instance]));
        assert.deepEqual([...answered].sort(), [["s1", x === "s1" ? "f-1" : "f-2"], [
          "s2",
          x === "s2" ? "f-1" : "f-2",
        ], ["s3", "a-1"]]);
        await b!.removePendingSpawns(["s1", "s3"]);
        assert.deepEqual((await a!.pendingSpawns(60_000)).map((p) => p.id), ["s2"]);
        await new Promise((r) => setTimeout(r, 50));
        assert.deepEqual(await a!.pendingSpawns(40), [], "older than the spawn timeout: expired");
        assert.deepEqual(await b!.pendingSpawns(60_000), [], "and deleted");
      });

      await t.step("catalog announcements: versions move, replace and removed apply", async () => {
        const track = (id: string) => ({
          id: id.repeat(64),
          title: id,
          artist: "",
          album: "",
          trackNo: null,
          duration: 1,
          size: 10,
          md5: "0".repeat(32),
          format: "wav",
        });
        // deno-lint-ignore no-explicit-any
        const v1 = await a!.announce("f1", [track("a"), track("b")] as any, { replace: true });
        // deno-lint-ignore no-explicit-any
        const v2 = await b!.announce("f1", [track("c")] as any, { removed: ["a".repeat(64)] });
        assert.equal(v2, v1 + 1);
        const { version, tracks } = await a!.catalogOf("f1");
        assert.equal(version, v2);
        assert.deepEqual(tracks.map((x) => x.title).sort(), ["b", "c"]);
        assert.equal((await b!.catalogVersions()).get("f1"), v2);
        await a!.dropInstance("f1");
        assert.equal((await b!.catalogVersions()).has("f1"), false);
      });
    } finally {
      for (const s of stores) await s.close();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
