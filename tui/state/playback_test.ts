import assert from "node:assert/strict";
import { makeTrack } from "../_test_utils.tsx";
import type { PlaybackEvent } from "../services.ts";
import {
  clampVolume,
  INITIAL_PLAYBACK,
  isActive,
  linkSlower,
  type PlaybackAction,
  playbackReducer,
  type PlaybackState,
} from "./playback.ts";

const TRACK = makeTrack(7, { md5: "0123456789abcdef0123456789abcdef", duration: 200, size: 5000 });

function reduce(state: PlaybackState, ...actions: PlaybackAction[]): PlaybackState {
  return actions.reduce(playbackReducer, state);
}

function started(): PlaybackState {
  return reduce(INITIAL_PLAYBACK, { type: "playback/start", track: TRACK });
}

const event = (state: PlaybackState, e: PlaybackEvent): PlaybackAction => ({
  type: "playback/event",
  seq: state.seq,
  event: e,
});

Deno.test("playback/start loads the track with a new seq, keeping the volume", () => {
  const before = reduce(INITIAL_PLAYBACK, { type: "playback/volume", to: 40 });
  const state = reduce(before, { type: "playback/start", track: TRACK });
  assert.equal(state.status, "loading");
  assert.equal(state.seq, before.seq + 1);
  assert.equal(state.track, TRACK);
  assert.equal(state.duration, 200);
  assert.equal(state.volume, 40);
  assert.deepEqual(state.verification, { state: "pending" });
});

Deno.test("engine events move loading → playing ⇄ paused → ended", () => {
  let state = started();
  state = reduce(state, event(state, { type: "started", player: "mpv", note: "IPC" }));
  assert.equal(state.status, "playing");
  assert.equal(state.player, "mpv");
  state = reduce(state, event(state, { type: "progress", verifiedBytes: 2500, size: 5000 }));
  assert.equal(state.verifiedBytes, 2500);
  state = reduce(state, event(state, { type: "position", seconds: 12, duration: 201, paused: true }));
  assert.equal(state.status, "paused");
  assert.equal(state.position, 12);
  assert.equal(state.duration, 201);
  state = reduce(state, { type: "playback/pauseToggled", seq: state.seq });
  assert.equal(state.status, "playing");
  state = reduce(state, event(state, { type: "ended" }));
  assert.equal(state.status, "ended");
  assert.equal(isActive(state), false);
});

Deno.test("the verified event marks the track verified only when the MD5 matches the catalog", () => {
  let state = started();
  state = reduce(state, event(state, { type: "verified", md5: TRACK.md5.toUpperCase() }));
  assert.deepEqual(state.verification, { state: "verified", md5: TRACK.md5 });
  state = started();
  state = reduce(state, event(state, { type: "verified", md5: "ffffffffffffffffffffffffffffffff" }));
  assert.equal(state.verification.state, "failed");
});

Deno.test("a track that ends without a verified event is flagged as not verified", () => {
  let state = started();
  state = reduce(
    state,
    event(state, { type: "started", player: "null", note: "" }),
    event(state, { type: "ended" }),
  );
  assert.equal(state.verification.state, "failed");
  let verified = started();
  verified = reduce(
    verified,
    event(verified, { type: "verified", md5: TRACK.md5 }),
    event(verified, { type: "ended" }),
  );
  assert.equal(verified.verification.state, "verified");
});

Deno.test("warnings are kept, latest last, at most three", () => {
  let state = started();
  for (const n of [1, 2, 3, 4]) state = reduce(state, event(state, { type: "warning", message: `w${n}` }));
  assert.deepEqual(state.warnings, ["w2", "w3", "w4"]);
  assert.equal(state.status, "loading", "a warning does not stop playback");
});

Deno.test("an error event stops with its message; later events of that playback change nothing", () => {
  let state = started();
  state = reduce(state, event(state, { type: "error", message: "No replica verifies chunk 3" }));
  assert.equal(state.status, "error");
  assert.equal(state.error, "No replica verifies chunk 3");
  assert.equal(state.verification.state, "failed");
  assert.equal(reduce(state, event(state, { type: "ended" })), state);
});

Deno.test("events of an earlier playback (old seq) are ignored", () => {
  const first = started();
  const second = reduce(first, { type: "playback/start", track: makeTrack(8) });
  const stale = reduce(
    second,
    event(first, { type: "ended" }),
    event(first, { type: "error", message: "x" }),
  );
  assert.equal(stale, second);
  const stopped = reduce(second, { type: "playback/stop" });
  assert.equal(stopped.status, "stopped");
  assert.equal(
    reduce(stopped, event(second, { type: "position", seconds: 3, duration: 9, paused: false })).position,
    0,
  );
});

Deno.test("playback/stop only acts on an active playback", () => {
  assert.equal(reduce(INITIAL_PLAYBACK, { type: "playback/stop" }), INITIAL_PLAYBACK);
  const state = started();
  assert.equal(reduce(state, { type: "playback/stop" }).status, "stopped");
});

Deno.test("volume changes in steps and stays within 0 to 100", async (t) => {
  const cases: Array<[string, PlaybackAction[], number]> = [
    ["up from 100", [{ type: "playback/volume", by: 5 }], 100],
    ["down", [{ type: "playback/volume", by: -5 }], 95],
    ["far down", Array(30).fill({ type: "playback/volume", by: -5 }), 0],
    ["set out of range", [{ type: "playback/volume", to: 250 }], 100],
    ["set negative", [{ type: "playback/volume", to: -3 }], 0],
    ["set fraction", [{ type: "playback/volume", to: 42.4 }], 42],
  ];
  for (const [name, actions, volume] of cases) {
    await t.step(name, () => assert.equal(reduce(INITIAL_PLAYBACK, ...actions).volume, volume));
  }
  assert.equal(clampVolume(Number.NaN), 100);
});

Deno.test("buffer events show the buffer and a link slower than the track, and the verified track clears them", () => {
  const track = makeTrack(1);
  let state = playbackReducer(INITIAL_PLAYBACK, { type: "playback/start", track });
  const seq = state.seq;
  const buffer = { buffering: true, aheadSeconds: 0.5, linkRate: 20_000, trackRate: 32_000 };
  state = playbackReducer(state, { type: "playback/event", seq, event: { type: "buffer", ...buffer } });
  assert.deepEqual(state.buffer, buffer);
  assert.equal(linkSlower(state.buffer), true);
  assert.equal(linkSlower({ ...buffer, linkRate: 64_000 }), false);
  assert.equal(linkSlower({ ...buffer, linkRate: null }), false);
  state = playbackReducer(state, {
    type: "playback/event",
    seq,
    event: { type: "verified", md5: track.md5 },
  });
  assert.equal(state.buffer, null);
});
