/**
 * The scheduler with pending spawns shared through the store (several bootstraps on one PostgreSQL): a new
 * leader counts the spawns its predecessor ordered against --max-*, settles them when their instance
 * registers, and expires them after the spawn timeout. The store side is in `store/cluster_test.ts`.
 */

import assert from "node:assert/strict";
import { createLogger } from "../../daemon/runtime/log.ts";
import { IDLE, Registry } from "./registry.ts";
import { type InstanceRole, schedulePolicy, Scheduler } from "./scheduler.ts";

/** Two content nodes with one auth and one file instance each, busy enough to want more file instances. */
function term() {
  let now = 1_000_000;
  const registry = new Registry({
    now: () => now,
    timing: { heartbeatMs: 1000, leaseMs: 1_000_000, forgetMs: 1_000_000 },
  });
  const reg = (id: string, role: "content" | InstanceRole, node: string | null) =>
    registry.register({ id, role, url: `http://127.0.0.1/${id}`, host: "127.0.0.1", pid: 1, node }).member;
  for (const n of ["a", "b"]) {
    reg(n, "content", null);
    reg(`auth-${n}`, "auth", n);
    reg(`file-${n}`, "file", n);
    registry.heartbeat(`file-${n}`, { ...IDLE, activeStreams: 50 });
  }
  const spawned: { node: string; role: InstanceRole; id: string }[] = [];
  const answered: [string, string][] = [];
  const forgotten: string[] = [];
  const scheduler = new Scheduler({
    policy: schedulePolicy({ maxFile: 3, fileTargetStreams: 1 }),
    members: () => registry.list(),
    logger: createLogger({ role: "bootstrap", format: "json", write: () => {} }),
    now: () => now,
    spawn: (node, role, order) => {
      spawned.push({ node: node.id, role, id: order.id });
      return Promise.resolve();
    },
    stop: () => Promise.resolve(),
    sharedPending: {
      answered: (id, instance) => answered.push([id, instance]),
      forget: (ids) => forgotten.push(...ids),
    },
  });
  const run = (seconds: number) => {
    for (let t = 0; t < seconds * 4; t++) {
      scheduler.tick();
      now += 250;
    }
  };
  return { registry, scheduler, reg, run, spawned, answered, forgotten, now: () => now };
}

Deno.test("a new leader decides nothing before it read the store's pending spawns", () => {
  const t = term();
  t.run(3);
  assert.deepEqual(t.spawned, []);
  t.scheduler.inherit([]);
  t.run(1);
  assert.equal(t.spawned.length, 1, "2 running + 1 ordered = --max-file 3");
  t.run(3);
  assert.equal(t.spawned.length, 1, "its own pending spawn counts");
});

Deno.test("a new leader counts its predecessor's pending spawn against --max-file", () => {
  const t = term();
  t.scheduler.inherit([{ id: "old", node: "a", role: "file", at: t.now(), instance: null }]);
  t.run(5);
  assert.deepEqual(t.spawned, [], "2 running + 1 inherited = --max-file 3");

  // Its instance registers: the spawn is answered, and forgotten once the registry shows the member.
  const member = t.reg("file-a2", "file", "a");
  t.scheduler.registered(member);
  assert.deepEqual(t.answered, [["old", "file-a2"]]);
  t.scheduler.inherit([{ id: "old", node: "a", role: "file", at: t.now(), instance: "file-a2" }]);
  assert.deepEqual(t.forgotten, ["old"]);
  t.run(5);
  assert.deepEqual(t.spawned, [], "3 running");
});

Deno.test("a spawn answered by a member the registry does not show yet still counts", () => {
  const t = term();
  t.scheduler.inherit([{ id: "old", node: "b", role: "file", at: t.now(), instance: "file-b9" }]);
  t.run(5);
  assert.deepEqual(t.spawned, []);
  assert.deepEqual(t.forgotten, []);
});

Deno.test("an inherited pending spawn expires after the spawn timeout and may be ordered again", () => {
  const t = term();
  const { pendingMs } = schedulePolicy({});
  t.scheduler.inherit([{ id: "old", node: "a", role: "file", at: t.now(), instance: null }]);
  t.run(pendingMs / 1000 - 1);
  assert.deepEqual(t.spawned, []);
  t.run(2);
  assert.ok(t.forgotten.includes("old"), "expired: the store drops it");
  assert.equal(t.spawned.length, 1, "ordered again");
});
