/**
 * `get`: `audiod get` (download, per-chunk and whole-file MD5, write) against what a user would otherwise do,
 * `curl … | md5sum` fetching the same file from nginx (sendfile) serving the media folder. Both are timed from
 * process start to exit. Value: audiod's rate over the baseline's. `get, no file` is the same with `-o /dev/null`
 * (no target): the baseline writes no file, and on this VM writing one costs what the kernel's pages cost.
 *
 * `get first`: the first `audiod get` of a track since its file instance started (it never served it) over the
 * median of the later gets of it, both with `-o /dev/null`: whatever a first request waits for (a chunk manifest
 * not ready at scan time) shows here. The median of three such first gets, the file instance started again
 * before the second and the third. `get first, to a file` is one more, writing the file (no target). Every get
 * to a file starts by deleting a file of the track's size where it writes, and a get of a small track from
 * another file instance goes before them all (the listener's own warm-up).
 *
 * @module
 */
import { join } from "node:path";
import { alternate, type BenchCase } from "./_context.ts";
import { startCluster } from "./_cluster.ts";
import { median, result } from "./_stats.ts";
import { run, say, sh, startNginx } from "./_tools.ts";
import { audiodCommand, waitFor } from "../tests/_harness.ts";

const MIB = 1024 * 1024;

/** First gets measured (each after a restart of the file instance but the first), for their median. */
const FIRST_GETS = 3;

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
    const audiodGet = async (output = out, id = track.id) => {
      if (output === out) await Deno.remove(out).catch(() => {});
      const [cmd, args] = audiodCommand(["get", id, "-o", output]);
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
    // Each get to a file deletes the file the one before wrote, and the kernel hands the pages it freed to the
    // next download's writes when it can (see the README on this VM's free page reporting). A file of the
    // track's size is written here for that; the warm-up get below writes to the same path, so it is that get
    // which deletes it (and the first get to a file finds the warm-up's 1 MiB).
    const scrap = await Deno.open(out, { write: true, create: true, truncate: true });
    const zeros = new Uint8Array(8 * MIB);
    for (let left = track.size; left > 0;) {
      left -= await scrap.write(zeros.subarray(0, Math.min(zeros.length, left)));
    }
    scrap.close();
    // `deno run` transpiles and compiles what changed since its last run, once (the compiled audiod never does):
    // a get of another track, from another file instance, pays that before the first get of this one.
    await audiodGet(out, (await cluster.track("Get Warm Up")).id);
    /** The first get of the track since its file instance started (the scan read it: the page cache is warm). */
    const firstGet = async (output: string) => {
      // What was just written (the track, the file the get deletes) would go to the disk while the first get
      // runs (after 30 s dirty, by default), which none of the later ones finds. It goes now.
      await run("sync", [], timeout);
      return await audiodGet(output);
    };
    /** Starts the track's file instance again (with its media index, as after a restart of its machine). */
    const restart = async () => {
      const file = await cluster.restartFile(0);
      await waitFor("the restarted file instance to serve the track", async () => {
        const { replicas } = await cluster.track("Get Track");
        return replicas.length === 1 && replicas[0]!.url === file.url && replicas[0]!.state === "up" ||
          undefined;
      }, 60_000);
    };
    // The first gets write nothing, as the later ones they are set against: on this VM, writing 256 MiB takes
    // the kernel 0.1 s or 0.9 s by which pages it gets (see the README), and a get to a file after gets that
    // wrote nothing is as slow, first or not. One first get is one sample: the median of three, the file
    // instance started again before the second and the third. A first get to a file is measured last, after
    // the later gets to a file and one more restart, and shown beside them.
    const firsts = [await firstGet("/dev/null")];
    await curl(); // nginx's first read
    // With nothing written: curl | md5sum writes no file either.
    const bare = await alternate(ctx.runs, { audiod: () => audiodGet("/dev/null"), baseline: curl });
    for (let i = 1; i < (ctx.quick ? 1 : FIRST_GETS); i++) {
      await restart();
      firsts.push(await firstGet("/dev/null"));
    }
    const runs = await alternate(ctx.runs, { audiod: () => audiodGet(), baseline: curl });
    // Right after the later gets to a file, as they follow one another.
    await restart();
    const firstToFile = await firstGet(out);
    const later = median(runs.audiod);
    const laterBare = median(bare.audiod);
    const first = median(firsts);
    say(
      `get: first ${firsts.map(Math.round)}, to a file ${Math.round(firstToFile)}; later ${
        runs.audiod.map(Math.round)
      }; to /dev/null ${bare.audiod.map(Math.round)}; nginx curl|md5sum ${
        [...runs.baseline, ...bare.baseline].map(Math.round)
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
      result("get, no file", {
        audiod: median(bare.audiod),
        baseline: median(bare.baseline),
        rawUnit: "MiB/s",
        target: null,
        better: "higher",
        runs: ctx.runs,
        note: `as get, with -o /dev/null: fetched and checked, written nowhere, as by curl | md5sum`,
      }),
      result("get first", {
        // A time ratio: how much longer the first get takes than the later ones.
        audiod: (track.size / MIB) / first,
        baseline: (track.size / MIB) / laterBare,
        value: laterBare / first,
        unit: "×",
        rawUnit: "s",
        target: 1.1,
        better: "lower",
        runs: firsts.length,
        note:
          `the median of ${firsts.length} first gets of a ${mib} MiB track (its file instance started again ` +
          `before each but the first) over that of ${ctx.runs} later gets (time), all with -o /dev/null`,
      }),
      result("get first, to a file", {
        audiod: (track.size / MIB) / firstToFile,
        baseline: (track.size / MIB) / later,
        value: later / firstToFile,
        unit: "×",
        rawUnit: "s",
        target: null,
        better: "lower",
        runs: 1,
        note:
          "one first get (after a restart of its file instance) over the median of the later gets, each " +
          "writing the file after deleting one of its size",
      }),
    ];
  },
};
