import assert from "node:assert/strict";
import { HttpError } from "../../daemon/http/http_error.ts";
import { hashPassword, needsRehash, verifyPassword } from "./password.ts";

Deno.test("verifyPassword() accepts the right password and refuses a wrong one", async () => {
  const phc = await hashPassword("correct horse battery");
  assert.match(phc, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  assert.equal(await verifyPassword("correct horse battery", phc), true);
  assert.equal(await verifyPassword("correct horse batterY", phc), false);
});

Deno.test("hashPassword() salts: the same password hashes differently twice", async () => {
  assert.notEqual(await hashPassword("same password"), await hashPassword("same password"));
});

Deno.test("verifyPassword() refuses a malformed stored hash instead of throwing", async () => {
  assert.equal(await verifyPassword("x", "not a hash"), false);
  assert.equal(await verifyPassword("x", "$argon2id$v=19$m=19456,t=2,p=1$!!$!!"), false);
});

Deno.test("needsRehash() flags hashes made with weaker parameters", async () => {
  const weak = await hashPassword("pw", { memory: 8192, passes: 1, parallelism: 1 });
  assert.equal(needsRehash(weak), true);
  assert.equal(needsRehash(await hashPassword("pw")), false);
  assert.equal(await verifyPassword("pw", weak), true);
});

Deno.test("hashPassword() hashes one at a time per instance and refuses past a queue of 32 with a 503", async () => {
  const results = await Promise.allSettled(
    Array.from({ length: 40 }, (_, i) => hashPassword(`password ${i}`)),
  );
  const refused = results.filter((r) => r.status === "rejected");
  assert.equal(results.length - refused.length, 33);
  for (const r of refused) {
    assert.ok(r.reason instanceof HttpError);
    assert.equal(r.reason.status, 503);
    assert.equal(r.reason.headers["retry-after"], "1");
  }
});
