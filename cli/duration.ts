/**
 * Durations and rates as people type them on the command line: `30m`, `12h`, `90s`, `1h30m`, `1500ms`, `2d`;
 * `20/min`, `5/s`, `10/30s`. A duration is at least one second: every option that takes one (session idle and
 * lifetime, rescan interval, scale-down window, a rate's period) would only misbehave below that, so `500ms` is
 * refused with a message that says so.
 *
 * @module
 */

import { UsageError } from "./usage_error.ts";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 };

/** Parses a duration into milliseconds; a UsageError naming `option` when it is not one or is under 1 s. */
export function parseDuration(text: string, option = "duration"): number {
  const trimmed = text.trim().toLowerCase();
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (trimmed === "" || parts.map((p) => p[0]).join("") !== trimmed) {
    throw new UsageError(
      `Cannot use ${option} "${text}": expected a duration such as 90s, 30m, 12h or 1h30m`,
    );
  }
  const ms = parts.reduce((sum, p) => sum + Number(p[1]) * UNITS[p[2]!]!, 0);
  if (!Number.isFinite(ms) || ms < 1000) {
    throw new UsageError(`Cannot use ${option} "${text}": it must be at least 1s`);
  }
  return Math.round(ms);
}

/** So many events per period. */
export interface Rate {
  burst: number;
  periodMs: number;
}

/** Parses a rate such as `20/min`, `5/s`, `100/h` or `10/30s`; a UsageError naming `option` when it is not one. */
export function parseRate(text: string, option = "rate"): Rate {
  const m = /^\s*(\d{1,6})\s*\/\s*(.+)$/.exec(text);
  const unit = m?.[2]?.trim().toLowerCase();
  const named: Record<string, string> = { sec: "1s", s: "1s", min: "1m", m: "1m", hour: "1h", h: "1h" };
  if (!m || unit === undefined || Number(m[1]) < 1) {
    throw new UsageError(`Cannot use ${option} "${text}": expected N/PERIOD such as 20/min, 5/s or 10/30s`);
  }
  return { burst: Number(m[1]), periodMs: parseDuration(named[unit] ?? unit, option) };
}
