import assert from "node:assert/strict";
import { ChainRecorder } from "./chain_states.ts";
import { createHash } from "node:crypto";
import { join } from "node:path";
import {
  CHUNK_SIZE,
  chunkBounds,
  chunkCount,
  chunkIndexAt,
  computeManifest,
  isChunkManifest,
  isManifestHead,
  ManifestBuilder,
  manifestChunks,
  manifestFromStates,
  verifyChunks,
} from "./chunk_manifest.ts";
import { md5OfFile } from "../tests/fixtures.ts";

function randomBytes(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
  return bytes;
}

/** MD5 of bytes [start, start + length) of a file, computed by dd and md5sum. */
async function md5sumOfRange(path: string, start: number, length: number): Promise<string> {
  const script = 'dd if="$1" iflag=skip_bytes,count_bytes skip="$2" count="$3" status=none | md5sum';
  const { success, stdout } = await new Deno.Command("sh", {
    args: ["-c", script, "sh", path, String(start), String(length)],
  }).output();
  assert.ok(success);
  return new TextDecoder().decode(stdout).slice(0, 32);
}

async function withFile(bytes: Uint8Array, body: (path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "data.bin");
    await Deno.writeFile(path, bytes);
    await body(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("computeManifest() chunk digests equal md5sum of each 1 MiB range and the whole file", async () => {
  const size = 3 * CHUNK_SIZE + 4321;
  await withFile(randomBytes(size), async (path) => {
    const manifest = await computeManifest(path);
    assert.equal(manifest.size, size);
    assert.equal(manifest.chunkSize, CHUNK_SIZE);
    assert.equal(manifest.md5, await md5OfFile(path));
    const expected = [];
    for (let start = 0; start < size; start += CHUNK_SIZE) {
      expected.push(await md5sumOfRange(path, start, Math.min(CHUNK_SIZE, size - start)));
    }
    assert.deepEqual(manifest.chunks, expected);
    assert.ok(isChunkManifest(manifest));
  });
});

Deno.test("computeManifest() with a file of exactly N chunks has no empty last chunk", async () => {
  await withFile(randomBytes(2 * CHUNK_SIZE), async (path) => {
    const manifest = await computeManifest(path);
    assert.equal(manifest.chunks.length, 2);
    assert.equal(manifest.chunks[1], await md5sumOfRange(path, CHUNK_SIZE, CHUNK_SIZE));
    assert.equal(manifest.md5, await md5OfFile(path));
  });
});

Deno.test("computeManifest() with small chunks splits each read block into many chunks", async () => {
  const bytes = randomBytes((1 << 20) + 5000);
  await withFile(bytes, async (path) => {
    const chunkSize = 960; // does not divide 1 MiB, so chunks straddle read blocks
    const manifest = await computeManifest(path, { chunkSize });
    const expected = [];
    for (let start = 0; start < bytes.length; start += chunkSize) {
      expected.push(createHash("md5").update(bytes.subarray(start, start + chunkSize)).digest("hex"));
    }
    assert.deepEqual(manifest.chunks, expected);
    assert.equal(manifest.md5, await md5OfFile(path));
  });
});

Deno.test("computeManifest() of an empty file has no chunks and the empty MD5", async () => {
  await withFile(new Uint8Array(), async (path) => {
    assert.deepEqual(await computeManifest(path), {
      size: 0,
      md5: "d41d8cd98f00b204e9800998ecf8427e",
      chunkSize: CHUNK_SIZE,
      chunks: [],
      states: [],
    });
  });
});

Deno.test("computeManifest() of a one-chunk file has the whole-file MD5 as its chunk", async () => {
  await withFile(new TextEncoder().encode("hello\n"), async (path) => {
    const manifest = await computeManifest(path);
    assert.deepEqual(manifest.chunks, ["b1946ac92492d2347c6235b4d2611184"]);
    assert.equal(manifest.md5, "b1946ac92492d2347c6235b4d2611184");
  });
});

Deno.test("computeManifest() rejects a chunk size that is not a positive integer", async () => {
  await withFile(new Uint8Array(10), async (path) => {
    await assert.rejects(computeManifest(path, { chunkSize: 0 }), RangeError);
    await assert.rejects(computeManifest(path, { chunkSize: 1.5 }), RangeError);
    await assert.rejects(computeManifest(path, { chunkSize: 1000 }), /multiple of 64/);
  });
});

Deno.test("chunkCount() and chunkBounds() cover the file exactly", async (t) => {
  const cases = [
    { size: 0, chunkSize: 10, count: 0 },
    { size: 1, chunkSize: 10, count: 1 },
    { size: 10, chunkSize: 10, count: 1 },
    { size: 11, chunkSize: 10, count: 2 },
    { size: 3 * CHUNK_SIZE, chunkSize: CHUNK_SIZE, count: 3 },
  ];
  for (const { size, chunkSize, count } of cases) {
    await t.step(`size ${size}, chunk size ${chunkSize}`, () => {
      assert.equal(chunkCount(size, chunkSize), count);
      let covered = 0;
      for (let i = 0; i < count; i++) {
        const { start, end } = chunkBounds({ size, chunkSize }, i);
        assert.equal(start, covered);
        assert.ok(end > start && end - start <= chunkSize);
        covered = end;
      }
      assert.equal(covered, size);
      assert.throws(() => chunkBounds({ size, chunkSize }, count), RangeError);
      assert.throws(() => chunkBounds({ size, chunkSize }, -1), RangeError);
    });
  }
  assert.throws(() => chunkCount(10, 0), RangeError);
  assert.throws(() => chunkCount(-1, 10), RangeError);
});

Deno.test("isChunkManifest() accepts consistent manifests and rejects inconsistent ones", async (t) => {
  const a = "0123456789abcdef0123456789abcdef";
  const b = "fedcba9876543210fedcba9876543210";
  const valid = { size: 150, md5: b, chunkSize: 64, chunks: [a, a, b], states: [a, b] };
  assert.ok(isChunkManifest(valid));
  assert.ok(isChunkManifest(JSON.parse(JSON.stringify(valid))));
  assert.ok(isChunkManifest({
    size: 0,
    md5: "d41d8cd98f00b204e9800998ecf8427e",
    chunkSize: 64,
    chunks: [],
    states: [],
  }));
  const invalid: Record<string, unknown> = {
    "null": null,
    "a string": "manifest",
    "too few chunks": { ...valid, chunks: [a, a] },
    "too many chunks": { ...valid, chunks: [a, a, b, b] },
    "a non-hex chunk": { ...valid, chunks: [a, a, "z".repeat(32)] },
    "an uppercase chunk": { ...valid, chunks: [a, a, b.toUpperCase()] },
    "a short chunk digest": { ...valid, chunks: [a, a, "abc"] },
    "a non-string chunk": { ...valid, chunks: [a, a, 7] },
    "a bad md5": { ...valid, md5: "nope" },
    "a zero chunk size": { ...valid, chunkSize: 0 },
    "a chunk size not a multiple of 64": { ...valid, size: 25, chunkSize: 10 },
    "too few states": { ...valid, states: [a] },
    "a state per chunk": { ...valid, states: [a, a, b] },
    "a non-hex state": { ...valid, states: [a, "z".repeat(32)] },
    "missing states": { size: 150, md5: b, chunkSize: 64, chunks: [a, a, b] },
    "a fractional chunk size": { ...valid, chunkSize: 8.5 },
    "a negative size": { ...valid, size: -1 },
    "a fractional size": { ...valid, size: 150.5 },
    "a string size": { ...valid, size: "150" },
    "missing chunks": { size: 150, md5: b, chunkSize: 64, states: [a, b] },
    "an empty file with a non-empty md5": { size: 0, md5: a, chunkSize: 64, chunks: [], states: [] },
    "one chunk whose digest differs from the file's": {
      size: 5,
      md5: b,
      chunkSize: 64,
      chunks: [a],
      states: [],
    },
  };
  for (const [name, value] of Object.entries(invalid)) {
    await t.step(`rejects ${name}`, () => assert.equal(isChunkManifest(value), false));
  }
});

Deno.test("isManifestHead() accepts the digests and states of some but not all chunks", async (t) => {
  const a = "0123456789abcdef0123456789abcdef";
  const b = "fedcba9876543210fedcba9876543210";
  // 3 chunks: a head has 1 or 2 of them, with a state after each.
  const head = { size: 150, md5: b, chunkSize: 64, chunks: [a, b], states: [a, b] };
  assert.ok(isManifestHead(head));
  assert.ok(isManifestHead({ ...head, chunks: [a], states: [b] }));
  assert.ok(isManifestHead(JSON.parse(JSON.stringify({ ...head, partial: true }))));
  const invalid: Record<string, unknown> = {
    "null": null,
    "a string": "manifest",
    "no chunks": { ...head, chunks: [], states: [] },
    "every chunk": { ...head, chunks: [a, a, b], states: [a, a, b] },
    "every chunk, one state fewer (a whole manifest)": { ...head, chunks: [a, a, b], states: [a, b] },
    "one state fewer": { ...head, states: [a] },
    "a non-hex chunk": { ...head, chunks: [a, "z".repeat(32)] },
    "an uppercase state": { ...head, states: [a, b.toUpperCase()] },
    "a non-string state": { ...head, states: [a, 7] },
    "a bad md5": { ...head, md5: "nope" },
    "a zero chunk size": { ...head, chunkSize: 0 },
    "a chunk size not a multiple of 64": { ...head, size: 25, chunkSize: 10 },
    "a fractional size": { ...head, size: 150.5 },
    "a string size": { ...head, size: "150" },
    "missing states": { size: 150, md5: b, chunkSize: 64, chunks: [a] },
    "missing chunks": { size: 150, md5: b, chunkSize: 64, states: [a] },
  };
  for (const [name, value] of Object.entries(invalid)) {
    await t.step(`rejects ${name}`, () => assert.equal(isManifestHead(value), false));
  }
});

Deno.test("verifyChunks() checks chunks against the states, in any order and in twelves, and finds the bad one", async () => {
  const size = 25 * 4096 + 100;
  const bytes = randomBytes(size);
  await withFile(bytes, async (path) => {
    const chunkSize = 4096;
    const manifest = await computeManifest(path, { chunkSize });
    assert.equal(manifest.md5, await md5OfFile(path));
    assert.equal(manifest.states.length, 25);
    const chunk = (i: number) => bytes.slice(i * chunkSize, Math.min(size, (i + 1) * chunkSize));
    const all = Array.from({ length: 26 }, (_, i) => chunk(i));
    // Three batches: twelve, twelve and two.
    assert.equal(verifyChunks(manifest, 0, all), 26);
    // From the middle, and the last (short) chunk alone.
    assert.equal(verifyChunks(manifest, 5, all.slice(5, 8)), 3);
    assert.equal(verifyChunks(manifest, 25, [chunk(25)]), 1);
    // One flipped bit in chunk 6: chunks 4 and 5 pass, 6 does not, and nothing after it counts.
    const bad = all.map((c) => c.slice());
    bad[6]![100]! ^= 1;
    assert.equal(verifyChunks(manifest, 4, bad.slice(4)), 2);
    // In the second batch of twelve: the first batch and three of the second pass.
    const late = all.map((c) => c.slice());
    late[15]![7]! ^= 1;
    assert.equal(verifyChunks(manifest, 0, late), 15);
    // A flipped bit in the last chunk fails the whole-file MD5; a chunk in the wrong place fails.
    bad[25]![0]! ^= 1;
    assert.equal(verifyChunks(manifest, 25, [bad[25]!]), 0);
    assert.equal(verifyChunks(manifest, 2, [chunk(3)]), 0);
    assert.equal(verifyChunks(manifest, 24, [chunk(24), chunk(25).subarray(1)]), 1);
  });
});

Deno.test("ManifestBuilder.head() gives the first chunks' digests and states before the end", () => {
  const bytes = randomBytes(5 * 1024 + 7);
  const builder = new ManifestBuilder(1024);
  builder.update(bytes.subarray(0, 2 * 1024 + 5));
  const head = builder.head();
  assert.equal(head.chunks.length, 2);
  assert.equal(head.states.length, 2);
  builder.update(bytes.subarray(2 * 1024 + 5));
  const manifest = builder.finish();
  assert.deepEqual(manifest.chunks.slice(0, 2), head.chunks);
  assert.deepEqual(manifest.states.slice(0, 2), head.states);
  assert.equal(manifest.md5, createHash("md5").update(bytes).digest("hex"));
  assert.equal(manifest.chunks.length, 6);
  assert.equal(
    verifyChunks(manifest, 0, Array.from({ length: 6 }, (_, i) => bytes.subarray(i * 1024, (i + 1) * 1024))),
    6,
  );
});

Deno.test("a doubling manifest from the scan's states checks small chunks first, side by side, and finds the bad one", () => {
  const bytes = new Uint8Array(3 * (1 << 20) + 777);
  for (let at = 0; at < bytes.length; at += 65536) crypto.getRandomValues(bytes.subarray(at, at + 65536));
  const recorder = new ChainRecorder();
  recorder.update(bytes.subarray(0, 1000));
  recorder.update(bytes.subarray(1000));
  const { md5, states } = recorder.finish();
  const manifest = manifestFromStates({ size: bytes.length, md5 }, states);
  assert.ok(isChunkManifest(manifest));
  assert.ok(isChunkManifest(JSON.parse(JSON.stringify(manifest))));
  assert.equal(isManifestHead(manifest), false);
  const count = manifestChunks(manifest);
  assert.equal(count, 10); // 16 … 512 KiB, 1 MiB, 2, 3 MiB and the rest
  assert.equal(manifest.states.length, count - 1);
  const chunks = Array.from({ length: count }, (_, i) => {
    const { start, end } = chunkBounds(manifest, i);
    return bytes.subarray(start, end);
  });
  assert.equal(chunks[0]!.length, 16 * 1024);
  assert.equal(chunks.reduce((n, c) => n + c.length, 0), bytes.length);
  assert.equal(verifyChunks(manifest, 0, chunks), count);
  assert.equal(verifyChunks(manifest, 0, [chunks[0]!]), 1);
  assert.equal(verifyChunks(manifest, 6, chunks.slice(6)), count - 6);
  assert.equal(chunkIndexAt(manifest, 20 * 1024), 1);
  assert.equal(chunkIndexAt(manifest, 1 << 20), 7);
  const bad = chunks.map((c) => c.slice());
  bad[8]![5]! ^= 1;
  assert.equal(verifyChunks(manifest, 4, bad.slice(4)), 4);
  assert.equal(isChunkManifest({ ...manifest, states: manifest.states.slice(1) }), false);
  assert.equal(isChunkManifest({ ...manifest, firstChunkSize: 3 * 64 }), false);
});
