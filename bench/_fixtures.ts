/**
 * Generated tracks for the benchmark: tagged WAV files of any size whose samples are noise, written fast enough
 * that 10,000 of them or one of 256 MiB take seconds.
 *
 * @module
 */
import { join } from "node:path";

/** Tags of a generated track. */
export interface BenchTags {
  title: string;
  artist: string;
  album: string;
  track: number;
}

const encoder = new TextEncoder();
/** 1 MiB of noise, made once; every track reuses it (its tags make each track's bytes unique). */
let pool: Uint8Array | undefined;

function noise(): Uint8Array {
  if (pool) return pool;
  pool = new Uint8Array(1 << 20);
  for (let at = 0; at < pool.length; at += 65536) crypto.getRandomValues(pool.subarray(at, at + 65536));
  return pool;
}

/** The RIFF header of a 16-bit stereo 44.1 kHz WAV with `dataBytes` of samples and INFO tags. */
function header(dataBytes: number, tags: BenchTags): Uint8Array {
  const entries: [string, Uint8Array][] = [
    ["INAM", encoder.encode(tags.title + "\0")],
    ["IART", encoder.encode(tags.artist + "\0")],
    ["IPRD", encoder.encode(tags.album + "\0")],
    ["ITRK", encoder.encode(String(tags.track) + "\0")],
  ];
  const listBody = 4 + entries.reduce((n, [, v]) => n + 8 + v.length + (v.length & 1), 0);
  const size = 12 + 24 + 8 + listBody + 8;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  const id = (text: string) => {
    out.set(encoder.encode(text), at);
    at += 4;
  };
  const u32 = (n: number) => {
    view.setUint32(at, n, true);
    at += 4;
  };
  const u16 = (n: number) => {
    view.setUint16(at, n, true);
    at += 2;
  };
  id("RIFF");
  u32(size - 8 + dataBytes);
  id("WAVE");
  id("fmt ");
  u32(16);
  u16(1); // PCM
  u16(2);
  u32(44100);
  u32(44100 * 4);
  u16(4);
  u16(16);
  id("LIST");
  u32(listBody);
  id("INFO");
  for (const [name, value] of entries) {
    id(name);
    u32(value.length);
    out.set(value, at);
    at += value.length + (value.length & 1);
  }
  id("data");
  u32(dataBytes);
  return out;
}

/** Writes a tagged WAV of about `bytes` bytes (samples rounded to whole frames) to `path`. */
export async function writeTrack(path: string, bytes: number, tags: BenchTags): Promise<void> {
  const head = header(0, tags);
  const dataBytes = Math.max(4, Math.floor((bytes - head.length) / 4) * 4);
  const samples = noise();
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    await writeAll(file, header(dataBytes, tags));
    for (let left = dataBytes; left > 0; left -= samples.length) {
      await writeAll(file, left >= samples.length ? samples : samples.subarray(0, left));
    }
  } finally {
    file.close();
  }
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let done = 0; done < bytes.length;) done += await file.write(bytes.subarray(done));
}

/**
 * Writes `count` tracks of `bytes` each under `dir` (100 per album folder, 10 albums per artist); returns their
 * paths. Several files are written at once.
 */
export async function writeLibrary(dir: string, count: number, bytes: number): Promise<string[]> {
  const paths: string[] = [];
  const jobs: { path: string; tags: BenchTags }[] = [];
  for (let i = 0; i < count; i++) {
    const album = Math.floor(i / 100);
    const artist = Math.floor(album / 10);
    const folder = join(dir, `artist-${artist}`, `album-${album}`);
    if (i % 100 === 0) await Deno.mkdir(folder, { recursive: true });
    const path = join(folder, `${String(i % 100).padStart(2, "0")}-track-${i}.wav`);
    paths.push(path);
    jobs.push({
      path,
      tags: {
        title: `Track ${i}`,
        artist: `Artist ${artist}`,
        album: `Album ${album}`,
        track: (i % 100) + 1,
      },
    });
  }
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      await writeTrack(job.path, bytes, job.tags);
    }
  }));
  return paths;
}
