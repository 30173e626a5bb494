/**
 * What a daemon process needs from its surroundings: the logger, where files go, the version, how to run
 * itself again, memory tuning and bounded lanes for costly work. Callers may import the files themselves; this
 * is the index.
 *
 * @module
 */

/** `createLogger`, `printOut`, `printErr`: the one place audiod writes to the terminal. */
export {
  createLogger,
  type LogFields,
  type LogFormat,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  printErr,
  printOut,
} from "./log.ts";
/** `defaultDataDir`, `defaultConfigDir`, `defaultCacheDir`: XDG base directories. */
export { defaultCacheDir, defaultConfigDir, defaultDataDir } from "./paths.ts";
/** `VERSION`: audiod's version. */
export { VERSION } from "./version.ts";
/** `selfCommand`, `compiledBinary`: how to start this same audiod as another process. */
export { compiledBinary, selfCommand } from "./self_command.ts";
/** `tuneMalloc`: keeps glibc from holding on to freed Argon2id buffers. */
export { tuneMalloc } from "./malloc_tuning.ts";
/** `keepRunningOnUnhandled`: a daemon logs a promise rejection nobody handled instead of exiting. */
export { keepRunningOnUnhandled } from "./last_resort.ts";
/** `Lanes`: at most N costly tasks at once, a bounded queue, the rest refused (`LanesFullError`). */
export { Lanes, LanesFullError } from "./lanes.ts";
/** `Backoff`, `retry`: exponential back-off with jitter and a ceiling, for everything audiod retries. */
export {
  Backoff,
  type BackoffOptions,
  type Jitter,
  retry,
  type RetryClock,
  type RetryOptions,
  SYSTEM_CLOCK,
} from "./backoff.ts";
/** `FailureLog`: one warning when something starts failing, one line when it works again. */
export { FailureLog, type FailureLogOptions } from "./failure_log.ts";
