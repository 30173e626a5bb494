import assert from "node:assert/strict";
import { outstanding, powerOfTwoChoices, rankMembers } from "./balance.ts";
import { IDLE, type Member } from "./registry.ts";

/** A seeded generator (mulberry32), so the draws repeat. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function member(id: string, inFlight: number, state: Member["state"] = "up", activeStreams = 0): Member {
  return {
    id,
    role: "file",
    url: `http://127.0.0.1/${id}`,
    host: "127.0.0.1",
    pid: 1,
    node: null,
    state,
    load: { ...IDLE, inFlight, activeStreams },
    tracks: 0,
    since: 0,
    lastSeen: 0,
    downSince: null,
  };
}

Deno.test("powerOfTwoChoices() puts the less loaded of two random picks first, then the rest by load", () => {
  const loads = [5, 0, 3, 9, 1];
  const random = seeded(7);
  for (let trial = 0; trial < 200; trial++) {
    const ranked = powerOfTwoChoices(loads, (x) => x, random);
    assert.deepEqual([...ranked].sort(), [...loads].sort(), "a permutation");
    assert.notEqual(ranked[0], 9, "the busiest loses every pair");
    const rest = ranked.slice(1);
    assert.deepEqual(rest, [...rest].sort((a, b) => a - b), "the rest by load");
  }
  assert.deepEqual(powerOfTwoChoices([4], (x) => x), [4]);
  assert.deepEqual(powerOfTwoChoices([], (x: number) => x), []);
});

Deno.test("powerOfTwoChoices() spreads equal loads and favours, without always naming, the least loaded", () => {
  const random = seeded(42);
  const firsts = new Map<string, number>();
  const items = ["a", "b", "c", "d"];
  for (let trial = 0; trial < 4000; trial++) {
    const first = powerOfTwoChoices(items, () => 0, random)[0]!;
    firsts.set(first, (firsts.get(first) ?? 0) + 1);
  }
  for (const item of items) {
    const share = firsts.get(item)! / 4000;
    assert.ok(share > 0.2 && share < 0.3, `${item} first ${share}`);
  }
  // Loads 0,1,2,3: the idle one is first whenever it is drawn (half the pairs), the busiest never.
  const counts = [0, 0, 0, 0];
  for (let trial = 0; trial < 4000; trial++) counts[powerOfTwoChoices([0, 1, 2, 3], (x) => x, random)[0]!]!++;
  assert.ok(Math.abs(counts[0]! / 4000 - 0.5) < 0.05, `idle first ${counts[0]}`);
  assert.equal(counts[3], 0);
});

Deno.test("rankMembers() ranks up instances by outstanding requests before draining and down ones", () => {
  const members = [
    member("down", 0, "down"),
    member("draining", 0, "draining"),
    member("busy", 3, "up", 2),
    member("idle", 0),
    member("some", 1),
  ];
  assert.equal(outstanding(members[2]!), 5);
  const random = seeded(1);
  for (let trial = 0; trial < 50; trial++) {
    const ids = rankMembers(members, random).map((m) => m.id);
    assert.deepEqual(ids.slice(3), ["draining", "down"]);
    assert.notEqual(ids[0], "busy");
    assert.deepEqual(ids.slice(0, 3).sort(), ["busy", "idle", "some"]);
  }
});
