/**
 * Test helpers of the TUI: an in-memory {@linkcode TuiServices}, generated tracks, and typing into an app rendered
 * with ink-testing-library.
 *
 * @module
 */

import { EventEmitter } from "node:events";
import { render } from "ink-testing-library";
import type { CatalogTrack, Session, StatusReport } from "../protocol/mod.ts";
import { App } from "./app.tsx";
import type { ControllerOptions } from "./controller.ts";
import type { PlayerDriverOptions } from "./player_driver.ts";
import {
  DEFAULT_SETTINGS,
  type PlaybackCapabilities,
  type PlaybackEvent,
  type PlaybackHandle,
  type PlayOptions,
  SessionExpiredError,
  type TuiOptions,
  type TuiServices,
  type TuiSettings,
} from "./services.ts";

/** Terminal input for the keys tests press. */
export const KEYS = {
  enter: "\r",
  escape: "\x1b",
  tab: "\t",
  shiftTab: "\x1b[Z",
  up: "\x1b[A",
  down: "\x1b[B",
  right: "\x1b[C",
  left: "\x1b[D",
  pageUp: "\x1b[5~",
  pageDown: "\x1b[6~",
  backspace: "\x7f",
  ctrlC: "\x03",
  ctrlR: "\x12",
} as const;

const ARTISTS = [
  "Björk",
  "Beyoncé",
  "Sigur Rós",
  "Mötley Crüe",
  "Nina Simone",
  "Ólafur Arnalds",
  "The Beatles",
];
const WORDS = [
  "rain",
  "night",
  "café",
  "river",
  "éclair",
  "storm",
  "light",
  "über",
  "echo",
  "blue",
  "naïve",
  "ghost",
];

/** A catalog track with plausible fields; `i` makes it unique. */
export function makeTrack(i: number, fields: Partial<CatalogTrack> = {}): CatalogTrack {
  const hex = (n: number, len: number) => n.toString(16).padStart(len, "0").slice(-len);
  return {
    id: hex(i, 8).repeat(8),
    title: `${WORDS[i % WORDS.length]} ${WORDS[(i * 7 + 3) % WORDS.length]} ${i}`,
    artist: ARTISTS[i % ARTISTS.length] ?? "Artist",
    album: `Album ${Math.floor(i / 10)}`,
    trackNo: (i % 10) + 1,
    duration: 60 + (i * 37) % 400,
    size: 1_000_000 + i * 1000,
    md5: hex(i, 8).repeat(4),
    format: "mp3",
    replicas: [{
      instance: `file-${i % 3}`,
      url: `http://10.0.0.${(i % 3) + 1}:7801`,
      host: `host${(i % 3) + 1}`,
      node: `content-${i % 3}`,
      state: "up",
    }],
    ...fields,
  };
}

/** `n` generated tracks. */
export function makeTracks(n: number): CatalogTrack[] {
  return Array.from({ length: n }, (_, i) => makeTrack(i));
}

/** A playback the test drives by emitting events. */
export class FakePlayback implements PlaybackHandle {
  readonly track: CatalogTrack;
  readonly options: PlayOptions;
  readonly capabilities: PlaybackCapabilities;
  readonly done: Promise<void>;
  paused = false;
  volume: number;
  seeks: number[] = [];
  stopped = false;
  #resolve!: () => void;
  #reject!: (error: Error) => void;

  constructor(track: CatalogTrack, options: PlayOptions, capabilities: PlaybackCapabilities) {
    this.track = track;
    this.options = options;
    this.volume = options.volume;
    this.capabilities = capabilities;
    this.done = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** Ends the playback with `done` rejected, as the real services do when the token was refused while playing. */
  fail(error: Error): void {
    this.#reject(error);
  }

  /** Sends an event as the engine would; "ended" and "error" also settle `done`. */
  emit(event: PlaybackEvent): void {
    this.options.onEvent(event);
    if (event.type === "ended" || event.type === "error") this.#resolve();
  }

  togglePause(): Promise<void> {
    this.paused = !this.paused;
    return Promise.resolve();
  }
  seekBy(seconds: number): Promise<void> {
    this.seeks.push(seconds);
    return Promise.resolve();
  }
  setVolume(percent: number): Promise<void> {
    this.volume = percent;
    return Promise.resolve();
  }
  stop(): Promise<void> {
    this.stopped = true;
    this.#resolve();
    return Promise.resolve();
  }
}

/** What a {@linkcode FakeServices} does. */
export interface FakeServicesOptions {
  tracks?: CatalogTrack[];
  /** user → password; login fails with "Wrong user or password" otherwise. */
  users?: Record<string, string>;
  settings?: TuiSettings;
  status?: StatusReport;
  capabilities?: PlaybackCapabilities;
}

/** An in-memory {@linkcode TuiServices} that records what the UI asked for. */
export class FakeServices implements TuiServices {
  calls: string[] = [];
  tracksList: CatalogTrack[];
  users: Record<string, string>;
  statusReport: StatusReport;
  capabilities: PlaybackCapabilities;
  /** Addresses that do not answer. */
  unreachable = new Set<string>();
  /** When set, tracks() and status() throw SessionExpiredError. */
  expired = false;
  /** When set, tracks() throws this. */
  tracksError: Error | null = null;
  /** When set, login() throws this instead of checking the password. */
  loginError: Error | null = null;
  plays: FakePlayback[] = [];
  saved: TuiSettings[] = [];
  #settings: TuiSettings;
  #token = 0;

