/**
 * `first-audio`: time from "play" to the first verified bytes reaching the player (the playback engine's
 * "started" event, null player), for a 5 MiB and a 200 MiB track, against downloading the whole file, checking
 * its MD5, then starting the same player. Warm: the file instance has served the track before (its chunk
 * manifest is cached); first play: a fresh file instance that only scanned it.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { CatalogTrack } from "../protocol/mod.ts";
import { waitFor } from "../tests/_harness.ts";
import { startPlayback } from "../media/playback.ts";
import { streamVerified } from "../media/transfer.ts";
import type { BenchCase } from "./_context.ts";
import { startCluster } from "./_cluster.ts";
import { median, result } from "./_stats.ts";
import { say } from "./_tools.ts";

/** Milliseconds from the call to the playback's "started" event (then it stops). */
async function timeToStart(
  track: CatalogTrack,
  source: (signal: AbortSignal) => AsyncIterable<Uint8Array>,
): Promise<number> {
  const started = performance.now();
  const first = Promise.withResolvers<number>();
  const handle = startPlayback(track, {
    source,
    player: "null",
    playerArgs: [],
    volume: 100,
    onEvent: (e) => {
      if (e.type === "started") first.resolve(performance.now() - started);
      if (e.type === "error") first.reject(new Error(e.message));
    },
  });
  const timer = setTimeout(() => first.reject(new Error("playback did not start within 60 s")), 60_000);
  try {
    return await first.promise;
  } finally {
    clearTimeout(timer);
    await handle.stop();
  }
}

/** audiod: stream verified chunks straight to the player. */
function streaming(track: CatalogTrack, token: string) {
  return (signal: AbortSignal) => streamVerified(track, { token, signal });
}

/** The baseline: download everything, check the whole file's MD5, then hand it to the player. */
function downloadThenPlay(track: CatalogTrack, token: string) {
  return async function* (signal: AbortSignal): AsyncGenerator<Uint8Array> {
    const res = await fetch(`${track.replicas[0]!.url}/v1/tracks/${track.id}`, {
      headers: { authorization: `Bearer ${token}` },
      signal,
    });
    const bytes = new Uint8Array(await res.arrayBuffer());
    const md5 = createHash("md5").update(bytes).digest("hex");
    if (md5 !== track.md5) throw new Error(`MD5 mismatch: ${md5}`);
    yield bytes;
  };
}

export const firstAudioCase: BenchCase = {
  id: "first-audio",
  async run(ctx) {
    const sizes = [5, 200];
    const folders = await Promise.all(sizes.map((mib) => ctx.trackFolder(`First Audio ${mib}`, mib)));
    await using cluster = await startCluster({ root: `${ctx.root}/first-audio`, media: folders, tracks: 2 });
    const results = [];
    // Each figure is tens of milliseconds, where other work on the machine shows: more rounds than elsewhere.
    const rounds = ctx.runs * 3;
    const tracks = await Promise.all(sizes.map((mib) => cluster.track(`First Audio ${mib}`)));
    for (const track of tracks) await timeToStart(track, streaming(track, cluster.token)); // manifests cached
    // audiod's rounds alternate the sizes; the baselines (which hold whole tracks in this process's memory,
    // and their garbage would slow the next measurement down) run last.
    const audiod = sizes.map(() => [] as number[]);
    const baseline = sizes.map(() => [] as number[]);
    for (let i = 0; i < rounds; i++) {
      for (const [k, track] of tracks.entries()) {
        audiod[k]!.push(await timeToStart(track, streaming(track, cluster.token)));
      }
    }
    // First play after a scan: a fresh file instance has never served the track.
    const track = await cluster.track("First Audio 200");
    const cold: number[] = [];
    for (let i = 0; i < ctx.runs; i++) {
      const before = new Set(track.replicas.map((r) => r.url));
      const fresh = await cluster.addFile(folders[1]!);
      if (before.has(fresh.url)) throw new Error("Cannot start a fresh file instance: its URL is taken");
      const replica = await waitFor(
        "the fresh replica",
        async () =>
          (await cluster.track("First Audio 200")).replicas.find((r) =>
            r.url === fresh.url && r.state === "up"
          ),
      );
      const only = { ...track, replicas: [replica] };
      cold.push(await timeToStart(only, streaming(only, cluster.token)));
      await fresh.stop();
    }
    for (let i = 0; i < ctx.runs; i++) {
      for (const [k, track] of tracks.entries()) {
        baseline[k]!.push(await timeToStart(track, downloadThenPlay(track, cluster.token)));
      }
    }
    const warm: Record<number, number> = {};
    for (const [k, mib] of sizes.entries()) {
      say(
        `first-audio ${mib} MiB: audiod ${audiod[k]!.map(Math.round)} baseline ${
          baseline[k]!.map(Math.round)
        } ms`,
      );
      warm[mib] = median(audiod[k]!);
      results.push(result(`first-audio ${mib} MiB`, {
        audiod: warm[mib]!,
        baseline: median(baseline[k]!),
        rawUnit: "ms",
        value: warm[mib]!,
        unit: "ms",
        target: 100,
        better: "lower",
        runs: rounds,
        note:
          `play → first verified chunk at the (null) player; baseline (${ctx.runs} runs) downloads, verifies, plays`,
      }));
    }
    results.push(result("first-audio 200/5 MiB", {
      audiod: warm[200]! / warm[5]!,
      rawUnit: "×",
      target: 1.5,
      better: "lower",
      runs: rounds,
      note: "time to first audio of the 200 MiB track over that of the 5 MiB one",
    }));

    say(`first-audio 200 MiB first play: ${cold.map(Math.round)} ms`);
    results.push(result("first-audio 200 MiB, first play", {
      audiod: median(cold),
      rawUnit: "ms",
      target: 100,
      better: "lower",
      runs: ctx.runs,
      note: "the file instance serves the track for the first time since it scanned it",
    }));
    return results;
  },
};
