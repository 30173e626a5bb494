import assert from "node:assert/strict";
import { HttpError } from "../daemon/http/http_error.ts";
import type { RetryClock } from "../daemon/runtime/backoff.ts";
import { waitForAuth } from "./wait_for_auth.ts";

function fakeClock(): RetryClock {
  let now = 0;
  return {
    now: () => now,
    sleep: (ms) => {
      now += ms;
      return Promise.resolve();
    },
  };
}

const noAuth = () => new HttpError(503, "no_auth", "Cannot sign in: no auth instance up yet");

Deno.test("waitForAuth() retries while no auth instance is up, and tells once", async () => {
  let calls = 0;
  const notices: number[] = [];
  const result = await waitForAuth(() => {
    if (++calls < 5) return Promise.reject(noAuth());
    return Promise.resolve("session");
  }, { clock: fakeClock(), onWait: (ms) => notices.push(ms) });
  assert.equal(result, "session");
  assert.equal(calls, 5);
  assert.deepEqual(notices, [10_000]);
});

Deno.test("waitForAuth() gives up after its timeout with the last error", async () => {
  const clock = fakeClock();
  await assert.rejects(
    waitForAuth(() => Promise.reject(noAuth()), { clock, timeoutMs: 3000 }),
    /no auth instance up yet/,
  );
  assert.equal(clock.now(), 3000, "waited the whole timeout, not longer");
});

Deno.test("waitForAuth() does not wait on other errors", async () => {
  let calls = 0;
  await assert.rejects(
    waitForAuth(() => {
      calls++;
      return Promise.reject(new HttpError(409, "name_taken", "Cannot register: the name is taken"));
    }, { clock: fakeClock() }),
    /name is taken/,
  );
  assert.equal(calls, 1);
});
