import assert from "node:assert/strict";
import { trimHeapWhile } from "./heap_trim.ts";

Deno.test("trimHeapWhile asks busy() on every tick, collects when busy, and stops when its signal aborts", async () => {
  const stop = new AbortController();
  let asked = 0;
  let garbage: unknown[] | null = Array.from({ length: 1000 }, (_, i) => ({ i }));
  const target = new WeakRef(garbage[0] as object);
  garbage = null;
  trimHeapWhile(() => ++asked > 0, { signal: stop.signal, intervalMs: 20 });
  await new Promise((r) => setTimeout(r, 150));
  stop.abort();
  const seen = asked;
  assert.ok(seen >= 2, `asked ${seen} times`);
  // A full collection ran: the unreachable object is gone.
  assert.equal(target.deref(), undefined);
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(asked, seen, "no ticks after the abort");
});
