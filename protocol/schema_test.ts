import assert from "node:assert/strict";
import {
  arrayOf,
  bool,
  type Check,
  int,
  nullable,
  num,
  obj,
  oneOf,
  optional,
  SchemaError,
  str,
} from "./schema.ts";

/** The SchemaError `check` throws for `value` at `path` ("body" by default). */
function refusal(check: Check<unknown>, value: unknown, path = "body"): SchemaError {
  try {
    check(value, path);
  } catch (error) {
    if (error instanceof SchemaError) return error;
    throw error;
  }
  assert.fail(`${JSON.stringify(value)} was accepted`);
}

/** Table cases of one check: values it takes (returned as they are), and values it refuses with a reason. */
async function cases(
  t: Deno.TestContext,
  check: Check<unknown>,
  taken: unknown[],
  refused: [unknown, string][],
): Promise<void> {
  for (const value of taken) {
    await t.step(`takes ${JSON.stringify(value)}`, () => assert.equal(check(value, "body"), value));
  }
  for (const [value, reason] of refused) {
    await t.step(`refuses ${JSON.stringify(value) ?? String(value)}: ${reason}`, () => {
      const error = refusal(check, value);
      assert.equal(error.path, "body");
      assert.equal(error.reason, reason);
      assert.equal(error.message, `Cannot accept body: ${reason}`);
    });
  }
}

Deno.test("str() takes strings of 1 to 1024 characters by default, and bounds and patterns when given", async (t) => {
  await cases(t, str(), ["a", "x".repeat(1024)], [
    [1, "must be a string"],
    [null, "must be a string"],
    ["", "must not be empty"],
    ["x".repeat(1025), "must be at most 1024 characters"],
  ]);
  await cases(t, str({ min: 3, max: 5 }), ["abc", "abcde"], [
    ["ab", "must be at least 3 characters"],
    ["abcdef", "must be at most 5 characters"],
  ]);
  await cases(t, str({ min: 0 }), [""], []);
  await cases(t, str({ pattern: /^[a-z]+$/ }), ["abc"], [["ABC", "has the wrong format"]]);
  await cases(t, str({ pattern: /^[a-z]+$/, hint: "must be lowercase letters" }), [], [
    ["a1", "must be lowercase letters"],
  ]);
});

Deno.test("int() takes whole numbers within its bounds", async (t) => {
  await cases(t, int(), [0, -7, Number.MAX_SAFE_INTEGER], [
    [1.5, "must be an integer"],
    ["1", "must be an integer"],
    [NaN, "must be an integer"],
    [
      Number.MAX_SAFE_INTEGER + 2,
      `must be between ${Number.MIN_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}`,
    ],
  ]);
  await cases(t, int({ min: 1, max: 10 }), [1, 10], [
    [0, "must be between 1 and 10"],
    [11, "must be between 1 and 10"],
  ]);
});

Deno.test("num() takes finite numbers within its bounds", async (t) => {
  await cases(t, num({ min: 0, max: 1 }), [0, 0.5, 1], [
    [Infinity, "must be a number"],
    [NaN, "must be a number"],
    ["0.5", "must be a number"],
    [1.01, "must be between 0 and 1"],
    [-0.1, "must be between 0 and 1"],
  ]);
});

Deno.test("bool() takes true and false only", async (t) => {
  await cases(t, bool(), [true, false], [
    [0, "must be true or false"],
    ["true", "must be true or false"],
    [null, "must be true or false"],
  ]);
});

Deno.test("oneOf() takes the listed strings only, and names them when refusing", async (t) => {
  await cases(t, oneOf(["auth", "file"] as const), ["auth", "file"], [
    ["bootstrap", "must be one of auth, file"],
    ["AUTH", "must be one of auth, file"],
    [1, "must be one of auth, file"],
  ]);
});

Deno.test("nullable() and optional() let null and undefined through, and check anything else", async (t) => {
  await cases(t, nullable(int()), [null, 3], [[undefined, "must be an integer"], [
    "3",
    "must be an integer",
  ]]);
  await cases(t, optional(int()), [undefined, 3], [[null, "must be an integer"], [
    "3",
    "must be an integer",
  ]]);
});

Deno.test("arrayOf() checks each item at its index and bounds the length", async (t) => {
  await t.step("takes and returns the items", () => assert.deepEqual(arrayOf(int())([1, 2], "body"), [1, 2]));
  await t.step("names the index of a bad item", () => {
    const error = refusal(arrayOf(int()), [1, 2, "x"]);
    assert.equal(error.path, "body[2]");
    assert.equal(error.message, "Cannot accept body[2]: must be an integer");
  });
  await cases(t, arrayOf(int(), { max: 2 }), [], [
    [[1, 2, 3], "must have at most 2 items"],
    [{ 0: 1 }, "must be an array"],
    ["[1]", "must be an array"],
  ]);
  await t.step("allows 10,000 items by default", () => {
    assert.equal(refusal(arrayOf(int()), new Array(10_001).fill(0)).reason, "must have at most 10000 items");
  });
});

Deno.test("obj() takes exactly its fields, drops missing optional ones and refuses unknown ones", async (t) => {
  const user = obj({ name: str(), age: optional(int({ min: 0 })), admin: nullable(bool()) });
  await t.step("takes an object and returns its known fields", () => {
    assert.deepEqual(user({ name: "ann", age: 3, admin: null }, "body"), {
      name: "ann",
      age: 3,
      admin: null,
    });
    const out = user({ name: "ann", admin: true }, "body");
    assert.deepEqual(out, { name: "ann", admin: true });
    assert.equal(Object.hasOwn(out, "age"), false);
  });
  await t.step("refuses an unknown field by name", () => {
    const error = refusal(user, { name: "ann", admin: null, nmae: "typo" });
    assert.equal(error.path, "body.nmae");
    assert.equal(error.message, "Cannot accept body.nmae: is not a known field");
  });
  await t.step("refuses a missing required field by name", () => {
    assert.equal(refusal(user, { admin: null }).message, "Cannot accept body.name: must be a string");
  });
  await cases(t, user, [], [
    [null, "must be a JSON object"],
    [[], "must be a JSON object"],
    ["{}", "must be a JSON object"],
  ]);
});

Deno.test("a nested check names the whole path to the bad field, like body.a[2].b", () => {
  const shape = obj({ a: arrayOf(obj({ b: str() })) });
  assert.deepEqual(shape({ a: [{ b: "x" }] }, "body"), { a: [{ b: "x" }] });
  const error = refusal(shape, { a: [{ b: "x" }, { b: "y" }, { b: 7 }] });
  assert.equal(error.path, "body.a[2].b");
  assert.equal(error.reason, "must be a string");
  assert.equal(error.message, "Cannot accept body.a[2].b: must be a string");
  assert.equal(error.name, "SchemaError");
  assert.equal(refusal(shape, { a: [{ b: "x", c: 1 }] }, "answer").path, "answer.a[0].c");
});
