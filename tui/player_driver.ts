/**
 * The TUI's side of playback: it follows the playback state of a {@linkcode Store}, starting a track through
 * {@linkcode TuiServices.play} when the state asks for one and stopping the previous one first, passes volume, pause
 * and seek on to the track playing, and turns what the engine reports into actions (download progress coalesced to a
 * few updates a second). Once the track playing is downloaded whole, it fetches the next one in the queue ahead of
 * its turn ({@linkcode TuiServices.prefetch}), so a slow link leaves no gap between them. It never throws: failures
 * become playback errors or notices.
 *
 * @module
 */

import { settleWithin } from "./_settle.ts";
import type { Store } from "./store.ts";
import type { AppAction } from "./state/app.ts";
import { isActive, type PlaybackState } from "./state/playback.ts";
import { nextIndex } from "./state/queue.ts";
import {
  errorMessage,
  isSessionExpired,
  type PlaybackEvent,
  type PlaybackHandle,
  type TuiServices,
} from "./services.ts";

/** Timing of a {@linkcode PlayerDriver}. */
export interface PlayerDriverOptions {
  /** How long stopping a track waits for its player to be gone, ms. */
  stopTimeoutMs: number;
  /** How often download progress reaches the state at most, ms. */
  progressMs: number;
}

/** Plays what the playback state of a {@linkcode Store} says, through the services. */
export class PlayerDriver {
  #services: Pick<TuiServices, "play" | "prefetch">;
  #store: Store;
  #options: PlayerDriverOptions;
  #unsubscribe: () => void;
  #seen: PlaybackState;
  #disposed = false;

