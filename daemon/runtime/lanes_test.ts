import assert from "node:assert/strict";
import { Lanes, LanesFullError } from "./lanes.ts";

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => open = resolve);
  return { open, opened };
}

Deno.test("Lanes runs at most `lanes` tasks at once, the rest in arrival order", async () => {
  const lanes = new Lanes({ lanes: 1, queue: 4 });
  const order: string[] = [];
  const first = gate();
  const a = lanes.run(async () => {
    order.push("a start");
    await first.opened;
    order.push("a end");
  });
  const b = lanes.run(() => {
    order.push("b");
    return Promise.resolve();
  });
  const c = lanes.run(() => {
    order.push("c");
    return Promise.resolve();
  });
  await Promise.resolve();
  assert.deepEqual(order, ["a start"]);
  assert.equal(lanes.running, 1);
  assert.equal(lanes.waiting, 2);
  first.open();
  await Promise.all([a, b, c]);
  assert.deepEqual(order, ["a start", "a end", "b", "c"]);
  assert.equal(lanes.running, 0);
  assert.equal(lanes.waiting, 0);
});

Deno.test("Lanes refuses a task when the queue is full, and a failing task frees its lane", async () => {
  const lanes = new Lanes({ lanes: 2, queue: 1 });
  const held = gate();
  const running = [lanes.run(() => held.opened), lanes.run(() => Promise.reject(new Error("boom")))];
  const queued = lanes.run(() => Promise.resolve("queued ran"));
  await assert.rejects(lanes.run(() => Promise.resolve()), LanesFullError);
  await assert.rejects(running[1]!, /boom/);
  assert.equal(await queued, "queued ran");
  held.open();
  await running[0];
  assert.equal(lanes.running, 0);
});
