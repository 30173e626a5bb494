/**
 * Short ids for people: the shortest prefix of each id that no other id in the list shares (at least 8
 * characters, like git's abbreviated hashes), and the way back from a prefix to the one id it names. Pure
 * functions over strings; `--json` output keeps the full ids.
 *
 * @module
 */

import { CommandError } from "../cli/usage_error.ts";

/** The fewest characters a short id has. */
export const MIN_SHORT_ID = 8;

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/**
 * Each id's shortest unique prefix of at least `min` characters; the whole id when that would be less than 4
 * characters shorter.
 */
export function shortIds(ids: Iterable<string>, min = MIN_SHORT_ID): Map<string, string> {
  const sorted = [...new Set(ids)].sort();
  const out = new Map<string, string>();
  sorted.forEach((id, i) => {
    const before = i > 0 ? commonPrefix(id, sorted[i - 1]!) : 0;
    const after = i + 1 < sorted.length ? commonPrefix(id, sorted[i + 1]!) : 0;
    const short = id.slice(0, Math.max(min, Math.max(before, after) + 1));
    out.set(id, id.length - short.length < 4 ? id : short); // cutting 1-3 characters only loses information
  });
  return out;
}

/**
 * The one id of `ids` that equals or starts with `prefix` (case-insensitive); a CommandError when none does,
 * or when several do (listing them, so the user can type more of the one meant).
 */
export function resolveIdPrefix(prefix: string, ids: Iterable<string>, what = "id"): string {
  const wanted = prefix.trim().toLowerCase();
  if (wanted === "") throw new CommandError(`Cannot find ${what} "": give an id or the start of one`);
  const all = [...new Set(ids)];
  const exact = all.find((id) => id.toLowerCase() === wanted);
  if (exact) return exact;
  const matches = all.filter((id) => id.toLowerCase().startsWith(wanted)).sort();
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) {
    throw new CommandError(`Cannot find ${what} "${prefix}": no ${what} starts with it`);
  }
  const short = shortIds(all);
  const listed = matches.slice(0, 10).map((id) => short.get(id)!).join(", ");
  const more = matches.length > 10 ? ` and ${matches.length - 10} more` : "";
  throw new CommandError(
    `Cannot pick one ${what} for "${prefix}": ${matches.length} start with it (${listed}${more}); type more of it`,
  );
}
