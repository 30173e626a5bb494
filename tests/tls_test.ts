/**
 * TLS end to end: a throwaway CA made with openssl signs a certificate for 127.0.0.1; the bootstrap, the content
 * node and its instances serve HTTPS with it, call each other over https trusting the CA (`--ca`), and the client
 * signs in and downloads with `--ca`.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  audiod,
  audiodCommand,
  exitCodeWithin,
  isolatedEnv,
  joinSecretOf,
  startBootstrap,
  startDaemon,
  tempDir,
  waitFor,
} from "./_harness.ts";
import { createTuiServices } from "../client/tui_services.ts";
import { TrackCache } from "../media/track_cache.ts";
import { synthesizeWav } from "../media/wav.ts";
import type { StatusReport } from "../protocol/mod.ts";
import { shellQuote } from "../roles/bootstrap/ssh_launcher.ts";
import type { PlaybackEvent } from "../tui/services.ts";
import { hasCommand, sh } from "./fixtures.ts";

const hasTmux = await hasCommand("tmux");

async function openssl(args: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`);
}

/** A CA and a server certificate it signed for 127.0.0.1 and localhost, in `dir`. */
async function makeCertificates(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await openssl([
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=audiod test CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ], dir);
  await openssl(["req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"], dir);
  await Deno.writeTextFile(
    join(dir, "server.ext"),
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n" +
      "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
  );
  await openssl([
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.pem",
    "-days",
    "2",
    "-extfile",
    "server.ext",
  ], dir);
  return { ca: join(dir, "ca.pem"), cert: join(dir, "server.pem"), key: join(dir, "server.key") };
}

