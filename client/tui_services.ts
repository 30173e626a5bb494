/**
 * The real {@linkcode TuiServices}: the player TUI's seam to the cluster (through {@linkcode AudiodClient}), the
 * verified transfer, the playback engine, the track cache and the settings file.
 *
 * @module
 */

import { join } from "node:path";
import { parseAddress } from "../cli/address.ts";
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
  const api = (host: string) => new AudiodClient(host, http);

  const checkSession = async (session: Session) => {
    // Ask the bootstrap at most every 30 s whether the token is still good.
    const last = checked.get(session.token) ?? 0;
    if (Date.now() - last < 30_000) return;
    await guard(() => api(session.host).session(session.token));
    checked.set(session.token, Date.now());
  };

  return {
    async probe(address) {
      const host = parseAddress(address);
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
      return session;
    },
    async register(host, user, password) {
      const session = await api(host).register(user, password);
      await saveSession(session, configDir);
      return session;
    },
    async logout(session) {
      await api(session.host).logout(session.token).catch(() => {});
      await saveSession({ ...session, token: "", expiresAt: 0 }, configDir);
    },
    async tracks(session, onProgress) {
      await checkSession(session);
      return await api(session.host).tracks("", onProgress ? { onProgress } : {});
    },
    async status(session) {
      await checkSession(session);
      return await api(session.host).status();
    },
    play(session, track, { volume, onEvent }) {
      const client = api(session.host);
      let expired: SessionExpiredError | null = null;
      const source = async function* (signal: AbortSignal): AsyncGenerator<Uint8Array> {
        if (await cache.has(track.id, track.md5)) {
          yield* cache.read(track.id, track.md5);
          return;
        }
        // Fresh replicas: the list the library shows may be minutes old.
        let current: CatalogTrack = track;
        try {
          current = await client.track(track.id);
        } catch { /* use what we have */ }
        try {
          yield* streamVerified(current, {
            token: session.token,
            signal,
            ...http,
            onEvent: (e) => {
              const shown = playbackEventOf(e);
              if (shown) onEvent(shown);
            },
          });
        } catch (error) {
          if (error instanceof TransferError && error.unauthorized) throw expired = new SessionExpiredError();
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
