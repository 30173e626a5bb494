/**
 * The catalog: every track any file instance announced, merged by content (the id is the SHA-256 of the bytes,
 * so the same file on two machines is one entry with two replicas). Searchable by title, artist, album and id
 * prefix.
 *
 * The tracks and their replicas live in SQLite (`node:sqlite`, a file in the bootstrap's data dir), not in the
 * heap: a catalog of a million tracks is a few hundred megabytes on disk, and a restarted bootstrap serves it at
 * once. The heap holds one view of it, rebuilt after changes when next asked: the catalog order (an array of row
 * numbers and its inverse) and the folded text of every entry joined into one string in that order, which a
 * search scans with `indexOf` (about 60 bytes per track). Entries are read from the database a page at a time.
 *
 * @module
 */

import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { AnnouncedTrack, TrackDetails } from "../../protocol/catalog.ts";
import { countBits, END, entryAt, popCount, TextIndex } from "./text_index.ts";

export type { AnnouncedTrack } from "../../protocol/catalog.ts";

/** A catalog entry: the track and the instances holding a replica of it. */
export interface CatalogEntry extends AnnouncedTrack {
  replicas: Set<string>;
}

/** Lowercases and strips accents, so "Beyoncé" matches "beyonce". */
export function foldText(text: string): string {
  // Plain ASCII has no accents to strip: the common case skips the Unicode work.
  if (!/[^\t\n\r -~]/.test(text)) return text.toLowerCase();
  return text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

/** Result of resolving what a user typed to one track. */
export type Resolution =
  | { kind: "found"; entry: CatalogEntry }
  | { kind: "none" }
  | { kind: "ambiguous"; matches: CatalogEntry[] };

/** Longest time an announcement waits to be committed (see {@linkcode Catalog}'s transactions). */
const COMMIT_MS = 250;

/** The catalog's file in a lone bootstrap's data dir. */
export const CATALOG_FILE = "catalog.sqlite";

/** Bumped when the tables change shape: a catalog file of another version is emptied (members announce again). */
const SCHEMA_VERSION = 4;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS tracks (
  n INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
  -- The id's first 13 hex digits as a number: what the id is found by. An index of 64-character ids is four
  -- times as large, and random ids touch a page of it each: at a million tracks, most announcement time.
  key INTEGER NOT NULL,
  md5 TEXT NOT NULL,
  size INTEGER NOT NULL,
  title TEXT NOT NULL,
  artist TEXT NOT NULL,
  album TEXT NOT NULL,
  track_no INTEGER,
  duration REAL,
  format TEXT NOT NULL,
  details TEXT,
  sort_key TEXT NOT NULL,
  hay TEXT NOT NULL,
  -- What the OpenSubsonic albums are grouped and summed by, kept out of the details' JSON: extracting it from
  -- the JSON of a million rows took 7 s, reading these columns 2 s. The album artist only when it is not the
  -- artist (each byte a track stores costs a million at announce time).
  album_artist TEXT,
  year INTEGER,
  added_at INTEGER,
  disc INTEGER,
  cover INTEGER,
  genres TEXT
);
-- Covers the view's build: one pass over this index in order, no visit to the table.
CREATE INDEX IF NOT EXISTS tracks_order ON tracks (sort_key, hay);
CREATE INDEX IF NOT EXISTS tracks_key ON tracks (key);
CREATE TABLE IF NOT EXISTS replicas (
  instance TEXT NOT NULL,
  track INTEGER NOT NULL,
  PRIMARY KEY (instance, track)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS replicas_track ON replicas (track);
CREATE TABLE IF NOT EXISTS digests (
  instance TEXT PRIMARY KEY,
  digest TEXT NOT NULL
) WITHOUT ROWID;
`;

/** A row of `tracks` as read back, with its replicas joined by "\n". */
interface TrackRow {
  n: number;
  id: string;
  md5: string;
  size: number;
  title: string;
  artist: string;
  album: string;
  track_no: number | null;
  duration: number | null;
  format: string;
  details: string | null;
  holders: string | null;
}

/** The columns of {@linkcode albumColumnsOf}, in its order. */
const ALBUM_COLUMNS = "album_artist, year, added_at, disc, cover, genres";

const ROW_COLUMNS = "n, id, md5, size, title, artist, album, track_no, duration, format, details, " +
  "(SELECT group_concat(instance, char(10)) FROM replicas WHERE track = n) AS holders";

/** Rows read by one statement. */
const ROWS_PER_READ = 1000;

/** The entry a row of `tracks` holds. */
function entryOf(row: TrackRow): CatalogEntry {
  const entry: CatalogEntry = {
    id: row.id,
    md5: row.md5,
    size: Number(row.size),
    title: row.title,
    artist: row.artist,
    album: row.album,
    trackNo: row.track_no === null ? null : Number(row.track_no),
    duration: row.duration,
    format: row.format,
    replicas: new Set(row.holders ? row.holders.split("\n") : []),
  };
  if (row.details !== null) entry.details = JSON.parse(row.details) as TrackDetails;
  return entry;
}

/** What {@linkcode Catalog.albums} asks SQLite: a row per album artist and album name, as tagged. */
export const ALBUMS_SQL = "SELECT coalesce(album_artist, artist) AS artist, album, " +
  "total(duration) AS duration, min(year) AS year, max(year) AS lastYear, max(added_at) AS addedAt, " +
  "min(CASE WHEN cover THEN n END) AS cover, group_concat(genres, char(31)) AS genres, " +
  "group_concat(n, ',' ORDER BY coalesce(disc, 1), coalesce(track_no, 0), title, n) AS rows " +
  "FROM tracks GROUP BY coalesce(album_artist, artist), album";

/** An album as {@linkcode Catalog.albums} sums it up. */
export interface AlbumRow {
  /** The album artist ("" when untagged). */
  artist: string;
  /** The album's name ("" when untagged). */
  album: string;
  /** Seconds. */
  duration: number;
  year: number | null;
  lastYear: number | null;
  /** Unix ms: the newest file's. */
  addedAt: number | null;
  /** The row of the first track with cover art, if any has it. */
  cover: number | null;
  /** Each track's genres, {@linkcode GENRE_SEPARATOR} between them all. */
  genres: string | null;
  /** The tracks' rows, "," between them, in disc, track number and title order. */
  rows: string;
}

/** The order and the search text of the catalog as it was when built. */
interface View {
  /** Row numbers in catalog order. */
  order: Int32Array;
  /** Position in `order` of each row number (-1: none). */
  rank: Int32Array;
  /** Every entry's folded text in catalog order, and its bit sets. */
  index: TextIndex;
}

/** The positions of the bits set in `bits`, in order: `limit` of them after skipping `offset`. */
function ranksOf(bits: Uint32Array, offset: number, limit: number): number[] {
  const out: number[] = [];
  let skip = offset;
  for (let k = 0; k < bits.length && out.length < limit; k++) {
    let w = bits[k]!;
    if (w === 0) continue;
    const count = popCount(w);
    if (skip >= count) {
      skip -= count;
      continue;
    }
    for (; w !== 0 && out.length < limit; w &= w - 1) {
      if (skip > 0) {
        skip--;
        continue;
      }
      out.push((k << 5) + 31 - Math.clz32(w & -w));
    }
  }
  return out;
}

/** Sorts like the catalog lists: artist, album, track number, title (folded), then id. */
function sortKey(track: AnnouncedTrack): string {
  const no = String(Math.min(track.trackNo ?? 0, 9_999_999)).padStart(7, "0");
  return `${foldText(track.artist)}\x01${foldText(track.album)}\x01${no}\x01${
    foldText(track.title)
  }\x01${track.id}`;
}

/** The text a search looks in: title, artist and album, folded (an {@linkcode END} in a tag is a space). */
function haystackOf(track: { title: string; artist: string; album: string }): string {
  return foldText(`${track.title}\n${track.artist}\n${track.album}`).replaceAll(END, " ");
}

/** A track's columns after its id, in the order the insert and the update name them. */
function columnsOf(track: AnnouncedTrack, details: string | null): (string | number | null)[] {
  const { md5, size, title, artist, album, trackNo, duration, format } = track;
  return [
    md5,
    size,
    title,
    artist,
    album,
    trackNo,
    duration,
    format,
    details,
    sortKey(track),
    haystackOf(track),
    ...albumColumnsOf(track),
  ];
}

/** Shown for a track without an artist tag. */
export const UNKNOWN_ARTIST = "Unknown artist";
/** Shown for a track without an album tag. */
export const UNKNOWN_ALBUM = "Unknown album";

/** Between a track's genres in the `genres` column. */
export const GENRE_SEPARATOR = "\x1f";

/** The album artist of a track (the artist when it has none). */
export function albumArtistOf(track: AnnouncedTrack): string {
  return track.details?.albumArtist || track.artist || UNKNOWN_ARTIST;
}

/** The columns an album is built from: album artist, year, added at, disc, cover, genres. */
function albumColumnsOf(track: AnnouncedTrack): (string | number | null)[] {
  const d = track.details;
  const genres = d?.genres?.length ? d.genres.map((g) => g.replaceAll(GENRE_SEPARATOR, " ")) : undefined;
  return [
    d?.albumArtist && d.albumArtist !== track.artist ? d.albumArtist : null,
    d?.year ?? null,
    d?.addedAt ?? null,
    d?.discNo ?? null,
    d?.cover ? 1 : null,
    genres ? genres.join(GENRE_SEPARATOR) : null,
  ];
}

/** Hex digits of an id in its {@linkcode keyOf key}: 52 bits, exact in a double. */
const KEY_DIGITS = 13;

/** The key an id is found by (-1 for no id: not hex). */
function keyOf(id: string): number {
  const key = /^[0-9a-f]{13}/.test(id) ? parseInt(id.slice(0, KEY_DIGITS), 16) : -1;
  return Number.isSafeInteger(key) ? key : -1;
}

/**
 * The ids starting with the hex `prefix`, as the arguments of the `idRange` statement: the range of keys, then
 * of ids, from the first (inclusive) to the second (exclusive).
 */
function idRange(prefix: string): [number, number, string, string] {
  const head = prefix.slice(0, KEY_DIGITS);
  return [
    parseInt(head.padEnd(KEY_DIGITS, "0"), 16),
    parseInt(head.padEnd(KEY_DIGITS, "f"), 16),
    prefix,
    prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1),
  ];
}

/** Every track announced, with its replicas; kept in SQLite at `path` (":memory:" for none). */
export class Catalog {
  readonly #db: DatabaseSync;
  #size = 0;
  #held = new Map<string, number>();
  #view: View | null = null;
  #commitTimer: ReturnType<typeof setTimeout> | undefined;
  #busyAt = 0;
  #version = 0;
  #all: CatalogEntry[] | null = null;
  readonly #q: {
    byId: StatementSync;
    row: StatementSync;
    rows: StatementSync;
    insert: StatementSync;
    update: StatementSync;
    updateDetails: StatementSync;
    addReplica: StatementSync;
    dropReplica: StatementSync;
    replicaCount: StatementSync;
    dropTrack: StatementSync;
    heldBy: StatementSync;
    dropInstance: StatementSync;
    orphans: StatementSync;
    idRange: StatementSync;
    setDigest: StatementSync;
    dropDigest: StatementSync;
    digest: StatementSync;
    byKeys: StatementSync;
    albums: StatementSync;
  };

  /**
   * Opens (or creates) the catalog at `path`. A file that is not a catalog of this version, or is damaged, is
   * started afresh: the catalog is what members announce, and they announce again.
   */
  constructor(path = ":memory:") {
    this.file = path;
    const { db, reset } = Catalog.#open(path);
    this.#db = db;
    this.reset = reset;
    this.#q = {
      byId: db.prepare("SELECT n, md5, artist, album, details FROM tracks WHERE key = ? AND id = ?"),
      row: db.prepare(`SELECT ${ROW_COLUMNS} FROM tracks WHERE n = ?`),
      rows: db.prepare(`SELECT ${ROW_COLUMNS} FROM tracks WHERE n IN (SELECT value FROM json_each(?))`),
      insert: db.prepare(
        `INSERT INTO tracks (id, key, md5, size, title, artist, album, track_no, duration, format, details, ` +
          `sort_key, hay, ${ALBUM_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      update: db.prepare(
        "UPDATE tracks SET md5 = ?, size = ?, title = ?, artist = ?, album = ?, track_no = ?, duration = ?, " +
          `format = ?, details = ?, sort_key = ?, hay = ?, ${
            ALBUM_COLUMNS.replaceAll(",", " = ?,")
          } = ? WHERE n = ?`,
      ),
      updateDetails: db.prepare(
        `UPDATE tracks SET details = ?, ${ALBUM_COLUMNS.replaceAll(",", " = ?,")} = ? WHERE n = ?`,
      ),
      addReplica: db.prepare("INSERT OR IGNORE INTO replicas (instance, track) VALUES (?, ?)"),
      dropReplica: db.prepare("DELETE FROM replicas WHERE instance = ? AND track = ?"),
      replicaCount: db.prepare(
        "SELECT count(*) AS c, max(instance = ?) AS mine FROM replicas WHERE track = ?",
      ),
      dropTrack: db.prepare(
        "DELETE FROM tracks WHERE n = ? AND NOT EXISTS (SELECT 1 FROM replicas WHERE track = ?)",
      ),
      heldBy: db.prepare(
        "SELECT t.id AS id FROM replicas r JOIN tracks t ON t.n = r.track WHERE r.instance = ?",
      ),
      dropInstance: db.prepare("DELETE FROM replicas WHERE instance = ? RETURNING track"),
      orphans: db.prepare(
        "DELETE FROM tracks WHERE n IN (SELECT value FROM json_each(?)) " +
          "AND NOT EXISTS (SELECT 1 FROM replicas WHERE track = n)",
      ),
      idRange: db.prepare("SELECT n FROM tracks WHERE key BETWEEN ? AND ? AND id >= ? AND id < ?"),
      setDigest: db.prepare("INSERT OR REPLACE INTO digests (instance, digest) VALUES (?, ?)"),
      dropDigest: db.prepare("DELETE FROM digests WHERE instance = ?"),
      digest: db.prepare("SELECT digest FROM digests WHERE instance = ?"),
      byKeys: db.prepare(
        "SELECT n, id FROM tracks WHERE key IN (SELECT value FROM json_each(?))",
      ),
      albums: db.prepare(ALBUMS_SQL),
    };
    this.#count();
  }

  /** The database file (":memory:" for none). */
  readonly file: string;

  /**
   * Commits what was announced and not yet committed (see {@linkcode announce}'s batching), so that another
   * connection to {@linkcode file} reads all of it.
   */
  flush(): void {
    this.#commit();
  }

  /** Why the file was started afresh, if it was: another version's, or not readable. */
  readonly reset: string | undefined;

  static #open(path: string): { db: DatabaseSync; reset?: string } {
    let reset: string | undefined;
    const attempt = () => {
      const db = new DatabaseSync(path);
      try {
        db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -8000");
        const version = (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version;
        if (version !== SCHEMA_VERSION) {
          const tables = (db.prepare("SELECT count(*) AS c FROM sqlite_master").get() as { c: number }).c;
          if (version !== 0 || tables > 0) reset = `it was version ${version}'s, this is ${SCHEMA_VERSION}`;
          db.exec("DROP TABLE IF EXISTS tracks; DROP TABLE IF EXISTS replicas; DROP TABLE IF EXISTS digests");
          db.exec(`${SCHEMA} PRAGMA user_version = ${SCHEMA_VERSION}`);
        }
        return db;
      } catch (error) {
        db.close();
        throw error;
      }
    };
    try {
      const db = attempt();
      return reset ? { db, reset } : { db };
    } catch (error) {
      if (path === ":memory:") throw error;
      reset = `it could not be read (${(error as Error).message})`;
      // Damaged (or not SQLite at all): what it held comes back with the next announcements.
      for (const suffix of ["", "-wal", "-shm"]) {
        try {
          Deno.removeSync(path + suffix);
        } catch { /* absent */ }
      }
      return { db: attempt(), reset };
    }
  }

  /** Number of distinct tracks. */
  get size(): number {
    return this.#size;
  }

  /** Changes whenever what the catalog holds or shows changed. */
  get version(): number {
    return this.#version;
  }

  /** Closes the database; the catalog is not used after. */
  close(): void {
    if (!this.#db.isOpen) return;
    this.#commit();
    this.#db.close();
  }

  #changed(): void {
    this.#version++;
    this.#view = null;
    this.#all = null;
    this.#busyAt = Date.now();
  }

  /**
   * When the catalog last changed or built its view and index (Unix ms): both leave garbage behind. Answers do
   * not count: with the OpenSubsonic library alive (100,000 tracks), a full collection took 300 ms or more, and
   * one every 2 s under searches made their p95 430 ms.
   */
  get busyAt(): number {
    return this.#busyAt;
  }

  /**
   * Runs `work` as one unit: all of it or nothing. Units are committed together, at most {@linkcode COMMIT_MS}
   * after the first: a commit writes every page the unit touched to the log, and the random keys of ids and
   * catalog order touch a page per track, so committing each announcement of 200 tracks alone took half the
   * time of a large announcement. (A crash loses the last fraction of a second: the instances announce again.)
   */
  #transaction<T>(work: () => T): T {
    if (this.#commitTimer === undefined) {
      this.#db.exec("BEGIN");
      this.#commitTimer = setTimeout(() => this.#commit(), COMMIT_MS);
      Deno.unrefTimer(this.#commitTimer as unknown as number);
    }
    const size = this.#size;
    const held = new Map(this.#held);
    this.#db.exec("SAVEPOINT unit");
    try {
      const out = work();
      this.#db.exec("RELEASE unit");
      return out;
    } catch (error) {
      this.#db.exec("ROLLBACK TO unit; RELEASE unit");
      this.#size = size;
      this.#held = held;
      this.#changed();
      throw error;
    }
  }

  #commit(): void {
    if (this.#commitTimer === undefined) return;
    clearTimeout(this.#commitTimer);
    this.#commitTimer = undefined;
    try {
      this.#db.exec("COMMIT");
    } catch {
      // A full disk, say: what was not committed is gone (the instances announce it again when they register
      // anew); the counts follow what the database holds.
      try {
        this.#db.exec("ROLLBACK");
      } catch { /* no transaction left */ }
      this.#count();
      this.#changed();
    }
  }

  /** Reads the counts kept in memory from the database. */
  #count(): void {
    const db = this.#db;
    this.#size = Number((db.prepare("SELECT count(*) AS c FROM tracks").get() as { c: number }).c);
    const counts = db.prepare("SELECT instance, count(*) AS c FROM replicas GROUP BY instance").all() as {
      instance: string;
      c: number;
    }[];
    this.#held = new Map(counts.map(({ instance, c }) => [instance, Number(c)]));
  }

  /**
   * Records that `instance` holds `tracks`. With `replace`, the instance's earlier announcements are dropped
   * first (a full announcement after a (re-)start). `digest` is what the instance says its whole library is once
   * this announcement is in: kept until its next announcement, and answered when it registers again, so that an
   * instance whose library did not change need not announce it again.
   */
  announce(
    instance: string,
    tracks: AnnouncedTrack[],
    options: { replace?: boolean; removed?: string[]; digest?: string } = {},
  ): { added: string[]; removed: string[] } {
    return this.#transaction(() => {
      const q = this.#q;
      const previous = options.replace ? new Set(this.heldBy(instance)) : undefined;
      if (options.replace) this.#dropInstance(instance);
      let held = this.#held.get(instance) ?? 0;
      const added: string[] = [];
      const removed: string[] = [];
      for (const id of options.removed ?? []) {
        const row = q.byId.get(keyOf(id), id) as { n: number } | undefined;
        if (!row || q.dropReplica.run(instance, row.n).changes === 0) continue;
        held--;
        removed.push(id);
        if (q.dropTrack.run(row.n, row.n).changes > 0) {
          this.#size--;
          this.#changed();
        }
      }
      const heldNow = new Set<string>();
      for (const track of tracks) {
        const n = this.#upsert(instance, track);
        heldNow.add(track.id);
        if (q.addReplica.run(instance, n).changes > 0) {
          held++;
          if (!previous?.has(track.id)) added.push(track.id);
        }
      }
      if (previous) { for (const id of previous) if (!heldNow.has(id)) removed.push(id); }
      if (held > 0) this.#held.set(instance, held);
      else this.#held.delete(instance);
      if (options.digest !== undefined) q.setDigest.run(instance, options.digest);
      else q.dropDigest.run(instance);
      return { added, removed };
    });
  }

  /** Adds or merges one announced track; returns its row number. */
  #upsert(instance: string, track: AnnouncedTrack): number {
    const q = this.#q;
    const details = track.details === undefined ? null : JSON.stringify(track.details);
    const key = keyOf(track.id);
    const existing = q.byId.get(key, track.id) as {
      n: number;
      md5: string;
      artist: string;
      album: string;
      details: string | null;
    } | undefined;
    if (!existing) {
      // run(), not RETURNING: a result row costs a third of the insert.
      const { lastInsertRowid } = q.insert.run(track.id, key, ...columnsOf(track, details));
      this.#size++;
      this.#changed();
      return Number(lastInsertRowid);
    }
    const { n } = existing;
    const replicas = q.replicaCount.get(instance, n) as { c: number; mine: number | null };
    const count = Number(replicas.c);
    if (count === 0 || existing.md5 === track.md5) {
      // Same bytes: keep the richer tags (an untagged copy must not hide the tagged one's).
      if (!existing.artist && track.artist) {
        const kept = details === null && existing.details !== null
          ? { ...track, details: JSON.parse(existing.details) as TrackDetails }
          : track;
        q.update.run(...columnsOf(kept, details ?? existing.details), n);
        this.#changed();
      } else if (
        details !== null && details !== existing.details &&
        (existing.details === null || (count === 1 && Number(replicas.mine) === 1))
      ) {
        // A member that sends no details (an older one) leaves them to one that does; the only replica's
        // new announcement brings its current ones (a cover.jpg added beside it, say).
        const tagged = { ...track, artist: existing.artist, album: existing.album };
        q.updateDetails.run(details, ...albumColumnsOf(tagged), n);
        this.#changed();
      }
    }
    return n;
  }

  /** The digest `instance` gave with its last announcement, if the catalog still holds what it announced. */
  digestOf(instance: string): string | undefined {
    return (this.#q.digest.get(instance) as { digest: string } | undefined)?.digest;
  }

  /** The instances holding replicas. */
  instances(): string[] {
    return [...this.#held.keys()];
  }

  /** The ids of the tracks an instance announced. */
  heldBy(instance: string): string[] {
    if (!this.#held.has(instance)) return [];
    return (this.#q.heldBy.all(instance) as { id: string }[]).map((r) => r.id);
  }

  /** Drops every replica an instance held (it went down or left). Returns how many tracks disappeared. */
  removeInstance(instance: string): number {
    if (!this.#held.has(instance)) {
      this.#q.dropDigest.run(instance);
      return 0;
    }
    return this.#transaction(() => this.#dropInstance(instance));
  }

  #dropInstance(instance: string): number {
    this.#held.delete(instance);
    this.#q.dropDigest.run(instance);
    const tracks = (this.#q.dropInstance.all(instance) as { track: number }[]).map((r) => r.track);
    if (tracks.length === 0) return 0;
    const gone = Number(this.#q.orphans.run(JSON.stringify(tracks)).changes);
    this.#size -= gone;
    if (gone > 0) this.#changed();
    return gone;
  }

  /** How many tracks an instance announced. */
  countFor(instance: string): number {
    return this.#held.get(instance) ?? 0;
  }

  get(id: string): CatalogEntry | undefined {
    const row = this.#q.byId.get(keyOf(id), id) as { n: number } | undefined;
    return row ? this.#entry(row.n) : undefined;
  }

  #entry(n: number): CatalogEntry | undefined {
    const row = this.#q.row.get(n) as TrackRow | undefined;
    return row ? entryOf(row) : undefined;
  }

  /** The entries at catalog positions `ranks`, in that order. */
  #entries(ranks: Iterable<number>): CatalogEntry[] {
    const { order } = this.#currentView();
    const ns: number[] = [];
    for (const r of ranks) ns.push(order[r]!);
    return this.rows(ns);
  }

  /** The entries at catalog positions `ranks` (0 to {@linkcode size}), in that order. */
  entriesAt(ranks: readonly number[]): CatalogEntry[] {
    const count = this.#currentView().order.length;
    return this.#entries(ranks.filter((r) => Number.isInteger(r) && r >= 0 && r < count));
  }

  /** The entries in rows `ns` (as {@linkcode albums} names them), in that order; rows gone are left out. */
  rows(ns: ArrayLike<number>): CatalogEntry[] {
    const out: CatalogEntry[] = [];
    // A statement per page of rows, not per row: each call costs more than reading the row.
    for (let i = 0; i < ns.length; i += ROWS_PER_READ) {
      const part = Array.from({ length: Math.min(ROWS_PER_READ, ns.length - i) }, (_, k) => ns[i + k]!);
      const read = new Map<number, CatalogEntry>();
      for (const row of this.#q.rows.iterate(JSON.stringify(part)) as Iterable<TrackRow>) {
        read.set(Number(row.n), entryOf(row));
      }
      for (const n of part) {
        const entry = read.get(n);
        if (entry) out.push(entry);
      }
    }
    return out;
  }

  /** The rows of the tracks with these ids (those the catalog holds), by id. */
  rowsOf(ids: Iterable<string>): Map<string, number> {
    const wanted = new Set<string>();
    for (const id of ids) if (keyOf(id) >= 0) wanted.add(id);
    const out = new Map<string, number>();
    const all = [...wanted];
    for (let i = 0; i < all.length; i += ROWS_PER_READ) {
      const keys = all.slice(i, i + ROWS_PER_READ).map(keyOf);
      for (const row of this.#q.byKeys.iterate(JSON.stringify(keys)) as Iterable<{ n: number; id: string }>) {
        if (wanted.has(row.id)) out.set(row.id, Number(row.n));
      }
    }
    return out;
  }

  /**
   * Every album (the tracks of one album artist and album name, as tagged) summed up by SQLite: its rows in
   * disc, track number and title order, one pass over the table (2 s for a million tracks) and no entry made.
   * Spellings that fold alike ("Beyoncé" and "Beyonce") are separate rows here.
   */
  albums(): Iterable<AlbumRow> {
    return this.#q.albums.iterate() as Iterable<AlbumRow>;
  }

  #currentView(): View {
    if (this.#view) return this.#view;
    // Both built by SQLite in one pass over the order index: no row becomes a JavaScript object.
    const built = this.#db.prepare(
      "SELECT string_agg(n, ',') AS ns, string_agg(hay, char(31)) AS text " +
        "FROM (SELECT n, hay FROM tracks INDEXED BY tracks_order ORDER BY sort_key)",
    ).get() as { ns: string | null; text: string | null };
    const ns = built.ns ?? "";
    const count = ns === "" ? 0 : this.#size;
    const order = new Int32Array(count);
    let max = 0;
    let at = 0;
    for (let i = 0; i < count; i++) {
      let v = 0;
      for (let c = ns.charCodeAt(at); c >= 48 && c <= 57; c = ns.charCodeAt(++at)) v = v * 10 + c - 48;
      at++;
      order[i] = v;
      if (v > max) max = v;
    }
    const rank = new Int32Array(max + 1).fill(-1);
    for (let i = 0; i < count; i++) rank[order[i]!] = i;
    // The last entry ends where the text does (appending an END would copy all of it).
    const text = count === 0 ? "" : built.text ?? "";
    const starts = new Int32Array(count);
    for (let i = 0, pos = 0; i < count; i++) {
      starts[i] = pos;
      pos = text.indexOf(END, pos) + 1;
    }
    this.#busyAt = Date.now();
    const view: View = { order, rank, index: new TextIndex(text, starts) };
    this.#view = view;
    // Building the index between requests leaves garbage too.
    view.index.build(() => {
      this.#busyAt = Date.now();
      return this.#view === view;
    });
    return view;
  }

  /** All entries ordered by artist, album, track number, title. The same array until the catalog changes. */
  all(): CatalogEntry[] {
    if (!this.#all) {
      const view = this.#currentView();
      this.#all = this.#entries(view.order.keys());
    }
    return this.#all;
  }

  /**
   * Entries matching every word of `query` in title, artist or album (accent- and case-insensitive), or whose id
   * starts with `query` (two hex digits or more). An empty query matches everything.
   */
  search(query: string): CatalogEntry[] {
    const bits = this.#match(query);
    return bits === null ? this.all() : this.#entries(ranksOf(bits, 0, Infinity));
  }

  /** One page of {@linkcode search}'s answer and how many match in all: only the page is read. */
  page(query: string, offset: number, limit: number): { total: number; entries: CatalogEntry[] } {
    const bits = this.#match(query);
    if (bits === null) {
      const view = this.#currentView();
      const end = Math.min(view.order.length, offset + limit);
      const page: number[] = [];
      for (let r = offset; r < end; r++) page.push(r);
      return { total: view.order.length, entries: this.#entries(page) };
    }
    return { total: countBits(bits), entries: this.#entries(ranksOf(bits, offset, limit)) };
  }

  /** A bit per catalog position: whether it matches `query`; null for all of them. */
  #match(query: string): Uint32Array | null {
    const q = query.trim();
    if (q === "") return null;
    const { index, rank } = this.#currentView();
    const words = [...new Set(foldText(q).split(/\s+/).filter(Boolean))];
    const bits = words.length > 0 && !words.some((w) => w.includes(END))
      ? index.match(words)
      : new Uint32Array((index.size + 31) >>> 5);
    const lower = q.toLowerCase();
    if (/^[0-9a-f]{2,64}$/.test(lower)) {
      // Ids are hex: the prefix's range in the id index.
      for (const row of this.#q.idRange.iterate(...idRange(lower)) as Iterable<{ n: number }>) {
        const r = rank[row.n] ?? -1;
        if (r >= 0) bits[r >>> 5]! |= 1 << (r & 31);
      }
    }
    return bits;
  }

  /** Resolves an id, a unique id prefix (at least 4 characters) or a unique title (exact, then case-insensitive). */
  resolve(ref: string): Resolution {
    const text = ref.trim();
    const lower = text.toLowerCase();
    const exact = /^[0-9a-f]{64}$/.test(lower) ? this.get(lower) : undefined;
    if (exact) return { kind: "found", entry: exact };
    const pick = (matches: CatalogEntry[]): Resolution | undefined =>
      matches.length === 1
        ? { kind: "found", entry: matches[0]! }
        : matches.length > 1
        ? { kind: "ambiguous", matches }
        : undefined;
    if (/^[0-9a-f]{4,63}$/.test(lower)) {
      const rows = this.#q.idRange.all(...idRange(lower)) as { n: number }[];
      const byPrefix = pick(rows.map((r) => this.#entry(r.n)!).filter(Boolean));
      if (byPrefix) return byPrefix;
    }
    // A title is where an entry's text starts, up to its first "\n".
    const folded = foldText(text).replaceAll(END, " ");
    if (folded === "" || folded.includes("\n")) return { kind: "none" };
    const { text: all, starts } = this.#currentView().index;
    const ranks: number[] = all.startsWith(`${folded}\n`) ? [0] : [];
    // Any other entry's title follows the end of the entry before it.
    const needle = `${END}${folded}\n`;
    for (let at = all.indexOf(needle); at !== -1; at = all.indexOf(needle, at + 1)) {
      ranks.push(entryAt(starts, at + 1, ranks.at(-1) ?? 0));
    }
    const titled = this.#entries(ranks);
    return pick(titled.filter((e) => e.title === text)) ?? pick(titled) ?? { kind: "none" };
  }
}
