/**
 * Verified transfer against real processes: the manifest head a file instance sends before it has computed a
 * track's manifest, a download that gives up on a replica that hangs, and one checked on a thread of its own that
 * gives up on a replica whose bytes go wrong midway.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { asMember, audiod, isolatedEnv, startBootstrap, startDaemon, tempDir, waitFor } from "./_harness.ts";
import { computeManifest } from "../media/chunk_manifest.ts";
import { CheckerThread } from "../media/chunk_checker.ts";
import { streamVerified, type TransferEvent } from "../media/transfer.ts";
import type { CatalogTrack } from "../protocol/mod.ts";

const MIB = 1 << 20;

/** A file of `mib` MiB of noise with a WAV header, so the scan takes it as a track. */
async function writeTrack(path: string, mib: number): Promise<void> {
  const bytes = new Uint8Array(mib * MIB + 1234);
  for (let at = 0; at < bytes.length; at += 65536) crypto.getRandomValues(bytes.subarray(at, at + 65536));
  const header = new TextEncoder().encode("RIFF");
  bytes.set(header, 0);
  const view = new DataView(bytes.buffer);
  view.setUint32(4, bytes.length - 8, true);
  bytes.set(new TextEncoder().encode("WAVEfmt "), 8);
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 2, true);
  view.setUint32(24, 44100, true);
  view.setUint32(28, 44100 * 4, true);
  view.setUint16(32, 4, true);
  view.setUint16(34, 16, true);
  bytes.set(new TextEncoder().encode("data"), 36);
  view.setUint32(40, bytes.length - 44, true);
  await Deno.writeFile(path, bytes);
}