Deno.test({
  name: "with --tls-cert/--tls-key every daemon serves HTTPS, peers trust --ca, and the client uses --ca",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using temp = await tempDir();
    const root = temp.path;
    const pki = join(root, "pki");
    await Deno.mkdir(pki);
    const { ca, cert, key } = await makeCertificates(pki);
    const tls = ["--tls-cert", cert, "--tls-key", key, "--ca", ca];
    const lib = join(root, "lib");
    await Deno.mkdir(lib);
    const song = synthesizeWav({ seconds: 2, frequency: 523, tags: { title: "Secure Tone", artist: "TLS" } });
    await Deno.writeFile(join(lib, "secure.wav"), song);
    const env = isolatedEnv(root, "servers");

    await using bootstrap = await startBootstrap(join(root, "boot"), env, tls);
    const host = bootstrap.url;
    assert.match(host, /^https:\/\/127\.0\.0\.1:\d+$/);
    await using node = await startDaemon(
      ["content", "--bootstrap", host, "--media", lib, "--data", join(root, "data"), ...tls],
      { env },
    );
    assert.match(node.url, /^https:/);
    const client = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(ca)] });
    try {
      const report = await waitFor("the instances over https", async () => {
        const res = await fetch(`${host}/v1/status`, {
          client,
          headers: { "x-audiod-join-secret": await joinSecretOf(host) },
        });
        const s = await res.json() as StatusReport;
        const up = (role: string) => s.nodes.some((n) => n.role === role && n.state === "up");
        return up("auth") && up("file") && s.tracks === 1 ? s : undefined;
      });

      await t.step("every daemon and instance is an https URL", () => {
        assert.equal(report.nodes.length, 4);
        for (const n of report.nodes) assert.match(n.url, /^https:\/\/127\.0\.0\.1:\d+$/, n.role);
      });

      await t.step("nothing answers in clear on those ports", async () => {
        for (const n of report.nodes) {
          await assert.rejects(fetch(n.url.replace("https:", "http:") + "/v1/health"), `${n.role} in clear`);
        }
      });

      const listener = isolatedEnv(root, "listener");
      const run = (args: string[], options: { stdin?: string; env?: Record<string, string> } = {}) =>
        audiod(args, {
          env: { ...listener, ...options.env },
          ...(options.stdin ? { stdin: options.stdin } : {}),
        });

      await t.step("the client without --ca refuses the unknown CA and says what to do", async () => {
        const result = await run(["status", "--host", host]);
        assert.equal(result.code, 1);
        assert.match(
          result.stderr,
          /^audiod: Cannot reach https:\/\/127\.0\.0\.1:\d+: its TLS certificate is not trusted/m,
        );
        assert.match(result.stderr, /--ca FILE/);
      });

      await t.step("register, tracks, get and logout work with --ca (or AUDIOD_CA)", async () => {
        const reg = await run(
          ["register", "--host", host, "--user", "tess", "--password-stdin", "--ca", ca],
          {
            stdin: "tess password\n",
          },
        );
        assert.equal(reg.code, 0, reg.stderr);
        const tracks = await run(["tracks", "--json"], { env: { AUDIOD_CA: ca } });
        assert.equal(tracks.code, 0, tracks.stderr);
        const [track] = JSON.parse(tracks.stdout) as { title: string; replicas: { url: string }[] }[];
        assert.equal(track?.title, "Secure Tone");
        assert.match(track!.replicas[0]!.url, /^https:/);
        const out = join(root, "secure.wav");
        const get = await run(["get", "Secure Tone", "-o", out, "--ca", ca]);
        assert.equal(get.code, 0, get.stderr);
        assert.deepEqual(await Deno.readFile(out), song);
        const logout = await run(["logout", "--ca", ca]);
        assert.equal(logout.code, 0, logout.stderr);
      });

      await t.step("the player's services connect, sign in, list and play verified with the CA", async () => {
        const services = (name: string, httpClient?: Deno.HttpClient) =>
          createTuiServices({
            player: "null",
            playerArgs: [],
            configDir: join(root, name, "config"),
            cache: new TrackCache(join(root, name, "cache")),
            ...(httpClient ? { httpClient } : {}),
          });
        await assert.rejects(services("no-ca").probe(host), /its TLS certificate is not trusted/);
        const player = services("player", client);
        assert.equal(await player.probe(host), host);
        const session = await player.login(host, "tess", "tess password");
        const [track] = await player.tracks(session);
        assert.equal(track?.title, "Secure Tone");
        const events: PlaybackEvent[] = [];
        const playing = player.play(session, track!, { volume: 50, onEvent: (event) => events.push(event) });
        try {
          await waitFor("the verified track", () => events.some((e) => e.type === "verified") || undefined);
          assert.deepEqual(events.filter((e) => e.type === "error"), []);
          assert.deepEqual(events.find((e) => e.type === "verified"), { type: "verified", md5: track!.md5 });
        } finally {
          await playing.stop();
        }
        await player.logout(session);
      });

      await t.step({
        name: "audiod play --ca signs in and plays a verified track from the TLS cluster",
        ignore: !hasTmux,
        fn: async () => {
          const exitFile = join(root, "play-exit");
          const [cmd, args] = audiodCommand(["play", "--host", host, "--player", "null", "--ca", ca]);
          const envWords = Object.entries({ ...listener, TERM: "xterm-256color" }).map(([k, v]) =>
            `${k}=${shellQuote(v)}`
          );
          const line = `env -u CI -u AUDIOD_CA ${envWords.join(" ")} ${
            [cmd, ...args].map(shellQuote).join(" ")
          }; echo $? > ${shellQuote(exitFile)}`;
          const session = `audiod-tls-${crypto.randomUUID().slice(0, 8)}`;
          await sh("tmux", ["new-session", "-d", "-s", session, "-x", "120", "-y", "40", line]);
          const screen = () => sh("tmux", ["capture-pane", "-p", "-t", session]);
          const keys = async (...k: string[]) => {
            await sh("tmux", ["send-keys", "-t", session, ...k]);
            await new Promise((r) => setTimeout(r, 300));
          };
          try {
            await waitFor(
              "the sign-in screen",
              async () => (await screen()).includes("Sign in to") || undefined,
              30_000,
            );
            // The saved session (from the steps above) prefills the user: the password field has the focus.
            await keys("tess password", "Enter");
            await waitFor("the library", async () => (await screen()).includes("1 tracks") || undefined);
            await keys("Enter");
            const playing = await waitFor("verified playback", async () => {
              const text = await screen();
              return text.includes("✔ verified") ? text : undefined;
            });
            assert.match(playing, /Secure Tone/);
            await keys("q");
            const code = await waitFor("the player to exit", async () => {
              try {
                return (await Deno.readTextFile(exitFile)).trim() || undefined;
              } catch {
                return undefined;
              }
            });
            assert.equal(code, "0", "q exits with status 0");
          } catch (error) {
            throw new Error(`${(error as Error).message}\nThe screen:\n${await screen().catch(() => "")}`);
          } finally {
            await sh("tmux", ["kill-session", "-t", session]).catch(() => {});
          }
        },
      });

      await t.step("a node that does not serve HTTPS may not join a TLS cluster", async () => {
        const plain = await startDaemon(
          ["content", "--bootstrap", host, "--media", lib, "--data", join(root, "data-plain"), "--ca", ca],
          { env },
        );
        assert.equal(await exitCodeWithin(plain.process, 10_000), 1, plain.logs());
        await plain.stop();
        assert.match(plain.logs(), /audiod: Cannot join the cluster at https:.*this cluster uses TLS/);
      });

      await t.step("only one of --tls-cert and --tls-key is a usage error", async () => {
        const result = await run(["bootstrap", "--data", join(root, "x"), "--tls-cert", cert]);
        assert.equal(result.code, 2);
        assert.match(result.stderr, /give both/);
      });

      assert.equal(await node.stop(), 0);
      assert.equal(await bootstrap.stop(), 0);
    } finally {
      client.close();
    }
  },
});
