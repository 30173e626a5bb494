/**
 * The benchmark's outputs: JSON for scripts, a markdown table for the README, and an SVG bar chart (hand-written,
 * no dependency) that shows every case against its target.
 *
 * @module
 */
import type { CaseResult } from "./_stats.ts";

/** What a run of the suite wrote. */
export interface Report {
  cases: CaseResult[];
  /** ISO time the run ended. */
  date: string;
  quick: boolean;
  /** Machine and versions, for reading the numbers in context. */
  machine: string;
}

/** Formats a number for people: at most 3 significant digits, no exponent for the sizes we print. */
export function formatNumber(value: number | null): string {
  if (value === null) return "—";
  if (Number.isNaN(value)) return "n/a";
  if (!Number.isFinite(value)) return value > 0 ? "∞" : "-∞";
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString("en-US");
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1).replace(/\.0$/, "");
  if (abs >= 1) return value.toFixed(2).replace(/\.?0+$/, "");
  return value.toPrecision(2).replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "");
}

/** "≥ 1" or "≤ 100 ms". */
export function formatTarget(c: Pick<CaseResult, "target" | "better" | "unit">): string {
  if (c.target === null) return "—";
  const unit = c.unit === "×" ? "×" : ` ${c.unit}`;
  return `${c.better === "higher" ? "≥" : "≤"} ${formatNumber(c.target)}${unit}`;
}

function withUnit(value: number | null, unit: string): string {
  if (value === null) return "—";
  return unit === "×" ? `${formatNumber(value)}×` : `${formatNumber(value)} ${unit}`;
}

function escapeCell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

/** The results as a markdown table: case, audiod, baseline, value, target, met, runs, note. */
export function toMarkdown(report: Report): string {
  const lines = [
    "| case | audiod | baseline | value | target | met | runs | notes |",
    "| --- | ---: | ---: | ---: | ---: | :---: | ---: | --- |",
  ];
  for (const c of report.cases) {
    lines.push(
      `| ${
        [
          c.name,
          withUnit(c.audiod, c.rawUnit),
          withUnit(c.baseline, c.rawUnit),
          withUnit(c.value, c.unit),
          formatTarget(c),
          c.met === null ? "—" : c.met ? "yes" : "**no**",
          String(c.runs),
          c.note ?? "",
        ].map(escapeCell).join(" | ")
      } |`,
    );
  }
  const met = report.cases.filter((c) => c.met === true).length;
  const targets = report.cases.filter((c) => c.met !== null).length;
  lines.push(
    "",
    `${met} of ${targets} targets met${report.quick ? " (quick run: small sizes)" : ""}; ` +
      `${report.machine}, ${report.date}.`,
  );
  return lines.join("\n") + "\n";
}

/**
 * How far a case is from its target, as a factor where 1 means exactly on target and more is better:
 * value/target when higher is better, target/value when lower is.
 */
export function score(c: Pick<CaseResult, "value" | "target" | "better">): number {
  if (Number.isNaN(c.value) || c.target === null) return 0;
  if (c.better === "higher") return c.target === 0 ? (c.value >= 0 ? 1 : 0) : c.value / c.target;
  if (c.value <= 0) return Number.POSITIVE_INFINITY;
  return c.target / c.value;
}

function escapeXml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll(
    '"',
    "&quot;",
  );
}

/** Bars are drawn up to this many times the target. */
const MAX_SCORE = 3;

/**
 * A horizontal bar per case, its length the case's {@linkcode score} on a scale from 0 to 3× the target, with
 * the target marked by a line: green bars reach it, red ones fall short.
 */
export function toSvg(report: Report): string {
  const rowHeight = 26;
  const labelWidth = 250;
  const barWidth = 420;
  const valueWidth = 230;
  const top = 44;
  const width = labelWidth + barWidth + valueWidth + 20;
  const height = top + report.cases.filter((c) => c.target !== null).length * rowHeight + 36;
  const x = (s: number) => labelWidth + (Math.min(Math.max(s, 0), MAX_SCORE) / MAX_SCORE) * barWidth;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">audiod benchmark${
      report.quick ? " (quick)" : ""
    }: each case against its target</text>`,
    `<text x="10" y="36" fill="#555">bar = how far past the target (line at 1×; longer is better, capped at ${MAX_SCORE}×)</text>`,
  ];
  const charted = report.cases.filter((c) => c.target !== null);
  charted.forEach((c, i) => {
    const y = top + i * rowHeight;
    const s = score(c);
    const fill = c.met ? "#2e8b57" : "#c0392b";
    parts.push(
      `<text x="${labelWidth - 8}" y="${y + 16}" text-anchor="end">${escapeXml(c.name)}</text>`,
      `<rect x="${labelWidth}" y="${y + 4}" width="${(x(s) - labelWidth).toFixed(1)}" height="${
        rowHeight - 8
      }" fill="${fill}"><title>${
        escapeXml(`${c.name}: ${withUnit(c.value, c.unit)} (${formatTarget(c)})`)
      }</title></rect>`,
      `<text x="${labelWidth + barWidth + 8}" y="${y + 16}">${
        escapeXml(`${withUnit(c.value, c.unit)} (${formatTarget(c)})`)
      }</text>`,
    );
  });
  const line = x(1).toFixed(1);
  const bottom = top + charted.length * rowHeight;
  parts.push(
    `<line x1="${line}" y1="${top}" x2="${line}" y2="${bottom}" stroke="#222" stroke-dasharray="4 3"/>`,
    `<text x="${line}" y="${bottom + 14}" text-anchor="middle" fill="#222">target</text>`,
    `<text x="10" y="${height - 8}" fill="#555">${escapeXml(`${report.machine}, ${report.date}`)}</text>`,
    "</svg>",
  );
  return parts.join("\n") + "\n";
}
