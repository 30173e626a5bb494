/**
 * What every benchmark case gets: the run's size (quick or full), how many runs, a scratch folder, and the
 * shared generated tracks.
 *
 * @module
 */
import { join } from "node:path";
import type { CaseResult } from "./_stats.ts";
import { writeTrack } from "./_fixtures.ts";
import { say } from "./_tools.ts";

/** The run a case takes part in. */
export interface BenchContext {
  quick: boolean;
  /** Runs of each side (audiod and baseline). */
  runs: number;
  /** A scratch folder, removed at the end. */
  root: string;
  /** Makes (once) a media folder with one track of `mib` MiB titled `title`; returns the folder. */
  trackFolder(title: string, mib: number): Promise<string>;
}

/** One benchmark case. */
export interface BenchCase {
  /** Short name used by `--only`. */
  id: string;
  run(ctx: BenchContext): Promise<CaseResult[]>;
}

/** The context of a run, with its cache of generated tracks. */
export function createContext(options: { quick: boolean; runs: number; root: string }): BenchContext {
  const folders = new Map<string, Promise<string>>();
  return {
    ...options,
    trackFolder(title, mib) {
      const key = `${title}-${mib}`;
      let folder = folders.get(key);
      if (!folder) {
        folder = (async () => {
          const dir = join(options.root, "tracks", key.replace(/[^A-Za-z0-9-]/g, "_"));
          await Deno.mkdir(dir, { recursive: true });
          say(`writing a ${mib} MiB track "${title}"`);
          await writeTrack(join(dir, "track.wav"), mib * 1024 * 1024, {
            title,
            artist: "Bench",
            album: "Bench",
            track: 1,
          });
          return dir;
        })();
        folders.set(key, folder);
      }
      return folder;
    },
  };
}

/** Runs `fn` `runs` times, alternating which of the two sides goes first, and returns each side's values. */
export async function alternate(
  runs: number,
  sides: { audiod: () => Promise<number>; baseline: () => Promise<number> },
): Promise<{ audiod: number[]; baseline: number[] }> {
  const out = { audiod: [] as number[], baseline: [] as number[] };
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? (["audiod", "baseline"] as const) : (["baseline", "audiod"] as const);
    for (const side of order) out[side].push(await sides[side]());
  }
  return out;
}
