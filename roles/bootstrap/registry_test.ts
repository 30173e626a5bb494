import assert from "node:assert/strict";
import { IDLE, Registry } from "./registry.ts";
import { DEFAULT_POLICY, planSpawns, settlePending } from "./scheduler.ts";

function fakeClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

/** Advances `clock` by `ms` with a sweep every 250 ms, as the bootstrap's tick does; returns their changes. */
function sweepFor(registry: Registry, clock: ReturnType<typeof fakeClock>, ms: number) {
  const changes = [];
  for (let left = ms; left > 0; left -= 250) {
    clock.advance(Math.min(250, left));
    changes.push(...registry.sweep());
  }
  return changes;
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
  assert.deepEqual(sweepFor(registry, clock, 2900), []);
  assert.ok(registry.heartbeat("member-1", { ...IDLE, activeStreams: 2 }));
  assert.deepEqual(sweepFor(registry, clock, 2900), [], "the heartbeat renewed the lease");
  const changes = sweepFor(registry, clock, 200);
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
  sweepFor(registry, clock, 2000);
  registry.heartbeat("inst-bbbb", IDLE);
  const states = sweepFor(registry, clock, 1500).map((c) => `${c.member.id}:${c.state}`).sort();
  assert.deepEqual(states, ["inst-bbbb:down", "node-aaaa:down"]);
});

Deno.test("Registry holds no member's silence against it while the bootstrap itself was stalled", () => {
  const clock = fakeClock();
  const registry = new Registry({
    now: clock.now,
    timing: { heartbeatMs: 1000, leaseMs: 3000, forgetMs: 60_000 },
  });
  registry.register(info("member-1", "file"));
  registry.register(info("member-2", "file"));
  assert.deepEqual(sweepFor(registry, clock, 1000), []);
  // Five seconds without a sweep (a long synchronous task): both leases ran out meanwhile.
  clock.advance(5000);
  assert.deepEqual(registry.sweep(), [], "no lease expires on the first sweep after the stall");
  // The heartbeat member-1 sent during the stall is read now, and it goes on; member-2 is really gone.
  const beating = (ms: number) => {
    const changes = [];
    for (let t = 0; t < ms; t += 1000) {
      registry.heartbeat("member-1", IDLE);
      changes.push(...sweepFor(registry, clock, Math.min(1000, ms - t)));
    }
    return changes;
  };
  assert.deepEqual(beating(2750), [], "the grace lasts a lease");
  const down = beating(500).map((c) => `${c.member.id}:${c.state}`);
  assert.deepEqual(down, ["member-2:down"], "a member silent after the grace goes down");
  assert.equal(registry.get("member-1")?.state, "up");
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
