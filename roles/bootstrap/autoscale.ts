/**
 * How many instances of a role should run, from its load. A pure function of the previous decision state, the
 * current measurement and the time, so it is tested on a fake clock.
 *
 * - The load is smoothed (an exponentially weighted average per period), so noise around the target does not
 *   make instances come and go.
 * - desired = ceil(current × load / target), unchanged while the smoothed load per instance is within ±10 % of
 *   the target.
 * - Up at once, at most doubling per step; down only after the load stayed low for the whole window.
 * - Always within [min, max].
 *
 * @module
 */

/** Limits and target of one role. */
export interface ScalePolicy {
  min: number;
  max: number;
  /** Load per instance to aim for (active streams per file instance, logins per second per auth instance). */
  target: number;
  /** How long load must stay low before scaling down, in ms. */
  downWindowMs: number;
  /** Weight of the newest measurement in the smoothed load, 0 < smoothing ≤ 1. */
  smoothing: number;
  /** Relative band around the target in which nothing changes. */
  tolerance: number;
}

/** Defaults for a role; min, max and target come from flags. */
export const DEFAULT_SCALE: Omit<ScalePolicy, "min" | "max" | "target"> = {
  downWindowMs: 60_000,
  smoothing: 0.3,
  tolerance: 0.1,
};

/** What the scaler remembers between decisions. */
export interface ScaleState {
  /** Smoothed total load of the role, or null before the first measurement. */
  smoothed: number | null;
  /** Since when the load has asked for fewer instances, or null. */
  lowSince: number | null;
  /** The most instances asked for during the current low period (scale down to no fewer). */
  lowPeak: number;
}

/** The state before any measurement. */
export const INITIAL_SCALE_STATE: ScaleState = { smoothed: null, lowSince: null, lowPeak: 0 };

/** One decision. */
export interface ScaleDecision {
  desired: number;
  state: ScaleState;
  /** Why, in words (for the log). */
  reason: string;
}

/** Decides how many instances should run, given how many run (`current`) and their total load now. */
export function decideScale(
  policy: ScalePolicy,
  state: ScaleState,
  input: { current: number; totalLoad: number; now: number },
): ScaleDecision {
  const { current, now } = input;
  const clamp = (n: number) => Math.min(policy.max, Math.max(policy.min, n));
  // With no history, assume the instances that run were sized for the target: one measurement alone then moves
  // the average only by `smoothing`, like every later one.
  const previous = state.smoothed ?? (current > 0 ? current * policy.target : input.totalLoad);
  const smoothed = previous + policy.smoothing * (input.totalLoad - previous);
  const base: ScaleState = { smoothed, lowSince: null, lowPeak: 0 };
  if (current < policy.min || current > policy.max) {
    return { desired: clamp(current), state: base, reason: `keep within ${policy.min}..${policy.max}` };
  }
  const perInstance = current > 0 ? smoothed / current : smoothed;
  const ratio = perInstance / policy.target;
  if (current > 0 && Math.abs(ratio - 1) <= policy.tolerance) {
    return { desired: current, state: base, reason: "load within tolerance of the target" };
  }
  const wanted = clamp(Math.ceil(current > 0 ? current * ratio : smoothed / policy.target));
  if (wanted > current) {
    const desired = Math.min(wanted, Math.max(1, current * 2));
    return {
      desired,
      state: base,
      reason: `load ${perInstance.toFixed(2)} per instance, target ${policy.target}`,
    };
  }
  if (wanted === current) return { desired: current, state: base, reason: "at the limit" };
  const lowSince = state.lowSince ?? now;
  const lowPeak = Math.max(state.lowSince === null ? 0 : state.lowPeak, wanted);
  if (now - lowSince >= policy.downWindowMs) {
    return {
      desired: lowPeak,
      state: { smoothed, lowSince: null, lowPeak: 0 },
      reason: `load stayed low for ${Math.round(policy.downWindowMs / 1000)} s`,
    };
  }
  return {
    desired: current,
    state: { smoothed, lowSince, lowPeak },
    reason: "load low, waiting for the window",
  };
}
