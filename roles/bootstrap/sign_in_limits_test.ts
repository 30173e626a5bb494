import assert from "node:assert/strict";
import { addressKey } from "./sign_in_limits.ts";

// The limits' own cases run on both store backends in store/store_test.ts.

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
