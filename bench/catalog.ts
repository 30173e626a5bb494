/**
 * `catalog`: a bootstrap holding 100,000 tracks (announced over the internal API, as file instances do), and the
 * latency of what listeners ask it: a page of the list and searches by word, artist, album and id prefix; the
 * time to fetch the whole list page by page (what `audiod tracks` and the player do); the bootstrap's memory.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { fakeFileMember, sessionFor, withToken } from "../tests/_harness.ts";
import type { BenchCase } from "./_context.ts";
import { startCluster } from "./_cluster.ts";
import { median, percentile, result } from "./_stats.ts";
import { AudiodClient } from "../client/api.ts";
import { DEFAULT_PAGE } from "../roles/bootstrap/handler.ts";
import { procMemory, say } from "./_tools.ts";

const WORDS = [
  "love",
  "night",
  "blue",
  "river",
  "fire",
  "dream",
  "summer",
  "rain",
  "heart",
  "road",
  "light",
  "moon",
  "city",
  "gold",
  "wind",
  "home",
];

/** A made-up but plausible catalog entry number `i`. */
function fakeTrack(i: number) {
  const word = (n: number) => WORDS[n % WORDS.length]!;
  return {
    id: createHash("sha256").update(`track ${i}`).digest("hex"),
    md5: createHash("md5").update(`track ${i}`).digest("hex"),
    size: 4_000_000 + (i % 1000) * 1000,
    title: `${word(i)} ${word(i >> 4)} ${i}`,
    artist: `Artist ${i % 2000}`,
    album: `Album ${Math.floor(i / 12)} ${word(i >> 8)}`,
    trackNo: (i % 12) + 1,
    duration: 180 + (i % 120),
    format: "flac",
  };
}

/** Milliseconds of `count` GETs of `path()` one after another, body read in full. */
async function latencies(
  base: string,
  count: number,
  options: { path: (i: number) => string; token: string },
): Promise<number[]> {
  const { path, token } = options;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const res = await fetch(`${base}${path(i)}`, withToken(token));
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`GET ${path(i)} answered ${res.status}`);
    out.push(performance.now() - started);
  }
  return out;
}

export const catalogCase: BenchCase = {
  id: "catalog",
  async run(ctx) {
    const count = 100_000;
    await using cluster = await startCluster({ root: `${ctx.root}/catalog`, media: [], auth: 0, tracks: 0 });
    const base = cluster.bootstrap.url;
    // A file member that announces the tracks and keeps its lease while the case runs.
    await using member = await fakeFileMember(base, "bench-catalog-member");
    say(`announcing ${count.toLocaleString("en-US")} tracks`);
    const announceStart = performance.now();
    await member.announce(count, fakeTrack);
    say(`announced in ${((performance.now() - announceStart) / 1000).toFixed(1)} s`);
    // A signed-in listener asks (the catalog is private): each request verifies its session, as in use.
    const token = await sessionFor(base, "bench-listener");
    const total = (await (await fetch(`${base}/v1/tracks?limit=1`, withToken(token))).json()).total;
    if (total !== count) throw new Error(`Cannot load the catalog: it lists ${total} of ${count} tracks`);

    const n = ctx.quick ? 40 : 200;
    // What a listener's client asks: a page (the bootstrap's default size) at a time.
    const page = await latencies(base, n, { path: (i) => `/v1/tracks?offset=${(i * 7919) % count}`, token });
    const client = new AudiodClient(base, { token });
    const all: number[] = [];
    for (let i = 0; i < (ctx.quick ? 3 : 10); i++) {
      const started = performance.now();
      const listed = await client.tracks();
      all.push(performance.now() - started);
      if (listed.length !== count) throw new Error(`Cannot list the catalog: got ${listed.length} tracks`);
    }
    const queries = [
      "love",
      "night blue",
      "artist 42",
      "album 4242",
      "moon 31337",
      fakeTrack(777).id.slice(0, 6),
      "no such words",
      "beyoncé",
    ];
    const search = await latencies(base, n, {
      path: (i) => `/v1/tracks?q=${encodeURIComponent(queries[i % queries.length]!)}`,
      token,
    });
    const rss = procMemory(cluster.bootstrap.process.pid, "VmRSS") / 1e6;
    const hwm = procMemory(cluster.bootstrap.process.pid, "VmHWM") / 1e6;
    const p95 = (values: number[]) => percentile(values, 95);
    say(
      `catalog p95: page ${p95(page).toFixed(1)} search ${p95(search).toFixed(1)} ms; all ${
        median(all).toFixed(0)
      } ms`,
    );
    const common = { rawUnit: "ms", target: 50, better: "lower" as const };
    return [
      result("catalog list page", {
        ...common,
        audiod: p95(page),
        runs: page.length,
        note: `p95 of GET /v1/tracks?offset=… (a page of ${DEFAULT_PAGE}) at spread offsets, 100,000 tracks`,
      }),
      result("catalog search", {
        ...common,
        audiod: p95(search),
        runs: search.length,
        note:
          `p95 of GET /v1/tracks?q=… (words, artist, album, id prefix; the first page of ${DEFAULT_PAGE})`,
      }),
      result("catalog list all", {
        audiod: median(all),
        rawUnit: "ms",
        target: null,
        better: "lower",
        runs: all.length,
        note: "median time to fetch all 100,000 a page at a time, as `audiod tracks` and the player do",
      }),
      result("catalog bootstrap RSS", {
        audiod: rss,
        rawUnit: "MB",
        target: null,
        better: "lower",
        runs: 1,
        note: `after the load and the queries; peak ${hwm.toFixed(0)} MB`,
      }),
    ];
  },
};
