/**
 * `catalog`: a bootstrap holding 1,000,000 tracks (100,000 with `--quick`) announced by 10 file members at once
 * over the internal API, as file instances do, and what it costs. Each member holds whole artists (48 tracks,
 * 4 albums each; every tenth artist) and announces them in folder order, as a scan walks them:
 * - the time of that announcement, and of the unchanged re-announcement after a restart (each member registers
 *   again, is told the digest the catalog holds for it, and sends nothing);
 * - the latency of what listeners ask: a page of the list at spread offsets, and searches as they are typed
 *   (1–3 letter prefixes, words, artist, album, id prefix);
 * - what the player asks to open a large library (its first page) and for one search keystroke;
 * - the bootstrap's memory after the load and the queries;
 * - a restart after kill -9: from the new process's start until the whole catalog is listed and searchable.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import {
  freePort,
  isolatedEnv,
  joinSecretOf,
  sessionFor,
  startDaemon,
  withToken,
} from "../tests/_harness.ts";
import { JOIN_SECRET_HEADER } from "../daemon/cluster/join_secret.ts";
import {
  ANNOUNCE_MAX_TRACKS,
  announceBatches,
  type AnnouncedTrack,
  DEFAULT_PAGE,
  libraryDigest,
} from "../protocol/catalog.ts";
import { PAGE_SIZE } from "../tui/state/library.ts";
import type { BenchCase } from "./_context.ts";
import { median, percentile, result } from "./_stats.ts";
import { procMemory, say } from "./_tools.ts";
import { apiKeyFor, latencies as subsonicLatencies } from "./subsonic.ts";

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

/** Tracks per made-up artist: 4 albums of 12. */
const ARTIST_TRACKS = 48;

/** A made-up but plausible catalog entry number `i`. */
function fakeTrack(i: number): AnnouncedTrack {
  const word = (n: number) => WORDS[n % WORDS.length]!;
  return {
    id: createHash("sha256").update(`track ${i}`).digest("hex"),
    md5: createHash("md5").update(`track ${i}`).digest("hex"),
    size: 4_000_000 + (i % 1000) * 1000,
    title: `${word(i)} ${word(i >> 4)} ${i}`,
    artist: `Artist ${Math.floor(i / ARTIST_TRACKS)}`,
    album: `Album ${Math.floor(i / 12)} ${word(i >> 8)}`,
    trackNo: (i % 12) + 1,
    duration: 180 + (i % 120),
    format: "flac",
  };
}

