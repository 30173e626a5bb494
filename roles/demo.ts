/**
 * `audiod demo` (`deno task demo`): a bootstrap and a content node on loopback, with a sample library the
 * program synthesizes, a demo account, and directions for what to run next. Ctrl-C stops everything. In a
 * terminal, `audiod demo` runs this role as a child process and opens the player on it (see `client/play.ts`).
 *
 * Permissions: net (listen on loopback), read/write (`<data dir>/demo`), env.
 *
 * @module
 */

import { join } from "node:path";
import type { ListenAddress } from "../cli/address.ts";
import { JOIN_SECRET_FILE, resolveJoinSecret } from "../daemon/cluster/join_secret.ts";
import { sleep } from "../daemon/cluster/membership.ts";
import { callJson } from "../daemon/cluster/peer_client.ts";
import { HttpError } from "../daemon/http/http_error.ts";
import { printOut } from "../daemon/runtime/log.ts";
import { defaultDataDir } from "../daemon/runtime/paths.ts";
import { writeSampleLibrary } from "../media/sample_library.ts";
import { candidates } from "../protocol/services.ts";
import { sessionAnswer } from "../protocol/session.ts";

/** The demo account. */
export const DEMO_USER = "demo";
/** Its password (this is a local demo; never reuse it). */
export const DEMO_PASSWORD = "listen-to-the-demo";

/**
 * The line the demo prints once it serves and its account exists; group 1 is the bootstrap's URL. Whoever runs
 * the demo as a child process waits for it.
 */
export const DEMO_RUNNING = /audiod demo is running: bootstrap at (\S+),/;

/** Where the demo keeps its library, its daemons' data and its log: `<data dir>/demo`. */
export function demoDir(): string {
  return join(defaultDataDir(), "demo");
}

/** Options of `audiod demo`. */
export interface DemoOptions {
  /** The bootstrap's address; when it is taken, any free port on the same host. */
  listen: ListenAddress;
}

/** Runs the demo cluster until `signal` aborts. */
export async function run(options: DemoOptions, signal: AbortSignal): Promise<void> {
  const root = demoDir();
  const library = join(root, "library");
  await Deno.mkdir(library, { recursive: true });
  const files = await writeSampleLibrary(library);
  const { run: runBootstrap } = await import("./bootstrap/mod.ts");
  const { run: runContent } = await import("./content.ts");

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

  await ensureDemoUser(host, signal);
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

/** Registers the demo account on the first auth instance up (a role calls the API itself, not the client's). */
async function ensureDemoUser(host: string, signal: AbortSignal): Promise<void> {
  for (let i = 0; i < 100 && !signal.aborted; i++) {
    try {
      const auth = await callJson(host, "GET", "/v1/services/auth", { answer: candidates });
      const first = auth.candidates[0];
      if (!first) {
        throw new HttpError(503, "no_auth", "Cannot register the demo account: no auth instance yet");
      }
      await callJson(first.url, "POST", "/v1/register", {
        body: { user: DEMO_USER, password: DEMO_PASSWORD },
        answer: sessionAnswer,
      });
      return;
    } catch (error) {
      if (error instanceof HttpError && error.status === 409) return;
      await sleep(200, signal);
    }
  }
}
