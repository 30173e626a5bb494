import assert from "node:assert/strict";
import { SessionEndedError, StreamRegistry } from "./streams.ts";

const A = "aa".repeat(32);
const B = "bb".repeat(32);
const C = "cc".repeat(32);

/** A registry on a clock the test moves. */
function registry() {
  const clock = { now: 1_000_000 };
  return { clock, streams: new StreamRegistry({ now: () => clock.now }) };
}

Deno.test("endSession() cuts that session's streams only, with a SessionEndedError as the reason", () => {
  const { streams } = registry();
  const a1 = streams.open({ tokenHash: A, user: "alice", expiresAt: 2_000_000 });
  const a2 = streams.open({ tokenHash: A, user: "alice", expiresAt: 2_000_000 });
  const b = streams.open({ tokenHash: B, user: "alice", expiresAt: 2_000_000 });
  assert.equal(streams.size, 3);
  assert.equal(streams.endSession(A), 2);
  assert.ok(a1.signal.aborted && a2.signal.aborted);
  assert.ok(a1.signal.reason instanceof SessionEndedError);
  assert.equal(b.signal.aborted, false);
  assert.deepEqual(streams.sessions(), [B]);
  assert.equal(streams.endSession(A), 0, "a session ends once");
});

Deno.test("endUser() cuts every session of the account and leaves other accounts' streams", () => {
  const { streams } = registry();
  const a = streams.open({ tokenHash: A, user: "alice", expiresAt: 2_000_000 });
  const b = streams.open({ tokenHash: B, user: "alice", expiresAt: 2_000_000 });
  const c = streams.open({ tokenHash: C, user: "bob", expiresAt: 2_000_000 });
  assert.equal(streams.endUser("alice"), 2);
  assert.ok(a.signal.aborted && b.signal.aborted);
  assert.equal(c.signal.aborted, false);
  assert.equal(streams.size, 1);
});

Deno.test("a closed stream is forgotten and never cut; its session goes when its last stream does", () => {
  const { streams } = registry();
  const a = streams.open({ tokenHash: A, user: "alice", expiresAt: 2_000_000 });
  a.close();
  a.close();
  assert.equal(streams.size, 0);
  assert.deepEqual(streams.sessions(), []);
  assert.equal(streams.endSession(A), 0);
  assert.equal(a.signal.aborted, false);
});

Deno.test("renew() moves the old session's streams to the new one: revoking the old then cuts nothing", () => {
  const { clock, streams } = registry();
  const a = streams.open({ tokenHash: A, user: "alice", expiresAt: 2_000_000 });
  assert.equal(streams.renew(A, B, 3_000_000), 1);
  assert.equal(streams.endSession(A), 0);
  assert.equal(a.signal.aborted, false);
  assert.deepEqual(streams.sessions(), [B]);
  clock.now = 2_500_000; // past the old session's end, before the new one's
  assert.equal(streams.expire(), 0);
  assert.equal(a.signal.aborted, false);
  a.close(); // closing follows the move
  assert.equal(streams.size, 0);
});

Deno.test("renew() into a session that already has streams keeps them all under it", () => {
  const { streams } = registry();
  const old = streams.open({ tokenHash: A, user: "alice", expiresAt: 2_000_000 });
  const fresh = streams.open({ tokenHash: B, user: "alice", expiresAt: 3_000_000 });
  streams.renew(A, B, 3_000_000);
  assert.equal(streams.endSession(B), 2);
  assert.ok(old.signal.aborted && fresh.signal.aborted);
});

Deno.test("expire() cuts the streams of sessions past their absolute end, not the others", () => {
  const { clock, streams } = registry();
  const short = streams.open({ tokenHash: A, user: "alice", expiresAt: 1_500_000 });
  const long = streams.open({ tokenHash: B, user: "alice", expiresAt: 2_500_000 });
  assert.equal(streams.expire(), 0);
  clock.now = 1_500_000;
  assert.equal(streams.expire(), 1);
  assert.ok(short.signal.aborted);
  assert.equal(long.signal.aborted, false);
  streams.confirm(B, 4_000_000); // the bootstrap says it lasts longer
  clock.now = 3_000_000;
  assert.equal(streams.expire(), 0);
  assert.equal(long.signal.aborted, false);
});
