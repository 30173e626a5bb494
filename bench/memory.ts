/**
 * `memory`: peak RSS of a standalone file instance (`audiod file`, its own process) while it serves 100
 * concurrent streams of a 256 MiB track (wrk, fast readers). The peak is reset once the instance has scanned and
 * joined, so it is the streaming's own (read from /proc/PID/status VmHWM).
 *
 * @module
 */
import type { BenchCase } from "./_context.ts";
import { startCluster } from "./_cluster.ts";
import { median, result } from "./_stats.ts";
import { procMemory, resetPeakMemory, say, wrk } from "./_tools.ts";

const MB = 1e6;

export const memoryCase: BenchCase = {
  id: "memory",
  async run(ctx) {
    const mib = ctx.quick ? 64 : 256;
    const seconds = ctx.quick ? 3 : 8;
    const media = await ctx.trackFolder("Serve Track", mib);
    await using cluster = await startCluster({ root: `${ctx.root}/memory`, media: [media], tracks: 1 });
    const track = await cluster.track("Serve Track");
    const file = cluster.files[0]!;
    const pid = file.process.pid;
    const url = `${file.url}/v1/tracks/${track.id}`;
    const headers = { authorization: `Bearer ${cluster.token}` };
    const startup = procMemory(pid, "VmHWM") / MB; // before any request: the scan and join only
    await (await fetch(url, { headers })).arrayBuffer(); // the token is checked and cached
    const idle = procMemory(pid, "VmRSS") / MB;
    const peaks: number[] = [];
    for (let i = 0; i < ctx.runs; i++) {
      resetPeakMemory(pid);
      const r = await wrk(url, { connections: 100, threads: 2, seconds, headers, workDir: ctx.root });
      if (r.errors > 0) throw new Error(`wrk saw ${r.errors} errors`);
      peaks.push(procMemory(pid, "VmHWM") / MB);
    }
    say(
      `memory: idle ${idle.toFixed(0)} MB, startup peak ${startup.toFixed(0)} MB, streaming peaks ${
        peaks.map(Math.round)
      } MB`,
    );
    return [
      result("memory 100 streams", {
        audiod: median(peaks),
        rawUnit: "MB",
        target: 150,
        better: "lower",
        runs: ctx.runs,
        note: `peak RSS serving 100 streams of a ${mib} MiB track for ${seconds} s; idle ${
          idle.toFixed(0)
        } MB`,
      }),
      result("memory startup", {
        audiod: startup,
        rawUnit: "MB",
        target: null,
        better: "lower",
        runs: 1,
        note: "peak RSS of the file instance while it scanned and joined",
      }),
    ];
  },
};
