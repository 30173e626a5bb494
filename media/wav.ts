/**
 * Synthesized, playable, tagged WAV audio with no external tools.
 *
 * @module
 */

/** Tags written into a WAV file's RIFF `LIST`/`INFO` chunk. */
export interface WavTags {
  /** Written as `INAM`. */
  title?: string;
  /** Written as `IART`. */
  artist?: string;
  /** Written as `IPRD` (product). */
  album?: string;
  /** Written as `ITRK`. */
  track?: number;
}

/** Options for {@linkcode synthesizeWav}. */
export interface SynthesizeWavOptions {
  /** Length in seconds. */
  seconds: number;
  /** Fundamental frequency in Hz. */
  frequency: number;
  /** Samples per second; default 44100. */
  sampleRate?: number;
  /** Number of channels; default 2. */
  channels?: number;
  /** Scale of the tone in 0..1 (the peak never exceeds it); default 0.5. */
  amplitude?: number;
  /** Tags for the `LIST`/`INFO` chunk; none by default. */
  tags?: WavTags;
}

const FADE_SECONDS = 0.02;
const TWO_PI = 2 * Math.PI;
const RESYNC_FRAMES = 4096;
/** Fundamental, octave, twelfth and a quiet fifth: a soft organ-like tone. Weights sum to 1. */
const PARTIALS: readonly { ratio: number; weight: number }[] = [
  { ratio: 1, weight: 0.62 },
  { ratio: 2, weight: 0.23 },
  { ratio: 3, weight: 0.1 },
  { ratio: 1.5, weight: 0.05 },
];
/** RIFF `CSET` code page that tells readers the INFO strings are UTF-8. */
const CODE_PAGE_UTF8 = 65001;

const encoder = new TextEncoder();
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function infoEntries(tags: WavTags): [id: string, value: string][] {
  const entries: [string, string][] = [];
  if (tags.title) entries.push(["INAM", tags.title]);
  if (tags.artist) entries.push(["IART", tags.artist]);
  if (tags.album) entries.push(["IPRD", tags.album]);
  if (tags.track !== undefined) entries.push(["ITRK", String(tags.track)]);
  return entries;
}

function writeId(view: DataView, offset: number, id: string): void {
  for (let i = 0; i < 4; i++) view.setUint8(offset + i, id.charCodeAt(i));
}

/**
 * Builds a 16-bit PCM WAV file holding a tone at `frequency` (with soft harmonics so different frequencies sound
 * distinct) and 20 ms fades at both ends. Tags go into a `LIST`/`INFO` chunk before the audio data (INAM title,
 * IART artist, IPRD album, ITRK track); non-ASCII tags are UTF-8 and announced by a `CSET` chunk. The same options
 * always give the same bytes.
 */
