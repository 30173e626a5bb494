/**
 * The file instance's HTTP API: a track's bytes with Range, its chunk manifest, and the revocation push.
 * Tracks are addressed by id only; no request path reaches the filesystem. Every track body in flight is
 * registered with its session, which cuts it when the session ends.
 *
 * @module
 */

import { bearer } from "../../daemon/http/bearer.ts";
import { HttpError } from "../../daemon/http/http_error.ts";
import { fileBody } from "../../daemon/http1/server.ts";
import type { LoadMeter } from "../../daemon/cluster/load_meter.ts";
import type { Logger } from "../../daemon/runtime/log.ts";
import { parseRange } from "../../daemon/http/range.ts";
import { type Handler, Router } from "../../daemon/http/router.ts";
import { revokedEvent } from "../../protocol/events.ts";
import { readJson } from "../../daemon/http/body.ts";
import {
  CHUNK_SIZE,
  type ChunkManifest,
  computeManifest,
  ManifestBuilder,
  manifestFromStates,
} from "../../media/chunk_manifest.ts";
import { computeChainStates } from "../../media/chain_states.ts";
import { DOUBLING_LAYOUT_NAME } from "../../protocol/manifest.ts";
import type { MediaIndex, TrackRecord } from "../../media/media_index.ts";
import { formatOf, type Library } from "./library.ts";
import type { TokenCheck } from "./token_check.ts";
import { coverOf, lyricsOf } from "./artwork.ts";
import { CoverScaler } from "./cover_scaler.ts";
import type { StreamSession } from "./streams.ts";
import { ACCESS_PARAM, verifyStreamAccess } from "../../protocol/stream_access.ts";
import { guardInternal } from "../../daemon/cluster/join_secret.ts";

/** What the file handler needs. */
export interface FileDeps {
  library: Library;
  index: MediaIndex;
  /**
   * Who a listener's token belongs to (a {@linkcode TokenCheck}, which asks the bootstrap), and the streams
   * of each session, cut when it ends.
   */
  tokens: Pick<TokenCheck, "session" | "openStream" | "revoked"> & Partial<Pick<TokenCheck, "isRevoked">>;
  meter: LoadMeter;
  logger: Logger;
  /** The join secret the internal routes (the revocation push) demand. */
  joinSecret: string;
  /** A served file no longer matches what the scan recorded: rescan soon. */
  onStale: (record: TrackRecord) => void;
  /** Scales covers to a `?size=`; default one that runs `ffmpeg` and logs to `logger`. */
  covers?: CoverScaler;
}

const MIME: Record<string, string> = {
  mp3: "audio/mpeg",
  flac: "audio/flac",
  ogg: "audio/ogg",
  opus: "audio/ogg",
  m4a: "audio/mp4",
  wav: "audio/wav",
};

