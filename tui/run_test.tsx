import assert from "node:assert/strict";
import type { RenderOptions } from "ink";
import { FakeServices, FakeStdin, FakeStdout, waitFor } from "./_test_utils.tsx";
import { runTui } from "./run.tsx";

const SESSION = { host: "http://h:7700", user: "alice", token: "t", expiresAt: Date.now() + 3_600_000 };

Deno.test("runTui() resolves when q is pressed, after stopping playback and with raw mode off", async () => {
  const services = new FakeServices();
  const stdin = new FakeStdin();
  const stdout = new FakeStdout();
  const stderr = new FakeStdout();
  const done = runTui(services, {
    session: SESSION,
    stdin: stdin as unknown as RenderOptions["stdin"],
    stdout: stdout as unknown as RenderOptions["stdout"],
    stderr: stderr as unknown as RenderOptions["stderr"],
  });
  let resolved = false;
  void done.then(() => resolved = true);
  await waitFor(() => stdout.written.includes("30 tracks"), "the library");
  assert.equal(stdin.rawMode, true);
  await stdin.press("\r");
  await waitFor(() => services.plays.length === 1, "play()");
  await stdin.press("q");
  await done;
  assert.equal(resolved, true);
  assert.equal(services.plays[0]?.stopped, true);
  assert.equal(stdin.rawMode, false);
});

Deno.test("runTui() quits on Ctrl+C from a text field too", async () => {
  const stdin = new FakeStdin();
  const stdout = new FakeStdout();
  const done = runTui(new FakeServices(), {
    stdin: stdin as unknown as RenderOptions["stdin"],
    stdout: stdout as unknown as RenderOptions["stdout"],
  });
  await waitFor(() => stdout.written.includes("Connect to an audiod server"), "the connect screen");
  await stdin.press("q");
  await waitFor(() => stdout.plain().includes("Address: q"), "q typed into the address");
  await stdin.press("\x03");
  await done;
});
