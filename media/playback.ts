/**
 * The playback engine: feeds verified chunks to a player backend as they arrive, so sound starts after the first
 * chunk, reports what happens as {@linkcode PlaybackEvent}s, and puts the whole track into the cache once verified.
 * While the download runs it watches the buffer ahead of the position against the link's measured rate and the
 * track's bitrate: when the buffer runs out it pauses the player and says so (`buffer` events) until enough is
 * buffered for the rest to arrive in time, rather than stalling silently.
 *
 * @module
 */
import type { CatalogTrack } from "../protocol/mod.ts";
import { createPlayer, type PlayerBackend, type PlayerCapabilities, type PlayerName } from "./player/mod.ts";
import type { PlayerOutcome } from "./player/types.ts";
import type { TrackCache } from "./track_cache.ts";
import type { TransferEvent } from "./transfer.ts";

/** What playback reports, in order: started, progress…, verified, ended; position and warnings in between. */
export type PlaybackEvent =
  /** The first verified chunk reached the player. */
  | { type: "started"; player: PlayerName; note: string }
  | { type: "progress"; verifiedBytes: number; size: number }
  /** About 4 times a second while playing, and after pause and seek. */
  | { type: "position"; seconds: number; duration: number | null; paused: boolean }
  /**
   * With position events while playback waits for the buffer or the link is slower than the track (and once
   * when that is over): seconds of verified audio ahead of the position, the link's and the track's rates in
   * bytes per second (null while unknown), and whether playback waits for the buffer.
   */
  | {
    type: "buffer";
    buffering: boolean;
    aheadSeconds: number;
    linkRate: number | null;
    trackRate: number | null;
  }
  /** The whole file's MD5 matched. */
  | { type: "verified"; md5: string }
  | { type: "warning"; message: string }
  /** Played to the end. */
  | { type: "ended" }
  /** Checksum failure on every replica, player missing or failed…; playback is over. */
  | { type: "error"; message: string };

/** Controls of a running playback. */
export interface PlaybackHandle {
  /** Pauses or resumes; does nothing when the player cannot pause. */
  togglePause(): Promise<void>;
  /** Seeks relative to the position, within the bytes fed so far; does nothing when the player cannot seek. */
  seekBy(seconds: number): Promise<void>;
  /** 0..130 percent; applies at once when the player can, else from the next track on. */
  setVolume(percent: number): Promise<void>;
  /** Ends the source and the player, leaving no process behind; resolves once both are gone. */
  stop(): Promise<void>;
  /** What the player can do; all false until the player started. */
  readonly capabilities: PlayerCapabilities;
  /** Resolves when playback is over (ended, failed or stopped); never rejects. */
  readonly done: Promise<void>;
}

/** Options of {@linkcode startPlayback}. */
export interface PlaybackOptions {
  /**
   * The verified bytes, e.g. `streamVerified(...)` or `cache.read(...)`. Given as a function, it receives a signal
   * that aborts on stop(), so a download in progress ends at once.
   */
  source: AsyncIterable<Uint8Array> | ((signal: AbortSignal) => AsyncIterable<Uint8Array>);
  player: PlayerName | "auto";
  playerArgs: string[];
  volume: number;
  onEvent: (event: PlaybackEvent) => void;
  /** Where to put the track once verified (skipped when it is already there). */
  cache?: TrackCache;
  createPlayer?: typeof createPlayer;
}

/** Milliseconds between position events while playing. */
const POSITION_INTERVAL_MS = 250;
/** Seconds of audio ahead of the position below which playback pauses to buffer (download not finished). */
const LOW_WATER_SECONDS = 1;
/** Seconds ahead at least before playback resumes; more when the link is slower than the track. */
const RESUME_SECONDS = 3;
/** The link's rate is measured once the bytes have flowed this long. */
const RATE_AFTER_MS = 500;

/**
 * Turns a transfer event into the playback event to show, or null for progress (playback reports progress itself as
 * chunks reach the player). Use it as `streamVerified(track, { onEvent: (e) => show(playbackEventOf(e)) })`.
 */
export function playbackEventOf(event: TransferEvent): PlaybackEvent | null {
  if (event.type === "replica-failed") {
    return {
      type: "warning",
      message: `Replica ${event.replica} failed (${event.reason}); using the next one`,
    };
  }
  return null;
}

const NO_CAPABILITIES: PlayerCapabilities = { pause: false, seek: false, volume: false, position: false };

/** Starts playing `track` from `options.source`; returns at once, events tell how it goes. */
export function startPlayback(track: CatalogTrack, options: PlaybackOptions): PlaybackHandle {
  return new Playback(track, options);
}

/** Why waiting for the source or the player was cut short. */
type Interrupt = { kind: "stopped" } | { kind: "player"; outcome: PlayerOutcome };

