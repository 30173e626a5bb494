import assert from "node:assert/strict";
import { createLogger } from "../../daemon/runtime/log.ts";
import { Registry } from "./registry.ts";
import { schedulePolicy, Scheduler } from "./scheduler.ts";

/** One content node whose spawn orders fail while `failing` is true; a tick every 250 ms on a fake clock. */
function failingNode() {
  let now = 1_000_000;
  const registry = new Registry({
    now: () => now,
    timing: { heartbeatMs: 1000, leaseMs: 1_000_000, forgetMs: 1_000_000 },
  });
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ role: "bootstrap", format: "json", write: (l) => lines.push(JSON.parse(l)) });
  registry.register({
    id: "content-0001",
    role: "content",
    url: "http://127.0.0.1/c",
    host: "h",
    pid: 1,
    node: null,
  });
  const orders: { at: number; role: string; retry: boolean }[] = [];
  const state = { failing: true };
  let serial = 0;
  const scheduler = new Scheduler({
    policy: schedulePolicy({}),
    members: () => registry.list(),
    logger,
    now: () => now,
    spawnBackoff: { baseMs: 250, maxMs: 4000, jitter: "none" },
    spawn: (node, role, order) => {
      orders.push({ at: now, role, retry: order.retry });
      if (state.failing) return Promise.reject(new Error("connection refused"));
      const id = `${role}-${String(++serial).padStart(4, "0")}`;
      scheduler.registered(
        registry.register({ id, role, url: `http://127.0.0.1/${id}`, host: "h", pid: 1, node: node.id })
          .member,
      );
      return Promise.resolve();
    },
    stop: () => Promise.resolve(),
  });
  const run = async (seconds: number) => {
    for (let t = 0; t < seconds * 4; t++) {
      scheduler.tick();
      await Promise.resolve(); // let the failed orders' handlers run, as between real ticks
      await Promise.resolve();
      now += 250;
    }
  };
  return { registry, orders, lines, state, run };
}

Deno.test("Scheduler backs off from a node whose spawns keep failing and logs once per change of state", async () => {
  const c = failingNode();
  await c.run(20);
  const file = c.orders.filter((o) => o.role === "file");
  // 250 ms ticks would make 80 orders in 20 s; backing off 250, 500, 1000, 2000, 4000, 4000… makes about 9.
  assert.ok(file.length <= 10, `${file.length} orders of a file instance in 20 s`);
  const gaps = file.slice(1).map((o, i) => o.at - file[i]!.at);
  for (let i = 1; i < gaps.length; i++) assert.ok(gaps[i]! >= gaps[i - 1]!, `gaps grow: ${gaps}`);
  assert.ok(gaps.at(-1)! <= 4250, `capped: ${gaps}`);
  assert.deepEqual(file.map((o) => o.retry), [false, ...file.slice(1).map(() => true)]);
  const failed = c.lines.filter((l) => l.event === "instance.spawn_failed");
  assert.deepEqual(failed.map((l) => l.role).sort(), ["auth", "file"], "one line per role, not per attempt");

  c.state.failing = false;
  await c.run(6);
  assert.equal(c.registry.list().filter((m) => m.role === "file" && m.state === "up").length, 1);
  const recovered = c.lines.filter((l) => l.event === "instance.spawn_recovered");
  assert.deepEqual(recovered.map((l) => l.role).sort(), ["auth", "file"]);
  assert.ok((recovered[0]!.failures as number) >= 5);
});
