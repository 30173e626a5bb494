import assert from "node:assert/strict";
import { ChunkBuffers } from "./transfer.ts";

Deno.test("ChunkBuffers reuses handed-back buffers of the size asked for, whole, and keeps at most max", () => {
  const buffers = new ChunkBuffers(2);
  const a = buffers.take(1024);
  a.fill(7);
  // A piece of a chunk hands back the whole buffer.
  buffers.give(a.subarray(100, 200));
  const again = buffers.take(1024);
  assert.equal(again.buffer, a.buffer);
  assert.equal(again.length, 1024);
  assert.equal(again[0], 7, "a reused buffer keeps its old bytes until overwritten");
  // Another size gets fresh memory and leaves the kept buffer alone.
  buffers.give(again);
  const small = buffers.take(10);
  assert.notEqual(small.buffer, a.buffer);
  assert.equal(buffers.take(1024).buffer, a.buffer);
  const given = Array.from({ length: 5 }, () => new Uint8Array(1024));
  for (const b of given) buffers.give(b);
  const taken = [buffers.take(1024), buffers.take(1024), buffers.take(1024)];
  const reused = taken.filter((t) => given.some((g) => g.buffer === t.buffer));
  assert.equal(reused.length, 2, "only two were kept");
});
