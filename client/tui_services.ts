/**
 * The real {@linkcode TuiServices}: the player TUI's seam to the cluster (through {@linkcode AudiodClient}), the
 * verified transfer, the playback engine, the track cache and the settings file.
 *
 * @module
 */

import { join } from "node:path";
import { parseAddresses } from "../cli/address.ts";
import { callJson, UnreachableError } from "../daemon/cluster/peer_client.ts";
import { health } from "../protocol/status.ts";
import { HttpError } from "../daemon/http/http_error.ts";
import { defaultConfigDir } from "../daemon/runtime/paths.ts";
import { playbackEventOf, startPlayback } from "../media/playback.ts";
import type { PlayerName } from "../media/player/mod.ts";
import { TrackCache } from "../media/track_cache.ts";
import { streamVerified, TransferError } from "../media/transfer.ts";
import {
  DEFAULT_SETTINGS,
  SessionExpiredError,
  type TuiServices,
  type TuiSettings,
} from "../tui/services.ts";
import { AudiodClient } from "./api.ts";
import { SessionKeeper } from "./session_keeper.ts";
import { saveSession, writeTextAtomic } from "./session_store.ts";
import type { CatalogTrack, Session } from "../protocol/mod.ts";

/** Options for {@linkcode createTuiServices}. */
export interface TuiServicesOptions {
  player: PlayerName | "auto";
  playerArgs: string[];
  configDir?: string;
  cache?: TrackCache;
  /** The HTTP client for every request, e.g. one trusting the cluster's private CA (`audiod play --ca`). */
  httpClient?: Deno.HttpClient;
}

/** Turns client errors into the messages the TUI shows, and a refused token into {@linkcode SessionExpiredError}. */
async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof HttpError && error.status === 401) throw new SessionExpiredError();
    throw error;
  }
}

