/**
 * Formatting of durations, sizes and bars for the terminal.
 *
 * @module
 */

/** Space between two pieces of text on a line. */
export const GAP = "  ";

/** `3:05`, `1:02:03`, or `--:--` when unknown. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return "--:--";
  const total = Math.floor(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"] as const;

/** `512 B`, `4.2 MiB`. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} ${UNITS[0]}` : `${value.toFixed(1)} ${UNITS[unit]}`;
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
