import assert from "node:assert/strict";
import { join } from "node:path";
import { ensurePrivateDir, exposedMode, makePrivate, refuseExposed } from "./private_files.ts";

Deno.test("refuseExposed() refuses a file group or others may read, naming the chmod that fixes it", async (t) => {
  const root = await Deno.makeTempDir();
  try {
    const path = join(root, "secret");
    await Deno.writeTextFile(path, "x", { mode: 0o600 });
    for (const mode of [0o644, 0o640, 0o604, 0o660, 0o602]) {
      await t.step(`mode ${mode.toString(8)} is refused`, async () => {
        await Deno.chmod(path, mode);
        await assert.rejects(
          refuseExposed(path, "the join secret"),
          new RegExp(
            `^CommandError: Cannot use the join secret ${path}: others can read it .*run chmod 600 ${path}$`,
          ),
        );
      });
    }
    for (const mode of [0o600, 0o400, 0o700]) {
      await t.step(`mode ${mode.toString(8)} passes`, async () => {
        await Deno.chmod(path, mode);
        await refuseExposed(path, "the join secret");
      });
    }
    await refuseExposed(join(root, "missing"), "the store"); // made 0600 when created
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("ensurePrivateDir() makes a 0700 folder and tightens an existing one; makePrivate() a 0600 file", async () => {
  const root = await Deno.makeTempDir();
  try {
    const fresh = join(root, "a", "b");
    await ensurePrivateDir(fresh);
    assert.equal((await Deno.stat(fresh)).mode! & 0o777, 0o700);
    const open = join(root, "open");
    await Deno.mkdir(open);
    await Deno.chmod(open, 0o755);
    await ensurePrivateDir(open);
    assert.equal((await Deno.stat(open)).mode! & 0o777, 0o700);
    const file = join(root, "store.db");
    await Deno.writeTextFile(file, "x");
    await Deno.chmod(file, 0o644);
    await makePrivate(file);
    assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
    await makePrivate(join(root, "none"));
    assert.equal(exposedMode(null), false);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