/** Builds the file instance's request handler. */
export function createHandler(deps: FileDeps): Handler {
  const { library, index, tokens, meter, logger } = deps;
  const covers = deps.covers ?? new CoverScaler({ logger });
  const router = new Router((error, req) => logger.error("request.failed", { method: req.method, error }));
  guardInternal(router, deps.joinSecret);
  const computing = new Map<string, Promise<ChunkManifest>>();
  const recording = new Map<string, Promise<Uint8Array>>();

  const track = (id: string): TrackRecord => {
    const record = /^[0-9a-f]{64}$/.test(id) ? library.get(id) : undefined;
    if (!record) {
      throw new HttpError(404, "unknown_track", `Cannot find track ${id.slice(0, 64)} on this instance`);
    }
    return record;
  };

  const stale = (record: TrackRecord, why: string): HttpError => {
    logger.warn("replica.stale", { id: record.id, why });
    deps.onStale(record);
    return new HttpError(
      409,
      "replica_changed",
      `Cannot serve track ${record.id.slice(0, 12)}: ${why}; try another replica`,
    );
  };

  /** Computes and caches the manifest of a track not in the cache; one computation per track at a time. */
  const computeAndCache = (record: TrackRecord): Promise<ChunkManifest> => {
    let job = computing.get(record.id);
    if (!job) {
      job = (async () => {
        const manifest = await computeManifest(record.path, { chunkSize: CHUNK_SIZE });
        if (manifest.md5 !== record.md5 || manifest.size !== record.size) {
          throw stale(record, "its bytes no longer match the MD5 recorded at scan time");
        }
        index.putManifest(record.path, record.mtimeMs, manifest);
        return manifest;
      })().finally(() => computing.delete(record.id));
      computing.set(record.id, job);
    }
    return job;
  };

  /**
   * The chunk states the scan recorded for a track; for a track indexed before scans recorded them, one pass
   * over its file records them now (one pass per track at a time).
   */
  const chainStates = (record: TrackRecord): Promise<Uint8Array> => {
    const stored = index.getChainStates(record);
    if (stored) return Promise.resolve(stored);
    let job = recording.get(record.id);
    if (!job) {
      job = (async () => {
        const { md5, size, states } = await computeChainStates(record.path);
        if (md5 !== record.md5 || size !== record.size) {
          throw stale(record, "its bytes no longer match the MD5 recorded at scan time");
        }
        index.putChainStates(record, states);
        return states;
      })().finally(() => recording.delete(record.id));
      recording.set(record.id, job);
    }
    return job;
  };

  router
    .get("/v1/health", () => Response.json({ ok: true, role: "file", tracks: library.size }))
    .get("/v1/tracks/:id/manifest", async (req, { params, url }) => {
      await tokens.session(bearer(req));
      const record = track(params.id!);
      const head = headParam(url);
      const layout = url.searchParams.get("layout");
      try {
        // A client that knows the doubling layout (small chunks first) gets the manifest the scan recorded.
        if (layout === DOUBLING_LAYOUT_NAME) {
          return Response.json({ id: record.id, ...manifestFromStates(record, await chainStates(record)) });
        }
        const cached = index.getManifest(record.path, record.size, record.mtimeMs, CHUNK_SIZE);
        if (cached) return Response.json({ id: record.id, ...cached });
        if (head !== null && head < Math.ceil(record.size / CHUNK_SIZE)) {
          // Never served before: the first `head` digests answer at once, so playback can start; the whole
          // manifest (a pass over the whole file) is computed when the client asks for it, not now, where
          // it would slow down the first chunks.
          const digests = await headDigests(record, head);
          if (digests === null) throw stale(record, "its file changed since it was scanned");
          return Response.json({
            id: record.id,
            size: record.size,
            md5: record.md5,
            chunkSize: CHUNK_SIZE,
            ...digests,
            partial: true,
          });
        }
        return Response.json({ id: record.id, ...await computeAndCache(record) });
      } catch (error) {
        if (error instanceof HttpError) throw error;
        throw stale(record, "its file cannot be read");
      }
    })
    .get("/v1/tracks/:id", async (req, { params, url }) => {
      // A token, or a stream access the OpenSubsonic API handed out for this one track.
      const access = url.searchParams.get(ACCESS_PARAM);
      const session = access === null
        ? await tokens.session(bearer(req))
        : accessSession(access, params.id!, deps.joinSecret, tokens);
      const record = track(params.id!);
      const range = parseRange(req.headers.get("range"), record.size);
      const common: Record<string, string> = {
        "accept-ranges": "bytes",
        "content-type": MIME[formatOf(record.path)] ?? "application/octet-stream",
        "x-audiod-md5": record.md5,
        "etag": `"${record.md5}"`,
        "cache-control": "private, max-age=0",
      };
      if (range.kind === "unsatisfiable") {
        throw new HttpError(416, "bad_range", `Cannot serve that range: ${range.reason}`, {
          "content-range": `bytes */${record.size}`,
        });
      }
      const start = range.kind === "partial" ? range.start : 0;
      const end = range.kind === "partial" ? range.end : record.size - 1;
      const length = Math.max(0, end - start + 1);
      const headers = {
        ...common,
        "content-length": String(length),
        ...(range.kind === "partial" ? { "content-range": `bytes ${start}-${end}/${record.size}` } : {}),
      };
      const status = range.kind === "partial" ? 206 : 200;
      let file: Deno.FsFile;
      try {
        file = await Deno.open(record.path, { read: true });
        const info = await file.stat();
        if (info.size !== record.size || (info.mtime?.getTime() ?? 0) !== record.mtimeMs) {
          file.close();
          throw stale(record, "its file changed since it was scanned");
        }
      } catch (error) {
        if (error instanceof HttpError) throw error;
        throw stale(record, "its file cannot be read");
      }
      if (req.method === "HEAD" || length === 0) {
        file.close();
        return new Response(null, { status, headers });
      }
      const stream = tokens.openStream(session);
      const body = fileBody(file, {
        start,
        length,
        meter,
        path: record.path,
        signal: stream.signal,
        onSettled: stream.close,
      });
      return new Response(body, { status, headers });
    })
    .post("/v1/internal/revoked", async (req) => {
      tokens.revoked(await readJson(req, revokedEvent));
      return new Response(null, { status: 204 });
    })
    // The bootstrap's OpenSubsonic API asks these (the join secret demanded); `?size=N` scales a cover down to
    // N pixels on its longest side (clamped to 16..2048; the original when ffmpeg is missing).
    .get("/v1/internal/covers/:id", async (_req, { params, url }) => {
      const size = coverSizeParam(url);
      const record = track(params.id!);
      const original = await coverOf(record.path);
      if (!original) throw new HttpError(404, "no_cover", "Cannot find cover art for this track");
      const cover = size === 0 ? original : await covers.scale(original, { key: record.id, size });
      return new Response(cover.bytes as Uint8Array<ArrayBuffer>, {
        headers: { "content-type": cover.type, "content-length": String(cover.bytes.length) },
      });
    })
    .get("/v1/internal/lyrics/:id", async (_req, { params }) => {
      const lyrics = await lyricsOf(track(params.id!).path);
      if (!lyrics) throw new HttpError(404, "no_lyrics", "Cannot find lyrics for this track");
      return Response.json(lyrics);
    });
  return router.handle;
}

