/**
 * `listeners`: 1,000 listeners at 320 kbit/s each (40,000 bytes/s) on one file instance for 20 s (8 s with
 * `--quick`): the instance's peak RSS over the run, and the longest any listener waited for bytes it was ready
 * for (its first byte included). The listeners are paced raw-socket readers in one process of their own
 * (`tests/_slow_readers.ts`), so that the reading side costs little next to the serving one.
 *
 * @module
 */
import { sessionFor } from "../tests/_harness.ts";
import type { SlowReadersJob, SlowReadersResult } from "../tests/_slow_readers.ts";
import type { BenchCase } from "./_context.ts";
import { startCluster } from "./_cluster.ts";
import { result } from "./_stats.ts";
import { procMemory, resetPeakMemory, say, sh } from "./_tools.ts";

const MB = 1e6;
const READERS = 1000;
/** 320 kbit/s. */
const RATE = 40_000;

/** The open-files limit of this process (the servers it starts inherit it). */
function openFilesLimit(): number {
  const limits = Deno.readTextFileSync("/proc/self/limits");
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
  return m?.[1] === "unlimited" ? Infinity : Number(m?.[1] ?? 1024);
}

export const listenersCase: BenchCase = {
  id: "listeners",
  async run(ctx) {
    const seconds = ctx.quick ? 8 : 20;
    // Each connection is one descriptor on either side, plus what the processes hold anyway.
    if (openFilesLimit() < READERS + 256) {
      throw new Error(
        `Cannot open ${READERS} connections: the open-files limit is ${openFilesLimit()} (raise it: ulimit -n 4096)`,
      );
    }
    const media = await ctx.trackFolder("Serve Track", 64);
    // The listeners' session is made through the store (no auth instance needed: signing in is not measured).
    await using cluster = await startCluster({
      root: `${ctx.root}/listeners`,
      media: [media],
      tracks: 1,
      auth: 0,
    });
    const token = await sessionFor(cluster.bootstrap.url, "listeners");
    const track = await cluster.track("Serve Track");
    const file = cluster.files[0]!;
    const pid = file.process.pid;
    const url = `${file.url}/v1/tracks/${track.id}`;
    // The token is checked and cached once before the listeners come.
    await (await fetch(url, { headers: { authorization: `Bearer ${token}` } })).body?.cancel();
    const idle = procMemory(pid, "VmRSS") / MB;
    resetPeakMemory(pid);
    const job: SlowReadersJob = {
      url,
      token: token,
      readers: READERS,
      rate: RATE,
      durationMs: seconds * 1000,
      rampMs: 2000,
    };
    const reader = new URL("../tests/_slow_readers.ts", import.meta.url).pathname;
    // One descriptor per connection, raised for the readers' process (as far as the hard limit lets).
    const out = await sh(
      `ulimit -n ${READERS + 1024} 2>/dev/null; exec '${Deno.execPath()}' run -A --quiet '${reader}' '${
        JSON.stringify(job)
      }'`,
      (seconds + 60) * 1000,
    );
    const peak = procMemory(pid, "VmHWM") / MB;
    if (out.code !== 0) throw new Error(`The listeners failed: ${out.stderr.slice(-500)}`);
    const seen = JSON.parse(out.stdout.trim().split("\n").at(-1)!) as SlowReadersResult;
    const least = Math.min(...seen.bytes) / 1000;
    const firsts = seen.firstByteMs.filter(Number.isFinite).sort((a, b) => a - b);
    const p = (q: number) =>
      (firsts[Math.min(firsts.length - 1, Math.floor(q * firsts.length))] ?? NaN).toFixed(0);
    say(`listeners: first byte p50 ${p(0.5)} ms, p90 ${p(0.9)} ms, p99 ${p(0.99)} ms`);
    say(
      `listeners: ${seen.completed}/${READERS} completed, peak RSS ${peak.toFixed(0)} MB (idle ${
        idle.toFixed(0)
      }), longest stall ${seen.longestStallMs.toFixed(0)} ms, first byte at most ${
        seen.longestFirstByteMs.toFixed(0)
      } ms, least received ${least.toFixed(0)} kB${seen.errors.length ? `; ${seen.errors.join("; ")}` : ""}`,
    );
    if (seen.failed > 0) throw new Error(`${seen.failed} listeners failed: ${seen.errors.join("; ")}`);
    const note =
      `${READERS} paced readers at 320 kbit/s for ${seconds} s on one file instance (2 serving threads)`;
    return [
      result("listeners 1000 RSS", {
        audiod: peak,
        rawUnit: "MB",
        target: 250,
        better: "lower",
        runs: 1,
        note: `${note}; peak RSS, idle ${idle.toFixed(0)} MB`,
      }),
      result("listeners 1000 longest stall", {
        audiod: seen.longestStallMs,
        rawUnit: "ms",
        target: 1000,
        better: "lower",
        runs: 1,
        note: `${note}; the longest wait of any listener for bytes, its first byte included (first byte p50 ${
          p(0.5)
        } ms, p99 ${p(0.99)} ms; once streaming, ${
          seen.longestStreamingStallMs.toFixed(0)
        } ms); least received ${least.toFixed(0)} kB`,
      }),
    ];
  },
};
