import assert from "node:assert/strict";
import { join } from "node:path";
import { audiod, isolatedEnv, startDaemon, tempDir } from "./_harness.ts";

Deno.test({
  name: "a bootstrap started from its default config file and the environment uses both, flags first",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using temp = await tempDir();
    const env = isolatedEnv(temp.path, "boot");
    await Deno.mkdir(env.AUDIOD_CONFIG_DIR!, { recursive: true });
    await Deno.writeTextFile(
      join(env.AUDIOD_CONFIG_DIR!, "bootstrap.toml"),
      `# a config file as an operator writes it\nlisten = "127.0.0.1:1"\nlog-format = "json"\nmax-file = 3\n` +
        `data = ${JSON.stringify(join(temp.path, "data"))}\n`,
    );
    const printed = await audiod(["bootstrap", "--print-config", "--listen", "127.0.0.1:0"], {
      env: { ...env, AUDIOD_MAX_FILE: "4" },
    });
    assert.equal(printed.code, 0, printed.stderr);
    assert.match(printed.stdout, /^listen = "127\.0\.0\.1:0" {2}# flag$/m);
    assert.match(printed.stdout, /^max-file = "4" {2}# env AUDIOD_MAX_FILE$/m);
    assert.match(printed.stdout, /^log-format = "json" {2}# file /m);

    await using bootstrap = await startDaemon(["bootstrap", "--listen", "127.0.0.1:0"], { env });
    assert.match(bootstrap.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const status = await fetch(`${bootstrap.url}/v1/health`);
    await status.body?.cancel();
    assert.equal(status.status, 200);
    assert.ok(bootstrap.events().length > 0, "logs JSON, as the file says");
    assert.ok((await Deno.stat(join(temp.path, "data", "join-secret"))).isFile, "the data dir from the file");
  },
});

Deno.test("a daemon whose config file has an unknown key or a bad value does not start and exits 2", async () => {
  await using temp = await tempDir();
  const file = join(temp.path, "content.toml");
  await Deno.writeTextFile(file, 'bootstrap = "127.0.0.1:9"\nmedia = "/tmp"\nlisten-port = 7\n');
  const env = isolatedEnv(temp.path, "c");
  const unknown = await audiod(["content", "--config", file], { env });
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /content\.toml: unknown key "listen-port"/);
  assert.doesNotMatch(unknown.stdout, /listening on/);
  await Deno.writeTextFile(file, 'bootstrap = "127.0.0.1:9"\nmedia = "/tmp"\nlisten = "everywhere"\n');
  const bad = await audiod(["content", "--config", file], { env });
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr,
    /Cannot use listen in .*content\.toml: "everywhere" is not valid: expected HOST:PORT/,
  );
});
