/**
 * The catalog: every track any file instance announced, merged by content (the id is the SHA-256 of the bytes,
 * so the same file on two machines is one entry with two replicas). Searchable by title, artist, album and id
 * prefix.
 *
 * @module
 */

/** What a file instance announces about one track. */
export interface AnnouncedTrack {
  id: string;
  md5: string;
  size: number;
  title: string;
  artist: string;
  album: string;
  trackNo: number | null;
  duration: number | null;
  format: string;
}

/** A catalog entry: the track and the instances holding a replica of it. */
export interface CatalogEntry extends AnnouncedTrack {
  replicas: Set<string>;
  /** Normalized "title artist album" for search. */
  haystack: string;
}

/** Lowercases and strips accents, so "Beyoncé" matches "beyonce". */
export function foldText(text: string): string {
  return text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
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
    const before = new Set(this.#byInstance.get(instance));
    if (options.replace) this.removeInstance(instance);
    let held = this.#byInstance.get(instance);
    if (!held) this.#byInstance.set(instance, held = new Set());
    for (const id of options.removed ?? []) {
      if (held.delete(id)) this.#dropReplica(id, instance);
    }
    for (const track of tracks) {
      let entry = this.#entries.get(track.id);
      if (!entry) {
        entry = { ...track, replicas: new Set(), haystack: "" };
        this.#entries.set(track.id, entry);
        this.#sorted = null;
      } else if (entry.replicas.size === 0 || entry.md5 === track.md5) {
        // Same bytes: keep the richer tags (an untagged copy must not hide the tagged one's).
        if (!entry.artist && track.artist) Object.assign(entry, { ...track, replicas: entry.replicas });
        this.#sorted = null;
      }
      entry.haystack = foldText(`${entry.title}\n${entry.artist}\n${entry.album}`);
      entry.replicas.add(instance);
      held.add(track.id);
    }
    return {
      added: [...held].filter((id) => !before.has(id)),
      removed: [...before].filter((id) => !held.has(id)),
    };
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
    this.#sorted ??= [...this.#entries.values()].sort(compareEntries);
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
    return this.all().filter((e) =>
      (isHex && e.id.startsWith(lower)) || words.every((w) => e.haystack.includes(w))
    );
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
