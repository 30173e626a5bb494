/**
 * SSH launches on a cluster of bootstraps sharing PostgreSQL, against a real sshd on a loopback port with
 * throwaway keys: the leader starts a content node detached (`setsid nohup`); after the leader's kill -9 the node
 * keeps serving (a verified download through the other bootstrap), the new leader adopts it instead of
 * starting a second one on that host, and the join secret is in no process's command line or environment.
 * Skipped, with the reason in its name, when not root, without sshd or without PostgreSQL.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import {
  audiodCommand,
  type Daemon,
  freePort,
  isolatedEnv,
  startDaemon,
  tempDir,
  waitFor,
} from "./_harness.ts";
import { POSTGRES_MISSING, startPostgres } from "./_postgres.ts";
import { hasCommand, makeLibrary } from "./fixtures.ts";
import { AudiodClient } from "../client/api.ts";
import { JOIN_SECRET_HEADER } from "../daemon/cluster/join_secret.ts";
import { DETACHED_LOG } from "../roles/bootstrap/ssh_detached.ts";
import type { BootstrapList, StatusReport } from "../protocol/mod.ts";

const SSHD = "/usr/sbin/sshd";

async function missing(): Promise<string | undefined> {
  if (Deno.uid() !== 0) return "sshd on a test port needs root";
  if (!await Deno.stat(SSHD).then(() => true, () => false)) return "no /usr/sbin/sshd";
  if (!await hasCommand("ssh-keygen")) return "no ssh-keygen";
  return POSTGRES_MISSING;
}
const MISSING = await missing();

async function run(cmd: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output();
  if (!out.success) throw new Error(`${cmd} failed: ${new TextDecoder().decode(out.stderr)}`);
}

/** Every process of this machine: pid, command line and environment (NUL-separated words joined by spaces). */
async function processes(): Promise<{ pid: number; args: string; environ: string }[]> {
  const found = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const read = (what: string) =>
      Deno.readFile(`/proc/${entry.name}/${what}`).then(
        (b) => new TextDecoder().decode(b).replaceAll("\0", " "),
        () => "",
      );
    found.push({ pid: Number(entry.name), args: await read("cmdline"), environ: await read("environ") });
  }
  return found;
}

/** The processes of the detached node (and anything it started): those with `marker` in their environment. */
async function detachedPids(marker: string): Promise<number[]> {
  return (await processes()).filter((p) => p.environ.includes(marker)).map((p) => p.pid);
}

