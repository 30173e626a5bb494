/**
 * Limits on sign-in attempts, kept by the bootstrap because every auth instance shares it:
 *
 * - per account, at most `accountFailures` failed password checks within `accountWindowMs` (100 per hour);
 * - per client address, a token bucket of `addressBurst` attempts refilled over `addressPeriodMs`
 *   (20 per minute), on login, register, password change and account deletion alike.
 *
 * Both live here rather than in each auth instance so that an attacker gains nothing by spreading attempts over
 * several auth instances; the auth instance asks before it spends any Argon2 time. Neither ever refuses for
 * longer than its window: a refused attempt is not counted, the oldest failure ages out after the window, and
 * the bucket refills at its rate. The state is in memory: a bootstrap restart forgets it.
 *
 * @module
 */

import type { Rate } from "../../cli/duration.ts";

export type { Rate };

/** Options for {@linkcode SignInLimits}. */
export interface SignInLimitsOptions {
  now?: () => number;
  /** Failed attempts allowed per account within the window (default 100). */
  accountFailures?: number;
  /** Default one hour. */
  accountWindowMs?: number;
  /** Attempts an address may make at once (default 20). */
  addressBurst?: number;
  /** Time in which an empty bucket refills completely (default one minute). */
  addressPeriodMs?: number;
  /** Accounts and addresses remembered at most; the least recently touched are forgotten first. */
  maxTracked?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Sign-in limits per account and per address. */
export class SignInLimits {
  #now: () => number;
  #maxFailures: number;
  #windowMs: number;
  #burst: number;
  #periodMs: number;
  #maxTracked: number;
  #failures = new Map<string, number[]>();
  #buckets = new Map<string, Bucket>();

  constructor(options: SignInLimitsOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#maxFailures = options.accountFailures ?? 100;
    this.#windowMs = options.accountWindowMs ?? 3600_000;
    this.#burst = options.addressBurst ?? 20;
    this.#periodMs = options.addressPeriodMs ?? 60_000;
    this.#maxTracked = options.maxTracked ?? 100_000;
  }

  /**
   * Milliseconds until `account` may try a password again (0: now). Counts nothing: only a failed check, told
   * by {@linkcode recordFailure}, does.
   */
  accountWait(account: string): number {
    const list = this.#recent(account);
    if (list.length < this.#maxFailures) return 0;
    return list[list.length - this.#maxFailures]! + this.#windowMs - this.#now();
  }

  /** Counts a failed password check against `account`. */
  recordFailure(account: string): void {
    const list = this.#recent(account);
    list.push(this.#now());
    if (list.length > this.#maxFailures) list.splice(0, list.length - this.#maxFailures);
    this.#failures.delete(account);
    this.#failures.set(account, list);
    this.#trim(this.#failures);
  }

  /** Forgets `account`'s failures (it signed in). */
  clearFailures(account: string): void {
    this.#failures.delete(account);
  }

  /** Takes one attempt from `address`'s bucket: 0 when allowed, else milliseconds until one is. */
  takeAddress(address: string): number {
    const now = this.#now();
    const rate = this.#burst / this.#periodMs;
    const old = this.#buckets.get(address);
    const tokens = old ? Math.min(this.#burst, old.tokens + Math.max(0, now - old.at) * rate) : this.#burst;
    this.#buckets.delete(address);
    if (tokens >= 1) {
      this.#buckets.set(address, { tokens: tokens - 1, at: now });
      this.#trim(this.#buckets);
      return 0;
    }
    this.#buckets.set(address, { tokens, at: now });
    return Math.ceil((1 - tokens) / rate);
  }

  #recent(account: string): number[] {
    const list = this.#failures.get(account);
    if (!list) return [];
    const since = this.#now() - this.#windowMs;
    let drop = 0;
    while (drop < list.length && list[drop]! <= since) drop++;
    if (drop > 0) list.splice(0, drop);
    if (list.length === 0) this.#failures.delete(account);
    return list;
  }

  #trim(map: Map<string, unknown>): void {
    while (map.size > this.#maxTracked) map.delete(map.keys().next().value!);
  }
}

/**
 * The key an address is limited by: IPv4 addresses as they are, IPv6 by their /64 (one host usually holds a
 * whole /64), IPv4-mapped IPv6 as IPv4.
 */
export function addressKey(address: string): string {
  const text = address.trim().toLowerCase().replace(/^\[|\]$/g, "");
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (mapped) return mapped[1]!;
  if (!text.includes(":")) return text;
  const [head = "", tail = ""] = text.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === "" ? [] : tail.split(":");
  const groups = text.includes("::")
    ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right]
    : left;
  return groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, "")).join(":") + "::/64";
}
