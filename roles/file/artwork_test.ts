import assert from "node:assert/strict";
import { join } from "node:path";
import { coverOf, lyricsOf, parseLrc } from "./artwork.ts";

Deno.test("parseLrc() reads stamped lines in order (several stamps a line) and skips header tags", () => {
  assert.deepEqual(parseLrc("[ti:Song]\n[00:02.5]b\n[00:01.00][00:03.123]a\n"), {
    synced: true,
    lines: [{ start: 1000, value: "a" }, { start: 2500, value: "b" }, { start: 3123, value: "a" }],
  });
  assert.deepEqual(parseLrc("just\nwords\n"), {
    synced: false,
    lines: [{ value: "just" }, { value: "words" }],
  });
});

Deno.test("coverOf() and lyricsOf() find cover.jpg and a .lrc beside a track, and nothing where there is none", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const track = join(dir, "t.wav");
    await Deno.writeFile(track, new Uint8Array(100));
    assert.equal(await coverOf(track), null);
    assert.equal(await lyricsOf(track), null);
    await Deno.writeFile(join(dir, "COVER.JPG"), new Uint8Array([1, 2, 3]));
    await Deno.writeTextFile(join(dir, "t.lrc"), "[00:00.10]hi");
    assert.deepEqual(await coverOf(track), { type: "image/jpeg", bytes: new Uint8Array([1, 2, 3]) });
    assert.deepEqual(await lyricsOf(track), { synced: true, lines: [{ start: 100, value: "hi" }] });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
