import assert from "node:assert/strict";
import { join } from "node:path";
import { isolatedEnv, startBootstrap, startContent, tempDir, waitFor } from "./_harness.ts";

Deno.test({
  name: "a bootstrap that cannot reach a node backs off its spawns and logs one line per change of state",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using temp = await tempDir();
    const root = temp.path;
    await Deno.mkdir(join(root, "media"));
    // Debug level shows every spawn attempt, to count them against the warnings.
    const env = { ...isolatedEnv(root, "servers"), AUDIOD_LOG_LEVEL: "debug" };
    await using bootstrap = await startBootstrap(join(root, "boot"), env, ["--log-format", "json"]);
    // The node listens on 127.0.0.1 but tells the bootstrap to reach it at 127.0.0.2: every spawn order fails.
    await using _content = await startContent(bootstrap.url, join(root, "media"), join(root, "data"), env, [
      "--advertise",
      "127.0.0.2",
    ]);
    const attempts = (role: string) =>
      bootstrap.events().filter((e) => e.event === "instance.spawn" && e.role === role).length;
    await waitFor(
      "four spawn attempts of a file instance",
      () => attempts("file") >= 4 ? true : undefined,
      30_000,
    );
    const failed = bootstrap.events().filter((e) => e.event === "instance.spawn_failed");
    assert.deepEqual(
      failed.map((e) => e.role).sort(),
      ["auth", "file"],
      `one warning per role for ${attempts("file")} file and ${attempts("auth")} auth attempts`,
    );
    assert.equal(failed[0]!.level, "warn");
    const info = bootstrap.events().filter((e) => e.event === "instance.spawn" && e.level === "info");
    assert.equal(info.length, 2, "the retries are logged at debug level only");
  },
});
