/**
 * Formatting for people: tables, sizes, durations, and a progress line on stderr.
 *
 * @module
 */

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"] as const;

/** `512 B`, `4.2 MiB`, `256 MiB`. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${UNITS[unit]}`;
}

/**
 * `3:07`, `1:02:03` (whole seconds, cut rather than rounded, so a position never shows past the duration), or
 * `unknown`.
 */
export function formatDuration(seconds: number | null | undefined, unknown = "-"): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return unknown;
  const total = Math.floor(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const ss = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** A plain-text table with columns padded to fit; long cells are cut with an ellipsis. */
export function table(header: string[], rows: string[][], maxWidth = 40): string {
  const cut = (s: string) => (s.length > maxWidth ? s.slice(0, maxWidth - 1) + "…" : s);
  const all = [header, ...rows.map((r) => r.map(cut))];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd())
    .join("\n");
}

/** A progress bar redrawn in place on stderr when it is a terminal; silent otherwise. */
export class ProgressLine {
  #label: string;
  #total: number;
  #enabled: boolean;
  #last = 0;
  #started = performance.now();

  constructor(label: string, total: number) {
    this.#label = label.length > 30 ? label.slice(0, 29) + "…" : label;
    this.#total = total;
    this.#enabled = Deno.stderr.isTerminal();
  }

  update(done: number): void {
    if (!this.#enabled) return;
    const now = performance.now();
    if (now - this.#last < 100 && done < this.#total) return;
    this.#last = now;
    const ratio = this.#total > 0 ? done / this.#total : 1;
    const width = 24;
    const filled = Math.round(ratio * width);
    const rate = done / Math.max((now - this.#started) / 1000, 0.001);
    const bar = "█".repeat(filled) + "░".repeat(width - filled);
    Deno.stderr.writeSync(new TextEncoder().encode(
      `\r${this.#label} ${bar} ${(ratio * 100).toFixed(0).padStart(3)}% ${formatBytes(done)}/${
        formatBytes(this.#total)
      } ${formatBytes(rate)}/s\x1b[K`,
    ));
  }

  clear(): void {
    if (this.#enabled) Deno.stderr.writeSync(new TextEncoder().encode("\r\x1b[K"));
  }

  done(): void {
    this.clear();
  }
}
