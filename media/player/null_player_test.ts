import assert from "node:assert/strict";
import { FakeClock, settle } from "./_test_fakes.ts";
import { createNullPlayer, FALLBACK_BYTES_PER_SECOND } from "./null_player.ts";
import type { PlayerOptions } from "./types.ts";

/** 10 s of a 100,000-byte track: 10,000 bytes per second. */
const TEN_SECONDS: PlayerOptions = { format: "mp3", size: 100_000, duration: 10, volume: 100, extraArgs: [] };

function outcomeSoFar(done: Promise<unknown>): Promise<unknown> {
  return Promise.race([done, settle().then(() => "pending")]);
}

Deno.test("null player ends after the playback time of the last byte, not before", async () => {
  const clock = new FakeClock();
  const player = createNullPlayer(TEN_SECONDS, clock);
  assert.equal(player.bytesPerSecond, 10_000);
  await player.write(new Uint8Array(100_000));
  await player.end();
  await clock.advance(9_990);
  assert.equal(await outcomeSoFar(player.done), "pending");
  assert.ok(Math.abs((await player.position())! - 9.99) < 1e-9);
  await clock.advance(10);
  assert.deepEqual(await outcomeSoFar(player.done), { reason: "ended" });
});

Deno.test("null player position waits at the last fed byte until more bytes come", async () => {
  const clock = new FakeClock();
  const player = createNullPlayer(TEN_SECONDS, clock);
  await player.write(new Uint8Array(20_000)); // 2 s
  await clock.advance(5_000);
  assert.equal(await player.position(), 2);
  await player.write(new Uint8Array(80_000)); // 8 s more, starting to play now
  await clock.advance(1_000);
  assert.equal(await player.position(), 3);
  await player.end();
  await clock.advance(6_999);
  assert.equal(await outcomeSoFar(player.done), "pending");
  await clock.advance(1);
  assert.deepEqual(await outcomeSoFar(player.done), { reason: "ended" });
});

Deno.test("null player pause holds the position and delays the end", async () => {
  const clock = new FakeClock();
  const player = createNullPlayer(TEN_SECONDS, clock);
  await player.write(new Uint8Array(100_000));
  await player.end();
  await clock.advance(4_000);
  await player.setPaused(true);
  assert.equal(player.paused, true);
  await clock.advance(30_000);
  assert.equal(await player.position(), 4);
  assert.equal(await outcomeSoFar(player.done), "pending");
  await player.setPaused(false);
  await clock.advance(5_999);
  assert.equal(await outcomeSoFar(player.done), "pending");
  await clock.advance(1);
  assert.deepEqual(await outcomeSoFar(player.done), { reason: "ended" });
});

Deno.test("null player seeks within the fed bytes only", async (t) => {
  const clock = new FakeClock();
  const player = createNullPlayer(TEN_SECONDS, clock);
  await player.write(new Uint8Array(50_000)); // 5 s fed
  await clock.advance(3_000);
  await t.step("back by 2 s", async () => {
    await player.seekBy(-2);
    assert.equal(await player.position(), 1);
  });
  await t.step("back before the start stops at 0", async () => {
    await player.seekBy(-60);
    assert.equal(await player.position(), 0);
  });
  await t.step("forward beyond the fed bytes stops at their end", async () => {
    await player.seekBy(60);
    assert.equal(await player.position(), 5);
  });
  await player.stop();
});

Deno.test("null player clamps the volume to 0..130", async () => {
  const player = createNullPlayer(TEN_SECONDS, new FakeClock());
  await player.setVolume(200);
  assert.equal(player.volume, 130);
  await player.setVolume(-5);
  assert.equal(player.volume, 0);
  await player.stop();
});

Deno.test("null player stop resolves done as stopped and drops later bytes", async () => {
  const clock = new FakeClock();
  const player = createNullPlayer(TEN_SECONDS, clock);
  await player.write(new Uint8Array(10_000));
  await player.stop();
  await player.stop();
  assert.deepEqual(await player.done, { reason: "stopped" });
  await player.write(new Uint8Array(10_000));
  await clock.advance(5_000);
  assert.equal(await player.position(), 1);
  assert.equal(clock.pending, 0);
});

Deno.test("null player assumes CD rate when the duration is unknown", () => {
  const player = createNullPlayer({ ...TEN_SECONDS, duration: null }, new FakeClock());
  assert.equal(player.bytesPerSecond, FALLBACK_BYTES_PER_SECOND);
  player.stop();
});
