import assert from "node:assert/strict";
import { LoadMeter } from "./load_meter.ts";

Deno.test("LoadMeter.streamsEnded() waits for the last active stream, or gives up after the grace", async () => {
  const meter = new LoadMeter();
  assert.equal(await meter.streamsEnded(10), true, "nothing to wait for");
  const endA = meter.streamStarted();
  const endB = meter.streamStarted();
  assert.equal(meter.snapshot().activeStreams, 2);
  const waiting = meter.streamsEnded(5000);
  endA();
  endA(); // ending twice counts once
  assert.equal(meter.activeStreams, 1);
  endB();
  assert.equal(await waiting, true);
  meter.streamStarted();
  assert.equal(await meter.streamsEnded(20), false, "a stream still active after the grace");
});

Deno.test("LoadMeter reports sign-ins per second only when asked to", () => {
  let now = 0;
  const auth = new LoadMeter({ now: () => now, logins: true });
  auth.snapshot();
  for (let i = 0; i < 6; i++) auth.addLogin();
  now += 2000;
  assert.equal(auth.snapshot().loginsPerSecond, 3);
  assert.equal("loginsPerSecond" in new LoadMeter().snapshot(), false);
});
