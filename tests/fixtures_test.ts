import assert from "node:assert/strict";
import { isAbsolute, join } from "node:path";
import { hasCommand, makeLibrary, md5OfFile } from "./fixtures.ts";
import { readTags } from "../media/tags.ts";

Deno.test({
  name: "makeLibrary() writes WAV, MP3, FLAC and OGG files whose tags readTags() reads back",
  ignore: !(await hasCommand("ffmpeg")),
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const tracks = [
        {
          file: "Ann/First/01 Alpha.wav",
          title: "Alpha",
          artist: "Ann",
          album: "First",
          track: 1,
          frequency: 330,
        },
        { file: "Ann/First/02 Beta.mp3", title: "Beta", artist: "Ann", album: "First", track: 2 },
        { file: "Bob/Second/Gamma.flac", title: "Gamma", artist: "Bob", album: "Second", seconds: 3 },
        {
          file: "Bob/Second/Delta.ogg",
          title: "Délta",
          artist: "Bob",
          album: "Second",
          track: 4,
          seconds: 1,
        },
      ];
      const paths = await makeLibrary(dir, tracks);
      assert.deepEqual(paths, tracks.map((track) => join(dir, track.file)));
      assert.ok(paths.every((path) => isAbsolute(path)));
      for (const [i, track] of tracks.entries()) {
        const tags = await readTags(paths[i]!);
        assert.equal(tags.title, track.title);
        assert.equal(tags.artist, track.artist);
        assert.equal(tags.album, track.album);
        assert.equal(tags.trackNo, track.track ?? null);
        const seconds = track.seconds ?? 2;
        assert.ok(
          tags.duration !== null && Math.abs(tags.duration - seconds) < 0.1,
          `${track.file}: ${tags.duration}`,
        );
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("makeLibrary() rejects a file extension it cannot make", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      makeLibrary(dir, [{ file: "x.aiff", title: "x", artist: "y", album: "z" }]),
      /Cannot make fixture x\.aiff: unsupported extension/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("md5OfFile() returns md5sum's digest, also for awkward file names", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "back\\slash and\nnewline -dash.txt");
    await Deno.writeTextFile(path, "hello\n");
    assert.equal(await md5OfFile(path), "b1946ac92492d2347c6235b4d2611184");
    await assert.rejects(md5OfFile(join(dir, "missing")), /Cannot compute MD5/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("hasCommand() finds sh and not a made-up command", async () => {
  assert.equal(await hasCommand("sh"), true);
  assert.equal(await hasCommand("audiod-no-such-command-xyz"), false);
  assert.equal(await hasCommand("x; touch /tmp/audiod-injected"), false);
});
