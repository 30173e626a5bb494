/**
 * The keys sign-in attempts are limited by. The limits themselves (failed sign-ins per account, a token bucket
 * per client address) are kept in the bootstrap's store (`store/mod.ts`, `SignInLimitStore`), so that neither a
 * restart nor spreading attempts over several auth instances or bootstraps gains an attacker anything.
 *
 * @module
 */

import type { Rate } from "../../cli/duration.ts";

export type { Rate };

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
