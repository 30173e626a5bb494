import assert from "node:assert/strict";
import { signStreamAccess, verifyStreamAccess } from "./stream_access.ts";

const access = { track: "a".repeat(64), grant: "b".repeat(64), user: "alice", expiresAt: 10_000 };

Deno.test("a stream access verifies with the same join secret until it expires", () => {
  const text = signStreamAccess(access, "secret");
  assert.deepEqual(verifyStreamAccess(text, "secret", 9_999), access);
  assert.equal(verifyStreamAccess(text, "secret", 10_000), null, "expired");
  assert.equal(verifyStreamAccess(text, "another secret", 0), null, "another cluster's");
});

Deno.test("a tampered or malformed stream access is refused", () => {
  const text = signStreamAccess(access, "secret");
  const [payload, sig] = text.split(".") as [string, string];
  const other = signStreamAccess({ ...access, track: "c".repeat(64) }, "secret").split(".")[0];
  assert.equal(
    verifyStreamAccess(`${other}.${sig}`, "secret", 0),
    null,
    "another track under this signature",
  );
  assert.equal(verifyStreamAccess(`${payload}.${sig.slice(1)}`, "secret", 0), null);
  for (const bad of ["", ".", "x", "x.y", "a".repeat(3000)]) {
    assert.equal(verifyStreamAccess(bad, "secret", 0), null);
  }
});
