/**
 * `audiod file`: scans a media directory (hashing each file once, keyed by path, size and mtime), announces its
 * tracks to the bootstrap, rescans for changes, and serves the bytes to signed-in listeners.
 *
 * Permissions: net (listen, call the bootstrap), read (media dir), read/write (data dir), env, run (ffmpeg, to
 * scale cover art; optional).
 *
 * @module
 */

import { createHash } from "node:crypto";
import { join, resolve } from "node:path";
import { peerAccess } from "../../daemon/cluster/peer_client.ts";
import { callBootstrap } from "../../daemon/cluster/bootstrap_set.ts";
import { trimHeapWhile } from "../../daemon/http1/heap_trim.ts";
import { LoadMeter } from "../../daemon/cluster/load_meter.ts";
import { Metrics } from "../../daemon/http/metrics.ts";
import { subscribeEvents } from "../../daemon/cluster/event_stream.ts";
import { createLogger, type LogFormat } from "../../daemon/runtime/log.ts";
import { sleep } from "../../daemon/cluster/membership.ts";
import { retry } from "../../daemon/runtime/backoff.ts";
import { FailureLog } from "../../daemon/runtime/failure_log.ts";
import { CommandError } from "../../cli/usage_error.ts";
import { warmUpHashing } from "../../media/chunk_manifest.ts";
import { MediaIndex } from "../../media/media_index.ts";
import { scanMedia } from "../../media/scan.ts";
import { watchChanges } from "../../media/watch.ts";
import { type InstancePlacement, runInstance } from "../_instance.ts";
import { createHandler } from "./handler.ts";
import { Library, toAnnounced } from "./library.ts";
import { ANNOUNCE_MAX_REMOVED, announceBatches, libraryDigest } from "../../protocol/catalog.ts";
import { TokenCheck } from "./token_check.ts";
import { StreamRegistry } from "./streams.ts";

/** Options of `audiod file`. */
export interface FileOptions extends InstancePlacement {
  media: string;
  dataDir: string;
  logFormat: LogFormat;
  /** Milliseconds between rescans of the media directory besides those its changes trigger (default 5000). */
  rescanMs?: number;
}

/**
 * Threads a file instance sends bytes from: two where there are two cores or more. One thread doing the reads
 * and writes of 32 streams was busy all the time on two cores, with a seventh of the machine idle.
 */
const SERVING_THREADS = Math.min(2, navigator.hardwareConcurrency);

/** The most of one core that periodic rescans take (see {@linkcode rescanPeriod}). */
const RESCAN_SHARE = 0.1;

/**
 * Milliseconds between periodic rescans: `rescanMs`, or longer when the last rescan took long, so that rescans
 * of a large library never take more than a tenth of a core (10,000 unchanged tracks rescan in about 0.4 s;
 * 100,000 would take 4 s of every 5). Changes the watch reports are rescanned at once regardless.
 */
export function rescanPeriod(rescanMs: number, lastScanMs: number): number {
  return Math.max(rescanMs, Math.round(lastScanMs / RESCAN_SHARE));
}

/** Where the index of a media directory lives inside the data dir. */
export function indexPath(dataDir: string, media: string): string {
  const key = createHash("sha256").update(resolve(media)).digest("hex").slice(0, 16);
  return join(dataDir, "index", `${key}.db`);
}