export function synthesizeWav(options: SynthesizeWavOptions): Uint8Array {
  const { seconds, frequency, sampleRate = 44100, channels = 2, amplitude = 0.5, tags = {} } = options;
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new RangeError(`Cannot synthesize WAV: seconds ${seconds} is not a non-negative number`);
  }
  if (!Number.isFinite(frequency) || frequency <= 0) {
    throw new RangeError(`Cannot synthesize WAV: frequency ${frequency} is not a positive number`);
  }
  if (!Number.isSafeInteger(sampleRate) || sampleRate < 1 || sampleRate > 384000) {
    throw new RangeError(`Cannot synthesize WAV: sample rate ${sampleRate} is not an integer in 1..384000`);
  }
  if (!Number.isSafeInteger(channels) || channels < 1 || channels > 8) {
    throw new RangeError(`Cannot synthesize WAV: channels ${channels} is not an integer in 1..8`);
  }
  if (!Number.isFinite(amplitude) || amplitude < 0 || amplitude > 1) {
    throw new RangeError(`Cannot synthesize WAV: amplitude ${amplitude} is not in 0..1`);
  }
  if (tags.track !== undefined && (!Number.isSafeInteger(tags.track) || tags.track < 0)) {
    throw new RangeError(`Cannot synthesize WAV: track ${tags.track} is not a non-negative integer`);
  }

  const frames = Math.round(seconds * sampleRate);
  const blockAlign = channels * 2;
  const dataSize = frames * blockAlign;
  if (dataSize > 0xffff_ff00) throw new RangeError("Cannot synthesize WAV: more than 4 GiB of audio");

  const entries = infoEntries(tags).map(([id, value]) => ({ id, bytes: encoder.encode(value) }));
  const utf8 = entries.some(({ bytes }) => bytes.some((byte) => byte >= 0x80));
  // Each INFO value is NUL-terminated and padded to an even length.
  const infoSize = entries.reduce((sum, { bytes }) => sum + 8 + ((bytes.length + 2) & ~1), 0);
  const csetChunk = utf8 ? 8 + 8 : 0;
  const listChunk = entries.length > 0 ? 8 + 4 + infoSize : 0;
  const headerSize = 12 + 8 + 16 + csetChunk + listChunk + 8;
  const bytes = new Uint8Array(headerSize + dataSize + (dataSize & 1));
  const view = new DataView(bytes.buffer);

  writeId(view, 0, "RIFF");
  view.setUint32(4, bytes.length - 8, true);
  writeId(view, 8, "WAVE");
  writeId(view, 12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, channels, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, 16, true);
  let offset = 36;
  if (utf8) {
    writeId(view, offset, "CSET");
    view.setUint32(offset + 4, 8, true);
    view.setUint16(offset + 8, CODE_PAGE_UTF8, true); // code page; country, language, dialect stay 0
    offset += 16;
  }
  if (entries.length > 0) {
    writeId(view, offset, "LIST");
    view.setUint32(offset + 4, 4 + infoSize, true);
    writeId(view, offset + 8, "INFO");
    offset += 12;
    for (const { id, bytes: value } of entries) {
      const size = value.length + 1;
      writeId(view, offset, id);
      view.setUint32(offset + 4, size, true);
      bytes.set(value, offset + 8);
      offset += 8 + size + (size & 1);
    }
  }
  writeId(view, offset, "data");
  view.setUint32(offset + 4, dataSize, true);
  offset += 8;

  const fadeFrames = Math.max(1, Math.round(FADE_SECONDS * sampleRate));
  const steps = PARTIALS.map(({ ratio }) => (TWO_PI * frequency * ratio) / sampleRate);
  // Partials at or above the Nyquist frequency would alias into noise.
  const weights = PARTIALS.map(({ ratio, weight }) => frequency * ratio < sampleRate / 2 ? weight : 0);
  const peak = amplitude * 32767;
  const samples = new Int16Array(bytes.buffer, offset, frames * channels);
  // Each partial is a unit vector rotated by its step every frame (cheaper than Math.sin), re-anchored with
  // Math.sin/Math.cos every RESYNC_FRAMES so rounding cannot drift.
  const count = steps.length;
  const re = new Float64Array(count);
  const im = new Float64Array(count);
  const stepRe = Float64Array.from(steps, Math.cos);
  const stepIm = Float64Array.from(steps, Math.sin);
  for (let frame = 0, i = 0; frame < frames; frame++) {
    if (frame % RESYNC_FRAMES === 0) {
      for (let p = 0; p < count; p++) {
        const angle = (steps[p]! * frame) % TWO_PI;
        re[p] = Math.cos(angle);
        im[p] = Math.sin(angle);
      }
    }
    let value = 0;
    for (let p = 0; p < count; p++) {
      const r = re[p]!;
      const m = im[p]!;
      value += weights[p]! * m;
      re[p] = r * stepRe[p]! - m * stepIm[p]!;
      im[p] = r * stepIm[p]! + m * stepRe[p]!;
    }
    const fade = Math.min(1, frame / fadeFrames, (frames - 1 - frame) / fadeFrames);
    const sample = Math.max(-32768, Math.min(32767, Math.round(value * fade * peak)));
    for (let channel = 0; channel < channels; channel++) samples[i++] = sample;
  }
  if (!LITTLE_ENDIAN) {
    for (let i = offset; i < offset + dataSize; i += 2) view.setInt16(i, samples[(i - offset) / 2]!, true);
  }
  return bytes;
}
