/**
 * The catalog: every track any file instance announced, merged by content (the id is the SHA-256 of the bytes,
 * so the same file on two machines is one entry with two replicas). Searchable by title, artist, album and id
 * prefix.
 *
 * @module
 */

import type { AnnouncedTrack } from "../../protocol/catalog.ts";

export type { AnnouncedTrack } from "../../protocol/catalog.ts";

/** A catalog entry: the track and the instances holding a replica of it. */
export interface CatalogEntry extends AnnouncedTrack {
  replicas: Set<string>;
  /** Normalized "title artist album" for search. */
  haystack: string;
}

/** Lowercases and strips accents, so "Beyoncé" matches "beyonce". */
export function foldText(text: string): string {
  // Plain ASCII has no accents to strip: the common case skips the Unicode work.
  if (!/[^\t\n\r -~]/.test(text)) return text.toLowerCase();
  return text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

/**
 * Every entry's folded text and id, each joined into one string in catalog order: finding a word is then one
 * `indexOf` scan over contiguous memory instead of a visit to 100,000 objects.
 */
interface SearchIndex {
  /** The haystacks, each followed by "\0". */
  text: string;
  /** Where each entry's haystack starts in `text`. */
  textStarts: Int32Array;
  /** "\n" + id of each entry. */
  ids: string;
  /** Where each entry's "\n" + id starts in `ids`. */
  idStarts: Int32Array;
}

function buildSearchIndex(entries: readonly CatalogEntry[]): SearchIndex {
  const textStarts = new Int32Array(entries.length);
  const idStarts = new Int32Array(entries.length);
  let textAt = 0;
  let idAt = 0;
  entries.forEach((e, i) => {
    textStarts[i] = textAt;
    textAt += e.haystack.length + 1;
    idStarts[i] = idAt;
    idAt += e.id.length + 1;
  });
  return {
    text: entries.map((e) => e.haystack + "\0").join(""),
    textStarts,
    ids: entries.map((e) => "\n" + e.id).join(""),
    idStarts,
  };
}

/**
 * For every entry whose part of `text` contains `needle` and whose count is `round`, raises the count to
 * `round + 1`: after one round per word, the entries holding every word have the number of words.
 */
function countMatches(
  text: string,
  starts: Int32Array,
  needle: string,
  counts: Uint8Array,
  round: number,
): void {
  let i = 0;
  for (let at = text.indexOf(needle); at !== -1;) {
    while (i + 1 < starts.length && starts[i + 1]! <= at) i++;
    if (counts[i] === round) counts[i] = round + 1;
    // The next entry at the earliest: this one is decided.
    at = i + 1 < starts.length ? text.indexOf(needle, starts[i + 1]!) : -1;
  }
}

/** Result of resolving what a user typed to one track. */
export type Resolution =
  | { kind: "found"; entry: CatalogEntry }
  | { kind: "none" }
  | { kind: "ambiguous"; matches: CatalogEntry[] };

/** Every announced track with its replicas. */
export class Catalog {
  #entries = new Map<string, CatalogEntry>();
  #byInstance = new Map<string, Set<string>>();
  #sorted: CatalogEntry[] | null = null;
  #searchIndex: SearchIndex | null = null;

  /** Number of distinct tracks. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Records that `instance` holds `tracks`. With `replace`, the instance's earlier announcements are dropped
   * first (a full announcement after a (re-)start).
   */
  announce(
    instance: string,
    tracks: AnnouncedTrack[],
    options: { replace?: boolean; removed?: string[] } = {},
  ): { added: string[]; removed: string[] } {
    // Work in proportion to the batch, not to all the instance holds: announcing 100,000 tracks comes in
    // a thousand batches.
    const previous = this.#byInstance.get(instance);
    if (options.replace) this.removeInstance(instance);
    let held = this.#byInstance.get(instance);
    if (!held) this.#byInstance.set(instance, held = new Set());
    const added: string[] = [];
    const removed: string[] = [];
    for (const id of options.removed ?? []) {
      if (held.delete(id)) {
        this.#dropReplica(id, instance);
        removed.push(id);
      }
    }
    for (const track of tracks) {
      let entry = this.#entries.get(track.id);
      if (!entry) {
        entry = { ...track, replicas: new Set(), haystack: "" };
        this.#entries.set(track.id, entry);
        this.#sorted = null;
      } else if (entry.replicas.size === 0 || entry.md5 === track.md5) {
        // Same bytes: keep the richer tags (an untagged copy must not hide the tagged one's).
        if (!entry.artist && track.artist) {
          Object.assign(entry, {
            ...track,
            details: track.details ?? entry.details,
            replicas: entry.replicas,
          });
        } else if (
          track.details !== undefined &&
          (entry.details === undefined || (entry.replicas.size === 1 && entry.replicas.has(instance)))
        ) {
          // A member that sends no details (an older one) leaves them to one that does; the only replica's
          // new announcement brings its current ones (a cover.jpg added beside it, say).
          entry.details = track.details;
        }
        this.#sorted = null;
      }
      const haystack = foldText(`${entry.title}\n${entry.artist}\n${entry.album}`);
      if (haystack !== entry.haystack) {
        entry.haystack = haystack;
        this.#searchIndex = null;
      }
      entry.replicas.add(instance);
      if (!held.has(track.id)) {
        held.add(track.id);
        if (!(options.replace && previous?.has(track.id))) added.push(track.id);
      }
    }
    if (options.replace && previous) {
      for (const id of previous) if (!held.has(id)) removed.push(id);
    }
    return { added, removed };
  }

  /** The ids of the tracks an instance announced. */
  heldBy(instance: string): string[] {
    return [...this.#byInstance.get(instance) ?? []];
  }

  /** Drops every replica an instance held (it went down or left). Returns how many tracks disappeared. */
  removeInstance(instance: string): number {
    const held = this.#byInstance.get(instance);
    if (!held) return 0;
    this.#byInstance.delete(instance);
    let gone = 0;
    for (const id of held) if (this.#dropReplica(id, instance)) gone++;
    return gone;
  }

  #dropReplica(id: string, instance: string): boolean {
    const entry = this.#entries.get(id);
    if (!entry) return false;
    entry.replicas.delete(instance);
    if (entry.replicas.size === 0) {
      this.#entries.delete(id);
      this.#sorted = null;
      return true;
    }
    return false;
  }

  /** How many tracks an instance announced. */
  countFor(instance: string): number {
    return this.#byInstance.get(instance)?.size ?? 0;
  }

  get(id: string): CatalogEntry | undefined {
    return this.#entries.get(id);
  }

  /** All entries ordered by artist, album, track number, title. */
  all(): CatalogEntry[] {
    if (!this.#sorted) {
      this.#sorted = [...this.#entries.values()].sort(compareEntries);
      this.#searchIndex = null;
    }
    return this.#sorted;
  }

  /**
   * Entries matching every word of `query` in title, artist or album (accent- and case-insensitive), or whose id
   * starts with `query`. An empty query matches everything.
   */
  search(query: string): CatalogEntry[] {
    const q = query.trim();
    if (q === "") return this.all();
    const lower = q.toLowerCase();
    const words = foldText(q).split(/\s+/).filter(Boolean);
    const isHex = /^[0-9a-f]+$/.test(lower);
    const all = this.all();
    // A word holding the separator could match across two entries: such a query takes the slow path.
    if (words.length > 250 || words.some((w) => w.includes("\0"))) {
      return all.filter((e) =>
        (isHex && e.id.startsWith(lower)) || words.every((w) => e.haystack.includes(w))
      );
    }
    const index = this.#searchIndex ??= buildSearchIndex(all);
    const counts = new Uint8Array(all.length);
    words.forEach((word, round) => countMatches(index.text, index.textStarts, word, counts, round));
    const byId = new Uint8Array(all.length);
    if (isHex) countMatches(index.ids, index.idStarts, "\n" + lower, byId, 0);
    const found: CatalogEntry[] = [];
    for (let i = 0; i < all.length; i++) {
      if ((words.length > 0 && counts[i] === words.length) || byId[i]) found.push(all[i]!);
    }
    return found;
  }

  /** Resolves an id, a unique id prefix (at least 4 characters) or a unique title (exact, then case-insensitive). */
  resolve(ref: string): Resolution {
    const text = ref.trim();
    const lower = text.toLowerCase();
    const exact = this.#entries.get(lower);
    if (exact) return { kind: "found", entry: exact };
    const pick = (matches: CatalogEntry[]): Resolution | undefined =>
      matches.length === 1
        ? { kind: "found", entry: matches[0]! }
        : matches.length > 1
        ? { kind: "ambiguous", matches }
        : undefined;
    if (/^[0-9a-f]{4,}$/.test(lower)) {
      const byPrefix = pick(this.all().filter((e) => e.id.startsWith(lower)));
      if (byPrefix) return byPrefix;
    }
    const byTitle = pick(this.all().filter((e) => e.title === text)) ??
      pick(this.all().filter((e) => foldText(e.title) === foldText(text)));
    return byTitle ?? { kind: "none" };
  }
}

function compareEntries(a: CatalogEntry, b: CatalogEntry): number {
  return a.artist.localeCompare(b.artist) || a.album.localeCompare(b.album) ||
    (a.trackNo ?? 0) - (b.trackNo ?? 0) || a.title.localeCompare(b.title) || a.id.localeCompare(b.id);
}