/** Builds the services the TUI runs on. */
export function createTuiServices(options: TuiServicesOptions): TuiServices {
  const configDir = options.configDir ?? defaultConfigDir();
  const settingsPath = join(configDir, "tui.json");
  const cache = options.cache ?? new TrackCache();
  const checked = new Map<string, number>();
  const http = options.httpClient ? { httpClient: options.httpClient } : {};
  /** A client for `host`; with `token`, the catalog and status are asked as that session's user. */
  const api = (host: string, token?: string) =>
    new AudiodClient(host, { ...http, ...(token ? { token } : {}) });
  // The TUI keeps the session it signed in with; the keeper renews it before it expires (saving each renewal)
  // and maps it to its newest token, for as long as the player runs.
  const keeper = new SessionKeeper({
    client: (host) => api(host),
    onRenewed: (renewed) => saveSession(renewed, configDir),
  });
  /** The newest form of `session`, renewed when due and kept alive; SessionExpiredError once it ended. */
  const live = async (session: Session): Promise<Session> => {
    keeper.keep(session);
    return await guard(() => keeper.fresh(session));
  };
  /** The track fetched ahead of its turn (one at a time, so it never competes with another download). */
  let prefetching: { id: string; abort: AbortController; done: Promise<void> } | null = null;
  /** Verified bytes of `track` from fresh replicas (the list the library shows may be minutes old). */
  const download = async function* (
    session: Session,
    track: CatalogTrack,
    signal: AbortSignal,
    onEvent?: (e: Parameters<typeof playbackEventOf>[0]) => void,
  ): AsyncGenerator<Uint8Array> {
    const now = await live(session);
    let current: CatalogTrack = track;
    try {
      current = await api(now.host, now.token).track(track.id);
    } catch { /* use what we have */ }
    yield* streamVerified(current, {
      token: now.token,
      signal,
      ...http,
      ...(onEvent ? { onEvent } : {}),
    });
  };

  const checkSession = async (session: Session) => {
    // Ask the bootstrap at most every 30 s whether the token is still good.
    const last = checked.get(session.token) ?? 0;
    if (Date.now() - last < 30_000) return;
    await guard(() => api(session.host).session(session.token));
    checked.set(session.token, Date.now());
  };

  return {
    async probe(address) {
      const host = parseAddresses(address);
      try {
        await callJson(host, "GET", "/v1/health", { answer: health, timeoutMs: 5000, ...http });
      } catch (error) {
        if (error instanceof UnreachableError) throw error;
        throw new Error(`Cannot use ${host}: it does not answer like an audiod bootstrap`);
      }
      return host;
    },
    async login(host, user, password) {
      const session = await api(host).login(user, password);
      await saveSession(session, configDir);
      keeper.keep(session);
      return session;
    },
    async register(host, user, password, invite) {
      const session = await api(host).register(user, password, invite);
      await saveSession(session, configDir);
      keeper.keep(session);
      return session;
    },
    async logout(signedIn) {
      const session = keeper.current(signedIn);
      keeper.stop();
      await api(session.host).logout(session.token).catch(() => {});
      await saveSession({ ...session, token: "", expiresAt: 0 }, configDir);
    },
    async tracks(signedIn, onProgress) {
      const session = await live(signedIn);
      await checkSession(session);
      return await guard(() => api(session.host, session.token).tracks("", onProgress ? { onProgress } : {}));
    },
    async trackPage(signedIn, { query, offset, limit }) {
      const session = await live(signedIn);
      await checkSession(session);
      return await guard(() => api(session.host, session.token).trackPage(query, offset, limit));
    },
    async status(signedIn) {
      const session = await live(signedIn);
      await checkSession(session);
      return await guard(() => api(session.host, session.token).status());
    },
    async stars(signedIn) {
      const session = await live(signedIn);
      return await guard(() => api(session.host, session.token).stars());
    },
    async setStar(signedIn, trackId, starred) {
      const session = await live(signedIn);
      await guard(() => api(session.host, session.token).setStar(trackId, starred));
    },
    async playlists(signedIn) {
      const session = await live(signedIn);
      return await guard(() => api(session.host, session.token).playlists());
    },
    async playlist(signedIn, id) {
      const session = await live(signedIn);
      return await guard(() => api(session.host, session.token).playlist(id));
    },
    prefetch(session, track) {
      if (prefetching?.id === track.id) return;
      prefetching?.abort.abort();
      const abort = new AbortController();
      const done = (async () => {
        if (await cache.has(track.id, track.md5)) return;
        await cache.put(track.id, track.md5, download(session, track, abort.signal));
      })().catch(() => {/* it streams when it plays */});
      const entry = { id: track.id, abort, done };
      prefetching = entry;
      done.finally(() => {
        if (prefetching === entry) prefetching = null;
      });
    },
    play(session, track, { volume, onEvent }) {
      let expired: SessionExpiredError | null = null;
      const source = async function* (signal: AbortSignal): AsyncGenerator<Uint8Array> {
        // A fetch ahead of another track gives way; one of this track that has not finished is dropped and the
        // track streams (playing from the cache only once it is whole).
        const ahead = prefetching;
        if (ahead !== null) {
          ahead.abort.abort();
          await ahead.done;
        }
        if (await cache.has(track.id, track.md5)) {
          yield* cache.read(track.id, track.md5);
          return;
        }
        try {
          yield* download(session, track, signal, (e) => {
            const shown = playbackEventOf(e);
            if (shown) onEvent(shown);
          });
        } catch (error) {
          if (error instanceof TransferError && error.unauthorized) throw expired = new SessionExpiredError();
          if (error instanceof SessionExpiredError) throw expired = error;
          throw error;
        }
      };
      const playback = startPlayback(track, {
        source,
        player: options.player,
        playerArgs: options.playerArgs,
        volume,
        onEvent,
        cache,
      });
      // The engine reports a failed source as an `error` event and resolves `done`; a refused token must reject it
      // too, so that the TUI goes back to sign-in.
      const done = playback.done.then(() => {
        if (expired !== null) throw expired;
      });
      return {
        togglePause: () => playback.togglePause(),
        seekBy: (seconds) => playback.seekBy(seconds),
        setVolume: (percent) => playback.setVolume(percent),
        stop: () => playback.stop(),
        get capabilities() {
          return playback.capabilities;
        },
        done,
      };
    },
    settings: {
      async load(): Promise<TuiSettings> {
        try {
          const value = JSON.parse(await Deno.readTextFile(settingsPath)) as Partial<TuiSettings>;
          return {
            recentServers: Array.isArray(value.recentServers)
              ? value.recentServers.filter((s): s is string => typeof s === "string").slice(0, 10)
              : [],
            volume: typeof value.volume === "number" ? Math.min(100, Math.max(0, value.volume)) : 100,
            ...(typeof value.lastUser === "string" ? { lastUser: value.lastUser } : {}),
          };
        } catch {
          return { ...DEFAULT_SETTINGS };
        }
      },
      async save(settings) {
        await writeTextAtomic(settingsPath, JSON.stringify(settings, null, 2) + "\n");
      },
    },
  };
}
