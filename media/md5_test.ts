import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  hex16,
  hex16Into,
  MD5_LANES,
  md5Blocks,
  md5Finish,
  md5Lanes,
  md5LaneWindows,
  md5Start,
  stateFromHex,
  stateHex,
} from "./md5.ts";

const nodeMd5 = (data: Uint8Array) => createHash("md5").update(data).digest("hex");

function random(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed * 2654435761 >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** MD5 of `data` fed in odd pieces: whole blocks hashed as they gather, the rest finished at the end. */
function md5InPieces(data: Uint8Array): string {
  const state = md5Start();
  let pending = new Uint8Array(0);
  for (let at = 0, step = 1; at < data.length; at += step, step = (step * 7 + 3) % 5000 + 1) {
    const piece = data.subarray(at, at + step);
    const gathered = new Uint8Array(pending.length + piece.length);
    gathered.set(pending);
    gathered.set(piece, pending.length);
    const whole = gathered.length - (gathered.length % 64);
    md5Blocks(state, gathered.subarray(0, whole));
    pending = gathered.slice(whole);
  }
  return md5Finish(state, pending, data.length);
}

Deno.test("md5Finish matches node:crypto on lengths around the block and padding edges, fed in odd pieces", () => {
  for (const length of [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000, 65_537, (1 << 20) + 3]) {
    const data = random(length, length + 1);
    const whole = md5Finish(md5Start(), data, length);
    assert.equal(whole, nodeMd5(data), `length ${length} at once`);
    assert.equal(md5InPieces(data), nodeMd5(data), `length ${length} in pieces`);
  }
  assert.equal(md5Finish(md5Start(), new Uint8Array(0), 0), "d41d8cd98f00b204e9800998ecf8427e");
});

Deno.test("a hash stopped at a block boundary resumes from its written-down state, here or elsewhere", () => {
  const data = random(3 * 4096 + 17, 9);
  const first = md5Start();
  md5Blocks(first, data.subarray(0, 4096));
  const saved = stateHex(first);
  const resumed = stateFromHex(saved)!;
  md5Blocks(resumed, data.subarray(4096, 3 * 4096));
  assert.equal(md5Finish(resumed, data.subarray(3 * 4096), data.length), nodeMd5(data));
  const atOnce = md5Start();
  md5Blocks(atOnce, data.subarray(0, 3 * 4096));
  assert.equal(stateHex(resumed), stateHex(atOnce));
  assert.equal(stateFromHex("xyz"), null);
  assert.throws(() => md5Blocks(md5Start(), data.subarray(0, 100)), /not a multiple of 64/);
});

Deno.test("stateFromHex reads only 32 lowercase hex digits; hex16 and hex16Into convert 16 bytes anywhere", () => {
  const hex = "00ff10a09b8c7d6e5f4a3b2c1d0e9f8a";
  assert.equal(stateHex(stateFromHex(hex)!), hex);
  for (
    const bad of [
      "",
      hex.slice(1),
      `${hex}0`,
      hex.toUpperCase(),
      `${hex.slice(0, 31)}g`,
      `${hex.slice(0, 31)}\u00e9`,
    ]
  ) {
    assert.equal(stateFromHex(bad), null, JSON.stringify(bad));
  }
  const bytes = new Uint8Array(40);
  assert.ok(hex16Into(hex, bytes, 20));
  assert.deepEqual([...bytes.subarray(20, 23)], [0x00, 0xff, 0x10]);
  assert.equal(hex16(bytes, 20), hex);
  assert.equal(hex16Into("xyz", bytes, 0), false);
});

Deno.test("md5Lanes hashes up to twelve different streams exactly as one at a time, past one window", () => {
  const length = (1 << 20) + 64 * 3;
  for (const lanes of [1, 3, 4, 5, 8, 9, 12]) {
    const data = Array.from({ length: lanes }, (_, j) => random(length, 100 + j));
    const states = data.map(() => md5Start());
    md5Lanes(states, data);
    data.forEach((piece, j) => {
      assert.equal(md5Finish(states[j]!, new Uint8Array(0), length), nodeMd5(piece), `lane ${j} of ${lanes}`);
    });
  }
  assert.equal(MD5_LANES, 12);
  assert.throws(
    () => md5Lanes([md5Start(), md5Start()], [new Uint8Array(64), new Uint8Array(128)]),
    /differ/,
  );
  const many = Array.from({ length: MD5_LANES + 1 }, () => new Uint8Array(64));
  assert.throws(() => md5Lanes(many.map(() => md5Start()), many), /1 to 12/);
  assert.throws(() => md5Lanes([], []), /1 to 12/);
});

Deno.test("md5Lanes hashes pieces read into the lane windows where they are, from any offset", () => {
  const windows = md5LaneWindows();
  assert.equal(windows.length, 12);
  const data = [7, 8, 9, 10, 11].map((seed) => random(4096, seed));
  // Lanes 0, 2, 3, 7 and 11 hold data, at different offsets: the other pieces' windows are not disturbed.
  const pieces = [
    windows[0]!.subarray(0, 4096),
    windows[2]!.subarray(640, 640 + 4096),
    windows[3]!.subarray(64, 64 + 4096),
    windows[7]!.subarray(128, 128 + 4096),
    windows[11]!.subarray(0, 4096),
  ];
  pieces.forEach((piece, j) => piece.set(data[j]!));
  const states = pieces.map(() => md5Start());
  md5Lanes(states, pieces);
  data.forEach((piece, j) => {
    assert.equal(md5Finish(states[j]!, new Uint8Array(0), 4096), nodeMd5(piece), `piece ${j}`);
    assert.deepEqual(pieces[j], piece, `piece ${j} is unchanged`);
  });
  assert.throws(
    () => md5Lanes([md5Start(), md5Start()], [pieces[0]!, data[1]!]),
    /all pieces in the lane windows or none/,
  );
});
