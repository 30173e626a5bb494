import assert from "node:assert/strict";
import { join } from "node:path";
import { readTags, readTagsBlocking } from "./tags.ts";
import { synthesizeWav } from "./wav.ts";
import { hasCommand, makeLibrary } from "../tests/fixtures.ts";

const noFfmpeg = !(await hasCommand("ffmpeg"));

Deno.test({
  name: "readTags() reads title, artist, album, track and duration from ffmpeg-tagged files",
  ignore: noFfmpeg,
  fn: async (t) => {
    const dir = await Deno.makeTempDir();
    try {
      for (const [i, ext] of ["mp3", "flac", "ogg", "opus", "m4a"].entries()) {
        await t.step(ext, async () => {
          const [path] = await makeLibrary(dir, [
            {
              file: `tagged.${ext}`,
              title: `Song ${ext} ✓`,
              artist: "Zoë Keating",
              album: "Into the Trees",
              track: i + 3,
            },
          ]);
          const tags = await readTags(path!);
          assert.equal(tags.title, `Song ${ext} ✓`);
          assert.equal(tags.artist, "Zoë Keating");
          assert.equal(tags.album, "Into the Trees");
          assert.equal(tags.trackNo, i + 3);
          assert.ok(tags.duration !== null && Math.abs(tags.duration - 2) < 0.1, `duration ${tags.duration}`);
          assert.deepEqual(await readTagsBlocking(path!), tags);
        });
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("readTags() reads the RIFF INFO tags of our synthesized WAV, in ASCII and in UTF-8", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const ascii = join(dir, "ascii.wav");
    const utf8 = join(dir, "utf8.wav");
    await Deno.writeFile(
      ascii,
      synthesizeWav({
        seconds: 1.5,
        frequency: 330,
        tags: { title: "Tide", artist: "Sines", album: "Sea", track: 7 },
      }),
    );
    await Deno.writeFile(
      utf8,
      synthesizeWav({
        seconds: 1,
        frequency: 262,
        tags: { title: "Café №5", artist: "Björk", album: "Débüt" },
      }),
    );
    assert.deepEqual(await readTags(ascii), {
      title: "Tide",
      artist: "Sines",
      album: "Sea",
      trackNo: 7,
      duration: 1.5,
    });
    assert.deepEqual(await readTags(utf8), {
      title: "Café №5",
      artist: "Björk",
      album: "Débüt",
      trackNo: null,
      duration: 1,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readTags() falls back to the file name for untagged, garbage and missing files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const untagged = join(dir, "Untagged Song.wav");
    await Deno.writeFile(untagged, synthesizeWav({ seconds: 0.5, frequency: 440 }));
    assert.deepEqual(await readTags(untagged), {
      title: "Untagged Song",
      artist: "",
      album: "",
      trackNo: null,
      duration: 0.5,
    });

    const garbage = join(dir, "Not Really.mp3");
    const bytes = new Uint8Array(10_000);
    crypto.getRandomValues(bytes);
    await Deno.writeFile(garbage, bytes);
    const tags = await readTags(garbage);
    assert.equal(tags.title, "Not Really");
    assert.equal(tags.artist, "");
    assert.equal(tags.album, "");

    const text = join(dir, "notes.flac");
    await Deno.writeTextFile(text, "this is not audio at all\n");
    assert.deepEqual(await readTags(text), {
      title: "notes",
      artist: "",
      album: "",
      trackNo: null,
      duration: null,
    });

    const empty = join(dir, "empty.ogg");
    await Deno.writeFile(empty, new Uint8Array());
    assert.equal((await readTags(empty)).title, "empty");

    assert.deepEqual(await readTags(join(dir, "missing.m4a")), {
      title: "missing",
      artist: "",
      album: "",
      trackNo: null,
      duration: null,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
