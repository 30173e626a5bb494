import assert from "node:assert/strict";
import { Command, Option } from "@commander-js/extra-typings";
import { type ConfigOptions, defaultConfigFile, envNameOf, withConfig } from "./config.ts";
import { parseListen } from "./address.ts";
import { parseScaleFlags } from "../roles/bootstrap/scale_flags.ts";
import { UsageError } from "./usage_error.ts";

class Exited extends Error {}

const collect = (value: string, previous: string[]) => [...previous, value];

/** A daemon-like command with config support; runs `args` with the given environment and files. */
async function run(
  args: string[],
  world: { env?: Record<string, string>; files?: Record<string, string> } = {},
) {
  let seen: Record<string, unknown> | undefined;
  const printed: string[] = [];
  let exited: number | undefined;
  const command = new Command("bootstrap")
    .exitOverride()
    .requiredOption("--bootstrap <addr>", "the bootstrap")
    .option("--listen <host:port>", "address", "127.0.0.1:7700")
    .option("--max-file <n>", "most file instances")
    .option("--ssh <target>", "hosts (repeatable)", collect, [] as string[])
    .option("--join-token <t>", "a secret-looking setting")
    .option("--verbose", "a switch")
    .addOption(
      new Option("--log-format <f>", "text or json").choices(["text", "json"] as const).default("text"),
    )
    .action((o) => {
      seen = o;
    });
  const options: ConfigOptions = {
    role: "bootstrap",
    env: (name) => world.env?.[name],
    readTextFile: (path) => world.files?.[path] ?? null,
    print: (line) => printed.push(line),
    exit: (code) => {
      exited = code;
      throw new Exited(); // as Deno.exit, nothing runs after it
    },
    checks: {
      listen: parseListen,
      "max-file": (v) => parseScaleFlags({ maxFile: v }),
    },
  };
  withConfig(command, options);
  try {
    await command.parseAsync(args, { from: "user" });
  } catch (error) {
    if (!(error instanceof Exited)) throw error;
  }
  return { seen, printed, exited };
}

const FILE = "/etc/audiod/bootstrap.toml";

Deno.test("withConfig() takes a flag over the environment over the file over the default", async (t) => {
  const files = { [FILE]: 'bootstrap = "b.example"\nlisten = "0.0.0.0:1"\nmax-file = 6\n' };
  await t.step("file over default", async () => {
    const { seen } = await run(["--config", FILE], { files });
    assert.equal(seen?.listen, "0.0.0.0:1");
    assert.equal(seen?.maxFile, "6", "a TOML number becomes the flag's text");
    assert.equal(seen?.bootstrap, "b.example", "a required flag may come from the file");
    assert.equal(seen?.logFormat, "text");
  });
  await t.step("environment over file", async () => {
    const { seen } = await run(["--config", FILE], { files, env: { AUDIOD_LISTEN: "0.0.0.0:2" } });
    assert.equal(seen?.listen, "0.0.0.0:2");
  });
  await t.step("flag over environment", async () => {
    const { seen } = await run(["--config", FILE, "--listen", "0.0.0.0:3"], {
      files,
      env: { AUDIOD_LISTEN: "0.0.0.0:2" },
    });
    assert.equal(seen?.listen, "0.0.0.0:3");
  });
  await t.step("AUDIOD_CONFIG names the file", async () => {
    const { seen } = await run([], { files, env: { AUDIOD_CONFIG: FILE } });
    assert.equal(seen?.maxFile, "6");
  });
  await t.step("the default file is read when present", async () => {
    const path = defaultConfigFile(
      "bootstrap",
      (n) => ({ XDG_CONFIG_HOME: "/x" } as Record<string, string>)[n],
    );
    assert.equal(path, "/x/audiod/bootstrap.toml");
    const { seen } = await run([], {
      files: { [path]: 'bootstrap = "from-default"' },
      env: { XDG_CONFIG_HOME: "/x" },
    });
    assert.equal(seen?.bootstrap, "from-default");
  });
});

