import assert from "node:assert/strict";
import { isMp4Format, mp4Layout } from "./_mp4_layout.ts";

function box(type: string, bodyBytes: number): Uint8Array {
  const bytes = new Uint8Array(8 + bodyBytes);
  new DataView(bytes.buffer).setUint32(0, bytes.length);
  bytes.set(new TextEncoder().encode(type), 4);
  return bytes;
}

function join(...parts: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return all;
}

Deno.test("mp4Layout tells faststart files from files with the index at the end", async (t) => {
  await t.step("moov before mdat streams", () => {
    assert.equal(mp4Layout(join(box("ftyp", 20), box("moov", 100), box("mdat", 10))), "streamable");
  });
  await t.step("mdat before moov needs the whole file", () => {
    assert.equal(
      mp4Layout(join(box("ftyp", 20), box("free", 0), box("mdat", 10), box("moov", 5))),
      "whole-file",
    );
  });
  await t.step("a head that ends inside a skipped box is unknown", () => {
    assert.equal(mp4Layout(join(box("ftyp", 20), box("free", 1000)).subarray(0, 100)), "unknown");
  });
});

Deno.test("isMp4Format covers m4a and mp4 but not mp3", () => {
  assert.equal(isMp4Format("M4A"), true);
  assert.equal(isMp4Format("mp4"), true);
  assert.equal(isMp4Format("mp3"), false);
});
