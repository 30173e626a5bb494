/**
 * Scales cover art to the `size` an OpenSubsonic client asks `getCoverArt` for (the longest side, in pixels),
 * with ffmpeg fed the image on stdin. Never upscales: an image already that small is served as it is, unread by
 * ffmpeg. Scaled images are kept in a small in-memory LRU keyed by the track, the size and a digest of the
 * source image (so a changed embedded picture or `cover.jpg` is scaled anew). At most {@linkcode SCALE_LANES}
 * scalings run at once, each bounded in time; when ffmpeg is not installed, or cannot read an image, the
 * original is served (logged once).
 *
 * Permissions: run (ffmpeg).
 *
 * @module
 */

import { createHash } from "node:crypto";
import { HttpError } from "../../daemon/http/http_error.ts";
import { Lanes, LanesFullError } from "../../daemon/runtime/lanes.ts";
import type { Logger } from "../../daemon/runtime/log.ts";
import { clampCoverSize } from "../../protocol/cover_size.ts";
import type { Cover } from "./artwork.ts";

/** ffmpeg processes scaling at once, and scalings waiting for one. */
export const SCALE_LANES = 1;
const SCALE_QUEUE = 16;
/** How long one scaling may take. */
const SCALE_TIMEOUT_MS = 10_000;
/** Bytes of scaled images kept (a 300 px JPEG is about 20 KiB). */
const CACHE_BYTES = 16 * 1024 * 1024;
const CACHE_ENTRIES = 1024;

/** Options of {@linkcode CoverScaler}. */
export interface CoverScalerOptions {
  logger: Logger;
  /** The ffmpeg command (default `ffmpeg`). */
  ffmpeg?: string;
  timeoutMs?: number;
  cacheBytes?: number;
}

/** Width and height read from a PNG's or JPEG's header, or null when it is neither (or is cut short). */
export function imageDimensions(bytes: Uint8Array): { width: number; height: number } | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length >= 24 && view.getUint32(0) === 0x89504e47 && view.getUint32(12) === 0x49484452) {
    return { width: view.getUint32(16), height: view.getUint32(20) };
  }
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
  let at = 2;
  while (at + 9 <= bytes.length) {
    if (bytes[at] !== 0xff) return null;
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    // Start of frame (baseline, progressive, …); C4, C8 and CC are other segments.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { width: view.getUint16(at + 7), height: view.getUint16(at + 5) };
    }
    if (marker === 0xd9 || marker === 0xda) return null; // end of image or scan data before any frame
    at += 2 + view.getUint16(at + 2);
  }
  return null;
}

/** Scales covers with ffmpeg, caching the results; see the module documentation. */
export class CoverScaler {
  readonly #logger: Logger;
  readonly #ffmpeg: string;
  readonly #timeoutMs: number;
  readonly #cacheBytes: number;
  readonly #lanes = new Lanes({ lanes: SCALE_LANES, queue: SCALE_QUEUE });
  /** Scaled covers, least recently used first. */
  readonly #cache = new Map<string, Cover>();
  #cached = 0;
  readonly #inFlight = new Map<string, Promise<Cover>>();
  /** Images ffmpeg could not read, not tried again (bounded: forgotten all at once when full). */
  readonly #unreadable = new Set<string>();
  #missing = false;
  #loggedUnreadable = false;

  constructor(options: CoverScalerOptions) {
    this.#logger = options.logger;
    this.#ffmpeg = options.ffmpeg ?? "ffmpeg";
    this.#timeoutMs = options.timeoutMs ?? SCALE_TIMEOUT_MS;
    this.#cacheBytes = options.cacheBytes ?? CACHE_BYTES;
  }

  /** Whether ffmpeg was found missing (the originals are then served). */
  get unavailable(): boolean {
    return this.#missing;
  }