Deno.test("withConfig() replaces a repeatable flag's list, from the file, the environment or flags", async () => {
  const files = { [FILE]: 'bootstrap = "b"\nssh = ["pi@a", "pi@b"]\nverbose = true\n' };
  assert.deepEqual((await run(["--config", FILE], { files })).seen?.ssh, ["pi@a", "pi@b"]);
  assert.equal((await run(["--config", FILE], { files })).seen?.verbose, true);
  assert.deepEqual((await run(["--config", FILE], { files, env: { AUDIOD_SSH: "pi@c, pi@d" } })).seen?.ssh, [
    "pi@c",
    "pi@d",
  ]);
  assert.deepEqual((await run(["--config", FILE, "--ssh", "pi@e"], { files })).seen?.ssh, ["pi@e"]);
});

Deno.test("withConfig() refuses unknown keys, wrong types and bad values, naming the file and the key", async (t) => {
  const cases: [string, string, Record<string, string>, RegExp][] = [
    [
      "an unknown key",
      "maxfile = 6",
      {},
      /bootstrap\.toml: unknown key "maxfile" \(audiod bootstrap knows .*max-file/,
    ],
    [
      "a bad value, by the flag's parser",
      'max-file = "lots"',
      {},
      /max-file in .*bootstrap\.toml: "lots" .*whole number/,
    ],
    ["a value of the wrong type", "listen = true", {}, /listen in .*bootstrap\.toml: expected a string/],
    ["a choice not offered", 'log-format = "xml"', {}, /"xml" is not one of text, json/],
    ["a list for a single value", 'listen = ["a"]', {}, /listen in .*: expected a string/],
    ["not TOML", "listen = ", {}, /not valid TOML \(line 1/],
    [
      "a bad environment value",
      "",
      { AUDIOD_MAX_FILE: "0" },
      /AUDIOD_MAX_FILE: "0" is not valid: expected a whole/,
    ],
    [
      "a bad listen address from the environment",
      "",
      { AUDIOD_LISTEN: "nowhere" },
      /AUDIOD_LISTEN.*HOST:PORT/,
    ],
    ["a bad switch value", "", { AUDIOD_VERBOSE: "maybe" }, /AUDIOD_VERBOSE="maybe": expected 1, true/],
  ];
  for (const [what, text, env, message] of cases) {
    await t.step(what, async () => {
      await assert.rejects(
        run(["--config", FILE, "--bootstrap", "b"], { files: { [FILE]: text }, env }),
        (error: Error) => error instanceof UsageError && message.test(error.message),
      );
    });
  }
  await t.step("a --config file that does not exist", async () => {
    await assert.rejects(
      run(["--config", "/nope.toml"]),
      /Cannot read the config file \/nope\.toml: it does not exist/,
    );
  });
  await t.step("a required setting nowhere", async () => {
    await assert.rejects(run([]), /--bootstrap <addr> is required \(or AUDIOD_BOOTSTRAP, or bootstrap in /);
  });
});

Deno.test("--print-config shows each setting with its source, secrets masked, and exits 0", async () => {
  const files = { [FILE]: 'max-file = 6\njoin-token = "hunter2"\n' };
  const { printed, exited, seen } = await run(["--config", FILE, "--listen", "0.0.0.0:9", "--print-config"], {
    files,
    env: { AUDIOD_BOOTSTRAP: "b.example", AUDIOD_JOIN_SECRET: "s3cret" },
  });
  assert.equal(exited, 0);
  assert.equal(seen, undefined, "the daemon does not start");
  const text = printed.join("\n");
  assert.match(text, /^listen = "0\.0\.0\.0:9" {2}# flag$/m);
  assert.match(text, /^bootstrap = "b\.example" {2}# env AUDIOD_BOOTSTRAP$/m);
  assert.match(text, /^max-file = "6" {2}# file \/etc\/audiod\/bootstrap\.toml$/m);
  assert.match(text, /^log-format = "text" {2}# default$/m);
  assert.match(text, /^join-token = "\*+"/m);
  assert.doesNotMatch(text, /hunter2|s3cret/);
  assert.match(text, /join secret: from AUDIOD_JOIN_SECRET \(hidden\)/);
});

Deno.test("envNameOf() spells a flag as its environment variable", () => {
  assert.equal(envNameOf("--max-file"), "AUDIOD_MAX_FILE");
  assert.equal(envNameOf("--listen"), "AUDIOD_LISTEN");
});
