/**
 * Audio output: pick and start a player backend for one track.
 *
 * - {@linkcode createPlayer} starts a named backend or the best installed one ("auto").
 * - {@linkcode detectPlayers} lists the installed backends, best first.
 * - {@linkcode splitArgs} turns `--player-args` into arguments.
 *
 * @module
 */
import { MpvPlayer } from "./mpv.ts";
import { createNullPlayer } from "./null_player.ts";
import { INSTALL_HINTS, PlayerMissingError } from "./player_missing_error.ts";
import { createSimplePlayer } from "./simple_players.ts";
import type { PlayerBackend, PlayerName, PlayerOptions } from "./types.ts";

export type { PlayerBackend, PlayerCapabilities, PlayerName, PlayerOptions, PlayerOutcome } from "./types.ts";
export { MAX_VOLUME } from "./types.ts";
export { PlayerMissingError } from "./player_missing_error.ts";
export { splitArgs } from "./split_args.ts";

/** Every backend name, best first. */
export const PLAYER_NAMES: readonly PlayerName[] = ["mpv", "ffplay", "afplay", "paplay", "aplay", "null"];

/** What player selection looks at; tests replace the lookup and the OS. */
export interface PlayerDeps {
  /** Full path of an installed program, or null. Default: a search of PATH. */
  which?: (command: string) => Promise<string | null>;
  /** Default: `Deno.build.os`. */
  os?: typeof Deno.build.os;
}

/** Formats afplay (Core Audio) decodes. */
const AFPLAY_FORMATS = new Set(["mp3", "m4a", "mp4", "aac", "wav", "aif", "aiff", "caf", "flac"]);

/** True when `player` can play files of `format` (an extension without the dot). */
export function canPlay(player: PlayerName, format: string): boolean {
  const ext = format.toLowerCase();
  switch (player) {
    case "mpv":
    case "ffplay":
    case "null":
      return true;
    case "afplay":
      return AFPLAY_FORMATS.has(ext);
    case "paplay":
    case "aplay":
      return ext === "wav";
  }
}

/** Searches PATH for an executable `command`. */
export async function whichInPath(command: string): Promise<string | null> {
  const path = Deno.env.get("PATH") ?? "";
  const windows = Deno.build.os === "windows";
  const separator = windows ? ";" : ":";
  const names = windows ? [command, `${command}.exe`] : [command];
  for (const dir of path.split(separator)) {
    if (dir === "") continue;
    for (const name of names) {
      const candidate = `${dir}/${name}`;
      try {
        const info = await Deno.stat(candidate);
        if (info.isFile && (windows || info.mode === null || (info.mode & 0o111) !== 0)) return candidate;
      } catch {
        // Not here.
      }
    }
  }
  return null;
}

/** The installed backends, best first (mpv > ffplay > afplay on macOS > paplay > aplay); `null` is always last. */
export async function detectPlayers(deps: PlayerDeps = {}): Promise<PlayerName[]> {
  const which = deps.which ?? whichInPath;
  const os = deps.os ?? Deno.build.os;
  const found: PlayerName[] = [];
  for (const name of PLAYER_NAMES) {
    if (name === "null") continue;
    if (name === "afplay" && os !== "darwin") continue;
    if (await which(name)) found.push(name);
  }
  return [...found, "null"];
}

/**
 * Starts the backend `name` for one track, or with "auto" the first installed one that plays `options.format`
 * (falling back to the silent null player, which `note` then says).
 *
 * @throws {PlayerMissingError} when the named player is not installed or cannot play the format.
 */
export async function createPlayer(
  name: PlayerName | "auto",
  options: PlayerOptions,
  deps: PlayerDeps = {},
): Promise<{ player: PlayerBackend; chosen: PlayerName; note: string }> {
  const which = deps.which ?? whichInPath;
  const os = deps.os ?? Deno.build.os;
  let chosen: PlayerName;
  let note: string;
  if (name === "auto") {
    const installed = await detectPlayers({ which, os });
    chosen = installed.find((player) => canPlay(player, options.format)) ?? "null";
    note = chosen === "null"
      ? `auto: no installed player plays ${options.format} (${INSTALL_HINTS.mpv}); playing silently`
      : `auto: using ${chosen}`;
  } else {
    chosen = name;
    note = name === "null" ? "null: playing silently" : `using ${name}`;
  }
  if (chosen === "null") return { player: createNullPlayer(options), chosen, note };
  if (chosen === "afplay" && os !== "darwin") {
    throw new PlayerMissingError(
      chosen,
      `Cannot start afplay: it comes with macOS only (${INSTALL_HINTS.mpv})`,
    );
  }
  const command = await which(chosen);
  if (!command) {
    throw new PlayerMissingError(
      chosen,
      `Cannot start ${chosen}: it is not installed (${INSTALL_HINTS[chosen]})`,
    );
  }
  if (!canPlay(chosen, options.format)) {
    throw new PlayerMissingError(
      chosen,
      `Cannot play ${options.format} with ${chosen}: it plays only WAV; mpv or ffplay is needed for ${options.format} ` +
        `(${INSTALL_HINTS.mpv})`,
    );
  }
  const player = chosen === "mpv"
    ? await MpvPlayer.create(options, { command })
    : createSimplePlayer(chosen, options, { command });
  return { player, chosen, note };
}
