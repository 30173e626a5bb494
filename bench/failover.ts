/**
 * `failover`: two file instances hold the same track.
 * - out of rotation: kill -9 one and time until the bootstrap stops handing it out (services and replicas);
 * - download stall: kill -9 the instance a rate-limited download streams from and take the longest wait for a
 *   verified chunk from then on (the download must still verify);
 * - frozen: the same with SIGSTOP (a hung host: no connection reset), bounded at 10 s.
 *
 * @module
 */
import { copyFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { CatalogTrack } from "../protocol/mod.ts";
import { streamVerified } from "../media/transfer.ts";
import { type Daemon, waitFor } from "../tests/_harness.ts";
import { type Cluster, startCluster } from "./_cluster.ts";
import type { BenchCase } from "./_context.ts";
import { median, result } from "./_stats.ts";
import { say } from "./_tools.ts";

const MIB = 1024 * 1024;
const FROZEN_BOUND_MS = 10_000;

/** The up replicas of `title` and the file services, by URL. */
async function inRotation(
  cluster: Cluster,
  title: string,
): Promise<{ replicas: string[]; services: string[] }> {
  const track = await cluster.track(title);
  const res = await fetch(`${cluster.bootstrap.url}/v1/services/file`);
  const services = (await res.json() as { candidates: { url: string }[] }).candidates.map((c) => c.url);
  return { replicas: track.replicas.filter((r) => r.state === "up").map((r) => r.url), services };
}

/** Waits until `count` file instances serve `title`. */
async function replicasUp(cluster: Cluster, title: string, count: number): Promise<CatalogTrack> {
  return await waitFor(`${count} replicas of ${title}`, async () => {
    const track = await cluster.track(title);
    return track.replicas.filter((r) => r.state === "up").length >= count ? track : undefined;
  }, 60_000);
}

/**
 * Streams `track` at `rate` bytes/s, does `harm` to the instance serving it once `afterMs` passed, and returns
 * the longest wait for a verified chunk from the harm on (bounded by `boundMs`).
 */
async function stallAfter(
  cluster: Cluster,
  track: CatalogTrack,
  options: { rate: number; afterMs: number; harm: (victim: Daemon) => void; boundMs: number },
): Promise<{ stallMs: number; victim: Daemon }> {
  let serving: string | undefined;
  let harmedAt: number | undefined;
  let victim: Daemon | undefined;
  let stallMs: number | undefined;
  let last: number | undefined;
  const abort = new AbortController();
  let bound: ReturnType<typeof setTimeout> | undefined;
  const started = performance.now();
  try {
    for await (
      const _ of streamVerified(track, {
        token: cluster.token,
        limitRate: options.rate,
        signal: abort.signal,
        onEvent: (e) => {
          if (e.type === "replica") serving ??= e.replica;
        },
      })
    ) {
      const now = performance.now();
      if (harmedAt === undefined && now - started >= options.afterMs && serving) {
        victim = cluster.files.findLast((d) => d.url === serving);
        if (!victim) throw new Error(`Cannot find the instance at ${serving}`);
        options.harm(victim);
        harmedAt = performance.now();
        // When no verified chunk comes within the bound, the stall is the bound and the download is given up.
        bound = setTimeout(function check() {
          const waited = performance.now() - (last ?? harmedAt!);
          if (waited < options.boundMs) return bound = setTimeout(check, options.boundMs - waited);
          stallMs = options.boundMs;
          abort.abort(new Error("bound"));
        }, options.boundMs);
      } else if (harmedAt !== undefined) {
        // Bytes already in flight may still arrive after the harm: the stall is the longest wait from then on.
        stallMs = Math.max(stallMs ?? 0, now - (last ?? harmedAt));
        if (stallMs >= options.boundMs) stallMs = options.boundMs;
      }
      if (harmedAt !== undefined) last = now;
    }
  } catch (error) {
    if (!abort.signal.aborted) throw error;
  } finally {
    clearTimeout(bound);
  }
  if (!victim || stallMs === undefined) {
    throw new Error("Cannot measure the stall: the download ended too soon");
  }
  return { stallMs, victim };
}

export const failoverCase: BenchCase = {
  id: "failover",
  async run(ctx) {
    const mib = ctx.quick ? 24 : 48;
    const title = "Failover Track";
    const source = await ctx.trackFolder(title, mib);
    const dir = join(ctx.root, "failover");
    let copies = 0;
    /** A new media folder holding the same bytes (each file instance its own folder, like separate hosts). */
    const copy = async () => {
      const media = join(dir, `media-${copies++}`);
      await mkdir(media, { recursive: true });
      await copyFile(join(source, "track.wav"), join(media, "track.wav"));
      return media;
    };
    await using cluster = await startCluster({ root: dir, media: [await copy(), await copy()], tracks: 1 });
    await replicasUp(cluster, title, 2);

    // Out of rotation.
    const detection: number[] = [];
    for (let i = 0; i < ctx.runs; i++) {
      const victim = cluster.files.at(-1)!;
      victim.process.kill("SIGKILL");
      const killed = performance.now();
      await waitFor("the dead instance to leave rotation", async () => {
        const r = await inRotation(cluster, title);
        return !r.replicas.includes(victim.url) && !r.services.includes(victim.url) || undefined;
      }, 30_000);
      detection.push(performance.now() - killed);
      await victim.stop();
      await cluster.addFile(await copy());
      await replicasUp(cluster, title, 2);
    }
    say(`failover out of rotation: ${detection.map(Math.round)} ms`);

    // Download stall when the serving instance dies (kill -9) or hangs (SIGSTOP).
    const rate = 8 * MIB;
    const stalls: Record<"kill" | "stop", number[]> = { kill: [], stop: [] };
    for (const how of ["kill", "stop"] as const) {
      for (let i = 0; i < ctx.runs; i++) {
        const track = await replicasUp(cluster, title, 2);
        const { stallMs, victim } = await stallAfter(cluster, track, {
          rate,
          afterMs: 600,
          boundMs: FROZEN_BOUND_MS,
          harm: (d) => d.process.kill(how === "kill" ? "SIGKILL" : "SIGSTOP"),
        });
        stalls[how].push(stallMs);
        if (how === "stop") victim.process.kill("SIGCONT");
        await victim.stop("SIGKILL");
        await cluster.addFile(await copy());
      }
    }
    say(`failover stall: kill ${stalls.kill.map(Math.round)} ms, SIGSTOP ${stalls.stop.map(Math.round)} ms`);
    const note = `two file instances with the same ${mib} MiB track`;
    return [
      result("failover out of rotation", {
        audiod: median(detection),
        rawUnit: "ms",
        target: 3000,
        better: "lower",
        runs: ctx.runs,
        note: `kill -9 → gone from /v1/services/file and the track's replicas; ${note}`,
      }),
      result("failover stall, killed", {
        audiod: median(stalls.kill),
        rawUnit: "ms",
        target: 2000,
        better: "lower",
        runs: ctx.runs,
        note:
          `kill -9 of the serving instance: longest wait for a verified chunk (download at 8 MiB/s, verified); ${note}`,
      }),
      result("failover stall, frozen", {
        audiod: median(stalls.stop),
        rawUnit: "ms",
        target: 2000,
        better: "lower",
        runs: ctx.runs,
        note: `SIGSTOP of the serving instance (a hung host): longest wait for a verified chunk, bounded at ${
          FROZEN_BOUND_MS / 1000
        } s; ${note}`,
      }),
    ];
  },
};
