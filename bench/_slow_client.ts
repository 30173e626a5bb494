/**
 * The listener's side of the `slow-link` benchmark, run inside the listener's network namespace
 * (`ip netns exec … deno run -A bench/_slow_client.ts '<job as JSON>'`); prints its result as one JSON line.
 *
 * - `first`: milliseconds from asking for a track to its first verified bytes, `runs` times.
 * - `stalls`: plays a track to its end (null player, real time); how often and how long playback waited.
 * - `gap`: plays two tracks one after the other as the player does (the next one fetched ahead once the first is
 *   downloaded, unless `prefetch` is false); milliseconds from the first's end to the second's first audio.
 *
 * @module
 */
import { join } from "node:path";
import { createTuiServices } from "../client/tui_services.ts";
import { startPlayback } from "../media/playback.ts";
import { TrackCache } from "../media/track_cache.ts";
import { streamVerified } from "../media/transfer.ts";
import type { CatalogTrack, Session } from "../protocol/mod.ts";
import { printOut } from "../daemon/runtime/log.ts";

type Job =
  | { mode: "first"; host: string; token: string; track: string; runs: number }
  | { mode: "stalls"; host: string; token: string; track: string }
  | { mode: "gap"; host: string; token: string; tracks: [string, string]; prefetch: boolean; dir: string };

async function trackOf(host: string, id: string, token: string): Promise<CatalogTrack> {
  const res = await fetch(`${host}/v1/tracks/${id}`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`Cannot find track ${id}: ${res.status}`);
  return await res.json() as CatalogTrack;
}

async function firstBytes(track: CatalogTrack, token: string): Promise<number> {
  const abort = new AbortController();
  const started = performance.now();
  try {
    for await (const _ of streamVerified(track, { token, signal: abort.signal })) {
      return performance.now() - started;
    }
  } finally {
    abort.abort();
  }
  throw new Error("Cannot time the first bytes: the track is empty");
}

async function stalls(track: CatalogTrack, token: string) {
  let waits = 0;
  let waitingSince: number | null = null;
  let waitedMs = 0;
  let started: number | null = null;
  const done = Promise.withResolvers<void>();
  const handle = startPlayback(track, {
    source: (signal) => streamVerified(track, { token, signal }),
    player: "null",
    playerArgs: [],
    volume: 100,
    onEvent: (e) => {
      if (e.type === "started") started = performance.now();
      if (e.type === "buffer" && e.buffering && waitingSince === null) {
        waits++;
        waitingSince = performance.now();
      }
      if (e.type === "buffer" && !e.buffering && waitingSince !== null) {
        waitedMs += performance.now() - waitingSince;
        waitingSince = null;
      }
      if (e.type === "ended") done.resolve();
      if (e.type === "error") done.reject(new Error(e.message));
    },
  });
  try {
    await done.promise;
  } finally {
    await handle.stop();
  }
  return { stalls: waits, stalledMs: waitedMs, playedMs: performance.now() - (started ?? 0) };
}

async function gap(job: Extract<Job, { mode: "gap" }>) {
  const [a, b] = await Promise.all(job.tracks.map((id) => trackOf(job.host, id, job.token)));
  const session: Session = {
    host: job.host,
    user: "bench",
    token: job.token,
    expiresAt: Date.now() + 3_600_000,
  };
  const services = createTuiServices({
    player: "null",
    playerArgs: [],
    configDir: join(job.dir, "config"),
    cache: new TrackCache(join(job.dir, "cache")),
  });
  const ended = Promise.withResolvers<number>();
  const first = services.play(session, a!, {
    volume: 100,
    onEvent: (e) => {
      if (e.type === "verified" && job.prefetch) services.prefetch?.(session, b!);
      if (e.type === "ended") ended.resolve(performance.now());
      if (e.type === "error") ended.reject(new Error(e.message));
    },
  });
  const endedAt = await ended.promise;
  await first.stop();
  const startedAt = Promise.withResolvers<number>();
  const second = services.play(session, b!, {
    volume: 100,
    onEvent: (e) => {
      if (e.type === "started") startedAt.resolve(performance.now());
      if (e.type === "error") startedAt.reject(new Error(e.message));
    },
  });
  const at = await startedAt.promise;
  await second.stop();
  return { gapMs: at - endedAt };
}

const job = JSON.parse(Deno.args[0]!) as Job;
let result: unknown;
if (job.mode === "first") {
  const track = await trackOf(job.host, job.track, job.token);
  const ms: number[] = [];
  for (let i = 0; i < job.runs; i++) ms.push(await firstBytes(track, job.token));
  result = { ms };
} else if (job.mode === "stalls") {
  result = await stalls(await trackOf(job.host, job.track, job.token), job.token);
} else {
  result = await gap(job);
}
printOut(JSON.stringify(result));
Deno.exit(0);
