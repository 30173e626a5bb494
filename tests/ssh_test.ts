/**
 * Remote launch over SSH against a real sshd on a loopback port with throwaway keys: the bootstrap starts a
 * content node there, its tracks reach the catalog, the join secret shows in no process list or environment
 * there, and after kill -9 it is started again.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  asMember,
  audiodCommand,
  freePort,
  isolatedEnv,
  joinSecretOf,
  startBootstrap,
  tempDir,
  waitFor,
} from "./_harness.ts";
import { hasCommand, makeLibrary } from "./fixtures.ts";
import type { StatusReport } from "../protocol/mod.ts";

const SSHD = "/usr/sbin/sshd";
const canRun = Deno.uid?.() === 0 && (await Deno.stat(SSHD).then(() => true, () => false)) &&
  await hasCommand("ssh-keygen");

async function run(cmd: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output();
  if (!out.success) throw new Error(`${cmd} failed: ${new TextDecoder().decode(out.stderr)}`);
}

Deno.test({
  name: "bootstrap --ssh starts a content node on another host, and starts it again after kill -9",
  ignore: !canRun,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using temp = await tempDir();
    const root = temp.path;
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(root, "host_key")]);
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(root, "user_key")]);
    await Deno.copyFile(join(root, "user_key.pub"), join(root, "authorized_keys"));
    await Deno.mkdir("/run/sshd", { recursive: true });
    const port = freePort();
    await Deno.writeTextFile(
      join(root, "sshd_config"),
      [
        `Port ${port}`,
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
    try {
      await waitFor("sshd to listen", async () => {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        conn.close();
        return true;
      });
      const remoteLib = join(root, "remote-music");
      await makeLibrary(remoteLib, [
        { file: "far/away.wav", title: "Far Away", artist: "Remote Band", album: "Over SSH", seconds: 1 },
        { file: "far/close.wav", title: "Come Closer", artist: "Remote Band", album: "Over SSH", seconds: 1 },
      ]);
      const remoteEnv = isolatedEnv(root, "remote");
      const runAudiod = audiodCommand([]).flat().join(" ");
      const remoteAudiod = `env XDG_DATA_HOME=${remoteEnv.XDG_DATA_HOME} HOME=${root} ${runAudiod}`;
      const sshArgs = [
        "-i",
        join(root, "user_key"),
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "LogLevel=ERROR",
      ];
      await using bootstrap = await startBootstrap(join(root, "boot"), isolatedEnv(root, "bootstrap"), [
        "--ssh",
        `root@127.0.0.1:${port}`,
        "--ssh-media",
        remoteLib,
        "--remote-audiod",
        remoteAudiod,
        ...sshArgs.map((a) => `--ssh-arg=${a}`),
      ]);
      const status = async () =>
        await (await fetch(`${bootstrap.url}/v1/status`, await asMember(bootstrap.url)))
          .json() as StatusReport;
      const first = await waitFor("the remote node and its two tracks", async () => {
        const s = await status();
        const node = s.nodes.find((n) => n.role === "content" && n.state === "up");
        return node && s.tracks === 2 ? node : undefined;
      }, 60_000);
      assert.equal(first.host, "127.0.0.1");
      const firstPid = first.pid!;
      assert.ok(firstPid > 0 && firstPid !== bootstrap.process.pid, "a process of its own");

      // The join secret went over the SSH session's stdin: no process list or environment there shows it.
      const secret = await joinSecretOf(bootstrap.url);
      const overSsh = async (command: string) => {
        const out = await new Deno.Command("ssh", {
          args: ["-p", String(port), ...sshArgs, "-o", "BatchMode=yes", "root@127.0.0.1", command],
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
        return new TextDecoder().decode(out.stdout);
      };
      const processes = await overSsh("ps -eo pid,args");
      assert.match(processes, new RegExp(`^\\s*${firstPid} .*content .*--join-secret-stdin`, "m"));
      assert.ok(!processes.includes(secret), "the join secret is in the remote host's process list");
      assert.doesNotMatch(processes, /AUDIOD_JOIN_SECRET/);
      const environ = await overSsh(`tr '\\0' '\\n' < /proc/${firstPid}/environ`);
      assert.ok(environ.length > 0, "the node's environment was read");
      assert.ok(!environ.includes(secret), "the join secret is in the remote node's environment");
      assert.match(
        bootstrap.logs(),
        /remote .*host=root@127\.0\.0\.1:\d+ .*listening/,
        "output relayed, by host",
      );

      Deno.kill(firstPid, "SIGKILL");
      const second = await waitFor("the remote node to be started again", async () => {
        const s = await status();
        const node = s.nodes.find((n) => n.role === "content" && n.state === "up" && n.pid !== firstPid);
        return node && s.tracks === 2 ? node : undefined;
      }, 60_000);
      assert.notEqual(second.pid, firstPid);

      assert.equal(await bootstrap.stop(), 0);
      await waitFor("the remote node to stop with its SSH session", () => {
        try {
          Deno.kill(second.pid!, "SIGCONT");
          return undefined;
        } catch {
          return true;
        }
      }, 20_000);
    } finally {
      sshd.kill("SIGTERM");
      await sshd.status;
      await sshd.stderr.cancel().catch(() => {});
    }
  },
});
