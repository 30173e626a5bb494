/**
 * Formatting for people: tables, sizes, durations, and a progress line on stderr.
 *
 * @module
 */

/** `1.5 MiB`, `512 B`. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}

/** `3:07`, `1:02:03`, `-` when unknown. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return "-";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
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