/** The session a stream access stands for (its grant), or a 401/403. */
function accessSession(
  text: string,
  id: string,
  joinSecret: string,
  tokens: Partial<Pick<TokenCheck, "isRevoked">>,
): StreamSession {
  const access = verifyStreamAccess(text, joinSecret);
  if (!access || tokens.isRevoked?.(access.grant)) {
    throw new HttpError(
      401,
      "bad_access",
      "Cannot open the track: the access is invalid, expired or revoked (ask the API for the stream again)",
    );
  }
  if (access.track !== id) {
    throw new HttpError(403, "wrong_track", "Cannot open the track: the access opens another track");
  }
  return { tokenHash: access.grant, user: access.user, expiresAt: access.expiresAt };
}

/** `?size=N` of a cover request (any whole number; 0 or none: the original), or a 400. */
function coverSizeParam(url: URL): number {
  const text = url.searchParams.get("size");
  if (text === null || text === "") return 0;
  if (!/^\d{1,16}$/.test(text)) {
    throw new HttpError(
      400,
      "invalid_request",
      `Cannot scale the cover: size=${text.slice(0, 20)} is not a whole number of pixels`,
    );
  }
  return Number(text);
}

/** `?head=N` of a manifest request (1 to 64), or null without it. */
function headParam(url: URL): number | null {
  const text = url.searchParams.get("head");
  if (text === null) return null;
  if (!/^\d{1,2}$/.test(text) || Number(text) < 1 || Number(text) > 64) {
    throw new HttpError(400, "invalid_request", `Cannot accept head=${text.slice(0, 20)}: expected 1..64`);
  }
  return Number(text);
}

/**
 * The MD5 and end state of each of the first `count` (whole) chunks of the track's file, or null when the file
 * changed.
 */
async function headDigests(
  record: TrackRecord,
  count: number,
): Promise<{ chunks: string[]; states: string[] } | null> {
  using file = await Deno.open(record.path, { read: true });
  const info = await file.stat();
  if (info.size !== record.size || (info.mtime?.getTime() ?? 0) !== record.mtimeMs) return null;
  const buffer = new Uint8Array(CHUNK_SIZE);
  const builder = new ManifestBuilder(CHUNK_SIZE);
  for (let i = 0; i < count; i++) {
    let filled = 0;
    while (filled < buffer.length) {
      const n = await file.read(buffer.subarray(filled));
      if (n === null) break;
      filled += n;
    }
    // Only whole chunks are asked for (`count` is below the number of chunks): a short one means it shrank.
    if (filled < buffer.length) return null;
    builder.update(buffer);
  }
  return builder.head();
}
