/**
 * Failure detection and failover with real processes: kill -9 the node whose file instance serves a
 * rate-limited download; the download resumes on the other replica and verifies, and the dead instances leave
 * rotation within 3 s. A node paused for one second (SIGSTOP) is not evicted.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  asMember,
  audiod,
  audiodCommand,
  isolatedEnv,
  startBootstrap,
  startContent,
  tempDir,
  waitFor,
} from "./_harness.ts";
import { md5OfFile } from "./fixtures.ts";
import { synthesizeWav } from "../media/wav.ts";
import type { StatusReport } from "../protocol/mod.ts";

Deno.test({
  name: "a download survives kill -9 of the node serving it, and a 1 s pause evicts nothing",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using temp = await tempDir();
    const root = temp.path;
    const big = synthesizeWav({
      seconds: 40,
      frequency: 220,
      tags: { title: "Long Tone", artist: "Failover" },
    });
    for (const lib of ["lib-a", "lib-b"]) {
      await Deno.mkdir(join(root, lib), { recursive: true });
      await Deno.writeFile(join(root, lib, "long.wav"), big);
    }
    const env = isolatedEnv(root, "servers");
    await using bootstrap = await startBootstrap(join(root, "boot"), env, ["--log-format", "json"]);
    const content = (lib: string) =>
      startContent(bootstrap.url, join(root, lib), join(root, lib + "-data"), env);
    await using nodeA = await content("lib-a");
    await using nodeB = await content("lib-b");
    const status = async () =>
      await (await fetch(`${bootstrap.url}/v1/status`, await asMember(bootstrap.url))).json() as StatusReport;
    await waitFor("both replicas", async () => {
      const s = await status();
      return s.nodes.filter((n) => n.role === "file" && n.state === "up" && n.tracks === 1).length === 2 ||
        undefined;
    });

    const listener = isolatedEnv(root, "listener");
    const reg = await audiod(["register", "--host", bootstrap.url, "--user", "fan", "--password-stdin"], {
      env: listener,
      stdin: "a long password\n",
    });
    assert.equal(reg.code, 0, reg.stderr);

    // A 1 s pause (shorter than the lease) evicts nothing.
    const downBefore = bootstrap.events().filter((e) => e.event === "member.down").length;
    Deno.kill(nodeB.process.pid, "SIGSTOP");
    await new Promise((r) => setTimeout(r, 1000));
    Deno.kill(nodeB.process.pid, "SIGCONT");
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(
      bootstrap.events().filter((e) => e.event === "member.down").length,
      downBefore,
      "no eviction",
    );
    assert.ok((await status()).nodes.every((n) => n.state === "up"));

    // A rate-limited download (about 3.5 s, fetched a 2 MiB window at a time); kill -9 the node whose file instance serves it.
    const out = join(root, "long.wav");
    const startedAt = Date.now();
    const download = startDaemonless(listener, out);
    const serving = await waitFor("the replica the download uses", () => download.replica());
    const servingPid = (await status()).nodes.find((n) => n.role === "file" && n.url === serving)!.pid;
    const victim = servingPid === nodeA.process.pid ? nodeA : nodeB;
    // Let the first window or two arrive and verify, so the resume point is past the start.
    await new Promise((r) => setTimeout(r, 1200));
    Deno.kill(victim.process.pid, "SIGKILL");
    const killedAt = Date.now();
    const stillThere = await fetch(`${serving}/v1/health`).then(async (r) => {
      await r.body?.cancel();
      return true;
    }, () => false);
    assert.equal(stillThere, false, `the serving instance ${serving} (pid ${servingPid}) is gone`);
    const killedAfter = killedAt - startedAt;
    await waitFor("the dead instances to leave rotation", async () => {
      const s = await status();
      return s.nodes.filter((n) => n.pid === victim.process.pid).every((n) => n.state !== "up") || undefined;
    });
    const detectedMs = Date.now() - killedAt;
    assert.ok(detectedMs <= 3000, `out of rotation after ${detectedMs} ms`);

    const result = await download.result;
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stderr,
      /failed .*trying the next one/,
      `the client said it switched replicas (killed ${victim.process.pid} after ${killedAfter} ms, done after ${
        Date.now() - startedAt
      } ms): ${result.stderr}`,
    );
    assert.match(
      result.stderr,
      /fetching from .* at byte [1-9]\d*/,
      "it resumed from a verified offset, not from 0",
    );
    assert.equal(await md5OfFile(out), await md5OfFile(join(root, "lib-a", "long.wav")));
  },
});

/** Runs a rate-limited, verbose `get` and reports the first replica it fetches from as soon as it says so. */
function startDaemonless(env: Record<string, string>, out: string) {
  const [cmd, args] = audiodCommand(["get", "Long Tone", "-o", out, "--limit-rate", "2M", "--verbose"]);
  const child = new Deno.Command(cmd, { args, env, stdin: "null", stdout: "piped", stderr: "piped" }).spawn();
  let stderr = "";
  const pump = (async () => {
    for await (const text of child.stderr.pipeThrough(new TextDecoderStream())) stderr += text;
  })();
  const result = (async () => {
    const [status, stdout] = await Promise.all([child.status, new Response(child.stdout).text(), pump]);
    return { code: status.code, stdout, stderr };
  })();
  return {
    replica: () => /fetching from (http:\/\/\S+)/.exec(stderr)?.[1],
    result,
  };
}
