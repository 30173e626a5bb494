/**
 * The bootstrap's scaling flags (`--min-file`, `--max-file`, `--file-target-streams`, `--min-auth`,
 * `--max-auth`, `--auth-target-logins`, `--scale-down-window`) as the scheduler's options, checked.
 *
 * @module
 */

import { parseDuration } from "../../cli/duration.ts";
import { UsageError } from "../../cli/usage_error.ts";
import type { ScaleOptions } from "./scheduler.ts";

/** The flags as commander hands them over (strings, absent when not given). */
export interface ScaleFlags {
  minFile?: string;
  maxFile?: string;
  fileTargetStreams?: string;
  minAuth?: string;
  maxAuth?: string;
  authTargetLogins?: string;
  scaleDownWindow?: string;
}

function count(text: string, option: string, min: number): number {
  const value = Number(text);
  if (!/^\d{1,4}$/.test(text.trim()) || value < min) {
    throw new UsageError(`Cannot use ${option} "${text}": expected a whole number of at least ${min}`);
  }
  return value;
}

function target(text: string, option: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value <= 0 || value > 1_000_000) {
    throw new UsageError(`Cannot use ${option} "${text}": expected a number above 0, such as 2 or 0.5`);
  }
  return value;
}

/** Checks the scaling flags; a UsageError naming the flag when one is wrong. */
export function parseScaleFlags(flags: ScaleFlags): ScaleOptions {
  const out: ScaleOptions = {};
  if (flags.minFile !== undefined) out.minFile = count(flags.minFile, "--min-file", 1);
  if (flags.maxFile !== undefined) out.maxFile = count(flags.maxFile, "--max-file", 1);
  if (flags.fileTargetStreams !== undefined) {
    out.fileTargetStreams = target(flags.fileTargetStreams, "--file-target-streams");
  }
  if (flags.minAuth !== undefined) out.minAuth = count(flags.minAuth, "--min-auth", 1);
  if (flags.maxAuth !== undefined) out.maxAuth = count(flags.maxAuth, "--max-auth", 1);
  if (flags.authTargetLogins !== undefined) {
    out.authTargetLogins = target(flags.authTargetLogins, "--auth-target-logins");
  }
  if (flags.scaleDownWindow !== undefined) {
    out.scaleDownWindowMs = parseDuration(flags.scaleDownWindow, "--scale-down-window");
  }
  for (const [role, min, max] of [["file", out.minFile, out.maxFile], ["auth", out.minAuth, out.maxAuth]]) {
    if (min !== undefined && max !== undefined && min > max) {
      throw new UsageError(
        `Cannot use --min-${role} ${min} with --max-${role} ${max}: the minimum is above the maximum`,
      );
    }
  }
  return out;
}
