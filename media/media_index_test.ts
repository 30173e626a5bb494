import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { CHUNK_SIZE, type ChunkManifest, type FixedManifest } from "./chunk_manifest.ts";
import { MediaIndex, type TrackRecord } from "./media_index.ts";

function record(path: string, overrides: Partial<TrackRecord> = {}): TrackRecord {
  const sha256 = overrides.sha256 ?? "ab".repeat(32);
  return {
    id: sha256,
    path,
    relPath: path.split("/").pop()!,
    size: 1234,
    mtimeMs: 1_700_000_000_123,
    md5: "0123456789abcdef0123456789abcdef",
    sha256,
    title: "Title",
    artist: "Artist",
    album: "Album",
    trackNo: 3,
    duration: 12.5,
    ...overrides,
  };
}

const MANIFEST: FixedManifest = {
  size: 2 * CHUNK_SIZE + 10,
  md5: "fedcba9876543210fedcba9876543210",
  chunkSize: CHUNK_SIZE,
  chunks: [
    "00112233445566778899aabbccddeeff",
    "0123456789abcdef0123456789abcdef",
    "ffeeddccbbaa99887766554433221100",
  ],
  states: ["0f0e0d0c0b0a09080706050403020100", "a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5"],
};

Deno.test("MediaIndex persists tracks across close and reopen, creating parent folders", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const dbPath = join(dir, "nested", "state", "index.db");
    const first = new MediaIndex(dbPath);
    const a = record("/music/a.mp3");
    const b = record("/music/b.flac", {
      sha256: "cd".repeat(32),
      trackNo: null,
      duration: null,
      title: "Ünïcode ✓",
    });
    first.upsert(a);
    first.upsert(b);
    first.close();

    const second = new MediaIndex(dbPath);
    try {
      assert.deepEqual(second.all(), [a, { ...b, id: b.sha256 }]);
      assert.deepEqual(second.byPath().get(a.path), a);
    } finally {
      second.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("MediaIndex.byPath() holds each path's latest record", async () => {
  const dir = await Deno.makeTempDir();
  const index = new MediaIndex(join(dir, "index.db"));
  try {
    assert.equal(index.byPath().size, 0);
    const a = record("/music/a.mp3");
    const b = record("/music/b.mp3", { sha256: "cd".repeat(32) });
    index.upsertMany([a, b]);
    const changed = { ...a, mtimeMs: a.mtimeMs + 5000, md5: "11".repeat(16) };
    index.upsert(changed);
    const byPath = index.byPath();
    assert.deepEqual([...byPath.keys()].sort(), [a.path, b.path]);
    assert.deepEqual(byPath.get(a.path), changed);
    assert.deepEqual(byPath.get(b.path), { ...b, id: b.sha256 });
    assert.equal(byPath.get("/music/other.mp3"), undefined);
  } finally {
    index.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("MediaIndex.upsertMany() writes all records in one go", async () => {
  const dir = await Deno.makeTempDir();
  const index = new MediaIndex(join(dir, "index.db"));
  try {
    const records = Array.from({ length: 500 }, (_, i) => record(`/music/${String(i).padStart(3, "0")}.wav`));
    index.upsertMany(records);
    index.upsertMany([]);
    assert.deepEqual(index.all(), records);
  } finally {
    index.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("MediaIndex.removeExcept() deletes rows not in the set, with their manifests, and counts them", async () => {
  const dir = await Deno.makeTempDir();
  const index = new MediaIndex(join(dir, "index.db"));
  try {
    for (const name of ["a", "b", "c", "d"]) index.upsert(record(`/music/${name}.mp3`));
    index.putManifest("/music/b.mp3", 1, MANIFEST);
    assert.equal(index.removeExcept(new Set(["/music/a.mp3", "/music/c.mp3", "/music/not-indexed.mp3"])), 2);
    assert.deepEqual(index.all().map((track) => track.path), ["/music/a.mp3", "/music/c.mp3"]);
    assert.equal(index.getManifest("/music/b.mp3", MANIFEST.size, 1, CHUNK_SIZE), undefined);
    assert.equal(index.removeExcept(new Set(["/music/a.mp3", "/music/c.mp3"])), 0);
    assert.equal(index.removeExcept(new Set()), 2);
    assert.deepEqual(index.all(), []);
  } finally {
    index.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("MediaIndex caches manifests as 16-byte digests for exactly one file state", async () => {
  const dir = await Deno.makeTempDir();
  const dbPath = join(dir, "index.db");
  const index = new MediaIndex(dbPath);
  try {
    const path = "/music/a.flac";
    index.putManifest(path, 42, MANIFEST);
    assert.deepEqual(index.getManifest(path, MANIFEST.size, 42, CHUNK_SIZE), MANIFEST);
    assert.equal(index.getManifest(path, MANIFEST.size, 43, CHUNK_SIZE), undefined);
    assert.equal(index.getManifest(path, MANIFEST.size + 1, 42, CHUNK_SIZE), undefined);
    assert.equal(index.getManifest(path, MANIFEST.size, 42, CHUNK_SIZE / 2), undefined);
    assert.equal(index.getManifest("/music/other.flac", MANIFEST.size, 42, CHUNK_SIZE), undefined);

    const empty: ChunkManifest = {
      size: 0,
      md5: "d41d8cd98f00b204e9800998ecf8427e",
      chunkSize: 1024,
      chunks: [],
      states: [],
    };
    index.putManifest("/music/empty.wav", 7, empty);
    assert.deepEqual(index.getManifest("/music/empty.wav", 0, 7, 1024), empty);

    assert.throws(
      () => index.putManifest(path, 42, { ...MANIFEST, chunks: MANIFEST.chunks.slice(1) }),
      TypeError,
    );

    const raw = new DatabaseSync(dbPath);
    try {
      const row = raw.prepare(
        "SELECT length(chunks) AS bytes, length(states) AS stateBytes FROM chunk_manifests WHERE path = ?",
      ).get(path);
      assert.equal(row?.bytes, 16 * MANIFEST.chunks.length);
      assert.equal(row?.stateBytes, 16 * MANIFEST.states.length);
    } finally {
      raw.close();
    }
  } finally {
    index.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("MediaIndex uses WAL so two instances on one file see each other's writes", async () => {
  const dir = await Deno.makeTempDir();
  const dbPath = join(dir, "shared.db");
  const one = new MediaIndex(dbPath);
  const two = new MediaIndex(dbPath);
  try {
    one.upsert(record("/music/one.mp3"));
    two.upsert(record("/music/two.mp3"));
    assert.deepEqual(one.all().map((track) => track.path), ["/music/one.mp3", "/music/two.mp3"]);
    assert.equal(two.removeExcept(new Set(["/music/two.mp3"])), 1);
    assert.deepEqual(one.all().map((track) => track.path), ["/music/two.mp3"]);
    const raw = new DatabaseSync(dbPath);
    try {
      assert.equal(raw.prepare("PRAGMA journal_mode").get()?.journal_mode, "wal");
    } finally {
      raw.close();
    }
  } finally {
    one.close();
    two.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("MediaIndex throws a clear error for a corrupt or unopenable database file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const corrupt = join(dir, "corrupt.db");
    await Deno.writeTextFile(
      corrupt,
      "this is not a sqlite database, just text that is long enough ".repeat(100),
    );
    assert.throws(
      () => new MediaIndex(corrupt),
      (error: Error) =>
        error.message.startsWith(`Cannot open media index ${corrupt}: `) &&
        /not a database/.test(error.message),
    );

    // A real index with a damaged page in the middle of its data.
    const damaged = join(dir, "damaged.db");
    const index = new MediaIndex(damaged);
    index.upsertMany(
      Array.from({ length: 2000 }, (_, i) => record(`/music/${i}.wav`, { title: "t".repeat(100) })),
    );
    index.close();
    const bytes = await Deno.readFile(damaged);
    assert.ok(bytes.length > 4 * 4096);
    bytes.fill(0xab, 2 * 4096, 4 * 4096);
    await Deno.writeFile(damaged, bytes);
    assert.throws(
      () => new MediaIndex(damaged),
      new RegExp(`^Error: Cannot open media index ${damaged}: database disk image is malformed \\(.*page`),
    );

    const folder = join(dir, "a-folder.db");
    await Deno.mkdir(folder);
    assert.throws(() => new MediaIndex(folder), new RegExp(`^Error: Cannot open media index ${folder}: `));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("MediaIndex keeps a track's chunk states while its size, mtime and MD5 stay, and drops them with it", async () => {
  const dir = await Deno.makeTempDir();
  const index = new MediaIndex(join(dir, "index.db"));
  try {
    // 40 KiB: chunk ends at 16 and 32 KiB, two states.
    const track = record("/music/a.mp3", { size: 40 * 1024 });
    const states = Uint8Array.from({ length: 32 }, (_, i) => i);
    index.upsertMany([track], new Map([[track.path, states]]));
    assert.deepEqual(index.getChainStates(track), states);
    assert.equal(index.getChainStates({ ...track, mtimeMs: track.mtimeMs + 1 }), undefined);
    assert.equal(index.getChainStates({ ...track, md5: "f".repeat(32) }), undefined);
    assert.throws(() => index.putChainStates(track, states.subarray(0, 16)), RangeError);
    assert.equal(index.removeExcept(new Set()), 1);
    assert.equal(index.getChainStates(track), undefined);
  } finally {
    index.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("MediaIndex keeps a record's details, and opens an index of version 1 with its records lacking them", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "index.db");
    // An index as version 1 wrote it: no details column, user_version 0.
    const old = new DatabaseSync(path);
    old.exec(`CREATE TABLE tracks (
      path TEXT PRIMARY KEY, rel_path TEXT NOT NULL, size INTEGER NOT NULL, mtime_ms REAL NOT NULL,
      md5 TEXT NOT NULL, sha256 TEXT NOT NULL, title TEXT NOT NULL, artist TEXT NOT NULL, album TEXT NOT NULL,
      track_no INTEGER, duration REAL) WITHOUT ROWID`);
    const legacy = record("/music/old.flac");
    old.prepare("INSERT INTO tracks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").run(
      legacy.path,
      legacy.relPath,
      legacy.size,
      legacy.mtimeMs,
      legacy.md5,
      legacy.sha256,
      legacy.title,
      legacy.artist,
      legacy.album,
      legacy.trackNo,
      legacy.duration,
    );
    old.close();

    let index = new MediaIndex(path);
    assert.deepEqual(index.all(), [legacy]);
    assert.equal("details" in index.all()[0]!, false);
    const detailed = record("/music/new.flac", {
      sha256: "cd".repeat(32),
      details: { albumArtist: "Various", genres: ["Ambient", "Drone"], year: 1999, discNo: 2, cover: "file" },
    });
    const empty = record("/music/plain.flac", { sha256: "ef".repeat(32), details: {} });
    index.upsertMany([detailed, empty]);
    index.close();

    index = new MediaIndex(path);
    try {
      assert.deepEqual(index.byPath().get(detailed.path), detailed);
      assert.deepEqual(index.byPath().get(empty.path)?.details, {});
      assert.equal(index.byPath().get(legacy.path)?.details, undefined);
    } finally {
      index.close();
    }
    const db = new DatabaseSync(path);
    assert.equal(db.prepare("PRAGMA user_version").get()?.user_version, 2);
    // Details that do not pass the wire check are dropped (and read again by the next scan), never announced.
    db.prepare("UPDATE tracks SET details = ? WHERE path = ?").run('{"year":"1999"}', detailed.path);
    db.close();
    index = new MediaIndex(path);
    try {
      assert.equal(index.byPath().get(detailed.path)?.details, undefined);
    } finally {
      index.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
