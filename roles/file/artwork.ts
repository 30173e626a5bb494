/**
 * Cover art and lyrics of a track, read when asked (the OpenSubsonic API's `getCoverArt` and
 * `getLyricsBySongId`, through the file instance's internal routes): the picture embedded in the file, else
 * `cover.jpg`, `folder.jpg` (or `.png`, `front.*`, `album.*`) beside it; lyrics from a `.lrc` file beside the
 * track (synced when it has `[mm:ss.xx]` stamps), else the lyrics tag. Images are read as they are; a `size`
 * is applied by `cover_scaler.ts` (ffmpeg).
 *
 * @module
 */

import { parseFile } from "music-metadata";
import { basename, dirname, extname, join } from "node:path";

/** An image and its MIME type. */
export interface Cover {
  type: string;
  bytes: Uint8Array;
}

/** Lyrics as the API answers them: lines with their start (ms) when synced. */
export interface Lyrics {
  synced: boolean;
  lines: { start?: number; value: string }[];
}

const COVER_NAMES = ["cover", "folder", "front", "album"];
const IMAGE_TYPES: Record<string, string> = {
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".png": "image/png",
};
/** Larger images are not served (a file that big is no cover). */
const MAX_IMAGE = 20 * 1024 * 1024;

/** The track's cover, or null when it has none. */
export async function coverOf(path: string): Promise<Cover | null> {
  try {
    const { common } = await parseFile(path, { duration: false, skipCovers: false });
    const picture = common.picture?.find((p) => p.type === "Cover (front)") ?? common.picture?.[0];
    if (picture && picture.data.length > 0 && picture.data.length <= MAX_IMAGE) {
      return {
        type: picture.format.startsWith("image/") ? picture.format : "image/jpeg",
        bytes: picture.data,
      };
    }
  } catch { /* unreadable tags: the folder may still have a cover */ }
  const dir = dirname(path);
  const entries: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) if (entry.isFile) entries.push(entry.name);
  } catch {
    return null;
  }
  for (const name of COVER_NAMES) {
    for (const entry of entries) {
      const ext = extname(entry).toLowerCase();
      if (!IMAGE_TYPES[ext] || basename(entry, extname(entry)).toLowerCase() !== name) continue;
      try {
        const file = join(dir, entry);
        // Only a plain file inside the track's own folder (a symlink could lead anywhere).
        const info = await Deno.lstat(file);
        if (!info.isFile || info.size > MAX_IMAGE) continue;
        return { type: IMAGE_TYPES[ext]!, bytes: await Deno.readFile(file) };
      } catch { /* gone meanwhile */ }
    }
  }
  return null;
}

const STAMP = /\[(\d{1,3}):(\d{1,2})(?:[.:](\d{1,3}))?\]/g;

/** Parses LRC text: `[mm:ss.xx]` stamped lines (synced), else plain lines. */
export function parseLrc(text: string): Lyrics {
  const synced: { start: number; value: string }[] = [];
  const plain: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const stamps = [...raw.matchAll(STAMP)];
    const value = raw.replace(STAMP, "").trim();
    if (stamps.length === 0) {
      // Header tags such as [ar:…] carry no lyrics.
      if (!/^\[[a-z]+:.*\]$/i.test(raw.trim()) && value !== "") plain.push(value);
      continue;
    }
    for (const m of stamps) {
      const fraction = m[3] ?? "0";
      const ms = Number(fraction.padEnd(3, "0").slice(0, 3));
      synced.push({ start: (Number(m[1]) * 60 + Number(m[2])) * 1000 + ms, value });
    }
  }
  if (synced.length > 0) return { synced: true, lines: synced.sort((a, b) => a.start - b.start) };
  return { synced: false, lines: plain.map((value) => ({ value })) };
}

/** The track's lyrics, or null when it has none. */
export async function lyricsOf(path: string): Promise<Lyrics | null> {
  const lrc = join(dirname(path), basename(path, extname(path)) + ".lrc");
  try {
    const info = await Deno.lstat(lrc);
    if (info.isFile && info.size <= 1024 * 1024) {
      const lyrics = parseLrc(await Deno.readTextFile(lrc));
      if (lyrics.lines.length > 0) return lyrics;
    }
  } catch { /* no .lrc */ }
  try {
    const { common } = await parseFile(path, { duration: false, skipCovers: true });
    for (const tag of common.lyrics ?? []) {
      const stamped = (tag.syncText ?? []).filter((l) => l.timestamp !== undefined);
      if (stamped.length > 0) {
        return { synced: true, lines: stamped.map((l) => ({ start: l.timestamp!, value: l.text })) };
      }
      if (tag.text) {
        const lyrics = parseLrc(tag.text);
        if (lyrics.lines.length > 0) return lyrics;
      }
    }
  } catch { /* unreadable tags */ }
  return null;
}
