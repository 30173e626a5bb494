import assert from "node:assert/strict";
import { join } from "node:path";
import { createLogger } from "../../daemon/runtime/log.ts";
import { clampCoverSize } from "../../protocol/cover_size.ts";
import { CoverScaler, imageDimensions } from "./cover_scaler.ts";
import { probeImageSize } from "../../tests/fixtures.ts";

/** An image made by ffmpeg's lavfi color source, written as `name` (its extension picks the format). */
async function solidImage(dir: string, name: string, size: string): Promise<Uint8Array> {
  const path = join(dir, name);
  const out = await new Deno.Command("ffmpeg", {
    args: ["-v", "error", "-y", "-f", "lavfi", "-i", `color=red:s=${size}`, "-frames:v", "1", path],
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return await Deno.readFile(path);
}

function quietLogger(lines: string[] = []) {
  return createLogger({ role: "file", format: "json", write: (line) => void lines.push(line) });
}

Deno.test("CoverScaler.scale() scales a 600x400 JPEG to 100x67, caches it, and never upscales", async () => {
  const dir = await Deno.makeTempDir({ prefix: "audiod-cover-scaler-" });
  try {
    const jpg = await solidImage(dir, "a.jpg", "600x400");
    assert.deepEqual(imageDimensions(jpg), { width: 600, height: 400 });
    const scaler = new CoverScaler({ logger: quietLogger() });
    const scaled = await scaler.scale({ type: "image/jpeg", bytes: jpg }, { key: "t1", size: 100 });
    assert.equal(scaled.type, "image/jpeg");
    assert.equal(await probeImageSize(dir, scaled.bytes), "100,67");
    assert.deepEqual(imageDimensions(scaled.bytes), { width: 100, height: 67 });
    const again = await scaler.scale({ type: "image/jpeg", bytes: jpg }, { key: "t1", size: 100 });
    assert.equal(again.bytes, scaled.bytes, "the second ask is served from the cache");
    const large = await scaler.scale({ type: "image/jpeg", bytes: jpg }, { key: "t1", size: 1200 });
    assert.equal(large.bytes, jpg, "a size above the image's is the original, untouched");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CoverScaler.scale() keeps a PNG a PNG and clamps sizes to 16..2048", async () => {
  const dir = await Deno.makeTempDir({ prefix: "audiod-cover-scaler-" });
  try {
    const png = await solidImage(dir, "a.png", "300x500");
    const scaler = new CoverScaler({ logger: quietLogger() });
    const scaled = await scaler.scale({ type: "image/png", bytes: png }, { key: "t2", size: 1 });
    assert.equal(scaled.type, "image/png");
    assert.deepEqual(imageDimensions(scaled.bytes), { width: 10, height: 16 });
    assert.equal(clampCoverSize(0), 16);
    assert.equal(clampCoverSize(5000), 2048);
    assert.equal(clampCoverSize(300), 300);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CoverScaler.scale() serves the original when ffmpeg is missing (logged once) or cannot read it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "audiod-cover-scaler-" });
  try {
    const jpg = await solidImage(dir, "a.jpg", "600x400");
    const lines: string[] = [];
    const missing = new CoverScaler({ logger: quietLogger(lines), ffmpeg: join(dir, "no-ffmpeg-here") });
    for (const size of [100, 200]) {
      const out = await missing.scale({ type: "image/jpeg", bytes: jpg }, { key: "t3", size });
      assert.equal(out.bytes, jpg);
    }
    assert.ok(missing.unavailable);
    assert.equal(lines.filter((l) => l.includes("covers.unscaled")).length, 1, lines.join("\n"));
    const junk = crypto.getRandomValues(new Uint8Array(3000));
    const scaler = new CoverScaler({ logger: quietLogger() });
    const out = await scaler.scale({ type: "image/jpeg", bytes: junk }, { key: "t4", size: 100 });
    assert.equal(out.bytes, junk, "bytes ffmpeg cannot read are served as they are");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
