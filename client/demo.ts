/**
 * `audiod demo` (`deno task demo`): a bootstrap and a content node on loopback, with a sample library the
 * program synthesizes, a demo account, and directions for what to run next. Ctrl-C stops everything.
 *
 * @module
 */

import { join } from "node:path";
import type { ListenAddress } from "../daemon/address.ts";
import { HttpError } from "../daemon/http_error.ts";
import { JOIN_SECRET_FILE, resolveJoinSecret } from "../daemon/join_secret.ts";
import { printOut } from "../daemon/log.ts";
import { sleep } from "../daemon/membership.ts";
import { defaultDataDir } from "../daemon/paths.ts";
import { writeSampleLibrary } from "../media/sample_library.ts";
import { selfCommand } from "../daemon/self_command.ts";
import { AudiodClient } from "./api.ts";

/** The demo account. */
export const DEMO_USER = "demo";
/** Its password (this is a local demo; never reuse it). */
export const DEMO_PASSWORD = "listen-to-the-demo";

/**
 * `deno task demo` in a terminal: runs the demo cluster as a child process (its logs go to a file, not over the
 * player), signs in the demo account and opens the player on it. Quitting the player stops the demo.
 */
export async function runDemoWithPlayer(options: { listen: ListenAddress }): Promise<void> {
  const root = join(defaultDataDir(), "demo");
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
      const m = /audiod demo is running: bootstrap at (\S+),/.exec(seen);
      if (m) ready.resolve(m[1]!);
    }
  };
  const copying = Promise.all([copy(child.stdout, true), copy(child.stderr, false)]);
  child.status.then((s) => ready.reject(new Error(`the demo cluster exited with ${s.code}: see ${logPath}`)));
  printOut(`Starting the demo cluster (its log: ${logPath})…`);
  try {
    const host = await ready.promise;
    const session = await new AudiodClient(host).login(DEMO_USER, DEMO_PASSWORD);
    const { createTuiServices } = await import("./tui_services.ts");
    const { runTui } = await import("../tui/mod.ts");
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

/** Runs the demo cluster until `signal` aborts. */
export async function runDemo(options: { listen: ListenAddress }, signal: AbortSignal): Promise<void> {
  const root = join(defaultDataDir(), "demo");
  const library = join(root, "library");
  await Deno.mkdir(library, { recursive: true });
  const files = await writeSampleLibrary(library);
  const { run: runBootstrap } = await import("../roles/bootstrap/mod.ts");
  const { run: runContent } = await import("../roles/content.ts");

  const bootstrapStop = new AbortController();
  const contentStop = new AbortController();
  const start = (listen: ListenAddress) => {
    const ready = Promise.withResolvers<string>();
    const running = runBootstrap(
      { listen, dataDir: join(root, "bootstrap"), logFormat: "text", onListening: ready.resolve },
      bootstrapStop.signal,
    );
    running.catch(ready.reject);
    return { running, ready: ready.promise };
  };
  let bootstrap = start(options.listen);
  let host: string;
  try {
    host = await bootstrap.ready;
  } catch {
    // The address is taken (another audiod?): take any free port instead.
    bootstrap = start({ hostname: options.listen.hostname, port: 0 });
    host = await bootstrap.ready;
  }
  // The content node joins with the secret the bootstrap wrote on its first start, as a real node would.
  const joinSecret = await resolveJoinSecret({ file: join(root, "bootstrap", JOIN_SECRET_FILE) });
  const contentRun = runContent({
    bootstrap: host,
    joinSecret,
    media: library,
    listen: { hostname: "127.0.0.1", port: 0 },
    dataDir: join(root, "content"),
    logFormat: "text",
  }, contentStop.signal);

  const client = new AudiodClient(host);
  await ensureDemoUser(client, signal);
  printOut("");
  printOut(`audiod demo is running: bootstrap at ${host}, ${files.length} sample tracks in ${library}`);
  printOut("Try, in another terminal:");
  printOut(`  deno run -A main.ts login --host ${host} --user ${DEMO_USER}    (password: ${DEMO_PASSWORD})`);
  printOut(`  deno run -A main.ts tracks`);
  printOut(`  deno run -A main.ts get "Glass Bell" -o glass-bell.wav`);
  printOut(`  deno run -A main.ts status`);
  printOut("Press Ctrl-C to stop the demo.");

  await new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
  contentStop.abort();
  await contentRun;
  bootstrapStop.abort();
  await bootstrap.running;
}

async function ensureDemoUser(client: AudiodClient, signal: AbortSignal): Promise<void> {
  for (let i = 0; i < 100 && !signal.aborted; i++) {
    try {
      await client.register(DEMO_USER, DEMO_PASSWORD);
      return;
    } catch (error) {
      if (error instanceof HttpError && error.status === 409) return;
      await sleep(200, signal);
    }
  }
}