Deno.test({
  name: "transfer: a fresh manifest's head comes first, and a hung replica is given up for the next",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using temp = await tempDir();
    const root = temp.path;
    const media = join(root, "media");
    await Deno.mkdir(media);
    await writeTrack(join(media, "noise.wav"), 6);
    await writeTrack(join(media, "other.wav"), 7);
    await writeTrack(join(media, "long.wav"), 24);
    const env = isolatedEnv(root, "servers");
    await using bootstrap = await startBootstrap(join(root, "boot"), env);
    await using _auth = await startDaemon(["auth", "--bootstrap", bootstrap.url], { env });
    await using file = await startDaemon(
      ["file", "--bootstrap", bootstrap.url, "--media", media, "--data", join(root, "file")],
      { env },
    );
    const listener = isolatedEnv(root, "listener");
    await waitFor("an auth instance", async () => {
      const body = await (await fetch(`${bootstrap.url}/v1/services/auth`)).json();
      return body.candidates.length > 0 || undefined;
    });
    const reg = await audiod(["register", "--host", bootstrap.url, "--user", "tester", "--password-stdin"], {
      env: listener,
      stdin: "a long password\n",
    });
    assert.equal(reg.code, 0, reg.stderr);
    const token =
      JSON.parse(await Deno.readTextFile(join(listener.AUDIOD_CONFIG_DIR!, "session.json"))).token;
    const tracks = await waitFor("the three tracks in the catalog", async () => {
      const body = await (await fetch(`${bootstrap.url}/v1/tracks`, await asMember(bootstrap.url)))
        .json() as { tracks: CatalogTrack[] };
      return body.tracks.length === 3 ? body.tracks : undefined;
    });
    const [track, other, long] = [...tracks].sort((a, b) => a.size - b.size) as [
      CatalogTrack,
      CatalogTrack,
      CatalogTrack,
    ];
    const expected = await computeManifest(join(media, "noise.wav"));
    const manifestUrl = `${file.url}/v1/tracks/${track.id}/manifest`;
    const headers = { authorization: `Bearer ${token}` };

    await t.step(
      "a file instance answers ?head=N with the first N digests before computing the rest",
      async () => {
        const head = await (await fetch(`${manifestUrl}?head=2`, { headers })).json();
        assert.equal(head.partial, true);
        assert.deepEqual(head.chunks, expected.chunks.slice(0, 2));
        assert.equal(head.md5, expected.md5);
        assert.equal(head.size, expected.size);
        const full = await (await fetch(manifestUrl, { headers })).json();
        assert.deepEqual(full.chunks, expected.chunks);
        assert.equal(full.partial, undefined);
        // Once computed, the whole manifest answers a head request too.
        const cached = await (await fetch(`${manifestUrl}?head=2`, { headers })).json();
        assert.deepEqual(cached.chunks, expected.chunks);
        const bad = await fetch(`${manifestUrl}?head=0`, { headers });
        assert.equal(bad.status, 400);
        await bad.body?.cancel();
      },
    );

    await t.step(
      "a first download verifies the head's chunks, then the rest against the whole manifest",
      async () => {
        const events: TransferEvent[] = [];
        const got = new Uint8Array(other.size);
        let at = 0;
        for await (const piece of streamVerified(other, { token, onEvent: (e) => events.push(e) })) {
          got.set(piece, at);
          at += piece.length;
        }
        assert.equal(at, other.size);
        assert.deepEqual(got, await Deno.readFile(join(media, "other.wav")));
        assert.ok(!events.some((e) => e.type === "replica-failed"), JSON.stringify(events));
      },
    );

    await t.step("a download gives up on a replica that accepts and then sends nothing", async () => {
      // A hung host: it accepts connections and never answers.
      const hung = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const held: Deno.Conn[] = [];
      const accepting = (async () => {
        for await (const conn of hung) held.push(conn);
      })();
      try {
        const hungUrl = `http://127.0.0.1:${(hung.addr as Deno.NetAddr).port}`;
        const replica = track.replicas[0]!;
        const twoReplicas: CatalogTrack = {
          ...track,
          replicas: [{ ...replica, instance: "hung", url: hungUrl }, replica],
        };
        const events: TransferEvent[] = [];
        const started = performance.now();
        let bytes = 0;
        for await (
          const piece of streamVerified(twoReplicas, {
            token,
            stallTimeoutMs: 300,
            onEvent: (e) => events.push(e),
          })
        ) bytes += piece.length;
        assert.equal(bytes, track.size);
        const failed = events.find((e) => e.type === "replica-failed");
        assert.ok(
          failed && failed.type === "replica-failed" && failed.replica === hungUrl,
          JSON.stringify(events),
        );
        assert.match(failed.reason, /sent nothing for 600 ms/);
        assert.ok(performance.now() - started < 5000, "the hung replica was given up quickly");
      } finally {
        hung.close();
        for (const conn of held) conn.close();
        await accepting.catch(() => {});
      }
    });

    await t.step(
      "checked on a thread of its own, a download gives up on a replica whose bytes go wrong midway",
      async () => {
        // A replica that passes the file instance's answers on, with one byte flipped 16 MiB into its stream:
        // the chunks before it pass (several batches are in flight on the checker thread meanwhile).
        const flipAt = 16 * MIB;
        const target = new URL(file.url);
        const proxy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
        const conns: Deno.Conn[] = [];
        const serving = (async () => {
          for await (const conn of proxy) {
            conns.push(conn);
            const upstream = await Deno.connect({ hostname: target.hostname, port: Number(target.port) });
            conns.push(upstream);
            conn.readable.pipeTo(upstream.writable).catch(() => {});
            let passed = 0;
            upstream.readable.pipeThrough(
              new TransformStream<Uint8Array, Uint8Array>({
                transform(bytes, out) {
                  if (passed <= flipAt && flipAt < passed + bytes.length) bytes[flipAt - passed]! ^= 0x40;
                  passed += bytes.length;
                  out.enqueue(bytes);
                },
              }),
            ).pipeTo(conn.writable).catch(() => {});
          }
        })();
        try {
          const proxyUrl = `http://127.0.0.1:${(proxy.addr as Deno.NetAddr).port}`;
          const replica = long.replicas[0]!;
          const twoReplicas: CatalogTrack = {
            ...long,
            replicas: [{ ...replica, instance: "flipping", url: proxyUrl }, replica],
          };
          using checker = new CheckerThread();
          for (let i = 0; i < 200 && !checker.ready; i++) await new Promise((r) => setTimeout(r, 10));
          assert.ok(checker.ready, "the checker thread started");
          const events: TransferEvent[] = [];
          const got = new Uint8Array(long.size);
          let at = 0;
          for await (
            const piece of streamVerified(twoReplicas, {
              token,
              checker,
              onEvent: (e) => events.push(e),
            })
          ) {
            got.set(piece, at);
            at += piece.length;
          }
          assert.equal(at, long.size);
          assert.deepEqual(got, await Deno.readFile(join(media, "long.wav")));
          const failed = events.filter((e) => e.type === "replica-failed");
          assert.equal(failed.length, 1, JSON.stringify(failed));
          assert.ok(failed[0]!.type === "replica-failed" && failed[0]!.replica === proxyUrl);
          assert.match(failed[0]!.reason, /failed its MD5 check/);
          // The good replica took over near the flipped byte, not from the start.
          const resumed = events.find((e) => e.type === "replica" && e.replica === replica.url);
          assert.ok(resumed?.type === "replica" && resumed.from > 8 * MIB, JSON.stringify(resumed));
          assert.ok(checker.checkedThere > 8, `the checker thread checked ${checker.checkedThere} chunks`);
        } finally {
          proxy.close();
          for (const conn of conns) {
            try {
              conn.close();
            } catch { /* closed already */ }
          }
          await serving.catch(() => {});
        }
      },
    );
  },
});
