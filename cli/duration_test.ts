import assert from "node:assert/strict";
import { parseDuration, parseRate } from "./duration.ts";

Deno.test("parseDuration() reads the durations people type", async (t) => {
  const cases: [string, number][] = [["30m", 1_800_000], ["12h", 43_200_000], ["90s", 90_000], [
    "1h30m",
    5_400_000,
  ], [
    "1500ms",
    1500,
  ], ["2d", 172_800_000]];
  for (const [text, ms] of cases) await t.step(text, () => assert.equal(parseDuration(text), ms));
  for (const bad of ["", "30", "m", "30x", "-5m", "1h 30m"]) {
    await t.step(
      `refuses ${JSON.stringify(bad)}`,
      () => assert.throws(() => parseDuration(bad, "--x"), /Cannot use --x ".*": expected a duration/),
    );
  }
});

Deno.test("parseDuration() reads milliseconds but refuses a duration under one second, saying so", async (t) => {
  assert.equal(parseDuration("1s500ms"), 1500);
  assert.equal(parseDuration("1000ms"), 1000);
  for (const short of ["500ms", "999ms", "0s", "0.5s"]) {
    await t.step(short, () => {
      assert.throws(
        () => parseDuration(short, "--session-idle"),
        new RegExp(`^UsageError: Cannot use --session-idle "${short}": it must be at least 1s$`),
      );
    });
  }
});

Deno.test("parseRate() reads N/PERIOD", () => {
  assert.deepEqual(parseRate("20/min"), { burst: 20, periodMs: 60_000 });
  assert.deepEqual(parseRate("5/s"), { burst: 5, periodMs: 1000 });
  assert.deepEqual(parseRate("10/30s"), { burst: 10, periodMs: 30_000 });
  assert.deepEqual(parseRate("100/h"), { burst: 100, periodMs: 3_600_000 });
  for (const bad of ["20", "0/min", "x/min", "5/", "5/fortnight"]) {
    assert.throws(() => parseRate(bad), /N\/PERIOD|duration/);
  }
});
