import assert from "node:assert/strict";
import { addressKey, SignInLimits } from "./sign_in_limits.ts";

const HOUR = 3600_000;

Deno.test("SignInLimits allows 100 failed logins per account per hour, then refuses until the oldest ages out", () => {
  let now = 1_000_000;
  const limits = new SignInLimits({ now: () => now });
  for (let i = 0; i < 100; i++) {
    assert.equal(limits.accountWait("alice"), 0, `attempt ${i + 1} is allowed`);
    limits.recordFailure("alice");
    now += 1000;
  }
  const wait = limits.accountWait("alice");
  assert.ok(wait > 0, "the 101st attempt within the hour is refused");
  assert.equal(wait, 1_000_000 + HOUR - now, "until the first failure is an hour old");
  assert.ok(wait <= HOUR, "never longer than the window");
  assert.equal(limits.accountWait("bob"), 0, "other accounts are not affected");
  now += wait;
  assert.equal(limits.accountWait("alice"), 0, "allowed again once the oldest failure left the window");
  limits.recordFailure("alice");
  assert.ok(limits.accountWait("alice") > 0, "the window slides: still 100 failures within the last hour");
  now += HOUR;
  assert.equal(limits.accountWait("alice"), 0, "an hour after the last failure, everything is forgotten");
});

Deno.test("SignInLimits: a refused attempt does not extend the lockout, and a success clears the count", () => {
  let now = 0;
  const limits = new SignInLimits({ now: () => now, accountFailures: 3, accountWindowMs: 10_000 });
  for (let i = 0; i < 3; i++) limits.recordFailure("carol");
  for (now = 0; now < 10_000; now += 500) {
    assert.ok(limits.accountWait("carol") > 0 && limits.accountWait("carol") <= 10_000 - now);
  }
  assert.equal(limits.accountWait("carol"), 0, "free exactly one window after the failures");
  for (let i = 0; i < 2; i++) limits.recordFailure("carol");
  limits.clearFailures("carol");
  limits.recordFailure("carol");
  limits.recordFailure("carol");
  assert.equal(limits.accountWait("carol"), 0, "the count restarted after a successful sign-in");
});

Deno.test("SignInLimits gives each address a token bucket that refills at its rate", () => {
  let now = 0;
  const limits = new SignInLimits({ now: () => now, addressBurst: 5, addressPeriodMs: 60_000 });
  for (let i = 0; i < 5; i++) assert.equal(limits.takeAddress("10.0.0.1"), 0, `burst attempt ${i + 1}`);
  const wait = limits.takeAddress("10.0.0.1");
  assert.equal(wait, 12_000, "one token every 12 s");
  assert.equal(limits.takeAddress("10.0.0.2"), 0, "another address has its own bucket");
  now += 11_999;
  assert.ok(limits.takeAddress("10.0.0.1") > 0, "refused attempts take nothing");
  now += 1;
  assert.equal(limits.takeAddress("10.0.0.1"), 0, "one token back after 12 s");
  assert.ok(limits.takeAddress("10.0.0.1") > 0);
  now += 10 * 60_000;
  for (let i = 0; i < 5; i++) {
    assert.equal(limits.takeAddress("10.0.0.1"), 0, "full again, never more than the burst");
  }
  assert.ok(limits.takeAddress("10.0.0.1") > 0);
});

Deno.test("SignInLimits forgets the least recently touched keys past maxTracked", () => {
  const limits = new SignInLimits({ now: () => 0, accountFailures: 1, maxTracked: 2 });
  limits.recordFailure("a");
  limits.recordFailure("b");
  limits.recordFailure("c");
  assert.equal(limits.accountWait("a"), 0, "a was forgotten");
  assert.ok(limits.accountWait("b") > 0 && limits.accountWait("c") > 0);
});

Deno.test("addressKey() groups IPv6 addresses by /64 and unwraps IPv4-mapped ones", async (t) => {
  const cases: [string, string][] = [
    ["192.168.1.7", "192.168.1.7"],
    ["::ffff:192.168.1.7", "192.168.1.7"],
    ["2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"],
    ["2001:0db8:0001:0002:bbbb:cccc:dddd:eeee", "2001:db8:1:2::/64"],
    ["[2001:db8::1]", "2001:db8:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
  ];
  for (const [address, key] of cases) await t.step(address, () => assert.equal(addressKey(address), key));
});
