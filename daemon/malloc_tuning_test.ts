import assert from "node:assert/strict";
import { hashPassword, verifyPassword } from "../roles/auth/password.ts";
import { tuneMalloc } from "./malloc_tuning.ts";

function rssMiB(): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(Deno.readTextFileSync("/proc/self/status"))?.[1]);
  return kb / 1024;
}

Deno.test({
  name: "tuneMalloc() keeps RSS flat over many concurrent Argon2id hashes",
  ignore: Deno.build.os !== "linux",
  async fn() {
    tuneMalloc();
    const phc = await hashPassword("a password of some length");
    const before = rssMiB();
    for (let round = 0; round < 5; round++) {
      await Promise.all(Array.from({ length: 16 }, () => verifyPassword("a password of some length", phc)));
    }
    const growth = rssMiB() - before;
    // Untuned, 80 hashes of 19 MiB grew RSS by over a gigabyte here; tuned, it stays within a few buffers.
    assert.ok(growth < 400, `RSS grew by ${growth.toFixed(0)} MiB`);
  },
});
