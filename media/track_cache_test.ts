import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { defaultCacheDir, TrackCache } from "./track_cache.ts";

function md5(bytes: Uint8Array): string {
  return createHash("md5").update(bytes).digest("hex");
}

/** A track of `size` bytes filled with `fill`, and its id and MD5. */
function track(fill: number, size: number): { id: string; md5: string; bytes: Uint8Array } {
  const bytes = new Uint8Array(size).fill(fill);
  return { id: createHash("sha256").update(bytes).digest("hex"), md5: md5(bytes), bytes };
}

async function readAll(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  const all = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return all;
}

async function withCacheDir(test: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await test(join(dir, "tracks"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

Deno.test("TrackCache put then read returns the same bytes, and has() sees them", async () => {
  await withCacheDir(async (dir) => {
    const cache = new TrackCache(dir);
    const a = track(7, 3_000_000);
    assert.equal(await cache.has(a.id, a.md5), false);
    await cache.put(a.id, a.md5, chunked(a.bytes, 65_536));
    assert.equal(await cache.has(a.id, a.md5), true);
    assert.deepEqual(await readAll(cache.read(a.id, a.md5)), a.bytes);
    const names = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    assert.deepEqual(names, [`${a.id}-${a.md5}`], "a temp file was left behind");
  });
});

Deno.test("TrackCache evicts the least recently used tracks, counting reads as use", async () => {
  await withCacheDir(async (dir) => {
    let now = 1_000_000;
    const cache = new TrackCache(dir, { maxBytes: 3_000, now: () => now });
    const [a, b, c, d] = [track(1, 1_000), track(2, 1_000), track(3, 1_000), track(4, 1_000)];
    for (const t of [a!, b!, c!]) {
      now += 1_000;
      await cache.put(t.id, t.md5, [t.bytes]);
    }
    now += 1_000;
    await readAll(cache.read(a!.id, a!.md5)); // a is now more recent than b and c
    now += 1_000;
    await cache.put(d!.id, d!.md5, [d!.bytes]);
    assert.equal(await cache.has(a!.id, a!.md5), true);
    assert.equal(await cache.has(b!.id, b!.md5), false, "b was the least recently used");
    assert.equal(await cache.has(c!.id, c!.md5), true);
    assert.equal(await cache.has(d!.id, d!.md5), true);
  });
});

Deno.test("TrackCache does not store a track larger than its bound and keeps the others", async () => {
  await withCacheDir(async (dir) => {
    const cache = new TrackCache(dir, { maxBytes: 1_500 });
    const small = track(1, 1_000);
    const big = track(2, 2_000);
    await cache.put(small.id, small.md5, [small.bytes]);
    await cache.put(big.id, big.md5, [big.bytes]);
    assert.equal(await cache.has(big.id, big.md5), false);
    assert.equal(await cache.has(small.id, small.md5), true);
  });
});

Deno.test("TrackCache read of a corrupted file throws and deletes it", async () => {
  await withCacheDir(async (dir) => {
    const cache = new TrackCache(dir);
    const a = track(9, 100_000);
    await cache.put(a.id, a.md5, [a.bytes]);
    const path = join(dir, `${a.id}-${a.md5}`);
    const damaged = await Deno.readFile(path);
    damaged[50_000] = 0;
    await Deno.writeFile(path, damaged);
    await assert.rejects(
      readAll(cache.read(a.id, a.md5)),
      /^Error: Cannot read track [0-9a-f]+ from the cache: its MD5/,
    );
    assert.equal(await cache.has(a.id, a.md5), false);
  });
});

Deno.test("TrackCache put refuses bytes that do not match the MD5 and leaves nothing behind", async () => {
  await withCacheDir(async (dir) => {
    const cache = new TrackCache(dir);
    const a = track(5, 1_000);
    const other = track(6, 1_000);
    await assert.rejects(
      cache.put(a.id, a.md5, [other.bytes]),
      /^Error: Cannot cache track [0-9a-f]+: its bytes/,
    );
    assert.equal(await cache.has(a.id, a.md5), false);
    assert.deepEqual(await Array.fromAsync(Deno.readDir(dir)), []);
  });
});

Deno.test("TrackCache put stores nothing when the source fails midway", async () => {
  await withCacheDir(async (dir) => {
    const cache = new TrackCache(dir);
    const a = track(5, 1_000);
    async function* failing() {
      yield a.bytes.subarray(0, 500);
      throw new Error("replica died");
    }
    await assert.rejects(cache.put(a.id, a.md5, failing()), /replica died/);
    assert.deepEqual(await Array.fromAsync(Deno.readDir(dir)), []);
  });
});

Deno.test("TrackCache read of a track it does not have throws at once", async () => {
  await withCacheDir(async (dir) => {
    const a = track(1, 10);
    await assert.rejects(readAll(new TrackCache(dir).read(a.id, a.md5)), /it is not cached/);
  });
});

Deno.test("TrackCache rejects ids that are not hex, so no path can escape its directory", async () => {
  await withCacheDir(async (dir) => {
    await assert.rejects(
      new TrackCache(dir).has("../../etc/passwd", "0".repeat(32)),
      /is not a hex track id/,
    );
  });
});

Deno.test("defaultCacheDir honours XDG_CACHE_HOME", () => {
  const saved = Deno.env.get("XDG_CACHE_HOME");
  try {
    Deno.env.set("XDG_CACHE_HOME", "/x/cache");
    assert.equal(defaultCacheDir(), "/x/cache/audiod/tracks");
    Deno.env.delete("XDG_CACHE_HOME");
    assert.equal(defaultCacheDir(), join(Deno.env.get("HOME") ?? ".", ".cache", "audiod", "tracks"));
  } finally {
    if (saved === undefined) Deno.env.delete("XDG_CACHE_HOME");
    else Deno.env.set("XDG_CACHE_HOME", saved);
  }
});
