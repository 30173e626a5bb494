/**
 * `audiod play`: the terminal player, on the saved session when there is one; and the player `audiod demo` opens
 * in a terminal, signed in to the demo account.
 *
 * @module
 */

import { join } from "node:path";
import { type ListenAddress, parseAddresses } from "../cli/address.ts";
import { CommandError } from "../cli/usage_error.ts";
import { httpClientFor, readCa } from "../daemon/http/tls.ts";
import { printOut } from "../daemon/runtime/log.ts";
import { selfCommand } from "../daemon/runtime/self_command.ts";
import { type PlayerName, splitArgs } from "../media/player/mod.ts";
import { DEMO_PASSWORD, DEMO_RUNNING, DEMO_USER, demoDir } from "../roles/demo.ts";
import { runTui } from "../tui/mod.ts";
import { AudiodClient } from "./api.ts";
import { loadSession } from "./session_store.ts";
import { createTuiServices } from "./tui_services.ts";

/** Options of `audiod play`. */
export interface PlayOptions {
  host?: string;
  user?: string;
  player: PlayerName | "auto";
  playerArgs: string;
  /** A CA certificate (PEM) to trust for https (else AUDIOD_CA). */
  ca?: string;
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
  const host = options.host ? parseAddresses(options.host) : undefined;
  const saved = await loadSession();
  const session = saved && saved.token && (!host || saved.host === host) && saved.expiresAt > Date.now()
    ? saved
    : undefined;
  const httpClient = httpClientFor(await readCa(options.ca));
  const services = createTuiServices({
    player: options.player,
    playerArgs,
    ...(httpClient ? { httpClient } : {}),
  });
  await runTui(services, {
    ...(host ?? saved?.host ? { host: host ?? saved!.host } : {}),
    ...(options.user ?? saved?.user ? { user: options.user ?? saved!.user } : {}),
    ...(session ? { session } : {}),
  });
}

/**
 * `audiod demo` in a terminal: runs the demo cluster (`roles/demo.ts`) as a child process (its logs go to a
 * file, not over the player), signs in the demo account and opens the player on it. Quitting the player stops
 * the demo.
 */
export async function playDemo(options: { listen: ListenAddress }): Promise<void> {
  const root = demoDir();
  await Deno.mkdir(root, { recursive: true });
  const logPath = join(root, "demo.log");
  const log = await Deno.open(logPath, { write: true, create: true, truncate: true });
  const [cmd, args] = selfCommand([
    "demo",
    "--no-player",
    "--listen",
    `${options.listen.hostname}:${options.listen.port}`,
  ]);
  const child = new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "piped" }).spawn();
  const ready = Promise.withResolvers<string>();
  const copy = async (stream: ReadableStream<Uint8Array>, watch: boolean) => {
    let seen = "";
    for await (const bytes of stream) {
      await log.write(bytes);
      if (!watch) continue;
      seen += new TextDecoder().decode(bytes);
      const m = DEMO_RUNNING.exec(seen);
      if (m) ready.resolve(m[1]!);
    }
  };
  const copying = Promise.all([copy(child.stdout, true), copy(child.stderr, false)]);
  child.status.then((s) => ready.reject(new Error(`the demo cluster exited with ${s.code}: see ${logPath}`)));
  printOut(`Starting the demo cluster (its log: ${logPath})…`);
  try {
    const host = await ready.promise;
    const session = await new AudiodClient(host).login(DEMO_USER, DEMO_PASSWORD);
    const services = createTuiServices({ player: "auto", playerArgs: [], configDir: join(root, "config") });
    await runTui(services, { host, user: DEMO_USER, session });
  } finally {
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    await child.status;
    await copying.catch(() => {});
    log.close();
  }
}
