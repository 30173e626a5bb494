/**
 * `serve`: one file instance serving a 256 MiB track over loopback, against nginx with sendfile serving the same
 * file, with 1 and 32 concurrent streams (wrk). Value: audiod's throughput over nginx's.
 *
 * @module
 */
import { alternate, type BenchCase } from "./_context.ts";
import { startCluster } from "./_cluster.ts";
import { median, result } from "./_stats.ts";
import { say, startNginx, wrk } from "./_tools.ts";

const MIB = 1024 * 1024;

export const serveCase: BenchCase = {
  id: "serve",
  async run(ctx) {
    const mib = ctx.quick ? 64 : 256;
    const seconds = ctx.quick ? 2 : 5;
    const media = await ctx.trackFolder("Serve Track", mib);
    await using cluster = await startCluster({ root: `${ctx.root}/serve`, media: [media], tracks: 1 });
    await using nginx = await startNginx(media, `${ctx.root}/serve`);
    const track = await cluster.track("Serve Track");
    const file = cluster.files[0]!;
    const targets = {
      audiod: {
        url: `${file.url}/v1/tracks/${track.id}`,
        headers: { authorization: `Bearer ${cluster.token}` },
      },
      baseline: { url: `${nginx.url}/track.wav`, headers: {} },
    };
    // Both answer with the whole file before anything is timed.
    for (const t of Object.values(targets)) {
      const res = await fetch(t.url, { headers: t.headers });
      const bytes = (await res.arrayBuffer()).byteLength;
      if (res.status !== 200 || bytes !== track.size) {
        throw new Error(`Cannot serve ${t.url}: ${res.status} with ${bytes} of ${track.size} bytes`);
      }
    }
    const results = [];
    for (const connections of [1, 32]) {
      const measure = (side: "audiod" | "baseline") => async () => {
        const r = await wrk(targets[side].url, {
          connections,
          threads: connections === 1 ? 1 : 2,
          seconds,
          headers: targets[side].headers,
          workDir: ctx.root,
        });
        if (r.errors > 0) throw new Error(`wrk saw ${r.errors} errors loading ${side}`);
        return r.rate / MIB;
      };
      const runs = await alternate(ctx.runs, { audiod: measure("audiod"), baseline: measure("baseline") });
      say(
        `serve ${connections}: audiod ${runs.audiod.map(Math.round)} nginx ${
          runs.baseline.map(Math.round)
        } MiB/s`,
      );
      results.push(result(`serve ${connections === 1 ? "1 stream" : `${connections} streams`}`, {
        audiod: median(runs.audiod),
        baseline: median(runs.baseline),
        rawUnit: "MiB/s",
        target: 1.0,
        better: "higher",
        runs: ctx.runs,
        note: `${mib} MiB track; baseline nginx sendfile; wrk ${seconds} s per run`,
      }));
    }
    return results;
  },
};