/** Milliseconds of `count` GETs of `path(i)` one after another, body read in full. */
async function latencies(base: string, count: number, path: (i: number) => string, token: string) {
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

/** What a bootstrap logged about the catalog and its members: it tells where tracks went. */
function said(logs: string): string[] {
  return logs.split("\n").filter((l) => /catalog\.|member\.(down|forgotten)|WARN|ERROR/i.test(l)).slice(-10);
}

/** The bootstrap's JavaScript heap in use, from its metrics. */
async function heapUsed(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(/^audiod_process_heap_used_bytes (\S+)$/m.exec(text)?.[1] ?? NaN);
}

/** A file member without a server that announces a made-up library, as a file instance does. */
class BenchMember {
  readonly #id: string;
  /**
   * The announcements' bodies, cut as a file instance cuts its library, as JSON: a million track objects kept
   * in this process made its collections pause for seconds, long enough for the members' leases to run out.
   */
  readonly #bodies: string[];
  readonly #digest: string;
  #beat: ReturnType<typeof setInterval> | undefined;
  /** The join secret, read when the member registers. */
  #secret = "";

  constructor(id: string, tracks: AnnouncedTrack[]) {
    this.#id = id;
    this.#digest = libraryDigest(tracks);
    const batches = announceBatches(tracks);
    this.#bodies = batches.map((batch, i) =>
      JSON.stringify({
        instance: id,
        replace: i === 0,
        tracks: batch,
        ...(i === batches.length - 1 ? { digest: this.#digest } : {}),
      })
    );
  }

  async #post(base: string, path: string, body: unknown): Promise<Record<string, unknown>> {
    const secret = this.#secret;
    const res = await fetch(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", [JOIN_SECRET_HEADER]: secret },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`POST ${path} answered ${res.status}: ${text}`);
    return text ? JSON.parse(text) : {};
  }

  /** Registers, then announces the library unless the bootstrap holds it already; returns whether it sent it. */
  async join(base: string): Promise<boolean> {
    clearInterval(this.#beat);
    this.#secret = await joinSecretOf(base);
    const answer = await this.#post(base, "/v1/internal/members", {
      id: this.#id,
      role: "file",
      url: `http://127.0.0.1:${9000 + Number(this.#id.slice(-2))}`,
      host: "127.0.0.1",
      pid: Deno.pid,
    });
    const load = { activeStreams: 0, inFlight: 0, bytesPerSecond: 0, requests: 0 };
    this.#beat = setInterval(() => {
      this.#post(base, `/v1/internal/members/${this.#id}/heartbeat`, { load }).catch(() => {});
    }, 500);
    if (answer.digest === this.#digest) return false;
    for (const body of this.#bodies) await this.#post(base, "/v1/internal/announce", body);
    return true;
  }

  stop(): void {
    clearInterval(this.#beat);
  }
}

export const catalogCase: BenchCase = {
  id: "catalog",
  async run(ctx) {
    const count = ctx.quick ? 100_000 : 1_000_000;
    const size = count.toLocaleString("en-US");
    const root = join(ctx.root, "catalog");
    await Deno.remove(root, { recursive: true }).catch(() => {});
    const env = isolatedEnv(root, "servers");
    const listen = `127.0.0.1:${freePort()}`;
    const args = ["bootstrap", "--listen", listen, "--data", join(root, "boot")];
    let bootstrap = await startDaemon(args, { env });
    const members: BenchMember[] = [];
    try {
      const base = bootstrap.url;
      say(`making ${size} tracks`);
      const all = Array.from({ length: count }, (_, i) => fakeTrack(i));
      for (let m = 0; m < 10; m++) {
        members.push(
          new BenchMember(
            `bench-file-member-${String(m).padStart(2, "0")}`,
            all.filter((_, i) => Math.floor(i / ARTIST_TRACKS) % 10 === m),
          ),
        );
      }
      all.length = 0;
      say(`announcing ${size} tracks from 10 members`);
      const announceStart = performance.now();
      await Promise.all(members.map((m) => m.join(base)));
      const announceMs = performance.now() - announceStart;
      say(`announced in ${(announceMs / 1000).toFixed(1)} s`);
      // A signed-in listener asks (the catalog is private): each request verifies its session, as in use.
      const token = await sessionFor(base, "bench-listener");
      const total = async (url: string) =>
        (await (await fetch(`${url}/v1/tracks?limit=1`, withToken(token))).json()).total as number;
      const loaded = await total(base);
      if (loaded !== count) {
        throw new Error(
          `Cannot load the catalog: it lists ${loaded} of ${size}. The bootstrap said:\n` +
            said(bootstrap.logs()).join("\n"),
        );
      }

      const n = ctx.quick ? 40 : 200;
      // What a listener's client asks: a page (the bootstrap's default size) at a time.
      const page = await latencies(base, n, (i) => `/v1/tracks?offset=${(i * 7919) % count}`, token);
      // Search as you type: every prefix of a few words, then whole queries.
      const typed = ["l", "lo", "lov", "love", "n", "ni", "nig", "a", "ar", "art", "m", "mo", "moo", "moon"];
      const queries = [
        ...typed,
        "night blue",
        "artist 4242",
        "album 4242",
        "moon 31337",
        fakeTrack(777).id.slice(0, 6),
        "no such words",
        "beyoncé",
      ];
      const search = await latencies(
        base,
        Math.max(n, queries.length * 3),
        (i) => `/v1/tracks?q=${encodeURIComponent(queries[i % queries.length]!)}`,
        token,
      );
      // The player: its first screen is one page of PAGE_SIZE; a keystroke asks for the first page of the query.
      const firstScreen = await latencies(
        base,
        ctx.quick ? 5 : 20,
        () => `/v1/tracks?limit=${PAGE_SIZE}`,
        token,
      );
      const keystroke = await latencies(
        base,
        typed.length * 3,
        (i) => `/v1/tracks?q=${encodeURIComponent(typed[i % typed.length]!)}&limit=${PAGE_SIZE}`,
        token,
      );
      const rss = procMemory(bootstrap.process.pid, "VmRSS") / 1e6;
      const heap = await heapUsed(base) / 1e6;
      const hwm = procMemory(bootstrap.process.pid, "VmHWM") / 1e6;
      const p95 = (values: number[]) => percentile(values, 95);
      say(
        `catalog p95: page ${p95(page).toFixed(1)} search ${p95(search).toFixed(1)} ms; RSS ${
          rss.toFixed(0)
        } MB`,
      );

      // OpenSubsonic at this size, after the figures above: its first answer builds the albums and artists
      // (summed up by SQLite), the later ones read pages of them.
      const auth = `apiKey=${encodeURIComponent(await apiKeyFor(base, token))}&f=json`;
      // Meanwhile the player's first screen is asked for again and again: how long does it wait at most?
      let building = true;
      const during: number[] = [];
      const probe = (async () => {
        while (building) {
          during.push(...await latencies(base, 1, () => `/v1/tracks?limit=${PAGE_SIZE}`, token));
        }
      })();
      const [subsonicFirst] = await subsonicLatencies(base, 1, () => `search3?${auth}&query=&songCount=50`);
      building = false;
      await probe;
      const longestDuring = Math.max(...during);
      const lists = ["alphabeticalByName", "alphabeticalByArtist", "newest", "random"];
      const albumIds =
        ((await (await fetch(`${base}/rest/getAlbumList2?${auth}&type=random&size=50`)).json())[
          "subsonic-response"
        ].albumList2.album as { id: string }[]).map((a) => a.id);
      const subsonic = await subsonicLatencies(
        base,
        n,
        (i) =>
          i % 3 === 0
            ? `search3?${auth}&query=${encodeURIComponent(queries[i % queries.length]!)}&songCount=50` +
              `&songOffset=${i % 2 ? (i * 7919) % count : 0}`
            : i % 3 === 1
            ? `getAlbumList2?${auth}&type=${lists[i % lists.length]}&size=50&offset=${(i * 131) % 50_000}`
            : `getAlbum?${auth}&id=${albumIds[i % albumIds.length]}`,
      );
      const subsonicRss = procMemory(bootstrap.process.pid, "VmRSS") / 1e6;
      say(
        `subsonic at ${size}: first answer ${subsonicFirst!.toFixed(0)} ms (player meanwhile at most ${
          longestDuring.toFixed(0)
        } ms), p95 ${p95(subsonic).toFixed(1)} ms; RSS ${subsonicRss.toFixed(0)} MB`,
      );

      // kill -9 and start again on the same address and data: how soon is the whole catalog back?
      const before = bootstrap.logs();
      await bootstrap.stop("SIGKILL");
      const restartStart = performance.now();
      bootstrap = await startDaemon(args, { env });
      let listed = 0;
      for (let tries = 0; listed !== count && tries < 200; tries++) listed = await total(bootstrap.url);
      await latencies(bootstrap.url, 1, () => `/v1/tracks?q=love`, token);
      const restartMs = performance.now() - restartStart;
      if (listed !== count) {
        throw new Error(
          `Cannot list the catalog after the restart: ${listed} of ${size}. Before the kill:\n` +
            `${said(before).join("\n")}\nAfter:\n${said(bootstrap.logs()).join("\n")}`,
        );
      }
      // The members register again (as they do when their heartbeat is refused) and send nothing.
      const rejoinStart = performance.now();
      const resent = await Promise.all(members.map((m) => m.join(bootstrap.url)));
      const rejoinMs = performance.now() - rejoinStart;
      if (resent.some(Boolean)) {
        throw new Error("Cannot re-announce for nothing: a member had to send its tracks");
      }
      say(`restart ${restartMs.toFixed(0)} ms; unchanged re-announce ${rejoinMs.toFixed(0)} ms`);

      const ms = { rawUnit: "ms", better: "lower" as const };
      return [
        result("catalog announce", {
          ...ms,
          audiod: announceMs,
          target: 60_000,
          runs: 1,
          note:
            `${size} tracks from 10 members at once, ${ANNOUNCE_MAX_TRACKS} per request, into an empty catalog`,
        }),
        result("catalog re-announce", {
          ...ms,
          audiod: rejoinMs,
          target: 5_000,
          runs: 1,
          note:
            "the 10 members register again after the restart; each is told its library's digest and sends none",
        }),
        result("catalog list page", {
          ...ms,
          audiod: p95(page),
          target: 50,
          runs: page.length,
          note:
            `p95 of GET /v1/tracks?offset=… (a page of ${DEFAULT_PAGE}) at spread offsets, ${size} tracks`,
        }),
        result("catalog search", {
          ...ms,
          audiod: p95(search),
          target: 50,
          runs: search.length,
          note:
            `p95 of GET /v1/tracks?q=… as typed (1–4 letter prefixes), words, artist, album, id prefix; ` +
            `the first page of ${DEFAULT_PAGE}, ${size} tracks`,
        }),
        result("catalog player first screen", {
          ...ms,
          audiod: median(firstScreen),
          target: 1000,
          runs: firstScreen.length,
          note:
            `median of the request the player opens a large library with (its first ${PAGE_SIZE} rows); ` +
            "the player's own start-up is not in it",
        }),
        result("catalog player keystroke", {
          ...ms,
          audiod: p95(keystroke),
          target: 100,
          runs: keystroke.length,
          note: `p95 of the request one search keystroke makes (1–4 letter prefixes, ${PAGE_SIZE} rows)`,
        }),
        result("catalog restart", {
          ...ms,
          audiod: restartMs,
          target: 2000,
          runs: 1,
          note: `kill -9, then from the new bootstrap's start until all ${size} are listed and searchable`,
        }),
        result("catalog subsonic first answer", {
          ...ms,
          audiod: subsonicFirst!,
          target: null,
          runs: 1,
          note:
            `the first OpenSubsonic call builds the albums and artists of ${size} tracks (once per change)`,
        }),
        result("catalog player during subsonic build", {
          ...ms,
          audiod: longestDuring,
          target: null,
          runs: during.length,
          note: `the longest of the player's first-screen requests made while that first answer was built`,
        }),
        result("catalog subsonic answer", {
          ...ms,
          audiod: p95(subsonic),
          target: null,
          runs: subsonic.length,
          note:
            `p95 of search3 (50 songs, words and offsets), getAlbumList2 (4 orders, offsets) and getAlbum`,
        }),
        result("catalog bootstrap RSS with subsonic", {
          audiod: subsonicRss,
          rawUnit: "MB",
          target: null,
          better: "lower",
          runs: 1,
          note: `after the OpenSubsonic calls too, ${size} tracks`,
        }),
        result("catalog bootstrap RSS", {
          audiod: rss,
          rawUnit: "MB",
          target: 250,
          better: "lower",
          runs: 1,
          note: `after the load and the queries, ${size} tracks; peak ${hwm.toFixed(0)} MB; JavaScript heap ${
            heap.toFixed(0)
          } MB`,
        }),
      ];
    } finally {
      for (const m of members) m.stop();
      await bootstrap.stop();
    }
  },
};
