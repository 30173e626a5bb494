import assert from "node:assert/strict";
import { BufferPool } from "./_buffer_pool.ts";

Deno.test("BufferPool gives the first streams large buffers, the many small ones, and slow readers small ones", () => {
  const pool = new BufferPool(1);
  const taken = Array.from({ length: 1000 }, () => pool.take());
  assert.equal(taken[0]!.length, 1024 * 1024);
  assert.equal(taken[2]!.length, 256 * 1024);
  assert.equal(taken[999]!.length, BufferPool.SMALL);
  const before = pool.held;
  // Every stream turns out to be a slow reader: each holds a small buffer, and the large ones are back.
  const slow = taken.map((b) => pool.slower(b));
  assert.ok(slow.every((b) => b.length === BufferPool.SMALL));
  assert.equal(pool.held, 1000 * BufferPool.SMALL);
  assert.ok(before > pool.held && before < 50 * 1024 * 1024, `${before} held before, ${pool.held} after`);
  // A large buffer given back goes to the next stream.
  assert.equal(pool.take().length, 1024 * 1024);
  for (const b of slow) pool.give(b);
});
