/**
 * Many slow listeners on one file instance: each reads its stream at a real listening rate over its own
 * connection, and every one of them must keep getting bytes (none starved behind the others).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  asMember,
  isolatedEnv,
  sessionFor,
  startBootstrap,
  startDaemon,
  tempDir,
  waitFor,
} from "./_harness.ts";
import { slowReaders } from "./_slow_readers.ts";
import type { TrackPage } from "../protocol/mod.ts";

/** 320 kbit/s. */
const LISTENING_RATE = 40_000;

/** A WAV of `bytes` bytes of noise (the scan takes it as a track). */
async function writeNoiseWav(path: string, bytes: number): Promise<void> {
  const data = new Uint8Array(bytes);
  for (let at = 44; at < data.length; at += 65536) crypto.getRandomValues(data.subarray(at, at + 65536));
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
}

Deno.test({
  name: "200 listeners reading at 320 kbit/s from one file instance all get their stream at that rate",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using temp = await tempDir();
    const root = temp.path;
    const media = join(root, "media");
    await Deno.mkdir(media);
    await writeNoiseWav(join(media, "noise.wav"), 8 * (1 << 20));
    const env = isolatedEnv(root, "servers");
    await using bootstrap = await startBootstrap(join(root, "boot"), env);
    await using file = await startDaemon(
      [
        "file",
        "--bootstrap",
        bootstrap.url,
        "--media",
        media,
        "--data",
        join(root, "file"),
        "--listen",
        "127.0.0.1:0",
      ],
      { env },
    );
    const track = await waitFor("the track in the catalog", async () => {
      const page = await (await fetch(`${bootstrap.url}/v1/tracks`, await asMember(bootstrap.url)))
        .json() as TrackPage;
      return page.tracks[0];
    });
    const token = await sessionFor(bootstrap.url, "listener");
    const durationMs = 3000;
    const result = await slowReaders({
      url: `${file.url}/v1/tracks/${track.id}`,
      token,
      readers: 200,
      rate: LISTENING_RATE,
      durationMs,
      rampMs: 500,
    });
    assert.deepEqual(result.errors, []);
    assert.equal(result.completed, 200);
    // Each read at the listening rate for the whole time: at least half of what it would have played (the
    // pacing itself keeps it from reading more than its rate).
    const least = Math.min(...result.bytes);
    assert.ok(
      least >= (LISTENING_RATE * durationMs) / 1000 / 2,
      `the slowest listener got only ${least} bytes in ${durationMs} ms`,
    );
    // The instance still answers at once-ish: it was not wedged by the streams.
    const health = await fetch(`${file.url}/v1/health`);
    assert.equal(health.status, 200);
    await health.body?.cancel();
  },
});
