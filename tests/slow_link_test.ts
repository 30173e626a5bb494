/**
 * A listener on a real slow link: its own network namespace behind a 2 Mbit/s `tbf` link, 50 ms round trip added
 * by a delaying proxy in front of the file instance. Needs root (skipped otherwise).
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import {
  asMember,
  audiod,
  audiodCommand,
  freePort,
  isolatedEnv,
  startDaemon,
  tempDir,
  waitFor,
} from "./_harness.ts";
import { startDelayProxy } from "./_delay_proxy.ts";
import { slowLinkUnavailable, startSlowLink } from "./_netns.ts";
import type { CatalogTrack } from "../protocol/mod.ts";
import { FIRST_CHUNK_SIZE } from "../protocol/manifest.ts";

const unavailable = await slowLinkUnavailable();

/** A WAV of `bytes` bytes of noise (the scan takes it as a track). */
async function writeNoiseWav(path: string, bytes: number): Promise<Uint8Array> {
  const data = new Uint8Array(bytes);
  for (let at = 0; at < data.length; at += 65536) crypto.getRandomValues(data.subarray(at, at + 65536));
  const view = new DataView(data.buffer);
  const ascii = (at: number, text: string) => data.set(new TextEncoder().encode(text), at);
  ascii(0, "RIFF");
  view.setUint32(4, bytes - 8, true);
  ascii(8, "WAVEfmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 2, true);
  view.setUint32(24, 44100, true);
  view.setUint32(28, 44100 * 4, true);
  view.setUint16(32, 4, true);
  view.setUint16(34, 16, true);
  ascii(36, "data");
  view.setUint32(40, bytes - 44, true);
  await Deno.writeFile(path, data);
  return data;
}

Deno.test({
  name: "slow link: over 2 Mbit/s, audiod get delivers its first verified bytes after a few tens of KiB",
  ignore: unavailable !== null,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using temp = await tempDir();
    const root = temp.path;
    const media = join(root, "media");
    await Deno.mkdir(media);
    const bytes = await writeNoiseWav(join(media, "noise.wav"), 2 * (1 << 20) + 4321);
    await using link = await startSlowLink();
    const env = isolatedEnv(root, "servers");
    await using bootstrap = await startDaemon(
      ["bootstrap", "--listen", `${link.hostAddress}:0`, "--data", join(root, "boot")],
      { env },
    );
    await using _auth = await startDaemon(["auth", "--bootstrap", bootstrap.url], { env });
    // The file instance listens on loopback; the listener reaches it through the proxy (25 ms each way) at the
    // same port on the bridge, which it advertises.
    const port = freePort();
    await using _proxy = startDelayProxy({
      listen: { hostname: link.hostAddress, port },
      target: { hostname: "127.0.0.1", port },
      delayMs: 25,
    });
    await using _file = await startDaemon(
      [
        "file",
        "--bootstrap",
        bootstrap.url,
        "--media",
        media,
        "--data",
        join(root, "file"),
        "--listen",
        `127.0.0.1:${port}`,
        "--advertise",
        link.hostAddress,
      ],
      { env },
    );
    await waitFor("an auth instance", async () => {
      const body = await (await fetch(`${bootstrap.url}/v1/services/auth`)).json();
      return body.candidates.length > 0 || undefined;
    });
    const listener = isolatedEnv(root, "listener");
    const reg = await audiod(["register", "--host", bootstrap.url, "--user", "slow", "--password-stdin"], {
      env: listener,
      stdin: "a long password\n",
    });
    assert.equal(reg.code, 0, reg.stderr);
    const track = await waitFor("the track up in the catalog", async () => {
      const body = await (await fetch(`${bootstrap.url}/v1/tracks`, await asMember(bootstrap.url)))
        .json() as { tracks: CatalogTrack[] };
      return body.tracks.find((t) => t.replicas.some((r) => r.state === "up"));
    });
    const session = JSON.parse(await Deno.readTextFile(join(listener.AUDIOD_CONFIG_DIR!, "session.json")));
    const manifest = await (await fetch(
      `http://${link.hostAddress}:${port}/v1/tracks/${track.id}/manifest?layout=doubling`,
      { headers: { authorization: `Bearer ${session.token}` } },
    )).json();
    assert.equal(manifest.firstChunkSize, FIRST_CHUNK_SIZE, "the file instance sends small chunks first");

    await link.setRate("2mbit");
    const before = await link.sentBytes();
    const [deno, args] = audiodCommand(["get", track.id, "-o", "-", "--host", bootstrap.url]);
    const [cmd, cmdArgs] = link.inside(deno, args);
    const child = new Deno.Command(cmd, { args: cmdArgs, env: listener, stdout: "piped", stderr: "piped" })
      .spawn();
    const stderr = new Response(child.stderr).text();
    const md5 = createHash("md5");
    let received = 0;
    let linkAtFirstBytes: number | null = null;
    for await (const piece of child.stdout) {
      if (linkAtFirstBytes === null) linkAtFirstBytes = (await link.sentBytes()) - before;
      md5.update(piece);
      received += piece.length;
    }
    const status = await child.status;
    assert.equal(status.code, 0, await stderr);
    assert.equal(received, bytes.length);
    assert.equal(md5.digest("hex"), track.md5, "the whole track verifies");
    // With 1 MiB chunks first, nothing reached stdout before a megabyte had crossed the link.
    assert.ok(
      linkAtFirstBytes !== null && linkAtFirstBytes < 128 * 1024,
      `first verified bytes after ${linkAtFirstBytes} bytes over the link`,
    );
  },
});