  constructor(options: FakeServicesOptions = {}) {
    this.tracksList = options.tracks ?? makeTracks(30);
    this.users = options.users ?? { alice: "secret" };
    this.#settings = options.settings ?? DEFAULT_SETTINGS;
    this.statusReport = options.status ?? { nodes: [], tracks: this.tracksList.length };
    this.capabilities = options.capabilities ?? { pause: true, seek: true, volume: true, position: true };
  }

  settings = {
    load: (): Promise<TuiSettings> => Promise.resolve(this.#settings),
    save: (settings: TuiSettings): Promise<void> => {
      this.#settings = settings;
      this.saved.push(settings);
      return Promise.resolve();
    },
  };

  /** The last playback started. */
  get playing(): FakePlayback | undefined {
    return this.plays.at(-1);
  }

  probe(address: string): Promise<string> {
    this.calls.push(`probe ${address}`);
    if (this.unreachable.has(address)) {
      return Promise.reject(new Error(`Cannot reach ${address}: connection refused`));
    }
    return Promise.resolve(address.startsWith("http") ? address : `http://${address}`);
  }

  login(host: string, user: string, password: string): Promise<Session> {
    this.calls.push(`login ${host} ${user}`);
    if (this.loginError !== null) return Promise.reject(this.loginError);
    if (this.users[user] !== password) return Promise.reject(new Error("Wrong user or password"));
    return Promise.resolve(this.#session(host, user));
  }

  register(host: string, user: string, password: string): Promise<Session> {
    this.calls.push(`register ${host} ${user}`);
    if (user in this.users) return Promise.reject(new Error(`The user ${user} exists already`));
    this.users[user] = password;
    return Promise.resolve(this.#session(host, user));
  }

  logout(session: Session): Promise<void> {
    this.calls.push(`logout ${session.user}`);
    return Promise.resolve();
  }

  tracks(session: Session): Promise<CatalogTrack[]> {
    this.calls.push(`tracks ${session.user}`);
    if (this.expired) return Promise.reject(new SessionExpiredError());
    if (this.tracksError !== null) return Promise.reject(this.tracksError);
    return Promise.resolve(this.tracksList);
  }

  status(session: Session): Promise<StatusReport> {
    this.calls.push(`status ${session.user}`);
    if (this.expired) return Promise.reject(new SessionExpiredError());
    return Promise.resolve(this.statusReport);
  }

  /** Titles of the tracks fetched ahead of their turn. */
  prefetched: string[] = [];

  prefetch(_session: Session, track: CatalogTrack): void {
    this.prefetched.push(track.title);
  }

  play(_session: Session, track: CatalogTrack, options: PlayOptions): PlaybackHandle {
    this.calls.push(`play ${track.title}`);
    const playback = new FakePlayback(track, options, this.capabilities);
    this.plays.push(playback);
    return playback;
  }

  #session(host: string, user: string): Session {
    return { host, user, token: `token-${++this.#token}`, expiresAt: Date.now() + 3_600_000 };
  }
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns true; throws with `what` (and the last frame) after `timeoutMs`. */
export async function waitFor(check: () => boolean, what: string, frame?: () => string, timeoutMs = 3000) {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) {
      throw new Error(`Timed out waiting for ${what}${frame ? `; last frame:\n${frame()}` : ""}`);
    }
    await delay(5);
  }
}

/** Player driver timing for tests: no long waits. */
export const TEST_DRIVER: PlayerDriverOptions = { stopTimeoutMs: 500, progressMs: 1 };

/** Controller timing for tests: fast polling and no long waits. */
export const TEST_CONTROLLER: ControllerOptions = { refreshMs: 50, noticeMs: 60_000, ...TEST_DRIVER };

/** Renders `<App/>` with ink-testing-library, with helpers to type and wait. */
export function renderApp(services: TuiServices, options: TuiOptions = {}) {
  const ui = render(<App services={services} options={options} />);
  const frame = () => ui.lastFrame() ?? "";
  return {
    ...ui,
    frame,
    /** Writes each input separately, giving ink time to handle it (it reads stdin asynchronously). */
    async press(...inputs: string[]): Promise<void> {
      for (const input of inputs) {
        ui.stdin.write(input);
        await delay(15);
      }
    },
    /** Waits until the screen shows `text`. */
    async waitForText(text: string, timeoutMs = 3000): Promise<void> {
      await waitFor(() => frame().includes(text), `"${text}" on screen`, frame, timeoutMs);
    },
  };
}

/** A stdout for `runTui` in tests: remembers what was written. */
export class FakeStdout extends EventEmitter {
  columns = 100;
  rows = 24;
  isTTY = false;
  written = "";
  /** What was written, without colours and cursor movements. */
  plain(): string {
    // deno-lint-ignore no-control-regex
    return this.written.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
  }
  write = (data: string, callback?: () => void): boolean => {
    this.written += data;
    callback?.();
    return true;
  };
}

/** A stdin for `runTui` in tests: `press()` types into it. */
export class FakeStdin extends EventEmitter {
  isTTY = true;
  #data: string | null = null;
  rawMode = false;
  setRawMode(mode: boolean): void {
    this.rawMode = mode;
  }
  setEncoding(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
  read = (): string | null => {
    const data = this.#data;
    this.#data = null;
    return data;
  };
  async press(...inputs: string[]): Promise<void> {
    for (const input of inputs) {
      this.#data = input;
      this.emit("readable");
      await delay(15);
    }
  }
}
