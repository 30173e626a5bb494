/**
 * The listener's terminal player: `audiod play` hands {@linkcode runTui} a {@linkcode TuiServices} built on the
 * client and the playback engine.
 *
 * ```ts
 * await runTui(services, { host: "192.168.1.10:7700" });
 * ```
 *
 * @module
 */

export { runTui, type RunTuiOptions } from "./run.tsx";
export { App, type AppProps } from "./app.tsx";
export {
  DEFAULT_SETTINGS,
  errorMessage,
  type PlaybackCapabilities,
  type PlaybackEvent,
  type PlaybackHandle,
  type PlayOptions,
  SessionExpiredError,
  type TuiOptions,
  type TuiServices,
  type TuiSettings,
} from "./services.ts";
export { KEY_BINDINGS, type KeyAction } from "./keys.ts";
