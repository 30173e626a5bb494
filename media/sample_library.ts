/**
 * The demo's music library: a few short synthesized tracks by made-up artists.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { synthesizeWav } from "./wav.ts";

interface SampleTrack {
  artist: string;
  album: string;
  track: number;
  title: string;
  seconds: number;
  /** Hz; notes of A minor / C major so the library sounds like it belongs together. */
  frequency: number;
}

const SAMPLE_TRACKS: readonly SampleTrack[] = [
  {
    artist: "The Sine Waves",
    album: "First Light",
    track: 1,
    title: "Morning A",
    seconds: 12,
    frequency: 220,
  },
  {
    artist: "The Sine Waves",
    album: "First Light",
    track: 2,
    title: "Open Fifth",
    seconds: 9,
    frequency: 329.63,
  },
  {
    artist: "The Sine Waves",
    album: "First Light",
    track: 3,
    title: "Low Tide",
    seconds: 16,
    frequency: 146.83,
  },
  {
    artist: "Harmonic Drift",
    album: "Overtones",
    track: 1,
    title: "Middle C",
    seconds: 10,
    frequency: 261.63,
  },
  {
    artist: "Harmonic Drift",
    album: "Overtones",
    track: 2,
    title: "Glass Bell",
    seconds: 8,
    frequency: 523.25,
  },
  {
    artist: "Quiet Oscillator",
    album: "Night Hum",
    track: 1,
    title: "Slow Drone",
    seconds: 20,
    frequency: 98,
  },
];

function fileName(track: SampleTrack): string {
  return `${String(track.track).padStart(2, "0")} ${track.title}.wav`;
}

/**
 * Writes six distinct tagged WAV tracks (8–20 s, three artists, three albums) into `dir` as
 * `<artist>/<album>/<NN title>.wav` and returns their absolute paths. The bytes are the same on every run.
 */
export async function writeSampleLibrary(dir: string): Promise<string[]> {
  const paths: string[] = [];
  for (const track of SAMPLE_TRACKS) {
    const folder = resolve(dir, track.artist, track.album);
    await Deno.mkdir(folder, { recursive: true });
    const path = join(folder, fileName(track));
    const { title, artist, album } = track;
    await Deno.writeFile(
      path,
      synthesizeWav({
        seconds: track.seconds,
        frequency: track.frequency,
        tags: { title, artist, album, track: track.track },
      }),
    );
    paths.push(path);
  }
  return paths;
}