  /**
   * `cover` with its longest side at most `size` (clamped to 16..2048) pixels; the original when it is no larger,
   * when ffmpeg is missing or cannot read it. `key` names the track (its id). Throws a 503 when too many
   * scalings are waiting.
   */
  async scale(cover: Cover, options: { key: string; size: number }): Promise<Cover> {
    const size = clampCoverSize(options.size);
    const dims = imageDimensions(cover.bytes);
    if (dims && Math.max(dims.width, dims.height) <= size) return cover;
    if (this.#missing) return cover;
    const digest = createHash("sha256").update(cover.bytes).digest("hex").slice(0, 32);
    const key = `${options.key}:${size}:${digest}`;
    if (this.#unreadable.has(key)) return cover;
    const hit = this.#cache.get(key);
    if (hit) {
      this.#cache.delete(key);
      this.#cache.set(key, hit);
      return hit;
    }
    let job = this.#inFlight.get(key);
    if (!job) {
      job = this.#scaleNow(cover, size, key).finally(() => this.#inFlight.delete(key));
      this.#inFlight.set(key, job);
    }
    return await job;
  }

  async #scaleNow(cover: Cover, size: number, key: string): Promise<Cover> {
    const png = cover.type === "image/png";
    let scaled: Cover | null | "unreadable";
    try {
      scaled = await this.#lanes.run(() => this.#ffmpegScale(cover.bytes, size, png));
    } catch (error) {
      if (error instanceof LanesFullError) {
        throw new HttpError(503, "busy", "Cannot scale the cover now: too many are being scaled; try again", {
          "retry-after": "1",
        });
      }
      throw error;
    }
    if (scaled === "unreadable") {
      if (this.#unreadable.size >= CACHE_ENTRIES) this.#unreadable.clear();
      this.#unreadable.add(key);
    }
    if (scaled === null || scaled === "unreadable") return cover;
    this.#remember(key, scaled);
    return scaled;
  }

  /**
   * The scaled image; null when ffmpeg is missing or takes too long, "unreadable" when it fails (the original is
   * served then).
   */
  async #ffmpegScale(bytes: Uint8Array, size: number, png: boolean): Promise<Cover | null | "unreadable"> {
    if (this.#missing) return null;
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(this.#ffmpeg, {
        args: [
          "-nostats",
          "-v",
          "error",
          "-i",
          "-",
          "-vf",
          `scale='min(iw,${size})':'min(ih,${size})':force_original_aspect_ratio=decrease`,
          "-frames:v",
          "1",
          "-f",
          "image2pipe",
          "-vcodec",
          png ? "png" : "mjpeg",
          ...(png ? [] : ["-q:v", "3"]),
          "-",
        ],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
        signal: timeout,
      }).spawn();
    } catch (error) {
      const denied = error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied;
      if (error instanceof Deno.errors.NotFound || denied) {
        this.#missing = true;
        this.#logger.warn("covers.unscaled", {
          reason: denied
            ? `cannot run ${this.#ffmpeg}: ${(error as Error).message}`
            : `${this.#ffmpeg} is not installed`,
          serving: "covers at their original size",
        });
        return null;
      }
      throw error;
    }
    const writing = (async () => {
      const writer = child.stdin.getWriter();
      try {
        await writer.write(bytes);
        await writer.close();
      } catch { /* ffmpeg stopped reading: its exit status tells */ }
    })();
    const [out] = await Promise.all([child.output(), writing]);
    if (out.success && out.stdout.length > 0) {
      return { type: png ? "image/png" : "image/jpeg", bytes: out.stdout };
    }
    const reason = timeout.aborted
      ? `ffmpeg took longer than ${this.#timeoutMs} ms`
      : new TextDecoder().decode(out.stderr).trim().split("\n").pop()?.slice(0, 200) ?? "";
    // One line per kind: a library full of unreadable pictures must not flood the log.
    if (timeout.aborted || !this.#loggedUnreadable) {
      if (!timeout.aborted) this.#loggedUnreadable = true;
      this.#logger.warn("covers.unscaled", { reason, serving: "the original" });
    }
    return timeout.aborted ? null : "unreadable";
  }

  #remember(key: string, cover: Cover): void {
    if (cover.bytes.length > this.#cacheBytes / 8) return;
    this.#cache.set(key, cover);
    this.#cached += cover.bytes.length;
    while (this.#cached > this.#cacheBytes || this.#cache.size > CACHE_ENTRIES) {
      const [oldest, value] = this.#cache.entries().next().value!;
      this.#cache.delete(oldest);
      this.#cached -= value.bytes.length;
    }
  }
}
