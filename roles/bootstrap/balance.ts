/**
 * Ranks the instances that could take a request: least outstanding requests first, chosen by the power of two
 * choices — two instances picked at random, the less loaded of them first, then the others by load. Loads reach
 * the bootstrap with heartbeats, so they are up to a second old; always naming the least loaded instance would
 * send every client to the same one until the next heartbeat, while two random choices spread a burst and still
 * avoid the busiest (Mitzenmacher, "The Power of Two Choices in Randomized Load Balancing").
 *
 * @module
 */

import type { Member } from "./registry.ts";

/** Requests an instance has in progress: in flight plus streams still sending. */
export function outstanding(m: Pick<Member, "load">): number {
  return m.load.inFlight + m.load.activeStreams;
}

/** `items` with the less loaded of two random picks first, then the rest by load (stable). */
export function powerOfTwoChoices<T>(
  items: readonly T[],
  load: (item: T) => number,
  random: () => number = Math.random,
): T[] {
  if (items.length < 2) return [...items];
  const i = Math.floor(random() * items.length);
  let j = Math.floor(random() * (items.length - 1));
  if (j >= i) j++;
  const a = items[i]!;
  const b = items[j]!;
  const first = load(b) < load(a) ? b : a;
  const rest = items.filter((item) => item !== first).sort((x, y) => load(x) - load(y));
  return [first, ...rest];
}

/**
 * Members best first: those up ranked by {@linkcode powerOfTwoChoices} on their outstanding requests, then
 * draining ones (still serving what they have), then any others, each by load.
 */
export function rankMembers(members: readonly Member[], random: () => number = Math.random): Member[] {
  const tier = (m: Member) => m.state === "up" ? 0 : m.state === "draining" ? 1 : 2;
  const up = members.filter((m) => tier(m) === 0);
  const rest = members.filter((m) => tier(m) > 0)
    .sort((a, b) => tier(a) - tier(b) || outstanding(a) - outstanding(b));
  return [...powerOfTwoChoices(up, outstanding, random), ...rest];
}
