/**
 * Everything the TUI does that is not drawing: it calls the services, turns their answers and errors into actions,
 * polls the cluster while its screen is in front, and saves the settings; a {@linkcode PlayerDriver} plays what the
 * playback state says. It never throws: every failure ends up in the state, for the screens to show.
 *
 * @module
 */

import { settleWithin } from "./_settle.ts";
import { PlayerDriver } from "./player_driver.ts";
import type { Store } from "./store.ts";
import { type AppAction, type AppState, settingsOf } from "./state/app.ts";
import { signInProblem } from "./state/forms.ts";
import { isActive } from "./state/playback.ts";
import { currentTrack } from "./state/queue.ts";
import {
  DEFAULT_SETTINGS,
  errorMessage,
  isSessionExpired,
  type TuiServices,
  type TuiSettings,
} from "./services.ts";

/** Timing of the controller; tests shorten it. */
export interface ControllerOptions {
  /** How often the cluster screen refreshes, ms. */
  refreshMs?: number;
  /** How long a notice stays, ms. */
  noticeMs?: number;
  /** How long quitting waits for the player to stop, ms. */
  stopTimeoutMs?: number;
  /** How often download progress reaches the screen at most, ms. */
  progressMs?: number;
}

/** How far ←/→ seek, in seconds. */
export const SEEK_SECONDS = 5;

/** Runs the TUI's side effects against a {@linkcode Store}. */
export class TuiController {
  #services: TuiServices;
  #store: Store;
  #options: Required<ControllerOptions>;
  #unsubscribe: () => void;
  #seen: AppState;
  #exit: () => void = () => {};
  #disposed = false;
  #player: PlayerDriver;

