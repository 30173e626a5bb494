/**
 * `get`: `audiod get` (download, per-chunk and whole-file MD5, write) against `curl … | md5sum` fetching the
 * same track from the same file instance. Both are timed from process start to exit. Value: audiod's rate over
 * the baseline's.
 *
 * @module
 */
import { join } from "node:path";
import { audiodCommand } from "../tests/_harness.ts";
import { alternate, type BenchCase } from "./_context.ts";
import { startCluster } from "./_cluster.ts";
import { median, result } from "./_stats.ts";
import { run, say, sh } from "./_tools.ts";

const MIB = 1024 * 1024;

export const getCase: BenchCase = {
  id: "get",
  async run(ctx) {
    const mib = ctx.quick ? 64 : 256;
    const media = await ctx.trackFolder("Get Track", mib);
    await using cluster = await startCluster({ root: `${ctx.root}/get`, media: [media], tracks: 1 });
    const track = await cluster.track("Get Track");
    const url = `${cluster.files[0]!.url}/v1/tracks/${track.id}`;
    const out = join(ctx.root, "get", "out.wav");
    const timeout = 120_000;
    const audiodGet = async () => {
      await Deno.remove(out).catch(() => {});
      const [cmd, args] = audiodCommand(["get", track.id, "-o", out]);
      const r = await run(cmd, args, timeout, { env: cluster.listener });
      if (r.code !== 0) throw new Error(`audiod get failed: ${r.stderr}`);
      return (track.size / MIB) / (r.ms / 1000);
    };
    const curl = async () => {
      const r = await sh(
        `curl -sf -H 'authorization: Bearer ${cluster.token}' '${url}' | md5sum`,
        timeout,
      );
      if (r.code !== 0 || !r.stdout.startsWith(track.md5)) {
        throw new Error(`curl | md5sum failed: ${r.stderr}`);
      }
      return (track.size / MIB) / (r.ms / 1000);
    };
    await curl(); // warm up the page cache and the token cache
    const runs = await alternate(ctx.runs, { audiod: audiodGet, baseline: curl });
    say(`get: audiod ${runs.audiod.map(Math.round)} curl|md5sum ${runs.baseline.map(Math.round)} MiB/s`);
    return [result("get", {
      audiod: median(runs.audiod),
      baseline: median(runs.baseline),
      rawUnit: "MiB/s",
      target: 0.9,
      better: "higher",
      runs: ctx.runs,
      note: `${mib} MiB track, process start to exit; baseline curl | md5sum`,
    })];
  },
};
