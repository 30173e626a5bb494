import assert from "node:assert/strict";
import { join } from "node:path";

/**
 * Runs a script that guards closed writes, then throws `message` from a timer in a module at
 * `postgres/src/connection.js` (where postgres.js's queued write runs): its exit code and output.
 */
async function run(message: string): Promise<{ code: number; out: string }> {
  const dir = await Deno.makeTempDir({ prefix: "audiod-closed-write-" });
  try {
    await Deno.mkdir(join(dir, "postgres", "src"), { recursive: true });
    await Deno.writeTextFile(
      join(dir, "postgres", "src", "connection.js"),
      `import { setImmediate } from "node:timers";\n` +
        `export function queue() { setImmediate(function nextWrite() { throw new TypeError(${
          JSON.stringify(message)
        }); }); }\n`,
    );
    const store = new URL("./postgres.ts", import.meta.url).href;
    await Deno.writeTextFile(
      join(dir, "main.ts"),
      `import { guardClosedWrites } from ${JSON.stringify(store)};\n` +
        `import { queue } from "./postgres/src/connection.js";\n` +
        `guardClosedWrites({ warn: (event) => console.log("warned", event) } as never, "db");\n` +
        `queue();\nsetTimeout(() => console.log("alive"), 50);\n`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        "--config",
        new URL("../../../deno.json", import.meta.url).pathname,
        join(dir, "main.ts"),
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder();
    return { code: out.code, out: text.decode(out.stdout) + text.decode(out.stderr) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("postgres.js's write to a connection closed meanwhile is dropped and logged, not fatal", async () => {
  const { code, out } = await run("Cannot read properties of null (reading 'write')");
  assert.equal(code, 0, out);
  assert.match(out, /warned store\.write_after_close/);
  assert.match(out, /alive/);
});

Deno.test("any other error thrown there still ends the process", async () => {
  const { code, out } = await run("Cannot read properties of null (reading 'end')");
  assert.notEqual(code, 0, out);
  assert.match(out, /Uncaught TypeError: Cannot read properties of null \(reading 'end'\)/);
  assert.doesNotMatch(out, /alive|warned/);
});