/** Runs a file instance until `signal` aborts. */
export async function run(options: FileOptions, signal: AbortSignal): Promise<void> {
  const logger = createLogger({ role: "file", format: options.logFormat });
  const media = resolve(options.media);
  try {
    const info = await Deno.stat(media);
    if (!info.isDirectory) throw new Error("it is not a directory");
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound ? "it does not exist" : (error as Error).message;
    throw new CommandError(`Cannot serve media from ${media}: ${why}`);
  }
  let index: MediaIndex;
  try {
    index = new MediaIndex(indexPath(options.dataDir, media));
  } catch (error) {
    throw new CommandError((error as Error).message);
  }
  const library = new Library();
  const meter = new LoadMeter();
  const metrics = new Metrics();
  metrics.gauge("audiod_tracks", "Tracks this file instance serves", () => library.size);
  const peer = peerAccess(options);
  const streams = new StreamRegistry();
  const tokens = new TokenCheck({
    bootstrap: options.bootstrap,
    peer,
    streams,
    onStreamsCut: (count, why) => logger.info("streams.cut", { streams: count, why }),
  });
  let instanceId: string | null = null;
  let lastScanMs = 0;

  const scan = async (initial = false): Promise<ReturnType<Library["replace"]>> => {
    const started = performance.now();
    const result = await scanMedia(media, index, { signal });
    const changed = library.replace(result.tracks);
    const ms = performance.now() - started;
    // Only the time of a scan that hashed nothing says what the periodic rescans cost.
    if (result.hashed === 0) lastScanMs = ms;
    const fields = {
      media,
      tracks: library.size,
      hashed: result.hashed,
      reused: result.reused,
      removed: result.removed,
      failed: result.failed.length,
      ms: Math.round(ms),
    };
    if (
      initial || result.hashed > 0 || result.removed > 0 || result.failed.length > 0 ||
      changed.added.length > 0
    ) {
      logger.info("scan.done", fields);
    } else {
      logger.debug("scan.done", fields);
    }
    for (const f of result.failed) logger.warn("scan.skipped", { path: f.path, reason: f.reason });
    return changed;
  };

  // A full announcement, unless the catalog already holds this library (`held`: the digest the bootstrap
  // answered the registration with, after a restart of its own). The digest goes with the last request.
  const announceAll = async (id: string, held?: string) => {
    const tracks = library.all().map(toAnnounced);
    const digest = libraryDigest(tracks);
    if (held === digest) {
      logger.info("tracks.unchanged", { tracks: tracks.length });
      return;
    }
    const batches = announceBatches(tracks);
    for (const [i, batch] of batches.entries()) {
      await callBootstrap(options.bootstrap, "POST", "/v1/internal/announce", {
        ...peer,
        body: {
          instance: id,
          replace: i === 0,
          tracks: batch,
          ...(i === batches.length - 1 ? { digest } : {}),
        },
      });
    }
    logger.info("tracks.announced", { tracks: tracks.length });
  };

  const announceChanges = async (changed: ReturnType<Library["replace"]>) => {
    if (!instanceId || (changed.added.length === 0 && changed.removed.length === 0)) return;
    const tracks = changed.added.map(toAnnounced);
    const digest = libraryDigest(library.all().map(toAnnounced));
    const batches = announceBatches(tracks);
    const removed: string[][] = [];
    for (let i = 0; i < changed.removed.length; i += ANNOUNCE_MAX_REMOVED) {
      removed.push(changed.removed.slice(i, i + ANNOUNCE_MAX_REMOVED));
    }
    const requests = Math.max(batches.length, removed.length);
    for (let i = 0; i < requests; i++) {
      await callBootstrap(options.bootstrap, "POST", "/v1/internal/announce", {
        ...peer,
        body: {
          instance: instanceId,
          tracks: batches[i] ?? [],
          ...(removed[i] ? { removed: removed[i] } : {}),
          ...(i === requests - 1 ? { digest } : {}),
        },
      });
    }
    logger.info("tracks.changed", { added: changed.added.length, removed: changed.removed.length });
  };

  try {
    await scan(true);
  } catch (error) {
    index.close();
    throw new CommandError((error as Error).message);
  }

  // Rescans end when the instance stops, whether asked to (signal) or refused by the bootstrap. They run when
  // the media directory changed (watched) or a served file looked stale, and every rescanMs regardless, in
  // case the watch missed something (network filesystems report nothing).
  const ended = new AbortController();
  const running = AbortSignal.any([signal, ended.signal]);
  let dirty = false;
  let wake = new AbortController();
  const rescanSoon = () => {
    dirty = true;
    wake.abort();
  };
  const rescanLoop = async () => {
    while (!running.aborted) {
      if (!dirty) {
        await sleep(
          rescanPeriod(options.rescanMs ?? 5000, lastScanMs),
          AbortSignal.any([running, wake.signal]),
        );
      }
      if (running.aborted) break;
      dirty = false;
      wake = new AbortController();
      try {
        await announceChanges(await scan());
      } catch (error) {
        if (!running.aborted) logger.warn("rescan.failed", { error });
      }
    }
  };
  const watching = watchChanges(media, {
    signal: running,
    onChange: () => {
      logger.debug("media.changed", { media });
      rescanSoon();
    },
  }).catch((error) => logger.warn("watch.failed", { media, error, fallback: "periodic rescans" }));

  const handler = createHandler({
    library,
    index,
    tokens,
    meter,
    logger,
    joinSecret: options.joinSecret,
    onStale: () => rescanSoon(),
  });
  warmUpHashing(); // so that the first play's chunk digests do not wait for V8 to compile the MD5 code
  const loop = rescanLoop();
  trimHeapWhile(() => meter.activeStreams > 0, { signal: running });
  // Streams past their session's lifetime are cut; those of sessions that ended are found every few seconds.
  const watchingSessions = tokens.watch(running);
  // Revocations reach us on the bootstrap's event channel (and by a direct push, and by the 1 s re-check).
  // After a break in the channel, events may have been missed: the open streams' sessions are re-checked.
  let announcing = new AbortController();
  const eventsLog = new FailureLog(logger, { failing: "events.lost", recovered: "events.recovered" });
  const following = subscribeEvents({
    bootstrap: options.bootstrap,
    peer,
    signal: running,
    onEvent: (event) => {
      if (event.type === "revoked") tokens.revoked(event.data);
    },
    onMalformed: (error) => logger.warn("events.malformed", { error }),
    // One warning when the stream breaks and stays broken, one line when it is back; not one per attempt.
    onConnection: (change) => {
      if (!change.connected) return eventsLog.failed(change.error);
      eventsLog.succeeded();
      tokens.recheckSoon();
    },
  });
  try {
    await runInstance({
      ...options,
      role: "file",
      // audiod's own HTTP/1.1 server sends track bytes from reused buffers in large writes.
      server: { http1: true, threads: SERVING_THREADS },
      handler,
      meter,
      logger,
      peer,
      metrics,
      report: () => ({ tracks: library.size }),
      onRegistered: async (id, _url, answer) => {
        instanceId = id;
        announcing.abort(); // a re-registration announces everything anew, under the new id
        announcing = new AbortController();
        const log = new FailureLog(logger, { failing: "announce.failed", recovered: "announce.recovered" });
        await announceAll(id, answer.digest).catch((error) => {
          // Retried in the background with back-off, so that the heartbeats go on meanwhile.
          log.failed(error);
          retry(() => announceAll(id), {
            baseMs: 500,
            maxMs: 30_000,
            signal: AbortSignal.any([running, announcing.signal]),
            onFailure: (error) => log.failed(error),
          }).then(() => log.succeeded(), () => {});
        });
      },
    }, signal);
  } finally {
    ended.abort();
    await Promise.all([loop, following, watching, watchingSessions]);
    index.close();
  }
}
