/**
 * Small statistics for the benchmark: medians, percentiles, ratios, and the result record every case returns.
 *
 * @module
 */

/** One line of the results: what was measured, against what, and whether it meets its target. */
export interface CaseResult {
  /** e.g. "serve 1 stream". */
  name: string;
  /** What the target is compared with: a ratio against the baseline where there is one. */
  value: number;
  /** The baseline's median in `rawUnit` (null when no baseline runs here). */
  baseline: number | null;
  /** Unit of `value` ("×" for ratios). */
  unit: string;
  /** The bound `value` must reach; null for a figure reported without a target. */
  target: number | null;
  better: "higher" | "lower";
  /** Runs of each side. */
  runs: number;
  /** audiod's own median in `rawUnit`. */
  audiod: number;
  /** Unit of `audiod` and `baseline`. */
  rawUnit: string;
  /** Whether `value` reaches `target` (null without a target). */
  met: boolean | null;
  /** What the baseline is, or anything a reader needs to read the line right. */
  note?: string;
}

/** The middle value (mean of the two middle ones for an even count); NaN for no values. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The nearest-rank `p`-th percentile (0 < p ≤ 100); NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  if (!(p > 0 && p <= 100)) throw new RangeError(`Cannot take percentile ${p}: expected 0 < p <= 100`);
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * How audiod compares with its baseline, as a factor where higher is better: `audiod / baseline` for
 * throughputs (better "higher") and `baseline / audiod` for times (better "lower").
 */
export function ratio(audiod: number, baseline: number, better: "higher" | "lower"): number {
  if (!(audiod > 0) || !(baseline > 0)) return NaN;
  return better === "higher" ? audiod / baseline : baseline / audiod;
}

/** Whether `value` reaches `target` in the direction that is better. */
export function meets(value: number, target: number, better: "higher" | "lower"): boolean {
  if (Number.isNaN(value)) return false;
  return better === "higher" ? value >= target : value <= target;
}

/** Rounds to `digits` significant digits (results stay readable in JSON). */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value) || value === 0) return value;
  return Number(value.toPrecision(digits));
}

/** Options of {@linkcode result}. */
export interface ResultOptions {
  audiod: number;
  baseline?: number | null;
  /** Unit of the raw medians. */
  rawUnit: string;
  /** When given, `value` is this (e.g. a ratio of 95th percentiles); else the ratio or audiod's median. */
  value?: number;
  unit?: string;
  target: number | null;
  better: "higher" | "lower";
  runs: number;
  note?: string;
}

/**
 * Builds a {@linkcode CaseResult}: with a baseline, `value` is the ratio (higher is better, unit "×");
 * without, `value` is audiod's own figure in `rawUnit`.
 */
export function result(name: string, options: ResultOptions): CaseResult {
  const baseline = options.baseline ?? null;
  const isRatio = options.value === undefined && baseline !== null;
  const value = options.value ??
    (baseline !== null ? ratio(options.audiod, baseline, options.better) : options.audiod);
  // A ratio is always "higher is better"; a raw figure keeps the direction it was given.
  const better = isRatio ? "higher" : options.better;
  return {
    name,
    value: round(value),
    baseline: baseline === null ? null : round(baseline),
    unit: options.unit ?? (isRatio ? "×" : options.rawUnit),
    target: options.target,
    better,
    runs: options.runs,
    audiod: round(options.audiod),
    rawUnit: options.rawUnit,
    met: options.target === null ? null : meets(value, options.target, better),
    ...(options.note ? { note: options.note } : {}),
  };
}
