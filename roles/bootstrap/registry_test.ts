import assert from "node:assert/strict";
import { IDLE, Registry } from "./registry.ts";
import { DEFAULT_POLICY, planSpawns, settlePending } from "./scheduler.ts";

function fakeClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const info = (id: string, role: "content" | "auth" | "file", node: string | null = null) => ({
  id,
  role,
  url: `http://127.0.0.1:${1000 + id.length}/${id}`,
  host: "127.0.0.1",
  pid: 1,
  node,
});

Deno.test("Registry marks a member down once its lease runs out, and not before", () => {
  const clock = fakeClock();
  const registry = new Registry({
    now: clock.now,
    timing: { heartbeatMs: 1000, leaseMs: 3000, forgetMs: 60_000 },
  });
  registry.register(info("member-1", "file"));
  clock.advance(2900);
  assert.deepEqual(registry.sweep(), []);
  assert.ok(registry.heartbeat("member-1", { ...IDLE, activeStreams: 2 }));
  clock.advance(2900);
  assert.deepEqual(registry.sweep(), [], "the heartbeat renewed the lease");
  clock.advance(200);
  const changes = registry.sweep();
  assert.equal(changes.length, 1);
  assert.equal(changes[0]!.state, "down");
  assert.equal(registry.heartbeat("member-1", IDLE), undefined, "a down member must register again");
  assert.deepEqual(registry.available("file"), []);
});

Deno.test("Registry takes instances of a content node down with it", () => {
  const clock = fakeClock();
  const registry = new Registry({
    now: clock.now,
    timing: { heartbeatMs: 1000, leaseMs: 3000, forgetMs: 60_000 },
  });
  registry.register(info("node-aaaa", "content"));
  registry.register(info("inst-bbbb", "auth", "node-aaaa"));
  clock.advance(2000);
  registry.heartbeat("inst-bbbb", IDLE);
  clock.advance(1500);
  const states = registry.sweep().map((c) => `${c.member.id}:${c.state}`).sort();
  assert.deepEqual(states, ["inst-bbbb:down", "node-aaaa:down"]);
});

Deno.test("Registry replaces a member that registers again with the same id", () => {
  const registry = new Registry();
  registry.register(info("member-1", "file"));
  const again = registry.register(info("member-1", "file"));
  assert.equal(again.replaced?.id, "member-1");
  assert.equal(registry.list().length, 1);
});

Deno.test("planSpawns() asks every content node for one auth and one file instance, once", () => {
  const registry = new Registry();
  registry.register(info("node-aaaa", "content"));
  registry.register(info("node-bbbb", "content"));
  registry.register(info("inst-cccc", "file", "node-bbbb"));
  const orders = planSpawns(registry.list(), [], DEFAULT_POLICY);
  assert.deepEqual(
    orders.map((o) => `${o.node}:${o.role}`).sort(),
    ["node-aaaa:auth", "node-aaaa:file", "node-bbbb:auth"],
  );
  const pending = orders.map((o) => ({ ...o, at: 0 }));
  assert.deepEqual(
    planSpawns(registry.list(), pending, DEFAULT_POLICY),
    [],
    "pending orders are not repeated",
  );
  const settled = settlePending(pending, { node: "node-aaaa", role: "auth" }, 1, DEFAULT_POLICY);
  assert.equal(settled.length, 2);
  assert.equal(
    settlePending(pending, null, DEFAULT_POLICY.pendingMs + 1, DEFAULT_POLICY).length,
    0,
    "expired",
  );
});