  #playing: { seq: number; handle: PlaybackHandle } | null = null;
  /** Starts and stops of the player, one after the other. */
  #playerChain: Promise<void> = Promise.resolve();
  #volumeChain: Promise<void> = Promise.resolve();
  #pendingProgress: { seq: number; event: PlaybackEvent } | null = null;
  #progressTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(services: Pick<TuiServices, "play" | "prefetch">, store: Store, options: PlayerDriverOptions) {
    this.#services = services;
    this.#store = store;
    this.#options = options;
    this.#seen = store.getState().playback;
    this.#unsubscribe = store.subscribe(() => this.#onChange());
  }

  /** Whether a track plays (or is paused) as the playback state says. */
  get playing(): boolean {
    return this.#handleFor(this.#store.getState().playback) !== null;
  }

  /** Pauses or resumes the track playing; does nothing when none plays. */
  async togglePause(): Promise<void> {
    const playback = this.#store.getState().playback;
    const playing = this.#handleFor(playback);
    if (playing === null) return;
    if (!playing.capabilities.pause) {
      this.#notice(`${playback.player ?? "This player"} cannot pause`, "warning");
      return;
    }
    try {
      await playing.togglePause();
      this.#dispatch({ type: "playback/pauseToggled", seq: playback.seq });
    } catch (error) {
      this.#notice(`Cannot pause: ${errorMessage(error)}`, "error");
    }
  }

  /** Seeks by `seconds` (negative: back) in the track playing. */
  async seekBy(seconds: number): Promise<void> {
    const playback = this.#store.getState().playback;
    const playing = this.#handleFor(playback);
    if (playing === null) return;
    if (!playing.capabilities.seek) {
      this.#notice(`${playback.player ?? "This player"} cannot seek`, "warning");
      return;
    }
    try {
      await playing.seekBy(seconds);
    } catch (error) {
      this.#notice(`Cannot seek: ${errorMessage(error)}`, "error");
    }
  }

  /**
   * For quitting, once the state says stop: waits (bounded) for the starts and stops under way, then stops (bounded)
   * a track that still plays.
   */
  async stop(): Promise<void> {
    clearTimeout(this.#progressTimer);
    this.#progressTimer = undefined;
    const stopped = this.#playing;
    await settleWithin(this.#playerChain, this.#options.stopTimeoutMs);
    if (stopped !== null && this.#playing === stopped) {
      await settleWithin(stopped.handle.stop(), this.#options.stopTimeoutMs);
    }
  }

  /** Stops following the state; stops the player without waiting. */
  dispose(): void {
    if (this.#disposed) return;
    clearTimeout(this.#progressTimer);
    this.#progressTimer = undefined;
    this.#unsubscribe();
    this.#disposed = true;
    const playing = this.#playing;
    this.#playing = null;
    playing?.handle.stop().catch(() => {});
  }

  /** The controls of the track `playback` describes, when it is the one playing. */
  #handleFor(playback: PlaybackState): PlaybackHandle | null {
    const playing = this.#playing;
    return playing !== null && playing.seq === playback.seq && isActive(playback) ? playing.handle : null;
  }

  #dispatch(action: AppAction): void {
    if (!this.#disposed) this.#store.dispatch(action);
  }

  #notice(text: string, tone: "info" | "warning" | "error"): void {
    this.#dispatch({ type: "app/notice", text, tone });
  }

  /** Sends the user back to sign-in if `error` says the session expired. */
  #expired(error: unknown): boolean {
    if (!isSessionExpired(error)) return false;
    this.#dispatch({
      type: "session/expired",
      message: error.message || "Your session expired: sign in again",
    });
    return true;
  }

  #onChange(): void {
    const before = this.#seen;
    const playback = this.#store.getState().playback;
    this.#seen = playback;
    if (playback.seq !== before.seq) this.#syncPlayer(playback);
    if (playback.volume !== before.volume) this.#applyVolume(playback);
  }

  #applyVolume(playback: PlaybackState): void {
    const playing = this.#handleFor(playback);
    if (playing === null) return;
    if (!playing.capabilities.volume) {
      this.#notice(
        `${playback.player ?? "This player"} cannot change the volume now: it applies from the next track`,
        "warning",
      );
      return;
    }
    this.#volumeChain = this.#volumeChain.then(async () => {
      try {
        await playing.setVolume(playback.volume);
      } catch (error) {
        this.#notice(`Cannot change the volume: ${errorMessage(error)}`, "error");
      }
    });
  }

  #syncPlayer(playback: PlaybackState): void {
    const { seq } = playback;
    const track = playback.status === "loading" ? playback.track : null;
    this.#playerChain = this.#playerChain.then(() => this.#switchPlayer(seq, track));
  }

  async #switchPlayer(seq: number, track: PlaybackState["track"]): Promise<void> {
    const current = () => this.#store.getState();
    if (seq !== current().playback.seq) return; // a later start or stop supersedes this one
    const previous = this.#playing;
    this.#playing = null;
    if (previous !== null) {
      this.#flushProgress();
      await settleWithin(previous.handle.stop(), this.#options.stopTimeoutMs);
    }
    const session = current().session;
    if (track === null || this.#disposed || seq !== current().playback.seq) return;
    if (session === null) {
      this.#onEvent(seq, { type: "error", message: "Cannot play: not signed in" });
      return;
    }
    let handle: PlaybackHandle;
    try {
      handle = this.#services.play(session, track, {
        volume: current().playback.volume,
        onEvent: (event) => this.#onEvent(seq, event),
      });
    } catch (error) {
      if (!this.#expired(error)) this.#onEvent(seq, { type: "error", message: errorMessage(error) });
      return;
    }
    this.#playing = { seq, handle };
    handle.done.then(
      () => this.#onEvent(seq, { type: "ended" }),
      (error) => {
        const latest = seq === current().playback.seq;
        this.#onEvent(seq, { type: "error", message: errorMessage(error) });
        if (latest) this.#expired(error);
      },
    );
  }

  /** Passes engine events on, coalescing download progress to a few updates a second. */
  #onEvent(seq: number, event: PlaybackEvent): void {
    if (event.type === "progress") {
      this.#pendingProgress = { seq, event };
      this.#progressTimer ??= setTimeout(() => this.#flushProgress(), this.#options.progressMs);
      return;
    }
    this.#flushProgress();
    this.#dispatch({ type: "playback/event", seq, event });
    if (event.type === "verified") this.#prefetchNext(seq);
  }

  /** The track playing (`seq`) is downloaded whole: the next one in the queue is fetched now. */
  #prefetchNext(seq: number): void {
    const { playback, queue, session } = this.#store.getState();
    if (this.#disposed || seq !== playback.seq || session === null) return;
    const next = nextIndex(queue);
    const track = next === null ? undefined : queue.entries[next]?.track;
    if (track === undefined || track.id === playback.track?.id) return;
    try {
      this.#services.prefetch?.(session, track);
    } catch { /* it streams when it plays */ }
  }

  #flushProgress(): void {
    clearTimeout(this.#progressTimer);
    this.#progressTimer = undefined;
    const pending = this.#pendingProgress;
    this.#pendingProgress = null;
    if (pending !== null) this.#dispatch({ type: "playback/event", seq: pending.seq, event: pending.event });
  }
}
