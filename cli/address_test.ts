import assert from "node:assert/strict";
import { parseAddress, parseListen } from "./address.ts";

Deno.test("parseAddress() accepts HOST, HOST:PORT and URLs", async (t) => {
  const cases: [string, string][] = [
    ["10.0.0.2", "http://10.0.0.2:7700"],
    ["music.local:8000", "http://music.local:8000"],
    ["http://h:1234/", "http://h:1234"],
    ["https://h", "https://h"],
    ["[::1]:7700", "http://[::1]:7700"],
    [" 127.0.0.1 ", "http://127.0.0.1:7700"],
  ];
  for (const [input, want] of cases) await t.step(input, () => assert.equal(parseAddress(input), want));
});

Deno.test("parseAddress() refuses what is not an address, saying what is expected", () => {
  for (const bad of ["", "ftp://h", "http://h/path", "http://u:p@h", "h:99999"]) {
    assert.throws(() => parseAddress(bad), /Cannot use/, bad);
  }
});

Deno.test("parseListen() takes HOST:PORT including port 0 and IPv6", () => {
  assert.deepEqual(parseListen("127.0.0.1:0"), { hostname: "127.0.0.1", port: 0 });
  assert.deepEqual(parseListen("[::1]:7700"), { hostname: "::1", port: 7700 });
  assert.throws(() => parseListen("7700"), /expected HOST:PORT/);
  assert.throws(() => parseListen("h:70000"), /port must be/);
});
