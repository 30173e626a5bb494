/**
 * `subsonic`: the OpenSubsonic API. A bootstrap holding 100,000 tracks (announced over the internal API, as file
 * instances do) answers `search3` (an empty query paging through everything, as clients sync; words) and
 * `getAlbumList2` (every type) signed in with an API key; then, on a real file instance, the time to the
 * first byte of a `stream` through its 307 redirect (the bootstrap mints the access, the file instance serves).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { fakeFileMember, sessionFor, withToken } from "../tests/_harness.ts";
import type { BenchCase } from "./_context.ts";
import { startCluster } from "./_cluster.ts";
import { writeLibrary } from "./_fixtures.ts";
import { percentile, result } from "./_stats.ts";
import { say } from "./_tools.ts";

const WORDS = ["love", "night", "blue", "river", "fire", "dream", "summer", "rain", "heart", "road", "moon"];

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

/** A new API key of the user signed in with `token`. */
export async function apiKeyFor(base: string, token: string): Promise<string> {
  const res = await fetch(`${base}/v1/apikeys`, {
    ...withToken(token),
    method: "POST",
    body: JSON.stringify({ name: "bench" }),
  });
  if (res.status !== 201) throw new Error(`Cannot create an API key: ${res.status} ${await res.text()}`);
  return (await res.json()).key;
}

/** Milliseconds of `count` calls of `/rest/…` one after another, each answer read and checked. */
export async function latencies(
  base: string,
  count: number,
  query: (i: number) => string,
): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const res = await fetch(`${base}/rest/${query(i)}`);
    const body = await res.json();
    out.push(performance.now() - started);
    if (body["subsonic-response"]?.status !== "ok") {
      throw new Error(`${query(i)} failed: ${JSON.stringify(body["subsonic-response"]?.error)}`);
    }
  }
  return out;
}

export const subsonicCase: BenchCase = {
  id: "subsonic",
  async run(ctx) {
    const count = 100_000;
    const n = ctx.quick ? 40 : 200;
    const p95 = (values: number[]) => percentile(values, 95);
    let search: number[];
    let lists: number[];
    {
      await using cluster = await startCluster({
        root: `${ctx.root}/subsonic`,
        media: [],
        auth: 0,
        tracks: 0,
      });
      const base = cluster.bootstrap.url;
      await using member = await fakeFileMember(base, "bench-subsonic-member");
      say(`announcing ${count.toLocaleString("en-US")} tracks`);
      await member.announce(count, fakeTrack);
      const key = await apiKeyFor(base, await sessionFor(base, "bench-subsonic"));
      const auth = `apiKey=${encodeURIComponent(key)}&f=json`;
      // The first call builds the albums and artists view of the catalog (once per catalog change).
      await latencies(base, 1, () => `search3?${auth}&query=`);
      const queries = ['""', "love", "night blue", "artist 42", "album 4242", "moon 31337", "no such words"];
      search = await latencies(
        base,
        n,
        (i) =>
          `search3?${auth}&query=${encodeURIComponent(queries[i % queries.length]!)}` +
          `&songCount=50&albumCount=20&artistCount=20&songOffset=${i % 2 ? (i * 7919) % count : 0}`,
      );
      const types = [
        "alphabeticalByName",
        "alphabeticalByArtist",
        "newest",
        "random",
        "frequent",
        "recent",
        "starred",
      ];
      lists = await latencies(
        base,
        n,
        (i) => `getAlbumList2?${auth}&type=${types[i % types.length]}&size=50&offset=${(i * 131) % 8000}`,
      );
    }
    say(`subsonic p95: search3 ${p95(search).toFixed(1)} ms, getAlbumList2 ${p95(lists).toFixed(1)} ms`);

    const media = join(ctx.root, "subsonic-media");
    await writeLibrary(media, 1, 8 * 1024 * 1024);
    await using cluster = await startCluster({
      root: `${ctx.root}/subsonic-stream`,
      media: [media],
      tracks: 1,
    });
    const base = cluster.bootstrap.url;
    const key = await apiKeyFor(base, cluster.token);
    const list = await (await fetch(`${base}/rest/search3?apiKey=${encodeURIComponent(key)}&f=json&query=`))
      .json();
    const id = list["subsonic-response"].searchResult3.song[0].id as string;
    const firstByte: number[] = [];
    for (let i = 0; i < n + 3; i++) {
      const started = performance.now();
      const res = await fetch(`${base}/rest/stream?apiKey=${encodeURIComponent(key)}&id=${id}`);
      const reader = res.body!.getReader();
      const { value } = await reader.read();
      const elapsed = performance.now() - started;
      await reader.cancel();
      if (!res.ok || !res.redirected || !value?.length) throw new Error(`stream answered ${res.status}`);
      if (i >= 3) firstByte.push(elapsed); // the first few warm the connections up
    }
    say(`subsonic stream first byte p95 ${p95(firstByte).toFixed(1)} ms`);
    return [
      result("subsonic search3", {
        audiod: p95(search),
        rawUnit: "ms",
        target: 50,
        better: "lower",
        runs: search.length,
        note:
          "p95 of search3 (empty query paged, and words; 50 songs, 20 albums, 20 artists), 100,000 tracks",
      }),
      result("subsonic getAlbumList2", {
        audiod: p95(lists),
        rawUnit: "ms",
        target: 50,
        better: "lower",
        runs: lists.length,
        note: "p95 of getAlbumList2 of every type, 50 albums at spread offsets, 100,000 tracks",
      }),
      result("subsonic stream first byte", {
        audiod: p95(firstByte),
        rawUnit: "ms",
        target: 30,
        better: "lower",
        runs: firstByte.length,
        note: "p95 from GET /rest/stream to the first byte, through the 307 to the file instance, loopback",
      }),
    ];
  },
};
