import assert from "node:assert/strict";
import { Backoff, retry, type RetryClock } from "./backoff.ts";
import { FailureLog } from "./failure_log.ts";
import { createLogger } from "./log.ts";

/** A clock whose sleeps pass at once and move time forward by their length. */
function fakeClock(start = 1_000_000): RetryClock & { slept: number[] } {
  let now = start;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: (ms) => {
      slept.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
}

Deno.test("retry() waits longer after each failure, up to the ceiling, on a fake clock", async () => {
  const clock = fakeClock();
  const times: number[] = [];
  const result = await retry(() => {
    times.push(clock.now());
    if (times.length < 9) return Promise.reject(new Error("unreachable"));
    return Promise.resolve("up");
  }, { baseMs: 100, maxMs: 2000, jitter: "none", clock });
  assert.equal(result, "up");
  const gaps = times.slice(1).map((t, i) => t - times[i]!);
  assert.deepEqual(gaps, [100, 200, 400, 800, 1600, 2000, 2000, 2000]);
});

Deno.test("retry() with full jitter never waits longer than the exponential ceiling", async () => {
  const clock = fakeClock();
  let calls = 0;
  await assert.rejects(
    retry(() => {
      calls++;
      return Promise.reject(new Error("down"));
    }, { baseMs: 100, maxMs: 1000, random: () => 0.999, attempts: 8, clock }),
    /down/,
  );
  assert.equal(calls, 8, "gives up after the attempts asked for");
  assert.deepEqual(clock.slept, [99, 199, 399, 799, 999, 999, 999]);
});

Deno.test("retry() throws at once an error that is not retryable", async () => {
  const clock = fakeClock();
  let calls = 0;
  await assert.rejects(
    retry(() => {
      calls++;
      return Promise.reject(new Error("refused"));
    }, { retryable: () => false, clock }),
    /refused/,
  );
  assert.equal(calls, 1);
  assert.deepEqual(clock.slept, []);
});

Deno.test("retry() stops when its signal aborts", async () => {
  const clock = fakeClock();
  const stop = new AbortController();
  let calls = 0;
  await assert.rejects(
    retry(() => {
      if (++calls === 3) stop.abort();
      return Promise.reject(new Error("down"));
    }, { signal: stop.signal, clock }),
    /down/,
  );
  assert.equal(calls, 3);
});

Deno.test("Backoff starts over after reset()", () => {
  const backoff = new Backoff({ baseMs: 50, maxMs: 400, jitter: "none" });
  assert.deepEqual([backoff.next(), backoff.next(), backoff.next(), backoff.next(), backoff.next()], [
    50,
    100,
    200,
    400,
    400,
  ]);
  assert.equal(backoff.failures, 5);
  backoff.reset();
  assert.equal(backoff.failures, 0);
  assert.equal(backoff.next(), 50);
});

Deno.test("Backoff with decorrelated jitter stays between the base and the ceiling, and grows", async (t) => {
  for (const r of [0, 0.5, 0.999]) {
    await t.step(`random ${r}`, () => {
      const backoff = new Backoff({ baseMs: 100, maxMs: 5000, jitter: "decorrelated", random: () => r });
      const delays = Array.from({ length: 12 }, () => backoff.next());
      for (const d of delays) assert.ok(d >= 100 && d <= 5000, `${d} within [100, 5000]`);
      if (r > 0.5) assert.ok(delays.at(-1)! > 4900, "reaches the ceiling");
      if (r > 0.5) assert.ok(delays[1]! > delays[0]!, "grows");
    });
  }
});

Deno.test("FailureLog logs when failing starts and when it recovers, not each attempt", () => {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ role: "test", format: "json", write: (l) => lines.push(JSON.parse(l)) });
  let now = 5000;
  const log = new FailureLog(logger, {
    failing: "join.failing",
    recovered: "join.recovered",
    fields: { bootstrap: "http://b" },
    now: () => now,
  });
  assert.equal(log.succeeded(), false, "nothing to recover from");
  for (let i = 0; i < 20; i++) {
    log.failed(new Error("connection refused"));
    now += 100;
  }
  assert.equal(log.failing, true);
  assert.equal(log.succeeded(), true);
  assert.equal(log.succeeded(), false);
  log.failed(new Error("again"));
  assert.deepEqual(lines.map((l) => [l.level, l.event]), [
    ["warn", "join.failing"],
    ["info", "join.recovered"],
    ["warn", "join.failing"],
  ]);
  assert.equal(lines[0]!.error, "connection refused");
  assert.equal(lines[0]!.bootstrap, "http://b");
  assert.equal(lines[1]!.failures, 20);
  assert.equal(lines[1]!.downMs, 2000);
});
