/**
 * `scan`: the first scan of 10,000 generated tracks (MD5, SHA-256 and tags of each, into a fresh index, with the
 * file instance's default concurrency) against `md5sum` over the same files; then a rescan of the unchanged
 * library. Value: md5sum's time over the scan's.
 *
 * @module
 */
import { join } from "node:path";
import { MediaIndex } from "../media/media_index.ts";
import { scanMedia } from "../media/scan.ts";
import { alternate, type BenchCase } from "./_context.ts";
import { writeLibrary } from "./_fixtures.ts";
import { median, result } from "./_stats.ts";
import { say, sh } from "./_tools.ts";

const KIB = 1024;

export const scanCase: BenchCase = {
  id: "scan",
  async run(ctx) {
    const count = ctx.quick ? 1000 : 10_000;
    const bytes = 512 * KIB;
    const dir = join(ctx.root, "scan");
    const library = join(dir, "library");
    say(`writing ${count} tracks of ${bytes / KIB} KiB`);
    await writeLibrary(library, count, bytes);
    let n = 0;
    const indexPath = () => join(dir, `index-${n++}.db`);
    const timeout = ctx.quick ? 120_000 : 600_000;
    const md5sum = async () => {
      const r = await sh(
        `find '${library}' -type f -name '*.wav' -print0 | xargs -0 md5sum | wc -l`,
        timeout,
      );
      if (r.code !== 0 || Number(r.stdout.trim()) !== count) throw new Error(`md5sum failed: ${r.stderr}`);
      return r.ms / 1000;
    };
    const rescans: number[] = [];
    const scan = async () => {
      const path = indexPath();
      const index = new MediaIndex(path);
      try {
        const started = performance.now();
        const first = await scanMedia(library, index);
        const seconds = (performance.now() - started) / 1000;
        if (first.hashed !== count || first.failed.length > 0) {
          throw new Error(`Cannot scan: hashed ${first.hashed} of ${count}, ${first.failed.length} failed`);
        }
        const again = performance.now();
        const second = await scanMedia(library, index);
        rescans.push(performance.now() - again);
        if (second.reused !== count) throw new Error(`Cannot rescan: reused ${second.reused} of ${count}`);
        return seconds;
      } finally {
        index.close();
        for (const suffix of ["", "-wal", "-shm"]) await Deno.remove(path + suffix).catch(() => {});
      }
    };
    await md5sum(); // every file in the page cache for both sides
    const runs = await alternate(ctx.runs, { audiod: scan, baseline: md5sum });
    say(
      `scan: audiod ${runs.audiod.map((s) => s.toFixed(2))} md5sum ${
        runs.baseline.map((s) => s.toFixed(2))
      } s`,
    );
    say(`rescan: ${rescans.map(Math.round)} ms`);
    const note = `${count.toLocaleString("en-US")} WAV tracks of ${bytes / KIB} KiB, in the page cache`;
    return [
      result("scan", {
        audiod: median(runs.audiod),
        baseline: median(runs.baseline),
        rawUnit: "s",
        target: 0.8,
        better: "lower",
        runs: ctx.runs,
        note: `${note}; baseline md5sum`,
      }),
      result("scan rescan", {
        audiod: median(rescans),
        rawUnit: "ms",
        target: 1000,
        better: "lower",
        runs: ctx.runs,
        note: `${note}; nothing changed`,
      }),
    ];
  },
};
