import assert from "node:assert/strict";
import { rescanPeriod } from "./mod.ts";

Deno.test("periodic rescans keep their interval until a rescan takes over a tenth of it", () => {
  assert.equal(rescanPeriod(5000, 0), 5000);
  assert.equal(rescanPeriod(5000, 400), 5000, "10,000 tracks: every 5 s");
  assert.equal(rescanPeriod(5000, 4000), 40_000, "100,000 tracks: a tenth of a core");
  assert.equal(rescanPeriod(200, 50), 500);
});
