import assert from "node:assert/strict";
import { parseRange } from "./range.ts";

Deno.test("parseRange() handles the single-range forms and edge cases", async (t) => {
  const cases: [string | null, number, unknown][] = [
    [null, 100, { kind: "full" }],
    ["bytes=0-0", 100, { kind: "partial", start: 0, end: 0 }],
    ["bytes=10-19", 100, { kind: "partial", start: 10, end: 19 }],
    ["bytes=90-", 100, { kind: "partial", start: 90, end: 99 }],
    ["bytes=-10", 100, { kind: "partial", start: 90, end: 99 }],
    ["bytes=-1000", 100, { kind: "partial", start: 0, end: 99 }],
    ["bytes=50-5000", 100, { kind: "partial", start: 50, end: 99 }],
  ];
  for (const [header, size, want] of cases) {
    await t.step(`${header} of ${size}`, () => assert.deepEqual(parseRange(header, size), want));
  }
});

Deno.test("parseRange() refuses ranges it cannot satisfy", async (t) => {
  for (
    const header of [
      "bytes=100-",
      "bytes=200-300",
      "bytes=5-1",
      "bytes=-0",
      "bytes=-",
      "bytes=a-b",
      "items=0-1",
      "bytes=0-1,5-6",
      "bytes=99999999999999999999-",
    ]
  ) {
    await t.step(header, () => assert.equal(parseRange(header, 100).kind, "unsatisfiable"));
  }
  assert.equal(parseRange("bytes=0-0", 0).kind, "unsatisfiable");
});
