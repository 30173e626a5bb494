import assert from "node:assert/strict";
import { createLogger } from "../../daemon/runtime/log.ts";
import { IDLE, type Member, Registry } from "./registry.ts";
import { type InstanceRole, pickNode, pickVictim, schedulePolicy, Scheduler } from "./scheduler.ts";

/** A registry, a fake clock and a scheduler whose orders take effect at once, as a content node would. */
function cluster(nodes: number, scale: Parameters<typeof schedulePolicy>[0]) {
  let now = 1_000_000;
  const registry = new Registry({
    now: () => now,
    timing: { heartbeatMs: 1000, leaseMs: 1_000_000, forgetMs: 1_000_000 },
  });
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ role: "bootstrap", format: "json", write: (l) => lines.push(JSON.parse(l)) });
  let serial = 0;
  const add = (role: Member["role"], node: string | null) => {
    const id = `${role}-${String(++serial).padStart(4, "0")}`;
    return registry.register({ id, role, url: `http://127.0.0.1/${id}`, host: "127.0.0.1", pid: 1, node })
      .member;
  };
  for (let i = 0; i < nodes; i++) add("content", null);
  const stopped: string[] = [];
  const scheduler = new Scheduler({
    policy: schedulePolicy(scale),
    members: () => registry.list(),
    logger,
    now: () => now,
    spawn: (node, role) => {
      scheduler.registered(add(role, node.id));
      return Promise.resolve();
    },
    stop: (instance) => {
      registry.drain(instance.id);
      stopped.push(instance.id);
      registry.remove(instance.id);
      return Promise.resolve();
    },
  });
  const instances = (role: InstanceRole) =>
    registry.list().filter((m) => m.role === role && m.state === "up");
  /** Spreads `streams` over the file instances and runs the scheduler for `seconds`, a tick every 250 ms. */
  const run = (seconds: number, streams: number) => {
    for (let t = 0; t < seconds * 4; t++) {
      const files = instances("file");
      files.forEach((m, i) => {
        const share = Math.floor(streams / files.length) + (i < streams % files.length ? 1 : 0);
        registry.heartbeat(m.id, { ...IDLE, activeStreams: share });
      });
      scheduler.tick();
      now += 250;
    }
  };
  return { registry, scheduler, instances, run, lines, stopped };
}

Deno.test("Scheduler gives every content node one auth and one file instance, once", () => {
  const c = cluster(2, {});
  c.run(3, 0);
  assert.equal(c.instances("auth").length, 2);
  assert.equal(c.instances("file").length, 2);
  const nodes = c.registry.list().filter((m) => m.role === "content").map((m) => m.id);
  for (const node of nodes) {
    assert.equal(
      c.instances("file").filter((m) => m.node === node).length,
      1,
      `one file instance on ${node}`,
    );
  }
});

Deno.test("Scheduler scales file instances out under load and back to the minimum after the window", () => {
  const c = cluster(2, { fileTargetStreams: 2, minFile: 1, maxFile: 6, minAuth: 1, scaleDownWindowMs: 3000 });
  c.run(2, 0);
  assert.equal(c.instances("file").length, 2);
  assert.equal(c.instances("auth").length, 1, "--min-auth 1: one auth instance in the cluster");
  c.run(15, 12);
  const files = c.instances("file");
  assert.equal(files.length, 6, "12 streams at 2 per instance");
  const perNode = Map.groupBy(files, (m) => m.node);
  assert.deepEqual([...perNode.values()].map((g) => g.length), [3, 3], "spread evenly over the nodes");
  const ups = c.lines.filter((l) => l.event === "scale.up" && l.role === "file");
  assert.ok(ups.length > 0 && ups.every((l) => Number(l.to) > Number(l.from)), JSON.stringify(ups));

  c.run(2, 0);
  assert.equal(c.instances("file").length, 6, "not before the window passed");
  c.run(30, 0);
  assert.equal(c.instances("file").length, 2, "back to one per node");
  const nodes = c.registry.list().filter((m) => m.role === "content");
  for (const node of nodes) assert.ok(c.instances("file").some((m) => m.node === node.id));
  const downs = c.lines.filter((l) => l.event === "scale.down");
  assert.ok(
    downs.length > 0 && downs.every((l) => typeof l.reason === "string" && Number(l.to) < Number(l.from)),
  );
  assert.equal(c.stopped.length, 4);
});

Deno.test("pickNode() prefers the node with the fewest instances, then the least busy", () => {
  const c = cluster(2, {});
  const [a, b] = c.registry.list();
  const reg = (id: string, node: string) =>
    c.registry.register({ id, role: "file", url: `http://x/${id}`, host: "x", pid: 1, node }).member;
  reg("file-a1", a!.id);
  assert.equal(pickNode(c.registry.list(), [], "file")?.id, b!.id, "b has none");
  reg("file-b1", b!.id);
  c.registry.heartbeat("file-a1", { ...IDLE, activeStreams: 3 });
  assert.equal(pickNode(c.registry.list(), [], "file")?.id, b!.id, "a is busier");
  assert.equal(
    pickNode(c.registry.list(), [{ node: b!.id, role: "file", at: 0 }], "file")?.id,
    a!.id,
    "an order pending on b counts",
  );
});

Deno.test("pickVictim() never takes a node's last file instance and prefers idle ones", () => {
  const c = cluster(2, {});
  const [a, b] = c.registry.list();
  const reg = (id: string, node: string, streams: number) => {
    c.registry.register({ id, role: "file", url: `http://x/${id}`, host: "x", pid: 1, node });
    c.registry.heartbeat(id, { ...IDLE, activeStreams: streams });
  };
  reg("file-a1", a!.id, 0);
  reg("file-b1", b!.id, 0);
  assert.equal(pickVictim(c.registry.list(), "file", { minPerNode: { auth: 0, file: 0 } }), undefined);
  reg("file-b2", b!.id, 2);
  reg("file-b3", b!.id, 0);
  const victim = pickVictim(c.registry.list(), "file", { minPerNode: { auth: 0, file: 1 } })?.id;
  assert.ok(victim === "file-b1" || victim === "file-b3", `an idle instance on b, not ${victim}`);
});