  #saveChain: Promise<void> = Promise.resolve();
  #clusterTimer: ReturnType<typeof setInterval> | undefined;
  #clusterBusy = false;
  #noticeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(services: TuiServices, store: Store, options: ControllerOptions = {}) {
    this.#services = services;
    this.#store = store;
    this.#options = {
      refreshMs: options.refreshMs ?? 1000,
      noticeMs: options.noticeMs ?? 5000,
      stopTimeoutMs: options.stopTimeoutMs ?? 3000,
      progressMs: options.progressMs ?? 100,
    };
    this.#seen = store.getState();
    this.#unsubscribe = store.subscribe(() => this.#onChange());
    this.#player = new PlayerDriver(services, store, this.#options);
  }

  get #state(): AppState {
    return this.#store.getState();
  }

  #dispatch(action: AppAction): void {
    if (!this.#disposed) this.#store.dispatch(action);
  }

  /** What to call once quitting is done (ink's `exit`). */
  setExit(exit: () => void): void {
    this.#exit = exit;
  }

  /** Reads the settings, then does what the initial state asks: probe the given host or load the library. */
  async start(): Promise<void> {
    let settings: TuiSettings = DEFAULT_SETTINGS;
    try {
      settings = await this.#services.settings.load();
    } catch (error) {
      this.#notice(`Cannot read the settings: ${errorMessage(error)}`, "warning");
    }
    this.#dispatch({ type: "app/settingsLoaded", settings });
    const state = this.#state;
    if (state.screen === "connect" && state.connect.busy) await this.connect(state.connect.address);
    else if (state.session !== null && state.library.status === "loading") await this.loadLibrary();
  }

  /** Probes an address and moves on to sign-in when the bootstrap answers. */
  async connect(address: string): Promise<void> {
    const trimmed = address.trim();
    if (trimmed === "") {
      this.#dispatch({
        type: "connect/failed",
        message: "Enter the server's address, e.g. 192.168.1.10:7700",
      });
      return;
    }
    this.#dispatch({ type: "connect/started", address: trimmed });
    try {
      const host = await this.#services.probe(trimmed);
      this.#dispatch({ type: "connect/succeeded", host });
    } catch (error) {
      this.#dispatch({ type: "connect/failed", message: errorMessage(error) });
    }
  }

  /** Logs in or registers with what the sign-in form holds. */
  async submitSignIn(): Promise<void> {
    const form = this.#state.signIn;
    if (form.busy) return;
    const problem = signInProblem(form);
    if (problem !== null) {
      this.#dispatch({ type: "signIn/failed", message: problem });
      return;
    }
    this.#dispatch({ type: "signIn/started" });
    try {
      const send = form.mode === "login" ? this.#services.login : this.#services.register;
      const session = await send.call(this.#services, form.host, form.user.trim(), form.password);
      this.#dispatch({ type: "signIn/succeeded", session });
    } catch (error) {
      this.#dispatch({ type: "signIn/failed", message: errorMessage(error) });
      return;
    }
    await this.loadLibrary();
  }

  /** Stops playback, forgets the session and asks the server to revoke it. */
  async signOut(): Promise<void> {
    const session = this.#state.session;
    if (session === null) return;
    this.#dispatch({ type: "session/signedOut" });
    try {
      await this.#services.logout(session);
    } catch (error) {
      this.#notice(`Cannot sign out on the server: ${errorMessage(error)}`, "warning");
    }
  }

  /** (Re)loads the catalog. */
  async loadLibrary(): Promise<void> {
    const session = this.#state.session;
    if (session === null) return;
    this.#dispatch({ type: "library/loading" });
    try {
      const tracks = await this.#services.tracks(session, (loaded, total) => {
        if (this.#state.session === session) this.#dispatch({ type: "library/progress", loaded, total });
      });
      if (this.#state.session === session) this.#dispatch({ type: "library/loaded", tracks });
    } catch (error) {
      if (this.#expired(error)) return;
      this.#dispatch({ type: "library/failed", message: `Cannot load the library: ${errorMessage(error)}` });
    }
  }

  /** Fetches the status report once (skipped while a request is in flight). */
  async refreshCluster(): Promise<void> {
    const session = this.#state.session;
    if (session === null || this.#clusterBusy) return;
    this.#clusterBusy = true;
    try {
      const report = await this.#services.status(session);
      this.#dispatch({ type: "cluster/updated", report, at: Date.now() });
    } catch (error) {
      if (!this.#expired(error)) {
        this.#dispatch({
          type: "cluster/failed",
          message: `Cannot get the cluster status: ${errorMessage(error)}`,
        });
      }
    } finally {
      this.#clusterBusy = false;
    }
  }

  /** Pauses or resumes; when nothing plays, replays the queue's current track. */
  async togglePause(): Promise<void> {
    if (this.#player.playing) return await this.#player.togglePause();
    if (isActive(this.#state.playback)) return;
    if (currentTrack(this.#state.queue) === null) {
      this.#notice("Nothing to play: press Enter on a track", "info");
      return;
    }
    this.#dispatch({ type: "player/jump", index: this.#state.queue.current ?? 0 });
  }

  /** Seeks by `seconds` (negative: back). */
  async seekBy(seconds: number): Promise<void> {
    await this.#player.seekBy(seconds);
  }

  /** Stops playback, waits for the player to be gone (bounded), saves the settings, then exits. */
  async quit(): Promise<void> {
    if (this.#state.quitting) {
      this.#exit();
      return;
    }
    this.#dispatch({ type: "app/quitting" });
    this.#dispatch({ type: "playback/stop" });
    this.#stopTimers();
    await this.#player.stop();
    await settleWithin(this.#saveChain, this.#options.stopTimeoutMs);
    this.dispose();
    this.#exit();
  }

  /** Stops timers and listening; stops the player without waiting. */
  dispose(): void {
    if (this.#disposed) return;
    this.#stopTimers();
    this.#unsubscribe();
    this.#disposed = true;
    this.#player.dispose();
  }

  #stopTimers(): void {
    clearInterval(this.#clusterTimer);
    this.#clusterTimer = undefined;
    clearTimeout(this.#noticeTimer);
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

  /** Reacts to state changes: settings, cluster polling, notices. */
  #onChange(): void {
    const before = this.#seen;
    const state = this.#state;
    this.#seen = state;
    if (state.settingsLoaded && this.#settingsChanged(before, state)) this.#save(settingsOf(state));
    if (state.notice !== before.notice && state.notice !== null) this.#expireNotice(state.notice.id);
    const polling = state.screen === "cluster" && state.session !== null && !state.quitting;
    if (polling && this.#clusterTimer === undefined) {
      void this.refreshCluster();
      this.#clusterTimer = setInterval(() => void this.refreshCluster(), this.#options.refreshMs);
    } else if (!polling && this.#clusterTimer !== undefined) {
      clearInterval(this.#clusterTimer);
      this.#clusterTimer = undefined;
    }
  }

  #settingsChanged(before: AppState, state: AppState): boolean {
    return !before.settingsLoaded || before.connect.recent !== state.connect.recent ||
      before.playback.volume !== state.playback.volume || before.lastUser !== state.lastUser;
  }

  #save(settings: TuiSettings): void {
    this.#saveChain = this.#saveChain.then(async () => {
      try {
        await this.#services.settings.save(settings);
      } catch (error) {
        this.#notice(`Cannot save the settings: ${errorMessage(error)}`, "warning");
      }
    });
  }

  #expireNotice(id: number): void {
    clearTimeout(this.#noticeTimer);
    this.#noticeTimer = setTimeout(
      () => this.#dispatch({ type: "app/clearNotice", id }),
      this.#options.noticeMs,
    );
  }
}