class Playback implements PlaybackHandle {
  readonly done: Promise<void>;
  #track: CatalogTrack;
  #options: PlaybackOptions;
  #player: PlayerBackend | null = null;
  #paused = false;
  #volume: number;
  #stopped = false;
  #finished = false;
  #abort = new AbortController();
  #interrupt: Promise<Interrupt>;
  #resolveStop!: () => void;
  #ticker: ReturnType<typeof setInterval> | undefined;
  #ticking = false;
  /** Verified bytes fed to the player, when the first arrived, whether all did, and whether it waits for more. */
  #fed = 0;
  #firstAt: number | null = null;
  #complete = false;
  #buffering = false;
  /** The last `buffer` event had something to say. */
  #telling = false;

  constructor(track: CatalogTrack, options: PlaybackOptions) {
    this.#track = track;
    this.#options = options;
    this.#volume = options.volume;
    this.#interrupt = new Promise<void>((resolve) => this.#resolveStop = resolve).then(() => ({
      kind: "stopped",
    }));
    this.done = this.#run();
  }

  get capabilities(): PlayerCapabilities {
    return this.#player?.capabilities ?? NO_CAPABILITIES;
  }

  async togglePause(): Promise<void> {
    const player = this.#player;
    if (!player || !player.capabilities.pause || this.#finished) return;
    this.#paused = !this.#paused;
    await this.#control("pause", () => player.setPaused(this.#paused || this.#buffering));
    await this.#reportPosition();
  }

  async seekBy(seconds: number): Promise<void> {
    const player = this.#player;
    if (!player || !player.capabilities.seek || this.#finished) return;
    await this.#control("seek", () => player.seekBy(seconds));
    await this.#reportPosition();
  }

  async setVolume(percent: number): Promise<void> {
    this.#volume = percent;
    const player = this.#player;
    if (!player || !player.capabilities.volume || this.#finished) return;
    await this.#control("change the volume", () => player.setVolume(percent));
  }

  async stop(): Promise<void> {
    if (!this.#stopped) {
      this.#stopped = true;
      this.#abort.abort();
      this.#resolveStop();
    }
    await this.done;
  }

  #emit(event: PlaybackEvent): void {
    if (this.#finished) return;
    try {
      this.#options.onEvent(event);
    } catch {
      // A listener's failure must not break playback.
    }
  }

  async #run(): Promise<void> {
    const track = this.#track;
    const options = this.#options;
    let iterator: AsyncIterator<Uint8Array> | null = null;
    let cacheFeed: CacheFeed | null = null;
    try {
      const { player, chosen, note } = await (options.createPlayer ?? createPlayer)(options.player, {
        format: track.format,
        size: track.size,
        duration: track.duration,
        volume: this.#volume,
        extraArgs: options.playerArgs,
      });
      this.#player = player;
      if (this.#stopped) return;
      // The listener turned the volume while the player started: that call found no player to tell.
      if (this.#volume !== options.volume && player.capabilities.volume) {
        await this.#control("change the volume", () => player.setVolume(this.#volume));
      }
      if (chosen === "null" && options.player === "auto") this.#emit({ type: "warning", message: note });
      const playerGone = player.done.then((outcome): Interrupt => ({ kind: "player", outcome }));
      const until = <T>(promise: Promise<T>) => Promise.race([promise, this.#interrupt, playerGone]);

      const source = typeof options.source === "function"
        ? options.source(this.#abort.signal)
        : options.source;
      iterator = source[Symbol.asyncIterator]();
      if (options.cache && !(await options.cache.has(track.id, track.md5).catch(() => false))) {
        cacheFeed = new CacheFeed(options.cache, track);
      }
      let verifiedBytes = 0;
      while (true) {
        const next = await until(iterator.next());
        if (isInterrupt(next)) return this.#interrupted(next);
        if (next.done) break;
        if (next.value.length === 0) continue;
        const written = await until(player.write(next.value));
        if (isInterrupt(written)) return this.#interrupted(written);
        cacheFeed?.push(next.value);
        if (verifiedBytes === 0) {
          this.#firstAt = performance.now();
          this.#emit({ type: "started", player: chosen, note });
          this.#startTicker();
        }
        verifiedBytes += next.value.length;
        this.#fed = verifiedBytes;
        this.#emit({ type: "progress", verifiedBytes, size: track.size });
      }
      iterator = null;
      this.#complete = true;
      await this.#checkBuffer(null);
      this.#emit({ type: "verified", md5: track.md5 });
      await player.end();
      if (cacheFeed) {
        const cached = await cacheFeed.finish();
        cacheFeed = null;
        if (cached !== null) this.#emit({ type: "warning", message: cached });
      }
      const last = await Promise.race([this.#interrupt, playerGone]);
      return this.#interrupted(last);
    } catch (error) {
      if (!this.#stopped) {
        this.#emit({ type: "error", message: error instanceof Error ? error.message : String(error) });
      }
    } finally {
      this.#stopTicker();
      this.#finished = true;
      this.#abort.abort();
      iterator?.return?.().catch(() => {});
      await Promise.all([
        this.#player?.stop(),
        cacheFeed?.fail(new Error("Cannot cache the track: playback ended before it was complete")),
      ]);
    }
  }

  /** Reports how the player ended (nothing when stopped). */
  #interrupted(interrupt: Interrupt): void {
    if (interrupt.kind === "stopped") return;
    const { outcome } = interrupt;
    if (outcome.reason === "ended") this.#emit({ type: "ended" });
    else if (outcome.reason === "failed") {
      this.#emit({ type: "error", message: outcome.message ?? `${this.#player?.name} failed` });
    }
  }

  async #control(what: string, action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      this.#emit({ type: "warning", message: `Cannot ${what}: ${why}` });
    }
  }

  #startTicker(): void {
    this.#ticker = setInterval(() => {
      if (!this.#paused) this.#reportPosition();
    }, POSITION_INTERVAL_MS);
  }

  #stopTicker(): void {
    clearInterval(this.#ticker);
    this.#ticker = undefined;
  }

  /**
   * Pauses the player when the verified audio ahead of `seconds` (the position; null once everything is fed)
   * runs out before the download finished, resumes it once enough is buffered, and reports the buffer.
   */
  async #checkBuffer(seconds: number | null): Promise<void> {
    const { size, duration } = this.#track;
    const player = this.#player;
    if (player === null || this.#firstAt === null || duration === null || !(duration > 0) || !(size > 0)) {
      return;
    }
    const trackRate = size / duration;
    const elapsed = performance.now() - this.#firstAt;
    const linkRate = elapsed >= RATE_AFTER_MS ? this.#fed / (elapsed / 1000) : null;
    const aheadSeconds = seconds === null ? 0 : Math.max(0, this.#fed / trackRate - seconds);
    const buffering = bufferVerdict({
      buffering: this.#buffering,
      complete: this.#complete,
      aheadSeconds,
      remainingBytes: size - this.#fed,
      linkRate,
      trackRate,
    });
    if (buffering !== this.#buffering && player.capabilities.pause) {
      this.#buffering = buffering;
      await this.#control("pause", () => player.setPaused(this.#paused || this.#buffering));
    }
    // Reported while there is something to say (waiting, or a link slower than the track), and once more when
    // that is over.
    const telling = this.#buffering || (linkRate !== null && linkRate < trackRate && !this.#complete);
    if (telling || this.#telling) {
      this.#emit({ type: "buffer", buffering: this.#buffering, aheadSeconds, linkRate, trackRate });
    }
    this.#telling = telling;
  }

  async #reportPosition(): Promise<void> {
    const player = this.#player;
    if (!player || !player.capabilities.position || this.#ticking || this.#finished) return;
    this.#ticking = true;
    try {
      const seconds = await player.position();
      if (seconds !== null) {
        this.#emit({ type: "position", seconds, duration: this.#track.duration, paused: this.#paused });
        await this.#checkBuffer(seconds);
      }
    } catch {
      // The player is going away; its outcome is reported through done.
    } finally {
      this.#ticking = false;
    }
  }
}

/** Whether playback must wait for the buffer, given the bytes fed, the position and the rates. */
export function bufferVerdict(options: {
  buffering: boolean;
  complete: boolean;
  aheadSeconds: number;
  remainingBytes: number;
  linkRate: number | null;
  trackRate: number;
}): boolean {
  const { aheadSeconds, remainingBytes, linkRate, trackRate } = options;
  if (options.complete) return false;
  if (!options.buffering) return aheadSeconds < LOW_WATER_SECONDS;
  // Over a link slower than the track, wait until the rest arrives before the buffer runs out.
  const needed = linkRate !== null && linkRate < trackRate
    ? remainingBytes / linkRate - remainingBytes / trackRate
    : 0;
  return aheadSeconds < Math.max(RESUME_SECONDS, needed);
}

function isInterrupt(value: unknown): value is Interrupt {
  return typeof value === "object" && value !== null && "kind" in value;
}

/** Streams chunks into {@linkcode TrackCache.put} while they are played, so the whole track is never held in memory. */
class CacheFeed {
  #queue: Uint8Array[] = [];
  #closed = false;
  #error: Error | null = null;
  #wake: (() => void) | null = null;
  #put: Promise<string | null>;

  constructor(cache: TrackCache, track: CatalogTrack) {
    this.#put = cache.put(track.id, track.md5, this.#chunks()).then(
      () => null,
      (error) => `Cannot cache track ${track.id}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }

  push(chunk: Uint8Array): void {
    if (this.#closed) return;
    this.#queue.push(chunk);
    this.#wake?.();
  }

  /** Ends the input and resolves with a warning when caching failed, else null. */
  finish(): Promise<string | null> {
    this.#closed = true;
    this.#wake?.();
    return this.#put;
  }

  /** Aborts: nothing is stored; resolves once the partial file is removed. */
  async fail(error: Error): Promise<void> {
    this.#error = error;
    this.#closed = true;
    this.#wake?.();
    await this.#put;
  }

  async *#chunks(): AsyncGenerator<Uint8Array> {
    while (true) {
      if (this.#error) throw this.#error;
      const chunk = this.#queue.shift();
      if (chunk) {
        yield chunk;
        continue;
      }
      if (this.#closed) return;
      await new Promise<void>((resolve) => this.#wake = resolve);
      this.#wake = null;
    }
  }
}
