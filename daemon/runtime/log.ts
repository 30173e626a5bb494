/**
 * The one place audiod writes to the terminal. Daemons log one line per event to stderr, as text or JSON; the
 * few lines meant for people and scripts (the "listening on" line, client output) go to stdout.
 *
 * @module
 */

/** How log lines look. */
export type LogFormat = "text" | "json";

/** Severity of a log line. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Extra key/value pairs attached to a log line. */
export type LogFields = Record<string, unknown>;

/** Logs one line per event. */
export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

const encoder = new TextEncoder();

/** Writes a line to stdout (for people and scripts, not logs). */
export function printOut(line: string): void {
  writeAll(Deno.stdout, encoder.encode(line + "\n"));
}

/** Writes a line to stderr. */
export function printErr(line: string): void {
  writeAll(Deno.stderr, encoder.encode(line + "\n"));
}

function writeAll(target: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += target.writeSync(bytes.subarray(offset));
    } catch {
      return; // a closed pipe must never take a daemon down
    }
  }
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Options for {@linkcode createLogger}. */
export interface LoggerOptions {
  /** Name shown on every line, e.g. `bootstrap` or `file`. */
  role: string;
  format?: LogFormat;
  /** Lines below this level are dropped; default `info` (or `AUDIOD_LOG_LEVEL`). */
  level?: LogLevel;
  /** Where lines go; default stderr. */
  write?: (line: string) => void;
  now?: () => Date;
}

/** Creates a logger. */
export function createLogger(options: LoggerOptions): Logger {
  const format = options.format ?? "text";
  const envLevel = readEnvLevel();
  const min = LEVELS[options.level ?? envLevel ?? "info"];
  const write = options.write ?? printErr;
  const now = options.now ?? (() => new Date());
  const make = (base: LogFields): Logger => {
    const emit = (level: LogLevel, event: string, fields: LogFields = {}) => {
      if (LEVELS[level] < min) return;
      const all = { ...base, ...fields };
      const time = now().toISOString();
      if (format === "json") {
        write(JSON.stringify({ time, level, role: options.role, event, ...all }, jsonSafe));
      } else {
        const pairs = Object.entries(all).map(([k, v]) => `${k}=${formatValue(v)}`).join(" ");
        write(`${time} ${level.toUpperCase().padEnd(5)} ${options.role} ${event}${pairs ? " " + pairs : ""}`);
      }
    };
    return {
      debug: (e, f) => emit("debug", e, f),
      info: (e, f) => emit("info", e, f),
      warn: (e, f) => emit("warn", e, f),
      error: (e, f) => emit("error", e, f),
      child: (fields) => make({ ...base, ...fields }),
    };
  };
  return make({});
}

function readEnvLevel(): LogLevel | undefined {
  try {
    const value = Deno.env.get("AUDIOD_LOG_LEVEL");
    return value && value in LEVELS ? value as LogLevel : undefined;
  } catch {
    return undefined;
  }
}

function jsonSafe(_key: string, value: unknown): unknown {
  if (value instanceof Error) return value.message;
  if (typeof value === "bigint") return value.toString();
  return value;
}

function formatValue(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message);
  if (typeof value === "string") return /^[\w./:@+-]+$/.test(value) ? value : JSON.stringify(value);
  if (value === undefined) return "-";
  return JSON.stringify(value, jsonSafe);
}
