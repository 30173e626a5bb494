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
import { PAGE_SIZE, pagesToFetch, searchPending } from "./state/library.ts";
import { currentTrack } from "./state/queue.ts";
import { isStarred } from "./state/stars.ts";
import { selectedPlaylist } from "./state/playlists.ts";
import type { CatalogTrack, PlaylistSummary } from "../protocol/mod.ts";
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
  /** A library of more tracks than this is not fetched whole: its pages come as they come into view. */
  fullLibraryMax?: number;
  /** How long typing must pause before a large library's search goes to the server, ms. */
  searchDelayMs?: number;
}

/** How long a page that could not be fetched waits before it is asked for again, ms. */
const PAGE_RETRY_MS = 1000;

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
  /** The search of a large library waiting for typing to pause, and the query it is for. */
  #searchTimer: ReturnType<typeof setTimeout> | undefined;
  #searchFor: string | null = null;
  /** Pages that failed in a row (a notice for the first only). */
  #pageFailures = 0;

  constructor(services: TuiServices, store: Store, options: ControllerOptions = {}) {
    this.#services = services;
    this.#store = store;
    this.#options = {
      refreshMs: options.refreshMs ?? 1000,
      noticeMs: options.noticeMs ?? 5000,
      stopTimeoutMs: options.stopTimeoutMs ?? 3000,
      progressMs: options.progressMs ?? 100,
      fullLibraryMax: options.fullLibraryMax ?? 10_000,
      searchDelayMs: options.searchDelayMs ?? 150,
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
    this.#dispatch({ type: "playlists/available", available: this.#services.playlists !== undefined });
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
      const user = form.user.trim();
      const invite = form.invite.trim();
      const session = form.mode === "login"
        ? await this.#services.login(form.host, user, form.password)
        : await this.#services.register(form.host, user, form.password, invite === "" ? undefined : invite);
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
    void this.#loadStars(session);
    try {
      // A large library is opened on its first page; a small one is fetched whole, to sort and search here.
      if (this.#services.trackPage) {
        const first = await this.#services.trackPage(session, { query: "", offset: 0, limit: PAGE_SIZE });
        if (first.total > this.#options.fullLibraryMax) {
          if (this.#state.session === session) {
            this.#dispatch({ type: "library/opened", total: first.total, tracks: first.tracks });
          }
          return;
        }
      }
      const tracks = await this.#services.tracks(session, (loaded, total) => {
        if (this.#state.session === session) this.#dispatch({ type: "library/progress", loaded, total });
      });
      if (this.#state.session === session) this.#dispatch({ type: "library/loaded", tracks });
    } catch (error) {
      if (this.#expired(error)) return;
      this.#dispatch({ type: "library/failed", message: `Cannot load the library: ${errorMessage(error)}` });
    }
  }

  /** Stars or unstars `track`: shown at once, put back with a notice when the server refuses. */
  async toggleStar(track: CatalogTrack): Promise<void> {
    const session = this.#state.session;
    if (session === null) return;
    const setStar = this.#services.setStar;
    if (!setStar) {
      this.#notice("Cannot star tracks: this player has no way to keep favourites", "info");
      return;
    }
    const starred = !isStarred(this.#state.stars, track.id);
    const title = track.title || "(untitled)";
    this.#dispatch({ type: "stars/set", id: track.id, starred });
    try {
      await setStar.call(this.#services, session, track.id, starred);
      this.#notice(starred ? `Starred “${title}”` : `Unstarred “${title}”`, "info");
    } catch (error) {
      this.#dispatch({ type: "stars/set", id: track.id, starred: !starred });
      if (this.#expired(error)) return;
      this.#notice(`Cannot ${starred ? "star" : "unstar"} “${title}”: ${errorMessage(error)}`, "warning");
    }
  }

  /** Fetches the user's stars; quietly none when the server keeps none (the library works without them). */
  async #loadStars(session: NonNullable<AppState["session"]>): Promise<void> {
    const stars = this.#services.stars;
    if (!stars) return;
    try {
      const ids = await stars.call(this.#services, session);
      if (this.#state.session === session) this.#dispatch({ type: "stars/loaded", ids });
    } catch { /* no stars shown; the library's own load reports an expired session */ }
  }

  /** (Re)loads the user's playlists. */
  async loadPlaylists(): Promise<void> {
    const session = this.#state.session;
    const playlists = this.#services.playlists;
    if (session === null || !playlists) return;
    this.#dispatch({ type: "playlists/loading" });
    try {
      const lists = await playlists.call(this.#services, session);
      if (this.#state.session === session) this.#dispatch({ type: "playlists/loaded", lists });
    } catch (error) {
      if (this.#expired(error)) return;
      this.#dispatch({
        type: "playlists/failed",
        message: `Cannot load the playlists: ${errorMessage(error)}`,
      });
    }
  }

  /** Opens `list` to show its tracks. */
  async openPlaylist(list: PlaylistSummary): Promise<void> {
    const session = this.#state.session;
    if (session === null || !this.#services.playlist) return;
    this.#dispatch({ type: "playlists/opening", id: list.id, name: list.name });
    try {
      const { tracks } = await this.#services.playlist(session, list.id);
      if (this.#state.session === session) this.#dispatch({ type: "playlists/opened", id: list.id, tracks });
    } catch (error) {
      if (this.#expired(error)) return;
      this.#dispatch({
        type: "playlists/openFailed",
        id: list.id,
        message: `Cannot open “${list.name}”: ${errorMessage(error)}`,
      });
    }
  }

  /**
   * Plays the playlist in front (the open one, else the one under the cursor): its tracks replace the queue and
   * entry `index` plays.
   */
  async playPlaylist(index: number): Promise<void> {
    const session = this.#state.session;
    const { open } = this.#state.playlists;
    if (session === null) return;
    if (open !== null && open.status === "loaded") {
      this.#dispatch({ type: "player/playList", name: open.name, tracks: open.tracks, index });
      return;
    }
    const chosen = open ?? selectedPlaylist(this.#state.playlists);
    if (chosen === null || !this.#services.playlist) return;
    try {
      const { name, tracks } = await this.#services.playlist(session, chosen.id);
      if (this.#state.session === session) this.#dispatch({ type: "player/playList", name, tracks, index });
    } catch (error) {
      if (this.#expired(error)) return;
      this.#notice(`Cannot play “${chosen.name}”: ${errorMessage(error)}`, "warning");
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
    clearTimeout(this.#searchTimer);
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
    this.#followLibrary(state);
    if (state.screen === "playlists" && before.screen !== "playlists") void this.loadPlaylists();
    const polling = state.screen === "cluster" && state.session !== null && !state.quitting;
    if (polling && this.#clusterTimer === undefined) {
      void this.refreshCluster();
      this.#clusterTimer = setInterval(() => void this.refreshCluster(), this.#options.refreshMs);
    } else if (!polling && this.#clusterTimer !== undefined) {
      clearInterval(this.#clusterTimer);
      this.#clusterTimer = undefined;
    }
  }

  /**
   * A large library: asks for the pages that came into view (and those just beyond), and for the first page of
   * what was typed once typing paused; answers to what is no longer shown or asked for are dropped by the state.
   */
  #followLibrary(state: AppState): void {
    const lib = state.library;
    const session = state.session;
    if (lib.remote === null || session === null || state.quitting) return;
    if (searchPending(lib)) {
      if (this.#searchFor === lib.applied) return;
      this.#searchFor = lib.applied;
      clearTimeout(this.#searchTimer);
      const query = lib.applied;
      this.#searchTimer = setTimeout(
        () => void this.#fetchPage(session, query, 0),
        this.#options.searchDelayMs,
      );
      return;
    }
    this.#searchFor = null;
    const pages = pagesToFetch(lib);
    if (pages.length === 0) return;
    const query = lib.remote.query;
    this.#dispatch({ type: "library/pagesRequested", query, pages });
    for (const page of pages) void this.#fetchPage(session, query, page);
  }

  async #fetchPage(session: NonNullable<AppState["session"]>, query: string, page: number): Promise<void> {
    const trackPage = this.#services.trackPage;
    if (!trackPage) return;
    try {
      const answer = await trackPage.call(this.#services, session, {
        query,
        offset: page * PAGE_SIZE,
        limit: PAGE_SIZE,
      });
      this.#pageFailures = 0;
      if (this.#state.session === session) {
        this.#dispatch({ type: "library/page", query, page, total: answer.total, tracks: answer.tracks });
      }
    } catch (error) {
      if (this.#expired(error)) return;
      if (this.#pageFailures++ === 0) this.#notice(`Cannot load tracks: ${errorMessage(error)}`, "warning");
      // Asked for again a moment later (a search, when the state next changes).
      setTimeout(() => {
        if (this.#searchFor === query) this.#searchFor = null;
        this.#dispatch({ type: "library/pageFailed", query, page });
      }, PAGE_RETRY_MS);
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
