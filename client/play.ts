/**
 * `audiod play`: the terminal player, on the saved session when there is one.
 *
 * @module
 */

import { parseAddress } from "../cli/address.ts";
import { CommandError } from "../cli/usage_error.ts";
import { type PlayerName, splitArgs } from "../media/player/mod.ts";
import { runTui } from "../tui/mod.ts";
import { loadSession } from "./session_store.ts";
import { createTuiServices } from "./tui_services.ts";

/** Options of `audiod play`. */
export interface PlayOptions {
  host?: string;
  user?: string;
  player: PlayerName | "auto";
  playerArgs: string;
}

/** Runs the player until the listener quits. */
export async function play(options: PlayOptions): Promise<void> {
  if (!Deno.stdin.isTerminal() || !Deno.stdout.isTerminal()) {
    throw new CommandError(
      "Cannot start the player: it needs a terminal (for scripts, use audiod tracks and audiod get)",
    );
  }
  let playerArgs: string[];
  try {
    playerArgs = splitArgs(options.playerArgs);
  } catch (error) {
    throw new CommandError(`Cannot use --player-args: ${(error as Error).message}`);
  }
  const host = options.host ? parseAddress(options.host) : undefined;
  const saved = await loadSession();
  const session = saved && saved.token && (!host || saved.host === host) && saved.expiresAt > Date.now()
    ? saved
    : undefined;
  const services = createTuiServices({ player: options.player, playerArgs });
  await runTui(services, {
    ...(host ?? saved?.host ? { host: host ?? saved!.host } : {}),
    ...(options.user ?? saved?.user ? { user: options.user ?? saved!.user } : {}),
    ...(session ? { session } : {}),
  });
}
