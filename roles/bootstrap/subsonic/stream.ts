/**
 * The methods that hand out bytes. `stream` and `download` answer 307 (303 to a form POST) to a file instance holding a replica, with
 * `?access=…`: a signed, expiring grant that opens that one track (see `protocol/stream_access.ts`); Range,
 * HEAD, 206 and 416 then work there as for audiod's own clients. With `--subsonic-relay` the bootstrap fetches
 * the bytes itself and relays them (Range passed on), for clients that cannot follow redirects. `maxBitRate`
 * and `format` are ignored: the original file is served as it is (no transcoding).
 *
 * `getCoverArt` and `getLyricsBySongId` ask a replica's internal routes and relay the (small) answers, with and
 * without `--subsonic-relay`; `getCoverArt`'s `size` is passed on, and the replica scales the cover.
 *
 * @module
 */

import { UnreachableError } from "../../../daemon/cluster/peer_client.ts";
import { JOIN_SECRET_HEADER } from "../../../daemon/cluster/join_secret.ts";
import { HttpError } from "../../../daemon/http/http_error.ts";
import { ACCESS_PARAM, signStreamAccess } from "../../../protocol/stream_access.ts";
import type { Replica } from "../../../protocol/catalog.ts";
import { catalogTrackOf } from "../publishing.ts";
import { clampCoverSize } from "../../../protocol/cover_size.ts";
import type { CatalogEntry } from "../catalog.ts";
import type { Album } from "./library.ts";
import type { Call, Method } from "./mod.ts";
import { ErrorCode, type Item, notFound, SubsonicError } from "./response.ts";

/** How long a stream access opens its track: long enough for a player's seeks through a long track. */
export const ACCESS_MS = 30 * 60_000;

/** Headers of a replica's answer passed on when relaying. */
const RELAYED = [
  "content-type",
  "content-length",
  "content-range",
  "accept-ranges",
  "etag",
  "last-modified",
  "cache-control",
  "x-audiod-md5",
];

function entryOf(call: Call): CatalogEntry {
  const id = call.params.required("id");
  const entry = /^[0-9a-f]{64}$/.test(id) ? call.deps.catalog.get(id) : undefined;
  if (!entry) throw notFound(`song ${id.slice(0, 80)}`);
  return entry;
}

/** The replicas of a track that serve (up first, then draining), best first. */
function replicasOf(call: Call, entry: CatalogEntry): Replica[] {
  const replicas = catalogTrackOf(call.deps.registry, entry).replicas;
  const serving = [
    ...replicas.filter((r) => r.state === "up"),
    ...replicas.filter((r) => r.state === "draining"),
  ];
  if (serving.length === 0) {
    throw new SubsonicError(
      ErrorCode.GENERIC,
      `Cannot stream ${entry.id.slice(0, 12)}: no replica is up right now`,
    );
  }
  return serving;
}

/** The URL on a replica that opens `entry` for the caller. */
export function accessUrl(call: Call, replica: Replica, entry: CatalogEntry): string {
  const access = signStreamAccess({
    track: entry.id,
    grant: call.caller.grant,
    user: call.caller.user,
    expiresAt: call.now() + ACCESS_MS,
  }, call.deps.joinSecret);
  call.deps.auth.remember(call.caller);
  return `${replica.url}/v1/tracks/${entry.id}?${ACCESS_PARAM}=${encodeURIComponent(access)}`;
}

async function streamOrDownload(call: Call): Promise<Response> {
  const entry = entryOf(call);
  const replicas = replicasOf(call, entry);
  if (!call.deps.relay) {
    // 307 keeps the method: a form POST (the formPost extension) is sent on as a GET with 303.
    return new Response(null, {
      status: call.req.method === "POST" ? 303 : 307,
      headers: { location: accessUrl(call, replicas[0]!, entry), "cache-control": "no-store" },
    });
  }
  let last: unknown;
  for (const replica of replicas) {
    const headers: Record<string, string> = {};
    const range = call.req.headers.get("range");
    if (range !== null) headers.range = range;
    try {
      const res = await fetch(accessUrl(call, replica, entry), {
        method: call.req.method === "HEAD" ? "HEAD" : "GET",
        headers,
        signal: call.req.signal,
        ...(call.deps.peer.httpClient ? { client: call.deps.peer.httpClient } : {}),
      });
      if (res.status >= 500 || res.status === 409) {
        await res.body?.cancel();
        last = new Error(`${replica.url} answered ${res.status}`);
        continue;
      }
      const out = new Headers();
      for (const name of RELAYED) {
        const value = res.headers.get(name);
        if (value !== null) out.set(name, value);
      }
      return new Response(res.body, { status: res.status, headers: out });
    } catch (error) {
      last = error;
    }
  }
  throw new SubsonicError(ErrorCode.GENERIC, `Cannot stream ${entry.id.slice(0, 12)}: ${describe(last)}`);
}

