import assert from "node:assert/strict";
import { CommandError } from "../cli/usage_error.ts";
import { resolveIdPrefix, shortIds } from "./short_id.ts";

const A = "3fa2c1d0-1111-4000-8000-000000000001";
const B = "3fa2c1d0-1112-4000-8000-000000000002";
const C = "9b0e7a55-0000-4000-8000-000000000003";

Deno.test("shortIds() gives each id its shortest unique prefix, never under 8 characters", () => {
  const short = shortIds([A, B, C]);
  assert.equal(short.get(C), "9b0e7a55", "unique at 8");
  assert.equal(short.get(A), "3fa2c1d0-1111", "A and B share 12 characters, so 13");
  assert.equal(short.get(B), "3fa2c1d0-1112");
  for (const [id, s] of short) {
    assert.ok(id.startsWith(s));
    assert.equal([A, B, C].filter((other) => other.startsWith(s)).length, 1, `${s} names one id`);
  }
});

Deno.test("shortIds() keeps short ids whole, and cuts a lone long one at the minimum", () => {
  assert.deepEqual([...shortIds(["bootstrap", "abc"])], [["abc", "abc"], ["bootstrap", "bootstrap"]]);
  assert.equal(shortIds(["content-a1b2c3d4"]).get("content-a1b2c3d4"), "content-");
  assert.equal(shortIds(["abcdefghijkl"], 4).get("abcdefghijkl"), "abcd");
});

Deno.test("resolveIdPrefix() takes a unique prefix or the whole id, any case", () => {
  assert.equal(resolveIdPrefix("9b0e", [A, B, C]), C);
  assert.equal(resolveIdPrefix("3FA2C1D0-1112", [A, B, C]), B);
  assert.equal(resolveIdPrefix(A, [A, B, C]), A);
});

Deno.test("resolveIdPrefix() refuses an ambiguous prefix, listing the candidates, and an unknown one", () => {
  assert.throws(
    () => resolveIdPrefix("3fa2", [A, B, C], "instance"),
    (e: Error) =>
      e instanceof CommandError &&
      e.message ===
        'Cannot pick one instance for "3fa2": 2 start with it (3fa2c1d0-1111, 3fa2c1d0-1112); type ' +
          "more of it",
  );
  assert.throws(() => resolveIdPrefix("ffff", [A, B, C]), /Cannot find id "ffff": no id starts with it/);
  assert.throws(() => resolveIdPrefix(" ", [A]), /give an id or the start of one/);
});
