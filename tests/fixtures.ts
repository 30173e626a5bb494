/**
 * Fixture generators for tests: real, tagged audio made on the spot (never media copied from elsewhere), plus
 * independent checks that use system tools instead of our own modules.
 *
 * @module
 */
import assert from "node:assert/strict";
import { dirname, extname, join, resolve } from "node:path";
import { synthesizeWav } from "../media/wav.ts";

/** One track to create. `file` is relative to the library folder; its extension picks the format. */
export interface FixtureTrack {
  /** Relative path; `.wav` is synthesized directly, `.mp3`/`.flac`/`.ogg`/`.opus`/`.m4a` are encoded by ffmpeg. */
  file: string;
  /** Title tag. */
  title: string;
  /** Artist tag. */
  artist: string;
  /** Album tag. */
  album: string;
  /** Track number tag; none when left out. */
  track?: number;
  /** Length in seconds; default 2. */
  seconds?: number;
  /** Tone in Hz; default 440. */
  frequency?: number;
  /** Genre tag (ffmpeg `-metadata genre=`); not for `.wav`. */
  genre?: string;
  /** Date tag, e.g. `"1999"` (`-metadata date=`); not for `.wav`. */
  date?: string;
  /** Disc number tag (`-metadata disc=`); not for `.wav`. */
  disc?: number;
  /** Album artist tag (`-metadata album_artist=`); not for `.wav`. */
  albumArtist?: string;
  /** Any other tags, as ffmpeg `-metadata KEY=VALUE` entries (e.g. `REPLAYGAIN_TRACK_GAIN`); not for `.wav`. */
  tags?: Record<string, string>;
}

/** The tags beyond title, artist, album and track, as ffmpeg `-metadata` entries. */
function extraMetadata(track: FixtureTrack): string[] {
  const extra: string[] = [];
  if (track.genre !== undefined) extra.push(`genre=${track.genre}`);
  if (track.date !== undefined) extra.push(`date=${track.date}`);
  if (track.disc !== undefined) extra.push(`disc=${track.disc}`);
  if (track.albumArtist !== undefined) extra.push(`album_artist=${track.albumArtist}`);
  for (const [key, value] of Object.entries(track.tags ?? {})) extra.push(`${key}=${value}`);
  return extra;
}

/** ffmpeg encoder arguments per extension. */
const ENCODERS: Record<string, readonly string[]> = {
  ".mp3": ["-c:a", "libmp3lame", "-q:a", "6"],
  ".flac": ["-c:a", "flac"],
  ".ogg": ["-c:a", "libvorbis", "-q:a", "3"],
  ".opus": ["-c:a", "libopus", "-b:a", "64k"],
  ".m4a": ["-c:a", "aac", "-b:a", "96k"],
};

async function encode(wav: Uint8Array, path: string, track: FixtureTrack, codec: readonly string[]) {
  const metadata = [`title=${track.title}`, `artist=${track.artist}`, `album=${track.album}`];
  if (track.track !== undefined) metadata.push(`track=${track.track}`);
  metadata.push(...extraMetadata(track));
  const child = new Deno.Command("ffmpeg", {
    args: [
      "-hide_banner",
      "-loglevel",
      "error",
      "-nostdin",
      "-y",
      "-f",
      "wav",
      "-i",
      "pipe:0",
      ...metadata.flatMap((entry) => ["-metadata", entry]),
      ...codec,
      "-fflags",
      "+bitexact",
      "-flags:a",
      "+bitexact",
      path,
    ],
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const [written, output] = await Promise.allSettled([
    writer.write(wav).then(() => writer.close()),
    child.output(),
  ]);
  if (output.status === "rejected") throw output.reason;
  if (!output.value.success) {
    throw new Error(
      `Cannot encode ${path}: ffmpeg says ${new TextDecoder().decode(output.value.stderr).trim()}`,
    );
  }
  if (written.status === "rejected") throw written.reason;
}

/** Creates `tracks` under `dir` (making subfolders) and returns their absolute paths, in order. */
export async function makeLibrary(dir: string, tracks: FixtureTrack[]): Promise<string[]> {
  const paths: string[] = [];
  for (const track of tracks) {
    const path = resolve(dir, track.file);
    await Deno.mkdir(dirname(path), { recursive: true });
    const ext = extname(path).toLowerCase();
    const tone = { seconds: track.seconds ?? 2, frequency: track.frequency ?? 440 };
    if (ext === ".wav") {
      if (extraMetadata(track).length > 0) {
        throw new Error(
          `Cannot make fixture ${track.file}: WAV fixtures carry no genre, date, disc or album artist`,
        );
      }
      const { title, artist, album } = track;
      const tags = track.track === undefined
        ? { title, artist, album }
        : { title, artist, album, track: track.track };
      await Deno.writeFile(path, synthesizeWav({ ...tone, tags }));
    } else {
      const codec = ENCODERS[ext];
      if (codec === undefined) {
        throw new Error(`Cannot make fixture ${track.file}: unsupported extension "${ext}"`);
      }
      await encode(synthesizeWav(tone), path, track, codec);
    }
    paths.push(path);
  }
  return paths;
}

/** MD5 of a file as the system `md5sum` computes it: an independent check of our own hashing. */
export async function md5OfFile(path: string): Promise<string> {
  const { success, stdout, stderr } = await new Deno.Command("md5sum", { args: ["--", path] }).output();
  const text = new TextDecoder().decode(success ? stdout : stderr);
  // md5sum prefixes the line with "\" when it escapes the file name.
  const match = /^\\?([0-9a-f]{32}) /.exec(text);
  if (!success || match === null) throw new Error(`Cannot compute MD5 of ${path}: ${text.trim()}`);
  return match[1]!;
}

const known = new Map<string, Promise<boolean>>();

/** Whether an executable called `name` is on the PATH (checked once per name). */
export function hasCommand(name: string): Promise<boolean> {
  let found = known.get(name);
  if (found === undefined) {
    found = new Deno.Command("sh", { args: ["-c", 'command -v "$1" >/dev/null', "sh", name] })
      .output()
      .then(({ success }) => success, () => false);
    known.set(name, found);
  }
  return found;
}

/** Runs a command to its end; its stdout and stderr together, or an error carrying them. */
export async function sh(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed: ${text}`);
  return text;
}

/** Width and height of an image as ffprobe reads them ("W,H"), written to `dir` to read it. */
export async function probeImageSize(dir: string, bytes: Uint8Array): Promise<string> {
  const path = join(dir, "probe.img");
  await Deno.writeFile(path, bytes);
  const out = await new Deno.Command("ffprobe", {
    args: [
      "-v",
      "error",
      "-select_streams",
      "v:0",
      "-show_entries",
      "stream=width,height",
      "-of",
      "csv=p=0",
      path,
    ],
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim();
}
