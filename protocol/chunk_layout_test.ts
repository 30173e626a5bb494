import assert from "node:assert/strict";
import {
  chunkAt,
  chunkCountOf,
  chunkEnd,
  chunkStart,
  DOUBLING_LAYOUT,
  FIXED_LAYOUT,
  innerBoundaries,
  layoutProblem,
} from "./chunk_layout.ts";

const KIB = 1024;
const MIB = 1024 * KIB;

Deno.test("the doubling layout ends chunks at 16 KiB, doubling to 1 MiB, then every MiB", () => {
  const ends = Array.from({ length: 10 }, (_, i) => chunkEnd(DOUBLING_LAYOUT, i));
  assert.deepEqual(ends, [16, 32, 64, 128, 256, 512, 1024, 2048, 3072, 4096].map((k) => k * KIB));
  assert.equal(chunkStart(DOUBLING_LAYOUT, 0), 0);
  assert.equal(chunkStart(DOUBLING_LAYOUT, 7), MIB);
  // Every end of the fixed 1 MiB layout is an end of the doubling one.
  for (let i = 0; i < 4; i++) {
    assert.ok(ends.includes(chunkEnd(FIXED_LAYOUT, i)));
  }
});

Deno.test("chunkAt() and chunkCountOf() agree with the chunk ends, at and around every end", async (t) => {
  for (const [name, layout] of [["doubling", DOUBLING_LAYOUT], ["fixed", FIXED_LAYOUT]] as const) {
    await t.step(name, () => {
      for (let i = 0; i < 12; i++) {
        const start = chunkStart(layout, i);
        const end = chunkEnd(layout, i);
        assert.equal(chunkAt(layout, start), i);
        assert.equal(chunkAt(layout, end - 1), i);
        assert.equal(chunkAt(layout, end), i + 1);
        assert.equal(chunkCountOf(layout, end), i + 1);
        assert.equal(chunkCountOf(layout, end + 1), i + 2);
      }
      assert.equal(chunkCountOf(layout, 0), 0);
      assert.equal(chunkCountOf(layout, 1), 1);
    });
  }
});

Deno.test("innerBoundaries() lists the ends another chunk follows", () => {
  assert.deepEqual([...innerBoundaries(DOUBLING_LAYOUT, 16 * KIB)], []);
  assert.deepEqual([...innerBoundaries(DOUBLING_LAYOUT, 16 * KIB + 1)], [16 * KIB]);
  assert.equal(
    [...innerBoundaries(DOUBLING_LAYOUT, 7 * MIB + 5)].length,
    chunkCountOf(DOUBLING_LAYOUT, 7 * MIB + 5) - 1,
  );
});

Deno.test("layoutProblem() refuses sizes that are not multiples of 64 or not a power of two apart", () => {
  assert.equal(layoutProblem(DOUBLING_LAYOUT), null);
  assert.equal(layoutProblem({ chunkSize: MIB }), null);
  assert.match(layoutProblem({ chunkSize: MIB, firstChunkSize: 100 }) ?? "", /multiple of 64/);
  assert.match(layoutProblem({ chunkSize: MIB, firstChunkSize: 3 * 64 }) ?? "", /power of two/);
  assert.match(layoutProblem({ chunkSize: 16 * KIB, firstChunkSize: MIB }) ?? "", /power of two/);
});
