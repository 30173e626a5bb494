import assert from "node:assert/strict";
import { join } from "node:path";
import { audiod, isolatedEnv, startBootstrap, startContent, tempDir } from "./_harness.ts";

Deno.test({
  name: "register run right after the bootstrap starts waits for the auth instance that comes up later",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using temp = await tempDir();
    const root = temp.path;
    await Deno.mkdir(join(root, "media"));
    const env = isolatedEnv(root, "servers");
    await using bootstrap = await startBootstrap(join(root, "boot"), env);
    const client = { ...isolatedEnv(root, "client"), AUDIOD_PASSWORD: "correct horse battery" };
    // No content node yet, so no auth instance: register starts waiting; the node comes 2 s later.
    const registering = audiod(["register", "--host", bootstrap.url, "--user", "early"], { env: client });
    await new Promise((r) => setTimeout(r, 2000));
    await using _content = await startContent(bootstrap.url, join(root, "media"), join(root, "data"), env);
    const result = await registering;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Registered and signed in as early/);
    assert.match(result.stderr, /waiting up to 10 s for an auth instance/);
    assert.equal(result.stderr.trim().split("\n").length, 1, "one notice, not one per attempt");
  },
});
