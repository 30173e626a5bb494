/**
 * `slow-link`: a listener on a real slow link — its own network namespace, its download limited by `tc … tbf`,
 * 50 ms round trip added by a delaying proxy where asked — against a 256 kbit/s MP3:
 * - first verified audio over 2 Mbit/s, 10 Mbit/s and 10 Mbit/s + 50 ms round trip, against mpv playing the same
 *   file's plain HTTP URL from nginx over the same link (time to its first decoded audio, less the time mpv takes
 *   to decode the first audio of the file from disk, so both are the network's part);
 * - stalls while playing the track to its end over 2 Mbit/s (a shortened track with --quick);
 * - the gap between two queued tracks over 2 Mbit/s, the second fetched ahead as the player does.
 * Needs root (network namespaces); fails with a plain message otherwise.
 *
 * @module
 */
import { join } from "node:path";
import { audiod, audiodCommand, freePort, isolatedEnv, startDaemon, waitFor } from "../tests/_harness.ts";
import { startDelayProxy } from "../tests/_delay_proxy.ts";
import { type SlowLink, slowLinkUnavailable, startSlowLink } from "../tests/_netns.ts";
import type { CatalogTrack } from "../protocol/mod.ts";
import type { BenchCase } from "./_context.ts";
import { median, result } from "./_stats.ts";
import { run, say, startNginx } from "./_tools.ts";

const CLIENT = new URL("./_slow_client.ts", import.meta.url).pathname;

/** Writes a 256 kbit/s stereo MP3 of pink noise, `seconds` long, tagged `title`. */
async function writeMp3(path: string, seconds: number, title: string): Promise<void> {
  const out = await run("ffmpeg", [
    "-hide_banner",
    "-loglevel",
    "error",
    "-y",
    "-f",
    "lavfi",
    "-i",
    `anoisesrc=d=${seconds}:c=pink:a=0.2`,
    "-ac",
    "2",
    "-ar",
    "44100",
    "-b:a",
    "256k",
    "-metadata",
    `title=${title}`,
    "-metadata",
    "artist=Bench",
    path,
  ], 120_000);
  if (out.code !== 0) throw new Error(`Cannot make ${path}: ${out.stderr}`);
}

/** Runs the listener's side in the namespace and returns what it printed. */
async function inListener<T>(link: SlowLink, job: unknown, env: Record<string, string>): Promise<T> {
  const [deno] = audiodCommand([]);
  const [cmd, args] = link.inside(deno, ["run", "-A", "--quiet", CLIENT, JSON.stringify(job)]);
  const out = await run(cmd, args, 600_000, { env });
  if (out.code !== 0) throw new Error(`The listener failed: ${out.stderr.slice(-500)}`);
  return JSON.parse(out.stdout.trim().split("\n").at(-1)!) as T;
}

