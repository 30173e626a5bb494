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

/**
 * A {@linkcode table} printed as its rows arrive: the columns get the widths of the header and the first rows,
 * and later rows are padded (or cut with an ellipsis) to them.
 */
export class StreamedTable {
  #header: string[];
  #maxWidth: number;
  #widths: number[] | null = null;

  constructor(header: string[], maxWidth = 40) {
    this.#header = header;
    this.#maxWidth = maxWidth;
  }

  /** The lines of `rows`, the header first the first time. */
  lines(rows: string[][]): string[] {
    if (this.#widths === null) {
      const all = [this.#header, ...rows.map((r) => r.map((c) => this.#cut(c, this.#maxWidth)))];
      this.#widths = this.#header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
      return table(this.#header, rows, this.#maxWidth).split("\n");
    }
    const widths = this.#widths;
    return rows.map((row) =>
      row.map((c, i) => {
        const last = i === row.length - 1;
        const cell = this.#cut(c, last ? this.#maxWidth : widths[i]!);
        return last ? cell : cell.padEnd(widths[i]!);
      }).join("  ").trimEnd()
    );
  }

  #cut(s: string, width: number): string {
    return s.length > width ? s.slice(0, Math.max(0, width - 1)) + "…" : s;
  }
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