Deno.test({
  name: "a detached SSH node outlives the leader that launched it, and the next leader adopts it" +
    (MISSING ? ` (skipped: ${MISSING})` : ""),
  ignore: !!MISSING,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using pg = await startPostgres();
    await using temp = await tempDir();
    const root = temp.path;
    const storeUrl = await pg.createDatabase("audiod");
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(root, "host_key")]);
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(root, "user_key")]);
    await Deno.copyFile(join(root, "user_key.pub"), join(root, "authorized_keys"));
    await Deno.mkdir("/run/sshd", { recursive: true });
    const sshPort = freePort();
    await Deno.writeTextFile(
      join(root, "sshd_config"),
      [
        `Port ${sshPort}`,
        "ListenAddress 127.0.0.1",
        `HostKey ${join(root, "host_key")}`,
        `AuthorizedKeysFile ${join(root, "authorized_keys")}`,
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PermitRootLogin prohibit-password",
        "StrictModes no",
        "UsePAM no",
        `PidFile ${join(root, "sshd.pid")}`,
        "LogLevel ERROR",
      ].join("\n") + "\n",
    );
    const sshd = new Deno.Command(SSHD, {
      args: ["-D", "-e", "-f", join(root, "sshd_config")],
      stderr: "piped",
    })
      .spawn();
    // The detached node's environment names this run's own directory: how it is found, and stopped, at the end.
    const remoteHome = join(root, "remote-home");
    await Deno.mkdir(remoteHome, { recursive: true });
    const marker = `XDG_DATA_HOME=${join(root, "remote", "data")}`;
    // Its output goes to audiod-content.log in the SSH user's home (root's, here): removed after, unless it was
    // there before this run.
    const rootHome = (await Deno.readTextFile("/etc/passwd")).split("\n").find((l) => l.startsWith("root:"))
      ?.split(":")[5] ?? "/root";
    const detachedLog = join(rootHome, DETACHED_LOG);
    const logExisted = await Deno.stat(detachedLog).then(() => true, () => false);
    const bootstraps: Daemon[] = [];
    try {
      await waitFor("sshd to listen", async () => {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port: sshPort });
        conn.close();
        return true;
      });
      const remoteLib = join(root, "remote-music");
      await makeLibrary(remoteLib, [
        { file: "far/away.wav", title: "Far Away", artist: "Remote Band", album: "Over SSH", seconds: 1 },
      ]);
      const remoteAudiod = `env ${marker} HOME=${remoteHome} ${audiodCommand([]).flat().join(" ")}`;
      const sshArgs = [
        "-i",
        join(root, "user_key"),
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "LogLevel=ERROR",
      ].map((a) => `--ssh-arg=${a}`);
      const env = isolatedEnv(root, "servers");
      for (const i of [0, 1]) {
        bootstraps.push(
          await startDaemon([
            "bootstrap",
            "--listen",
            "127.0.0.1:0",
            "--data",
            join(root, `boot-${i}`),
            "--store",
            storeUrl,
            "--log-format",
            "json",
            "--ssh",
            `root@127.0.0.1:${sshPort}`,
            "--ssh-media",
            remoteLib,
            "--remote-audiod",
            remoteAudiod,
            ...sshArgs,
          ], { env }),
        );
      }
      const secret = (await Deno.readTextFile(join(root, "boot-0", "join-secret"))).trim();
      const member = { [JOIN_SECRET_HEADER]: secret };
      const ask = async <T>(url: string, path: string): Promise<T | undefined> => {
        const res = await fetch(`${url}${path}`, { headers: member, signal: AbortSignal.timeout(2000) });
        if (!res.ok) return void await res.body?.cancel();
        return await res.json() as T;
      };
      const leaderOf = async (url: string) =>
        (await ask<BootstrapList>(url, "/v1/bootstraps"))?.bootstraps.find((b) => b.leader)?.url;

      const leaderUrl = await waitFor("a leader", () => leaderOf(bootstraps[0]!.url), 15_000);
      const leader = bootstraps.find((b) => b.url === leaderUrl)!;
      const other = bootstraps.find((b) => b !== leader)!;
      assert.ok(leader, `the leader ${leaderUrl} is one of the two`);

      // The leader launches the node; it registers, and its instances serve the track.
      const ready = async (url: string) => {
        const s = await ask<StatusReport>(url, "/v1/status");
        const nodes = s?.nodes.filter((n) => n.role === "content" && n.state === "up") ?? [];
        const auth = s?.nodes.some((n) => n.role === "auth" && n.state === "up");
        const file = s?.nodes.some((n) => n.role === "file" && n.state === "up");
        return nodes.length === 1 && auth && file && s?.tracks === 1 ? nodes[0] : undefined;
      };
      const first = await waitFor(
        "the detached node, its instances and its track",
        () => ready(other.url),
        60_000,
      );
      assert.equal(first.host, "127.0.0.1");
      const nodePid = first.pid!;
      assert.ok(
        (await detachedPids(marker)).includes(nodePid),
        "the registered node is the one launched over SSH",
      );
      assert.equal(
        leader.events().filter((e) => e.event === "remote.starting").length,
        1,
        "the leader launched it once",
      );
      assert.equal(
        other.events().filter((e) => e.event === "remote.starting").length,
        0,
        "the other did not",
      );

      // The join secret: in no process's command line (ps -eo args) nor environment, on this machine.
      const ps = await new Deno.Command("ps", { args: ["-eo", "args"], stdout: "piped" }).output();
      const psText = new TextDecoder().decode(ps.stdout);
      assert.match(psText, /content .*--join-secret-stdin/, "ps lists the detached node");
      assert.ok(!psText.includes(secret), "the join secret is on a command line");
      for (const p of await processes()) {
        assert.ok(!p.args.includes(secret), `the join secret is on process ${p.pid}'s command line`);
        assert.ok(!p.environ.includes(secret), `the join secret is in process ${p.pid}'s environment`);
      }

      // kill -9 of the leader: the node keeps serving, through the other bootstrap.
      leader.process.kill("SIGKILL");
      await leader.stop();
      await waitFor(
        "the other bootstrap to lead",
        async () => await leaderOf(other.url) === other.url,
        15_000,
      );
      Deno.kill(nodePid, "SIGCONT"); // throws if the node died with its launcher
      const client = new AudiodClient(other.url);
      await waitFor(
        "a sign-up through the other bootstrap",
        () => client.register("alice", "a long password"),
        30_000,
      );
      const session = await client.login("alice", "a long password");
      const listed = await new AudiodClient(other.url, { token: session.token }).listTracks();
      const track = listed.tracks[0]!;
      const bytes = await waitFor("a download from the detached node's file instance", async () => {
        const fresh = await new AudiodClient(other.url, { token: session.token }).track(track.id);
        const res = await fetch(`${fresh.replicas[0]!.url}/v1/tracks/${track.id}`, {
          headers: { authorization: `Bearer ${session.token}` },
        });
        if (!res.ok) throw new Error(`${res.status}: ${await res.text()}`);
        return new Uint8Array(await res.arrayBuffer());
      }, 15_000);
      assert.equal(createHash("md5").update(bytes).digest("hex"), track.md5, "the download verifies");

      // The new leader adopted the node: no second launch, the same node, one node from that host.
      await waitFor(
        "the new leader to adopt the node",
        () => other.events().some((e) => e.event === "remote.adopted") || undefined,
        15_000,
      );
      await new Promise((r) => setTimeout(r, 3000)); // long enough for a launch the adoption missed
      assert.equal(
        other.events().filter((e) => e.event === "remote.starting").length,
        0,
        `the new leader launched a second node:\n${other.logs()}`,
      );
      const after = await ready(other.url);
      assert.equal(after?.pid, nodePid, "the same node serves");
      const contentProcesses = (await processes()).filter((p) =>
        p.environ.includes(marker) && / content .*--join-secret-stdin/.test(p.args)
      );
      assert.equal(contentProcesses.length, 1, "one content node on that host");
      assert.match(
        await Deno.readTextFile(detachedLog),
        /audiod content listening on /,
        `the detached node's output is in ~/${DETACHED_LOG}`,
      );
    } finally {
      await Promise.allSettled(bootstraps.map((b) => b.stop()));
      // The detached node, by this run's own directory in its environment (its session first, then stragglers).
      for (const signal of ["SIGTERM", "SIGKILL"] as const) {
        for (const pid of await detachedPids(marker)) {
          try {
            Deno.kill(pid, signal);
          } catch { /* gone */ }
        }
        await waitFor(
          "the detached node to stop",
          async () => (await detachedPids(marker)).length === 0 || undefined,
          10_000,
        )
          .catch(() => {});
      }
      if (!logExisted) await Deno.remove(detachedLog).catch(() => {});
      sshd.kill("SIGTERM");
      await sshd.status;
      await sshd.stderr.cancel().catch(() => {});
    }
  },
});
