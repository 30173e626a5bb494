/**
 * The tracks one file instance serves, by id, and what changed since the last announcement.
 *
 * @module
 */

import { extname } from "node:path";
import type { TrackRecord } from "../../media/media_index.ts";
import type { AnnouncedTrack, TrackDetails } from "../../protocol/catalog.ts";

/** The file's extension without the dot, lowercase. */
export function formatOf(path: string): string {
  return extname(path).slice(1).toLowerCase();
}

/** The details announced for a record: its tags' details and, as the time it was added, the file's mtime. */
function detailsOf(record: TrackRecord): TrackDetails {
  const addedAt = Math.round(record.mtimeMs);
  return { ...record.details, ...(Number.isSafeInteger(addedAt) && addedAt >= 0 ? { addedAt } : {}) };
}

/** A track as announced to the bootstrap (no path: the catalog never learns where files live). */
export function toAnnounced(record: TrackRecord): AnnouncedTrack {
  return {
    id: record.id,
    md5: record.md5,
    size: record.size,
    title: record.title,
    artist: record.artist,
    album: record.album,
    trackNo: record.trackNo,
    duration: record.duration,
    format: formatOf(record.path),
    details: detailsOf(record),
  };
}

function sameValue(a: unknown, b: unknown): boolean {
  return a === b ||
    (Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => v === b[i]));
}

/** Whether two records' details differ (field by field: the genres are compared by value). */
function detailsChanged(a: TrackDetails | undefined, b: TrackDetails | undefined): boolean {
  if (a === b) return false;
  if (a === undefined || b === undefined) return true;
  const keys = Object.keys(a) as (keyof TrackDetails)[];
  if (keys.length !== Object.keys(b).length) return true;
  return keys.some((key) => !sameValue(a[key], b[key]));
}

/** Tracks by id. When two files hold the same bytes, the first path (in scan order) serves them. */
export class Library {
  #byId = new Map<string, TrackRecord>();

  get size(): number {
    return this.#byId.size;
  }

  get(id: string): TrackRecord | undefined {
    return this.#byId.get(id);
  }

  all(): TrackRecord[] {
    return [...this.#byId.values()];
  }

  /** Replaces the content with a scan's result; returns what was added (or changed) and removed. */
  replace(records: readonly TrackRecord[]): { added: TrackRecord[]; removed: string[] } {
    const next = new Map<string, TrackRecord>();
    for (const r of records) if (!next.has(r.id)) next.set(r.id, r);
    const added: TrackRecord[] = [];
    for (const [id, r] of next) {
      const old = this.#byId.get(id);
      if (
        !old || old.title !== r.title || old.artist !== r.artist || old.album !== r.album ||
        old.trackNo !== r.trackNo || old.mtimeMs !== r.mtimeMs || detailsChanged(old.details, r.details)
      ) added.push(r);
    }
    const removed = [...this.#byId.keys()].filter((id) => !next.has(id));
    this.#byId = next;
    return { added, removed };
  }
}
