import assert from "node:assert/strict";
import { join } from "node:path";
import { synthesizeWav } from "../media/wav.ts";
import {
  asMember,
  audiod,
  isolatedEnv,
  startBootstrap,
  startContent,
  startDaemon,
  tempDir,
  waitFor,
} from "./_harness.ts";
import type { StatusReport } from "../protocol/mod.ts";

async function mediaDir(root: string): Promise<string> {
  const media = join(root, "media");
  await Deno.mkdir(media);
  const wav = synthesizeWav({ seconds: 3, frequency: 440, tags: { title: "Doctor Tone", artist: "Checks" } });
  await Deno.writeFile(join(media, "tone.wav"), wav);
  return media;
}

const status = async (host: string) =>
  await (await fetch(`${host}/v1/status`, await asMember(host))).json() as StatusReport;
const up = (s: StatusReport, role: string) =>
  s.nodes.filter((n) => n.role === role && n.state === "up").length;

Deno.test({
  name: "doctor passes every check on a healthy cluster with a signed-in listener",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using temp = await tempDir();
    const root = temp.path;
    const env = isolatedEnv(root, "servers");
    await using bootstrap = await startBootstrap(join(root, "boot"), env);
    await using _content = await startContent(bootstrap.url, await mediaDir(root), join(root, "data"), env);
    await waitFor("an auth and a file instance and the track", async () => {
      const s = await status(bootstrap.url);
      return up(s, "auth") && up(s, "file") && s.tracks === 1 ? true : undefined;
    });
    const client = { ...isolatedEnv(root, "client"), AUDIOD_PASSWORD: "doctor's orders" };
    const signedUp = await audiod(["register", "--host", bootstrap.url, "--user", "ann"], { env: client });
    assert.equal(signedUp.code, 0, signedUp.stderr);

    const result = await audiod(["doctor"], { env: client });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const lines = result.stdout.trim().split("\n");
    for (
      const check of [
        "bootstrap answers",
        "TLS trust",
        "saved session",
        "auth instances up",
        "file instances up",
        "first chunk verifies",
        "player backend",
      ]
    ) {
      assert.ok(
        lines.some((l) => l.startsWith("PASS") && l.includes(check)),
        `${check} passes:\n${result.stdout}`,
      );
    }
    assert.match(result.stdout, /"Doctor Tone": \d+ bytes from http:\/\/127\.0\.0\.1:\d+, MD5 matched/);
    assert.match(lines.at(-1)!, /^All 7 checks passed$/);
  },
});

Deno.test({
  name: "doctor names the failing checks, and exits 1, when the only file instance is dead",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using temp = await tempDir();
    const root = temp.path;
    const env = isolatedEnv(root, "servers");
    await using bootstrap = await startBootstrap(join(root, "boot"), env);
    await using _auth = await startDaemon(["auth", "--bootstrap", bootstrap.url], { env });
    const file = await startDaemon([
      "file",
      "--bootstrap",
      bootstrap.url,
      "--media",
      await mediaDir(root),
      "--data",
      join(root, "data"),
    ], { env });
    await waitFor("the track", async () => (await status(bootstrap.url)).tracks === 1 ? true : undefined);
    const client = { ...isolatedEnv(root, "client"), AUDIOD_PASSWORD: "doctor's orders" };
    assert.equal(
      (await audiod(["register", "--host", bootstrap.url, "--user", "bo"], { env: client })).code,
      0,
    );

    await file.stop("SIGKILL"); // dies without leaving: the bootstrap notices when its lease runs out
    await waitFor("the file instance down", async () => {
      const s = await status(bootstrap.url);
      return s.nodes.some((n) => n.role === "file") && up(s, "file") === 0 ? true : undefined;
    });
    const result = await audiod(["doctor", "--host", bootstrap.url], { env: client });
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /^FAIL {2}file instances up +0 up \(1 is draining or down\)$/m);
    assert.match(result.stdout, /^PASS {2}auth instances up/m);
    assert.match(result.stdout, /^PASS {2}saved session/m);
    assert.match(result.stderr, /checks did not pass: file instances up/);
  },
});
