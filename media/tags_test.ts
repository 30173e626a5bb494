import assert from "node:assert/strict";
import { join } from "node:path";
import { readDetailedTags, readDetailedTagsBlocking, readTags, readTagsBlocking } from "./tags.ts";
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

Deno.test({
  name:
    "readDetailedTags() reads album artist, genre, year, disc, the stream's details and ReplayGain of ffmpeg-tagged files",
  ignore: noFfmpeg,
  fn: async (t) => {
    const dir = await Deno.makeTempDir();
    try {
      // ffmpeg writes the REPLAYGAIN_* keys where music-metadata reads them for ID3 (TXXX) and Vorbis comments.
      const withGain = new Set(["mp3", "flac", "ogg", "opus"]);
      const sampleRates: Record<string, number> = { opus: 48_000 };
      for (const ext of ["mp3", "flac", "ogg", "opus", "m4a"]) {
        await t.step(ext, async () => {
          const [path] = await makeLibrary(dir, [
            {
              file: `${ext}/tagged.${ext}`,
              title: "Hymn",
              artist: "Guest Singer",
              album: "Compilation ✓",
              track: 4,
              genre: "Ambient",
              date: "1999",
              disc: 2,
              albumArtist: "Various Artists",
              tags: {
                REPLAYGAIN_TRACK_GAIN: "-6.50 dB",
                REPLAYGAIN_TRACK_PEAK: "0.891250",
                REPLAYGAIN_ALBUM_GAIN: "-7.25 dB",
                REPLAYGAIN_ALBUM_PEAK: "0.950000",
              },
            },
          ]);
          const tags = await readDetailedTags(path!);
          assert.equal(tags.artist, "Guest Singer");
          assert.equal(tags.trackNo, 4);
          const { details } = tags;
          assert.equal(details.albumArtist, "Various Artists");
          assert.deepEqual(details.genres, ["Ambient"]);
          assert.equal(details.year, 1999);
          assert.equal(details.discNo, 2);
          assert.equal(details.sampleRate, sampleRates[ext] ?? 44_100);
          assert.equal(details.channels, 2);
          assert.ok(details.bitRate !== undefined && details.bitRate > 8, `bit rate ${details.bitRate}`);
          if (ext === "flac") assert.equal(details.bitDepth, 16);
          if (withGain.has(ext)) {
            assert.equal(details.trackGain, -6.5);
            assert.equal(details.trackPeak, 0.89125);
            assert.equal(details.albumGain, -7.25);
            assert.equal(details.albumPeak, 0.95);
          }
          assert.equal(details.cover, undefined);
          assert.equal(details.lyrics, undefined);
          assert.deepEqual(await readDetailedTagsBlocking(path!), tags);
          // readTags() answers the five basic fields only, as before.
          const { details: _, ...basic } = tags;
          assert.deepEqual(await readTags(path!), basic);
        });
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "readDetailedTags() tells an embedded cover, a cover.jpg and a .lrc beside the track, and embedded lyrics",
  ignore: noFfmpeg,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const [plain, sung] = await makeLibrary(dir, [
        { file: "album/plain.flac", title: "Plain", artist: "A", album: "B" },
        { file: "sung/sung.ogg", title: "Sung", artist: "A", album: "B", tags: { LYRICS: "La la la" } },
      ]);
      assert.deepEqual(
        [(await readDetailedTags(plain!)).details.cover, (await readDetailedTags(plain!)).details.lyrics],
        [undefined, undefined],
      );
      assert.equal((await readDetailedTags(sung!)).details.lyrics, "embedded");

      // Files added beside the track are seen at once (the folder's listing is reused only while it is unchanged).
      await Deno.writeFile(join(dir, "album", "Folder.JPG"), new Uint8Array([0xff, 0xd8, 0xff]));
      await Deno.writeTextFile(join(dir, "album", "plain.lrc"), "[00:01.00]Hello\n");
      const beside = (await readDetailedTags(plain!)).details;
      assert.equal(beside.cover, "file");
      assert.equal(beside.lyrics, "file");
      assert.deepEqual((await readDetailedTagsBlocking(plain!)).details, beside);

      const png = join(dir, "red.png");
      const embedded = join(dir, "embedded.flac");
      for (
        const args of [
          ["-f", "lavfi", "-i", "color=c=red:s=8x8", "-frames:v", "1", png],
          [
            "-i",
            plain!,
            "-i",
            png,
            "-map",
            "0",
            "-map",
            "1",
            "-c",
            "copy",
            "-disposition:v",
            "attached_pic",
            embedded,
          ],
        ]
      ) {
        const { success, stderr } = await new Deno.Command("ffmpeg", {
          args: ["-hide_banner", "-loglevel", "error", "-nostdin", "-y", ...args],
          stdout: "null",
          stderr: "piped",
        }).output();
        assert.ok(success, new TextDecoder().decode(stderr));
      }
      assert.equal((await readDetailedTags(embedded)).details.cover, "embedded");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("readDetailedTags() gives the WAV's format details, and empty details for a file it cannot read", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const wav = join(dir, "tone.wav");
    await Deno.writeFile(wav, synthesizeWav({ seconds: 0.5, frequency: 440 }));
    const { details } = await readDetailedTags(wav);
    assert.equal(details.sampleRate, 44_100);
    assert.equal(details.bitDepth, 16);
    assert.ok(details.channels !== undefined && details.channels >= 1);
    const text = join(dir, "notes.flac");
    await Deno.writeTextFile(text, "this is not audio at all\n");
    assert.deepEqual(await readDetailedTags(text), {
      title: "notes",
      artist: "",
      album: "",
      trackNo: null,
      duration: null,
      details: {},
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
