import assert from "node:assert/strict";

const MODULE = new URL("./last_resort.ts", import.meta.url).href;

async function runScript(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-check", script],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test("an unhandled rejection is logged and the daemon goes on; without the guard Deno exits", async () => {
  const rejectLater = `
    const error = Object.assign(new Error("socket ended"), { code: "EPIPE" });
    Object.defineProperty(error, "query", { value: "select b.oid\\n from pg_type" });
    Promise.reject(error);
    setTimeout(() => console.log("still running"), 100);`;
  const guarded = await runScript(
    `import { keepRunningOnUnhandled } from "${MODULE}"; keepRunningOnUnhandled("bootstrap", "json");` +
      rejectLater,
  );
  assert.equal(guarded.code, 0, guarded.stderr);
  assert.match(guarded.stdout, /still running/);
  const line = JSON.parse(guarded.stderr.trim().split("\n").at(-1)!);
  assert.equal(line.event, "internal.unhandled_rejection");
  assert.equal(line.level, "warn", "a lost connection is a warning");
  assert.equal(line.code, "EPIPE");
  assert.equal(line.query, "select b.oid from pg_type");

  const bug = await runScript(
    `import { keepRunningOnUnhandled } from "${MODULE}"; keepRunningOnUnhandled("file", "json");
     Promise.reject(new TypeError("x is undefined"));
     setTimeout(() => console.log("still running"), 100);`,
  );
  assert.match(bug.stdout, /still running/);
  assert.equal(JSON.parse(bug.stderr.trim().split("\n").at(-1)!).level, "error", "anything else is an error");

  const unguarded = await runScript(rejectLater);
  assert.notEqual(unguarded.code, 0, "the test's premise: Deno ends a process on an unhandled rejection");
  assert.doesNotMatch(unguarded.stdout, /still running/);
});
