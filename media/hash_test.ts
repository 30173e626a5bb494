import assert from "node:assert/strict";
import { join } from "node:path";
import { hashFile, HashLanes, type LaneResult } from "./hash.ts";
import { md5OfFile } from "../tests/fixtures.ts";
import { DOUBLING_LAYOUT, innerBoundaries } from "../protocol/chunk_layout.ts";
import { md5Blocks, md5Start } from "./md5.ts";

function randomBytes(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
  return bytes;
}

async function sha256sum(path: string): Promise<string> {
  const { success, stdout } = await new Deno.Command("sha256sum", { args: ["--", path] }).output();
  assert.ok(success);
  return new TextDecoder().decode(stdout).slice(0, 64);
}

Deno.test("hashFile() equals md5sum and sha256sum on a multi-MiB file and reports every byte", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "big.bin");
    const size = 5 * (1 << 20) + 12345; // several full 1 MiB reads and a short last one
    await Deno.writeFile(path, randomBytes(size));
    let reported = 0;
    const { states: _states, ...digest } = await hashFile(path, { onBytes: (n) => (reported += n) });
    assert.deepEqual(digest, { md5: await md5OfFile(path), sha256: await sha256sum(path), size });
    assert.equal(reported, size);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("hashFile() of an empty file gives the well-known empty digests", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "empty.bin");
    await Deno.writeFile(path, new Uint8Array());
    assert.deepEqual(await hashFile(path), {
      md5: "d41d8cd98f00b204e9800998ecf8427e",
      sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      size: 0,
      states: new Uint8Array(0),
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("hashFile() rejects with NotFound when the file does not exist", async () => {
  await assert.rejects(hashFile("/nonexistent/audiod/file.wav"), Deno.errors.NotFound);
});

Deno.test("hashFile() stops with the signal's reason when aborted mid-file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "big.bin");
    await Deno.writeFile(path, new Uint8Array(4 << 20));
    const controller = new AbortController();
    const reason = new Error("stop");
    let reported = 0;
    await assert.rejects(
      hashFile(path, {
        signal: controller.signal,
        onBytes: (n) => {
          reported += n;
          controller.abort(reason);
        },
      }),
      (error) => error === reason,
    );
    assert.equal(reported, 1 << 20);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Runs `paths` through HashLanes, refilling free lanes after each round, as the scan's workers do. */
function hashInLanes(
  paths: string[],
  onBytes?: (path: string, n: number) => void,
): Map<string, LaneResult<string>> {
  const lanes = new HashLanes<string>(onBytes);
  const results = new Map<string, LaneResult<string>>();
  let next = 0;
  while (next < paths.length || lanes.busy) {
    while (lanes.free > 0 && next < paths.length) lanes.add(paths[next]!, paths[next++]!);
    for (const result of lanes.round()) results.set(result.job, result);
  }
  return results;
}

Deno.test("HashLanes gives each file the digest hashFile() gives, four at a time, whatever their sizes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const KIB = 1024;
    const sizes = [
      0,
      1,
      63,
      64,
      65,
      256 * KIB - 1,
      256 * KIB,
      256 * KIB + 1,
      512 * KIB,
      1024 * KIB + 100,
      3 * 1024 * KIB + 7,
      5000,
      129,
    ];
    const paths: string[] = [];
    for (const [i, size] of sizes.entries()) {
      const path = join(dir, `${i}.bin`);
      await Deno.writeFile(path, randomBytes(size));
      paths.push(path);
    }
    const reported = new Map<string, number>();
    const results = hashInLanes(paths, (path, n) => reported.set(path, (reported.get(path) ?? 0) + n));
    assert.equal(results.size, paths.length);
    for (const [i, path] of paths.entries()) {
      const result = results.get(path);
      assert.ok(result && "digest" in result, `${sizes[i]} bytes`);
      assert.deepEqual(result.digest, await hashFile(path), `${sizes[i]} bytes`);
      assert.equal(reported.get(path) ?? 0, sizes[i], `bytes reported for ${sizes[i]}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("HashLanes reports a missing file as failed and hashes the rest", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const present = join(dir, "present.bin");
    await Deno.writeFile(present, randomBytes(300_000));
    const missing = join(dir, "missing.bin");
    const results = hashInLanes([missing, present]);
    const failed = results.get(missing);
    assert.ok(failed && "error" in failed && failed.error instanceof Deno.errors.NotFound);
    const hashed = results.get(present);
    assert.ok(hashed && "digest" in hashed);
    assert.deepEqual(hashed.digest, await hashFile(present));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("HashLanes reads on past the size a file had when it was opened, when it grew", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "growing.bin");
    await Deno.writeFile(path, randomBytes(256 * 1024));
    const lanes = new HashLanes<string>();
    lanes.add(path, path);
    await Deno.writeFile(path, randomBytes(1000), { append: true });
    const results: LaneResult<string>[] = [];
    while (lanes.busy) results.push(...lanes.round());
    assert.equal(results.length, 1);
    assert.ok("digest" in results[0]!);
    assert.deepEqual(results[0].digest, await hashFile(path));
    assert.equal(results[0].digest.size, 256 * 1024 + 1000);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The MD5 state after `bytes[0, end)` for each inner chunk end of the doubling layout, hashed from scratch. */
function expectedStates(bytes: Uint8Array): Uint8Array {
  const ends = [...innerBoundaries(DOUBLING_LAYOUT, bytes.length)];
  const out = new Uint8Array(ends.length * 16);
  ends.forEach((end, i) => {
    const state = md5Start();
    md5Blocks(state, bytes.subarray(0, end));
    out.set(new Uint8Array(state.buffer), i * 16);
  });
  return out;
}

Deno.test("hashFile() and HashLanes record the MD5 state at every chunk end that another chunk follows", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const KIB = 1024;
    // Before the first end, at ends of the ramp and of the steady chunks, and just past them.
    const sizes = [100, 16 * KIB, 16 * KIB + 1, 200 * KIB, 1024 * KIB, 1024 * KIB + 64, 2 * 1024 * KIB + 5];
    const files: { path: string; bytes: Uint8Array }[] = [];
    for (const [i, size] of sizes.entries()) {
      const bytes = randomBytes(size);
      const path = join(dir, `${i}.bin`);
      await Deno.writeFile(path, bytes);
      files.push({ path, bytes });
    }
    const lanes = hashInLanes(files.map((f) => f.path));
    for (const [i, { path, bytes }] of files.entries()) {
      const expected = expectedStates(bytes);
      assert.deepEqual((await hashFile(path)).states, expected, `hashFile, ${sizes[i]} bytes`);
      const result = lanes.get(path);
      assert.ok(result && "digest" in result);
      assert.deepEqual(result.digest.states, expected, `HashLanes, ${sizes[i]} bytes`);
    }
    assert.equal(
      expectedStates(files[1]!.bytes).length,
      0,
      "a file ending at a chunk end has no state there",
    );
    assert.equal(expectedStates(files[6]!.bytes).length, 8 * 16, "16 KiB … 512 KiB, 1 MiB, 2 MiB");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
