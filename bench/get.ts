/**
 * `get`: `audiod get` (download, per-chunk and whole-file MD5, write) against what a user would otherwise do,
 * `curl … | md5sum` fetching the same file from nginx (sendfile) serving the media folder. Both are timed from
 * process start to exit. Value: audiod's rate over the baseline's.
 *
 * `get first`: the very first `audiod get` of a track (a fresh file instance that never served it) over the
 * median of the later gets of it: whatever a first request waits for (a chunk manifest not ready at scan time)
 * shows here. Every get, the first included, starts by deleting a file of the track's size where it writes, and
 * a get of a small track from another file instance goes before them all (the listener's own warm-up).
 *
 * @module
 */
import { join } from "node:path";
import { audiodCommand } from "../tests/_harness.ts";
import { alternate, type BenchCase } from "./_context.ts";
import { startCluster } from "./_cluster.ts";
import { median, result } from "./_stats.ts";
import { run, say, sh, startNginx } from "./_tools.ts";

const MIB = 1024 * 1024;

export const getCase: BenchCase = {
  id: "get",
  async run(ctx) {
    const mib = ctx.quick ? 64 : 256;
    const media = await ctx.trackFolder("Get Track", mib);
    // A small track of its own on another file instance: the listener's warm-up, below.
    const warmUp = await ctx.trackFolder("Get Warm Up", 1);
    await using cluster = await startCluster({ root: `${ctx.root}/get`, media: [media, warmUp], tracks: 2 });
    await using nginx = await startNginx(media, join(ctx.root, "get"));
    const track = await cluster.track("Get Track");
    const out = join(ctx.root, "get", "out.wav");
    const timeout = 120_000;
    const audiodGet = async (id = track.id) => {
      await Deno.remove(out).catch(() => {});
      const [cmd, args] = audiodCommand(["get", id, "-o", out]);
      const r = await run(cmd, args, timeout, { env: cluster.listener });
      if (r.code !== 0) throw new Error(`audiod get failed: ${r.stderr}`);
      return (track.size / MIB) / (r.ms / 1000);
    };
    const curl = async () => {
      const r = await sh(`curl -sf '${nginx.url}/track.wav' | md5sum`, timeout);
      if (r.code !== 0 || !r.stdout.startsWith(track.md5)) {
        throw new Error(`curl | md5sum from nginx failed: ${r.stderr}`);
      }
      return (track.size / MIB) / (r.ms / 1000);
    };
    // Each get deletes the file the one before wrote, and the kernel hands the pages it freed to the next
    // download's writes; fresh ones cost more to fault in (4.3 µs a page here: 0.3 s per 256 MiB). So the first
    // get also finds a file of that size to delete, written here: the page cache is as the later gets find it.
    const scrap = await Deno.open(out, { write: true, create: true, truncate: true });
    const zeros = new Uint8Array(8 * MIB);
    for (let left = track.size; left > 0;) {
      left -= await scrap.write(zeros.subarray(0, Math.min(zeros.length, left)));
    }
    scrap.close();
    // `deno run` transpiles and compiles what changed since its last run, once (the compiled audiod never does):
    // a get of another track, from another file instance, pays that before the first get of this one.
    await audiodGet((await cluster.track("Get Warm Up")).id);
    // The track and the scrap file were just written: their pages would go to the disk while the first get runs
    // (after 30 s dirty, by default), which none of the later ones finds. They go now.
    await run("sync", [], timeout);
    // The first get of the track since the file instance started (the scan read it: the page cache is warm).
    const first = await audiodGet();
    await curl(); // nginx's first read
    const runs = await alternate(ctx.runs, { audiod: audiodGet, baseline: curl });
    const later = median(runs.audiod);
    say(
      `get: first ${first.toFixed(0)} MiB/s; later ${runs.audiod.map(Math.round)}; nginx curl|md5sum ${
        runs.baseline.map(Math.round)
      } MiB/s`,
    );
    return [
      result("get", {
        audiod: later,
        baseline: median(runs.baseline),
        rawUnit: "MiB/s",
        target: 1.0,
        better: "higher",
        runs: ctx.runs,
        note:
          `${mib} MiB track, process start to exit; baseline curl | md5sum from nginx serving the same file`,
      }),
      result("get first", {
        // A time ratio: how much longer the first get takes than the later ones.
        audiod: (track.size / MIB) / first,
        baseline: (track.size / MIB) / later,
        value: later / first,
        unit: "×",
        rawUnit: "s",
        target: 1.1,
        better: "lower",
        runs: 1,
        note: `the first get of a ${mib} MiB track over the median of ${ctx.runs} later gets (time); ` +
          "each deletes a file of that size first",
      }),
    ];
  },
};
