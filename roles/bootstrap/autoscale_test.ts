import assert from "node:assert/strict";
import {
  decideScale,
  DEFAULT_SCALE,
  INITIAL_SCALE_STATE,
  type ScalePolicy,
  type ScaleState,
} from "./autoscale.ts";

const policy: ScalePolicy = { ...DEFAULT_SCALE, min: 1, max: 6, target: 2, downWindowMs: 60_000 };
const PERIOD = 1000;

/** Runs the scaler over a load series (load per instance relative to the target), one decision per period. */
function simulate(start: number, perInstanceRatio: (i: number, current: number) => number, periods: number) {
  let state: ScaleState = INITIAL_SCALE_STATE;
  let current = start;
  const events: { at: number; from: number; to: number }[] = [];
  for (let i = 0; i < periods; i++) {
    const totalLoad = current * policy.target * perInstanceRatio(i, current);
    const decision = decideScale(policy, state, { current, totalLoad, now: i * PERIOD });
    state = decision.state;
    if (decision.desired !== current) events.push({ at: i, from: current, to: decision.desired });
    current = decision.desired;
  }
  return { events, current };
}

Deno.test("decideScale() makes no scale event while load oscillates within ±15 % of the target", async (t) => {
  const series: [string, (i: number) => number][] = [
    ["alternating", (i) => (i % 2 === 0 ? 1.15 : 0.85)],
    ["sine, 4 periods", (i) => 1 + 0.15 * Math.sin((i * Math.PI) / 2)],
    ["sine, 6 periods", (i) => 1 + 0.15 * Math.sin((i * Math.PI) / 3)],
    ["square, 2+2", (i) => (i % 4 < 2 ? 1.15 : 0.85)],
  ];
  for (const [name, ratio] of series) {
    for (const start of [2, 3, 4]) {
      await t.step(`${name}, ${start} instances`, () => {
        // A constant total load for a given instance count, so only the oscillation varies.
        const { events } = simulate(start, (i) => ratio(i), 600);
        assert.deepEqual(events, []);
      });
    }
  }
});

Deno.test("decideScale() scales out within two periods when load jumps to twice the target", () => {
  let state: ScaleState = INITIAL_SCALE_STATE;
  const current = 2;
  state = decideScale(policy, state, { current, totalLoad: current * 2, now: 0 }).state;
  const first = decideScale(policy, state, { current, totalLoad: current * 4, now: 1000 });
  const second = decideScale(policy, first.state, {
    current: first.desired,
    totalLoad: current * 4,
    now: 2000,
  });
  assert.ok(first.desired > current || second.desired > current, `${first.desired}, ${second.desired}`);
});

Deno.test("decideScale() at most doubles per step and never passes max", () => {
  const up = decideScale(policy, INITIAL_SCALE_STATE, { current: 1, totalLoad: 100, now: 0 });
  assert.equal(up.desired, 2);
  const capped = decideScale(policy, INITIAL_SCALE_STATE, { current: 4, totalLoad: 100, now: 0 });
  assert.equal(capped.desired, 6);
});

Deno.test("decideScale() scales down only after load stayed low for the whole window", () => {
  let state: ScaleState = INITIAL_SCALE_STATE;
  let current = 4;
  const seen: number[] = [];
  for (let t = 0; t <= 70_000; t += 1000) {
    // A short burst 30 s in restarts nothing but keeps the peak.
    const totalLoad = t === 30_000 ? 4 : 1;
    const d = decideScale(policy, state, { current, totalLoad, now: t });
    state = d.state;
    if (d.desired !== current) seen.push(t);
    current = d.desired;
  }
  assert.equal(seen.length, 1, `one scale-down event, at ${seen}`);
  assert.ok(seen[0]! >= 60_000, "not before the window passed");
  assert.ok(current >= policy.min && current < 4);
});

Deno.test("decideScale() keeps the count within min and max", () => {
  assert.equal(decideScale(policy, INITIAL_SCALE_STATE, { current: 0, totalLoad: 0, now: 0 }).desired, 1);
  assert.equal(decideScale(policy, INITIAL_SCALE_STATE, { current: 9, totalLoad: 100, now: 0 }).desired, 6);
  let state = INITIAL_SCALE_STATE;
  let current = 1;
  for (let t = 0; t < 200_000; t += 1000) {
    const d = decideScale(policy, state, { current, totalLoad: 0, now: t });
    state = d.state;
    current = d.desired;
  }
  assert.equal(current, 1, "idle load stays at min");
});
