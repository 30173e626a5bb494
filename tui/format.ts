/**
 * Formatting of durations, sizes and bars for the terminal.
 *
 * @module
 */

import { formatDuration as duration } from "../client/format.ts";

export { formatBytes } from "../client/format.ts";

/** Space between two pieces of text on a line. */
export const GAP = "  ";

/** `3:05`, `1:02:03`, or `--:--` when unknown, as wide as a time. */
export function formatDuration(seconds: number | null | undefined): string {
  return duration(seconds, "--:--");
}

/** A bar `width` cells wide, filled to `fraction` (0 to 1). */
export function progressBar(fraction: number, width: number): string {
  const cells = Math.max(0, Math.floor(width));
  const clamped = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const filled = Math.round(clamped * cells);
  return "━".repeat(filled) + "─".repeat(cells - filled);
}

/** A percentage of `part` in `whole`, `0%` when whole is 0. */
export function percent(part: number, whole: number): string {
  if (whole <= 0) return "0%";
  return `${Math.min(100, Math.floor((part / whole) * 100))}%`;
}