/** Milliseconds from starting mpv on `url` to its first decoded audio (its first bytes of PCM out). */
async function mpvFirstAudio(command: [string, string[]]): Promise<number> {
  const started = performance.now();
  const child = new Deno.Command(command[0], {
    args: command[1],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.getReader();
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  try {
    const { done } = await reader.read();
    if (done) throw new Error("mpv decoded nothing");
    return performance.now() - started;
  } finally {
    clearTimeout(timer);
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    await reader.cancel().catch(() => {});
    await child.status;
  }
}

const MPV_ARGS = ["--no-config", "--no-video", "--really-quiet", "--ao=pcm", "--ao-pcm-file=/dev/stdout"];

export const slowLinkCase: BenchCase = {
  id: "slow-link",
  async run(ctx) {
    const unavailable = await slowLinkUnavailable();
    if (unavailable !== null) throw new Error(`Cannot run the slow-link case: ${unavailable}`);
    const root = join(ctx.root, "slow-link");
    const media = join(root, "media");
    await Deno.mkdir(media, { recursive: true });
    const playSeconds = ctx.quick ? 30 : 240;
    const gapSeconds = ctx.quick ? 10 : 20;
    say(`writing 256 kbit/s MP3s (${playSeconds} s, 2 × ${gapSeconds} s)`);
    await writeMp3(join(media, "long.mp3"), playSeconds, "Slow Long");
    await writeMp3(join(media, "gap-a.mp3"), gapSeconds, "Slow Gap A");
    await writeMp3(join(media, "gap-b.mp3"), gapSeconds, "Slow Gap B");

    await using link = await startSlowLink();
    const env = isolatedEnv(root, "servers");
    await using bootstrap = await startDaemon(
      ["bootstrap", "--listen", `${link.hostAddress}:0`, "--data", join(root, "boot")],
      { env },
    );
    await using _auth = await startDaemon(["auth", "--bootstrap", bootstrap.url], { env });
    const port = freePort();
    await using fileProxy = startDelayProxy({
      listen: { hostname: link.hostAddress, port },
      target: { hostname: "127.0.0.1", port },
      delayMs: 0,
    });
    await using _file = await startDaemon(
      [
        "file",
        "--bootstrap",
        bootstrap.url,
        "--media",
        media,
        "--data",
        join(root, "file"),
        "--listen",
        `127.0.0.1:${port}`,
        "--advertise",
        link.hostAddress,
      ],
      { env },
    );
    await using nginx = await startNginx(media, root);
    const nginxPort = Number(new URL(nginx.url).port);
    await using nginxProxy = startDelayProxy({
      listen: { hostname: link.hostAddress, port: 0 },
      target: { hostname: "127.0.0.1", port: nginxPort },
      delayMs: 0,
    });
    await waitFor("an auth instance", async () => {
      const body = await (await fetch(`${bootstrap.url}/v1/services/auth`)).json();
      return body.candidates.length > 0 || undefined;
    });
    const listener = isolatedEnv(root, "listener");
    const reg = await audiod(["register", "--host", bootstrap.url, "--user", "bench", "--password-stdin"], {
      env: listener,
      stdin: "benchmark password\n",
    });
    if (reg.code !== 0) throw new Error(`Cannot register the listener: ${reg.stderr}`);
    const token =
      JSON.parse(await Deno.readTextFile(join(listener.AUDIOD_CONFIG_DIR!, "session.json"))).token;
    const tracks = await waitFor("the three tracks up", async () => {
      const res = await fetch(`${bootstrap.url}/v1/tracks`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const body = await res.json() as { tracks?: CatalogTrack[] };
      const up = (body.tracks ?? []).filter((t) => t.replicas.some((r) => r.state === "up"));
      return up.length === 3 ? up : undefined;
    }, 60_000);
    const byTitle = (title: string) => tracks.find((t) => t.title === title)!;
    const long = byTitle("Slow Long");
    const host = bootstrap.url;
    const results = [];

    const localMpv: number[] = [];
    for (let i = 0; i < ctx.runs; i++) {
      localMpv.push(await mpvFirstAudio(["mpv", [...MPV_ARGS, join(media, "long.mp3")]]));
    }
    const mpvStart = median(localMpv);
    const conditions = [
      { name: "2 Mbit/s", rate: "2mbit", delayMs: 0, target: 500 },
      { name: "10 Mbit/s", rate: "10mbit", delayMs: 0, target: null },
      { name: "10 Mbit/s + 50 ms RTT", rate: "10mbit", delayMs: 25, target: null },
    ];
    for (const condition of conditions) {
      await link.setRate(condition.rate);
      fileProxy.delayMs = condition.delayMs;
      nginxProxy.delayMs = condition.delayMs;
      const audiodMs: number[] = [];
      const mpvMs: number[] = [];
      const url = `http://${link.hostAddress}:${nginxProxy.port}/long.mp3`;
      for (let i = 0; i < ctx.runs; i++) {
        // A process per run: a fresh connection each time, as mpv has.
        const first = await inListener<{ ms: number[] }>(link, {
          mode: "first",
          host,
          token,
          track: long.id,
          runs: 1,
        }, listener);
        audiodMs.push(first.ms[0]!);
        mpvMs.push(await mpvFirstAudio(link.inside("mpv", [...MPV_ARGS, url])) - mpvStart);
      }
      say(
        `slow-link ${condition.name}: audiod ${audiodMs.map(Math.round)} ms, mpv ${
          mpvMs.map(Math.round)
        } ms (less ${Math.round(mpvStart)} ms to decode from disk)`,
      );
      // mpv's part of the link is its time less its time from disk: when that comes out at or below zero, the
      // link added less than mpv's own start-up varies by, and a ratio against it would mean nothing.
      const mpvLink = median(mpvMs);
      const measured = { audiod: median(audiodMs), rawUnit: "ms", better: "lower", runs: ctx.runs } as const;
      results.push(result(
        `slow-link first audio, ${condition.name}`,
        mpvLink > 0
          ? {
            ...measured,
            baseline: mpvLink,
            target: 1 / 1.5,
            note:
              "first verified bytes; baseline: mpv on nginx's URL over the same link, to its first decoded audio",
          }
          : {
            ...measured,
            target: null,
            note: `first verified bytes; no ratio: mpv's time over the link less its ${
              Math.round(mpvStart)
            } ms from disk came out at ${Math.round(mpvLink)} ms, within its start-up's spread`,
          },
      ));
      if (condition.target !== null) {
        results.push(result(`slow-link first audio, ${condition.name}, ms`, {
          audiod: median(audiodMs),
          rawUnit: "ms",
          target: condition.target,
          better: "lower",
          runs: ctx.runs,
        }));
      }
    }

    await link.setRate("2mbit");
    fileProxy.delayMs = 0;
    nginxProxy.delayMs = 0;
    say(`slow-link: playing ${playSeconds} s over 2 Mbit/s`);
    const played = await inListener<{ stalls: number; stalledMs: number }>(link, {
      mode: "stalls",
      host,
      token,
      track: long.id,
    }, listener);
    results.push(result(`slow-link stalls, ${playSeconds} s track over 2 Mbit/s`, {
      audiod: played.stalls,
      rawUnit: "stalls",
      target: 0,
      better: "lower",
      runs: 1,
      note: `null player in real time; ${Math.round(played.stalledMs)} ms spent waiting`,
    }));

    const gaps: Record<string, number> = {};
    for (const prefetch of [true, false]) {
      const gap = await inListener<{ gapMs: number }>(link, {
        mode: "gap",
        host,
        token,
        tracks: [byTitle("Slow Gap A").id, byTitle("Slow Gap B").id],
        prefetch,
        dir: join(root, `gap-${prefetch}`),
      }, listener);
      gaps[String(prefetch)] = gap.gapMs;
    }
    say(`slow-link gap: ${Math.round(gaps.true!)} ms fetched ahead, ${Math.round(gaps.false!)} ms without`);
    results.push(result("slow-link gap between queued tracks, 2 Mbit/s", {
      audiod: gaps.true!,
      rawUnit: "ms",
      target: 100,
      better: "lower",
      runs: 1,
      note: `end of one to first audio of the next (null player); ${
        Math.round(gaps.false!)
      } ms when not fetched ahead`,
    }));
    return results;
  },
};
