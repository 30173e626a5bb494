import assert from "node:assert/strict";
import { join } from "node:path";
import { hashFile, hashFileSync } from "./hash.ts";
import { md5OfFile } from "../tests/fixtures.ts";

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
    const digest = await hashFile(path, { onBytes: (n) => (reported += n) });
    assert.deepEqual(digest, { md5: await md5OfFile(path), sha256: await sha256sum(path), size });
    assert.equal(reported, size);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("hashFileSync() gives the same digest as hashFile()", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "mid.bin");
    await Deno.writeFile(path, randomBytes(3 * (1 << 20) + 7));
    assert.deepEqual(hashFileSync(path), await hashFile(path));
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
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("hashFile() rejects with NotFound when the file does not exist", async () => {
  await assert.rejects(hashFile("/nonexistent/audiod/file.wav"), Deno.errors.NotFound);
  assert.throws(() => hashFileSync("/nonexistent/audiod/file.wav"), Deno.errors.NotFound);
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
