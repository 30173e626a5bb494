/**
 * A real audiod cluster on loopback for the benchmark: a bootstrap, standalone auth and file processes (so each
 * one's CPU and memory are its own), and a signed-in listener.
 *
 * @module
 */
import { join } from "node:path";
import {
  asMember,
  audiod,
  type Daemon,
  isolatedEnv,
  startBootstrap,
  startDaemon,
  waitFor,
  withToken,
} from "../tests/_harness.ts";
import type { CatalogTrack } from "../protocol/mod.ts";
import { denoDir } from "./_tools.ts";

/** A running cluster; stops every process it started on dispose. */
export interface Cluster extends AsyncDisposable {
  bootstrap: Daemon;
  auth: Daemon[];
  files: Daemon[];
  /** Environment of the signed-in listener (its session is saved there). */
  listener: Record<string, string>;
  /** The listener's bearer token. */
  token: string;
  /** The catalog entry titled `title`. */
  track(title: string): Promise<CatalogTrack>;
  /** Starts one more file instance serving `media`. */
  addFile(media: string): Promise<Daemon>;
  /**
   * Stops file instance `i` and starts it again on the same media and data folders (on a new port); the new one
   * is `files[i]`. It may not be in the catalog yet.
   */
  restartFile(i: number): Promise<Daemon>;
}

/** Options of {@linkcode startCluster}. */
export interface ClusterOptions {
  /** A scratch folder the cluster keeps its data in. */
  root: string;
  /** One file instance per media folder. */
  media: string[];
  /** How many auth instances (default 1). */
  auth?: number;
  /** Tracks the catalog must list before the cluster counts as ready. */
  tracks: number;
  /** Waiting for the first scans (default 120 s). */
  readyTimeoutMs?: number;
}

/** The password of the benchmark's listener. */
export const BENCH_PASSWORD = "benchmark password";

/** Starts a bootstrap, `auth` auth instances and one file instance per media folder, and signs a listener in. */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const { root } = options;
  const env = isolatedEnv(root, "servers");
  const started: Daemon[] = [];
  const stopAll = async () => {
    await Promise.allSettled(started.reverse().map((d) => d.stop()));
  };
  try {
    // The login case signs in far more often than a person would.
    const bootstrap = await startBootstrap(join(root, "boot"), env, ["--sign-in-rate", "999999/min"]);
    started.push(bootstrap);
    const auth: Daemon[] = [];
    for (let i = 0; i < (options.auth ?? 1); i++) {
      const d = await startDaemon(["auth", "--bootstrap", bootstrap.url, "--listen", "127.0.0.1:0"], { env });
      started.push(d);
      auth.push(d);
    }
    let fileCount = 0;
    const folders = new Map<Daemon, { media: string; data: string }>();
    const addFile = async (media: string, data = join(root, `file-${fileCount++}`)) => {
      const d = await startDaemon(
        ["file", "--bootstrap", bootstrap.url, "--media", media, "--data", data, "--listen", "127.0.0.1:0"],
        { env, timeoutMs: options.readyTimeoutMs ?? 120_000 },
      );
      started.push(d);
      folders.set(d, { media, data });
      return d;
    };
    const files: Daemon[] = [];
    for (const media of options.media) files.push(await addFile(media));
    await waitFor("the catalog to list every track", async () => {
      // Before the listener signs in, the cluster is watched as its members do (the catalog is private).
      const res = await fetch(`${bootstrap.url}/v1/tracks?limit=1`, await asMember(bootstrap.url));
      const body = await res.json() as { total: number };
      return body.total >= options.tracks || undefined;
    }, options.readyTimeoutMs ?? 120_000);
    if ((options.auth ?? 1) > 0) {
      await waitFor("an auth instance", async () => {
        const res = await fetch(`${bootstrap.url}/v1/services/auth`);
        const body = await res.json() as { candidates: unknown[] };
        return body.candidates.length >= (options.auth ?? 1) || undefined;
      });
    }
    // The listener's commands use the benchmark's Deno cache: with one of their own (under XDG_CACHE_HOME), the
    // first of each would spend about 0.3 s transpiling audiod's modules, which a compiled audiod never does.
    const listener: Record<string, string> = { ...isolatedEnv(root, "listener"), DENO_DIR: denoDir() };
    let token = "";
    if ((options.auth ?? 1) > 0) {
      const reg = await audiod(
        ["register", "--host", bootstrap.url, "--user", "bench", "--password-stdin"],
        { env: listener, stdin: BENCH_PASSWORD + "\n" },
      );
      if (reg.code !== 0) throw new Error(`Cannot register the benchmark's listener: ${reg.stderr}`);
      const session = JSON.parse(await Deno.readTextFile(join(listener.AUDIOD_CONFIG_DIR!, "session.json")));
      token = session.token;
    }
    return {
      bootstrap,
      auth,
      files,
      listener,
      token,
      addFile: async (media) => {
        const d = await addFile(media);
        files.push(d);
        return d;
      },
      track: async (title) => {
        const res = await fetch(
          `${bootstrap.url}/v1/tracks/${encodeURIComponent(title)}`,
          token ? withToken(token) : await asMember(bootstrap.url),
        );
        if (!res.ok) throw new Error(`Cannot find track ${title}: ${await res.text()}`);
        return await res.json() as CatalogTrack;
      },
      restartFile: async (i) => {
        const old = files[i];
        if (!old) throw new Error(`No file instance ${i}`);
        const { media, data } = folders.get(old)!;
        await old.stop();
        const d = await addFile(media, data);
        files[i] = d;
        return d;
      },
      [Symbol.asyncDispose]: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
