import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { writeSampleLibrary } from "./sample_library.ts";
import { readTags } from "./tags.ts";
import { md5OfFile } from "../tests/fixtures.ts";

Deno.test("writeSampleLibrary() writes distinct tagged tracks of 8-20 s in artist/album folders", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const paths = await writeSampleLibrary(join(dir, "library"));
    assert.ok(paths.length >= 5 && paths.length <= 8, `${paths.length} tracks`);
    const tags = await Promise.all(paths.map(readTags));
    const artists = new Set(tags.map((tag) => tag.artist));
    const albums = new Set(tags.map((tag) => `${tag.artist}/${tag.album}`));
    assert.ok(artists.size >= 2 && artists.size <= 3, [...artists].join(", "));
    assert.ok(albums.size >= 2);
    for (const [i, path] of paths.entries()) {
      const tag = tags[i]!;
      const rel = relative(join(dir, "library"), path).split("/");
      assert.deepEqual(rel.slice(0, 2), [tag.artist, tag.album]);
      assert.ok(tag.title !== "" && tag.trackNo !== null);
      assert.ok(
        tag.duration !== null && tag.duration >= 8 && tag.duration <= 20,
        `${path}: ${tag.duration} s`,
      );
    }
    const digests = await Promise.all(paths.map(md5OfFile));
    assert.equal(new Set(digests).size, paths.length);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeSampleLibrary() writes the same bytes every time", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = await writeSampleLibrary(join(dir, "one"));
    const second = await writeSampleLibrary(join(dir, "two"));
    assert.deepEqual(
      await Promise.all(first.map(md5OfFile)),
      await Promise.all(second.map(md5OfFile)),
    );
    assert.deepEqual(
      first.map((path) => relative(join(dir, "one"), path)),
      second.map((path) => relative(join(dir, "two"), path)),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
