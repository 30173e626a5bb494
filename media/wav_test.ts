import assert from "node:assert/strict";
import { join } from "node:path";
import { synthesizeWav } from "./wav.ts";
import { readTags } from "./tags.ts";
import { hasCommand } from "../tests/fixtures.ts";

function chunkIds(bytes: Uint8Array): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ids: string[] = [];
  for (let offset = 12; offset + 8 <= bytes.length;) {
    ids.push(new TextDecoder().decode(bytes.subarray(offset, offset + 4)));
    const size = view.getUint32(offset + 4, true);
    offset += 8 + size + (size & 1);
  }
  return ids;
}

async function run(command: string, args: string[]): Promise<string> {
  const { success, stdout, stderr } = await new Deno.Command(command, { args }).output();
  const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  assert.ok(success, `${command} failed: ${text}`);
  return text;
}

Deno.test("synthesizeWav() writes a 16-bit PCM RIFF file with the INFO list before the data", () => {
  const bytes = synthesizeWav({
    seconds: 0.25,
    frequency: 440,
    tags: { title: "A", artist: "B", album: "C", track: 1 },
  });
  const view = new DataView(bytes.buffer);
  const ascii = (offset: number) => new TextDecoder().decode(bytes.subarray(offset, offset + 4));
  assert.equal(ascii(0), "RIFF");
  assert.equal(view.getUint32(4, true), bytes.length - 8);
  assert.equal(ascii(8), "WAVE");
  assert.deepEqual(chunkIds(bytes), ["fmt ", "LIST", "data"]);
  assert.equal(view.getUint16(20, true), 1); // PCM
  assert.equal(view.getUint16(22, true), 2); // stereo
  assert.equal(view.getUint32(24, true), 44100);
  assert.equal(view.getUint16(34, true), 16);
  const frames = Math.round(0.25 * 44100);
  assert.equal(view.getUint32(bytes.length - frames * 4 - 4, true), frames * 4);
  // Fades: the first and last samples are silent, the middle is not.
  assert.equal(view.getInt16(bytes.length - frames * 4, true), 0);
  assert.equal(view.getInt16(bytes.length - 2, true), 0);
  assert.notEqual(view.getInt16(bytes.length - frames * 2, true), 0);
});

Deno.test("synthesizeWav() is deterministic, and different tones give different audio", () => {
  const a = synthesizeWav({ seconds: 0.5, frequency: 220 });
  assert.deepEqual(synthesizeWav({ seconds: 0.5, frequency: 220 }), a);
  assert.notDeepEqual(synthesizeWav({ seconds: 0.5, frequency: 330 }), a);
  assert.deepEqual(chunkIds(a), ["fmt ", "data"]);
});

Deno.test("synthesizeWav() honours mono, sample rate and amplitude", () => {
  const bytes = synthesizeWav({ seconds: 1, frequency: 100, sampleRate: 8000, channels: 1, amplitude: 0.25 });
  const view = new DataView(bytes.buffer);
  assert.equal(view.getUint16(22, true), 1);
  assert.equal(view.getUint32(24, true), 8000);
  assert.equal(bytes.length, 44 + 8000 * 2);
  let peak = 0;
  for (let offset = 44; offset < bytes.length; offset += 2) {
    peak = Math.max(peak, Math.abs(view.getInt16(offset, true)));
  }
  assert.ok(peak > 0.15 * 32767 && peak <= 0.25 * 32767, `peak ${peak}`);
});

Deno.test("synthesizeWav() rejects impossible options", () => {
  assert.throws(() => synthesizeWav({ seconds: -1, frequency: 440 }), RangeError);
  assert.throws(() => synthesizeWav({ seconds: 1, frequency: 0 }), RangeError);
  assert.throws(() => synthesizeWav({ seconds: 1, frequency: 440, channels: 0 }), RangeError);
  assert.throws(() => synthesizeWav({ seconds: 1, frequency: 440, sampleRate: 44100.5 }), RangeError);
  assert.throws(() => synthesizeWav({ seconds: 1, frequency: 440, amplitude: 2 }), RangeError);
  assert.throws(() => synthesizeWav({ seconds: 1, frequency: 440, tags: { track: 1.5 } }), RangeError);
});

Deno.test("synthesizeWav() output is tagged for music-metadata and has odd-length tags padded", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "odd.wav");
    // "Odd" + NUL is 4 bytes, "Even" + NUL is 5 bytes and needs a pad byte.
    await Deno.writeFile(
      path,
      synthesizeWav({
        seconds: 1,
        frequency: 300,
        tags: { title: "Even", artist: "Odd", album: "Xy", track: 12 },
      }),
    );
    assert.deepEqual(await readTags(path), {
      title: "Even",
      artist: "Odd",
      album: "Xy",
      trackNo: 12,
      duration: 1,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "synthesizeWav() output plays in ffprobe with its tags and duration",
  ignore: !(await hasCommand("ffprobe")),
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const path = join(dir, "probe.wav");
      await Deno.writeFile(
        path,
        synthesizeWav({
          seconds: 2,
          frequency: 262,
          tags: { title: "Probe Me", artist: "Zoë", album: "Tests", track: 4 },
        }),
      );
      const json = JSON.parse(
        await run("ffprobe", ["-v", "error", "-print_format", "json", "-show_format", "-show_streams", path]),
      );
      assert.equal(json.streams[0].codec_name, "pcm_s16le");
      assert.equal(json.streams[0].channels, 2);
      assert.equal(Number(json.format.duration), 2);
      assert.deepEqual(json.format.tags, { title: "Probe Me", artist: "Zoë", album: "Tests", track: "4" });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "synthesizeWav() output is accepted by sox, audible and not clipped",
  ignore: !(await hasCommand("sox")),
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const path = join(dir, "sox.wav");
      await Deno.writeFile(path, synthesizeWav({ seconds: 1, frequency: 196, tags: { title: "Sox" } }));
      assert.match(await run("sox", ["--i", "-D", path]), /^1\.0+\s*$/);
      const stat = await run("sox", [path, "-n", "stat"]);
      const field = (name: string) => Number(new RegExp(`${name}:\\s+(-?[\\d.]+)`).exec(stat)?.[1]);
      assert.ok(field("RMS\\s+amplitude") > 0.1, stat);
      assert.ok(field("Maximum amplitude") <= 0.5, stat);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