/** Asks the replicas' internal `path` in turn; the first answer that is not a 5xx. */
async function askReplicas(call: Call, entry: CatalogEntry, path: string): Promise<Response> {
  let last: unknown;
  for (const replica of replicasOf(call, entry)) {
    try {
      const res = await fetch(replica.url + path, {
        headers: { [JOIN_SECRET_HEADER]: call.deps.joinSecret },
        signal: AbortSignal.timeout(10_000),
        ...(call.deps.peer.httpClient ? { client: call.deps.peer.httpClient } : {}),
      });
      if (res.status >= 500) {
        await res.body?.cancel();
        last = new Error(`${replica.url} answered ${res.status}`);
        continue;
      }
      return res;
    } catch (error) {
      last = error instanceof TypeError ? new UnreachableError(replica.url, error.message) : error;
    }
  }
  throw new SubsonicError(
    ErrorCode.GENERIC,
    `Cannot reach a replica of ${entry.id.slice(0, 12)}: ${describe(last)}`,
  );
}

/** The track whose cover stands for a cover art id: a song's own, or an album's chosen track. */
async function coverTrack(call: Call, id: string): Promise<CatalogEntry> {
  const lib = await call.library();
  // An album's cover is its first track's (the one known to have one, when the members said).
  const ofAlbum = (album: Album | undefined) =>
    album && call.deps.catalog.rows([album.coverRow >= 0 ? album.coverRow : album.songs[0] ?? -1])[0];
  let track: CatalogEntry | undefined;
  if (id.startsWith("al-")) track = ofAlbum(lib.albumById.get(id));
  else if (id.startsWith("ar-")) track = ofAlbum(lib.artistById.get(id)?.albums[0]);
  else if (/^[0-9a-f]{64}$/.test(id)) track = call.deps.catalog.get(id);
  if (!track) throw notFound(`cover art ${id.slice(0, 80)}`);
  return track;
}

/**
 * `getCoverArt`'s `size` (the longest side in pixels): 0 (the original) when absent or 0, else clamped to
 * 16..2048 as clients send any size; code 10 when it is not a whole number.
 */
function coverSize(call: Call): number {
  const text = call.params.get("size");
  if (text === undefined || text === "") return 0;
  if (!/^\d{1,16}$/.test(text)) {
    throw new SubsonicError(
      ErrorCode.MISSING_PARAMETER,
      `Cannot run getCoverArt: size=${text.slice(0, 20)} is not a whole number of pixels`,
    );
  }
  const size = Number(text);
  return size === 0 ? 0 : clampCoverSize(size);
}

function describe(error: unknown): string {
  if (error instanceof HttpError || error instanceof Error) return error.message;
  return String(error);
}

/** The byte methods by name. */
export const STREAM_METHODS: Record<string, Method> = {
  stream: streamOrDownload,
  download: streamOrDownload,
  getCoverArt: async (call) => {
    const track = await coverTrack(call, call.params.required("id"));
    const size = coverSize(call);
    const res = await askReplicas(
      call,
      track,
      `/v1/internal/covers/${track.id}${size > 0 ? `?size=${size}` : ""}`,
    );
    if (res.status === 404) {
      await res.body?.cancel();
      throw notFound(`cover art of ${track.id.slice(0, 12)}`);
    }
    if (!res.ok) {
      throw new SubsonicError(
        ErrorCode.GENERIC,
        `Cannot read the cover art: the replica answered ${res.status}`,
      );
    }
    const headers = new Headers({ "cache-control": "public, max-age=86400" });
    for (const name of ["content-type", "content-length", "etag"]) {
      const value = res.headers.get(name);
      if (value !== null) headers.set(name, value);
    }
    return new Response(res.body, { status: 200, headers });
  },
  getLyricsBySongId: async (call): Promise<Item> => {
    const track = entryOf(call);
    const none = { lyricsList: { structuredLyrics: [] } };
    const res = await askReplicas(call, track, `/v1/internal/lyrics/${track.id}`);
    if (res.status === 404) {
      await res.body?.cancel();
      return none;
    }
    if (!res.ok) {
      throw new SubsonicError(
        ErrorCode.GENERIC,
        `Cannot read the lyrics: the replica answered ${res.status}`,
      );
    }
    const lyrics = await res.json() as {
      synced: boolean;
      lang?: string;
      lines: { start?: number; value: string }[];
    };
    return {
      lyricsList: {
        structuredLyrics: [{
          displayArtist: track.artist,
          displayTitle: track.title,
          lang: lyrics.lang ?? "xxx",
          synced: lyrics.synced,
          offset: 0,
          line: lyrics.lines.map((
            l,
          ) => (l.start === undefined ? { value: l.value } : { start: l.start, value: l.value })),
        }],
      },
    };
  },
};
