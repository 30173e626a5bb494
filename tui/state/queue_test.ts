import assert from "node:assert/strict";
import { makeTrack } from "../_test_utils.tsx";
import {
  currentTrack,
  INITIAL_QUEUE,
  nextIndex,
  type QueueAction,
  queueReducer,
  type QueueState,
} from "./queue.ts";

const [A, B, C, D] = [makeTrack(0), makeTrack(1), makeTrack(2), makeTrack(3)];

function reduce(state: QueueState, ...actions: QueueAction[]): QueueState {
  return actions.reduce(queueReducer, state);
}

const titles = (state: QueueState) => state.entries.map((e) => e.track.title);

Deno.test("queue/add appends without changing the current entry", () => {
  const state = reduce(INITIAL_QUEUE, { type: "queue/add", track: A }, { type: "queue/add", track: B });
  assert.deepEqual(titles(state), [A.title, B.title]);
  assert.equal(state.current, null);
  assert.equal(nextIndex(state), 0);
  assert.notEqual(state.entries[0]?.key, state.entries[1]?.key);
});

Deno.test("queue/playNow inserts after the current entry and makes it current", () => {
  let state = reduce(INITIAL_QUEUE, { type: "queue/add", track: A }, { type: "queue/add", track: B });
  state = reduce(state, { type: "queue/playNow", track: C });
  assert.deepEqual(titles(state), [C.title, A.title, B.title], "first when nothing played yet");
  assert.equal(currentTrack(state), C);
  state = reduce(state, { type: "queue/next" }, { type: "queue/playNow", track: D });
  assert.deepEqual(titles(state), [C.title, A.title, D.title, B.title]);
  assert.equal(state.current, 2);
});

Deno.test("queue/next and queue/previous move the current entry and stop at the ends", () => {
  let state = reduce(INITIAL_QUEUE, { type: "queue/add", track: A }, { type: "queue/add", track: B });
  state = reduce(state, { type: "queue/next" });
  assert.equal(currentTrack(state), A);
  state = reduce(state, { type: "queue/next" });
  assert.equal(currentTrack(state), B);
  assert.equal(nextIndex(state), null);
  assert.equal(queueReducer(state, { type: "queue/next" }), state, "no change at the end");
  state = reduce(state, { type: "queue/previous" });
  assert.equal(currentTrack(state), A);
  assert.equal(queueReducer(state, { type: "queue/previous" }), state, "no change at the start");
});

Deno.test("queue/remove keeps the current entry pointing at the same track, or just before it", async (t) => {
  const full = reduce(
    INITIAL_QUEUE,
    ...[A, B, C, D].map((track): QueueAction => ({ type: "queue/add", track })),
    { type: "queue/jump", index: 2 },
  );
  await t.step("before the current", () => {
    const state = reduce(full, { type: "queue/remove", index: 0 });
    assert.equal(currentTrack(state), C);
  });
  await t.step("after the current", () => {
    const state = reduce(full, { type: "queue/remove", index: 3 });
    assert.equal(currentTrack(state), C);
  });
  await t.step("the current: next plays what followed it", () => {
    const state = reduce(full, { type: "queue/remove", index: 2 });
    assert.equal(currentTrack(state), B);
    assert.equal(state.entries[nextIndex(state) ?? -1]?.track, D);
  });
  await t.step(
    "out of range",
    () => assert.equal(queueReducer(full, { type: "queue/remove", index: 9 }), full),
  );
  await t.step("the last entry clamps the cursor", () => {
    const state = reduce(full, { type: "queue/move", move: { type: "bottom" } }, {
      type: "queue/remove",
      index: 3,
    });
    assert.equal(state.cursor, 2);
  });
});
