/**
 * Starts real audiod processes for end-to-end tests and runs client commands, each with its own temporary
 * config, data and cache directories.
 *
 * @module
 */

import { join } from "node:path";
import { JOIN_SECRET_HEADER } from "../daemon/cluster/join_secret.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** The join secret file of every bootstrap started here, by its URL. */
const joinSecrets = new Map<string, string>();

/** The join secret file a bootstrap started by {@linkcode startDaemon} wrote. */
export function joinSecretFileOf(bootstrapUrl: string): string {
  const path = joinSecrets.get(bootstrapUrl);
  if (!path) throw new Error(`No bootstrap at ${bootstrapUrl} was started by this harness`);
  return path;
}

/** The join secret of a bootstrap started by {@linkcode startDaemon}. */
export async function joinSecretOf(bootstrapUrl: string): Promise<string> {
  return (await Deno.readTextFile(joinSecretFileOf(bootstrapUrl))).trim();
}

/**
 * Request options that ask a bootstrap this harness started as a member (its join secret): the catalog, status
 * and events are private, and a test watching the cluster (before any auth instance is up, or for the hosts and
 * process ids only admins see) asks the way its nodes do. `init`'s headers are kept.
 */
export async function asMember(bootstrapUrl: string, init: RequestInit = {}): Promise<RequestInit> {
  const headers = new Headers(init.headers);
  headers.set(JOIN_SECRET_HEADER, await joinSecretOf(bootstrapUrl));
  return { ...init, headers };
}

/**
 * A signed-in session of a new account `user` on a bootstrap this harness started, made through the store's
 * internal routes (with the join secret), so it needs no auth instance: for a test that follows the catalog,
 * status or events as a listener before (or without) any instance is up. The account has no usable password.
 */
export async function sessionFor(bootstrapUrl: string, user: string): Promise<string> {
  return (await storeSession(bootstrapUrl, user)).token;
}

/**
 * Like {@linkcode sessionFor}, and saves the session where the client commands of `env` (an
 * {@linkcode isolatedEnv}) find it, as `audiod login` would: `audiod tracks` and `status` then ask as `user`.
 */
export async function signInFor(
  env: Record<string, string>,
  bootstrapUrl: string,
  user: string,
): Promise<string> {
  const answer = await storeSession(bootstrapUrl, user);
  const dir = env.AUDIOD_CONFIG_DIR!;
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  await Deno.writeTextFile(join(dir, "session.json"), JSON.stringify({ host: bootstrapUrl, ...answer }), {
    mode: 0o600,
  });
  return answer.token;
}

async function storeSession(
  bootstrapUrl: string,
  user: string,
): Promise<{ user: string; token: string; expiresAt: number; issuedAt: number }> {
  const headers = {
    "content-type": "application/json",
    [JOIN_SECRET_HEADER]: await joinSecretOf(bootstrapUrl),
  };
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${bootstrapUrl}${path}`, {
      method: "POST",
      headers,
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`POST ${path} answered ${res.status}: ${text}`);
    return JSON.parse(text);
  };
  await post("/v1/internal/users", { user, hash: "no-password-for-this-test-account" });
  return await post("/v1/internal/sessions", { user });
}

/** Request options with a session's bearer token (`init`'s other headers kept). */
export function withToken(token: string, init: RequestInit = {}): RequestInit {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${token}`);
  return { ...init, headers };
}

/**
 * A node or instance joining a bootstrap this harness started gets its join secret file, unless the test
 * chose (`--join-secret-file` or AUDIOD_JOIN_SECRET in `env`, even empty).
 */
function withJoinSecret(args: string[], env: Record<string, string>): string[] {
  if (!["content", "auth", "file"].includes(args[0] ?? "")) return args;
  if (args.includes("--join-secret-file") || "AUDIOD_JOIN_SECRET" in env) return args;
  const at = args.indexOf("--bootstrap");
  const file = at >= 0 ? joinSecrets.get(args[at + 1] ?? "") : undefined;
  return file ? [...args, "--join-secret-file", file] : args;
}

/** A temporary directory removed on dispose. */
export async function tempDir(prefix = "audiod-test-"): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }).catch(() => {}) };
}

/** The command line that runs audiod (the uncompiled twin of `./audiod`). */
export function audiodCommand(args: string[]): [string, string[]] {
  return [Deno.execPath(), ["run", "-A", "--quiet", MAIN, ...args]];
}

/** A running daemon. */
export interface Daemon extends AsyncDisposable {
  url: string;
  process: Deno.ChildProcess;
  /** Everything it logged so far (stderr). */
  logs(): string;
  /** Log lines parsed as JSON (daemons started with --log-format json). */
  events(): Record<string, unknown>[];
  /** SIGTERM, then wait; returns the exit code. */
  stop(signal?: Deno.Signal): Promise<number>;
}

/** Starts `audiod <args>` and waits for its "listening on" line. */
export async function startDaemon(
  args: string[],
  options: { env?: Record<string, string>; timeoutMs?: number; netns?: string } = {},
): Promise<Daemon> {
  let [cmd, cmdArgs] = audiodCommand(withJoinSecret(args, options.env ?? {}));
  // `ip netns exec` execs the command: the process is audiod itself, in that namespace (a host of its own).
  if (options.netns) [cmd, cmdArgs] = ["ip", ["netns", "exec", options.netns, cmd, ...cmdArgs]];
  const process = new Deno.Command(cmd, {
    args: cmdArgs,
    env: options.env ?? {},
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  let stdout = "";
  const decoder = new TextDecoder();
  const listening = Promise.withResolvers<string>();
  const pumpOut = (async () => {
    for await (const chunk of process.stdout) {
      stdout += decoder.decode(chunk, { stream: true });
      const m = /audiod \w+ listening on (https?:\/\/\S+)/.exec(stdout);
      if (m) listening.resolve(m[1]!);
    }
  })();
  const pumpErr = (async () => {
    for await (const chunk of process.stderr) stderr += decoder.decode(chunk, { stream: true });
  })();
  const status = process.status;
  status.then((s) =>
    listening.reject(new Error(`audiod ${args[0]} exited with ${s.code} before listening:\n${stderr}`))
  );
  const timer = setTimeout(
    () => listening.reject(new Error(`audiod ${args[0]} did not listen in time:\n${stderr}`)),
    options.timeoutMs ?? 20_000,
  );
  let url: string;
  try {
    url = await listening.promise;
  } catch (error) {
    try {
      process.kill("SIGKILL");
    } catch { /* gone */ }
    await Promise.allSettled([status, pumpOut, pumpErr]);
    throw error;
  } finally {
    clearTimeout(timer);
  }
  // A daemon that dies by itself (not stopped, not killed by the test) says so at once with its last words, so
  // a test that later times out waiting for it names the cause rather than only "connection refused".
  status.then(async (s) => {
    if (stopped !== null || s.signal !== null) return;
    await Promise.allSettled([pumpOut, pumpErr]);
    // deno-lint-ignore no-console
    console.error(
      `audiod ${args[0]} at ${url} exited by itself with code ${s.code}; its last output:\n` +
        stderr.split("\n").slice(-40).join("\n"),
    );
  });
  const secretLine = /join secret (?:written to|in) (\S+)/.exec(stdout);
  if (args[0] === "bootstrap" && secretLine) joinSecrets.set(url, secretLine[1]!);
  let stopped: Promise<number> | null = null;
  const stop = (signal: Deno.Signal = "SIGTERM") => {
    stopped ??= (async () => {
      try {
        process.kill(signal);
      } catch { /* already gone */ }
      const killer = setTimeout(() => {
        try {
          process.kill("SIGKILL");
        } catch { /* gone */ }
      }, 15_000);
      const s = await status;
      clearTimeout(killer);
      await Promise.allSettled([pumpOut, pumpErr]);
      return s.code;
    })();
    return stopped;
  };
  return {
    url,
    process,
    logs: () => stderr,
    events: () =>
      stderr.split("\n").filter((l) => l.startsWith("{")).map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return {};
        }
      }),
    stop,
    [Symbol.asyncDispose]: async () => {
      await stop();
    },
  };
}

/** The result of a client command. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `audiod <args>` to completion. */
export async function audiod(
  args: string[],
  options: { env?: Record<string, string>; stdin?: string } = {},
): Promise<CommandResult> {
  const [cmd, cmdArgs] = audiodCommand(args);
  const child = new Deno.Command(cmd, {
    args: cmdArgs,
    env: options.env ?? {},
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const out = await child.output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** Environment that keeps a test's config, data and cache inside `root`. */
export function isolatedEnv(root: string, name: string): Record<string, string> {
  return {
    AUDIOD_CONFIG_DIR: join(root, name, "config"),
    XDG_DATA_HOME: join(root, name, "data"),
    XDG_CACHE_HOME: join(root, name, "cache"),
    XDG_CONFIG_HOME: join(root, name, "xdg-config"),
    HOME: join(root, name, "home"),
    NO_COLOR: "1",
  };
}

/** A TCP port that was free a moment ago on 127.0.0.1 (for a daemon that must come back on the same port). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** The exit code of a process that should end by itself within `timeoutMs`, or null when it did not. */
export async function exitCodeWithin(process: Deno.ChildProcess, timeoutMs: number): Promise<number | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), timeoutMs));
  try {
    return await Promise.race([process.status.then((s) => s.code), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` until it returns a value (not undefined) or the time runs out. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Timed out waiting for ${what}${last ? `: ${last}` : ""}`);
}

/** Starts a bootstrap on a free loopback port with its store in `dataDir`. */
export function startBootstrap(
  dataDir: string,
  env: Record<string, string>,
  extraArgs: string[] = [],
): Promise<Daemon> {
  return startDaemon(["bootstrap", "--listen", "127.0.0.1:0", "--data", dataDir, ...extraArgs], { env });
}

/** Starts a content node serving `media` that joins `bootstrap` (the harness hands it the join secret). */
export function startContent(
  bootstrap: string,
  media: string,
  dataDir: string,
  env: Record<string, string>,
  extraArgs: string[] = [],
): Promise<Daemon> {
  return startDaemon(
    ["content", "--bootstrap", bootstrap, "--media", media, "--data", dataDir, ...extraArgs],
    {
      env,
    },
  );
}

/** A file member with no server behind it, keeping its lease, that announces made-up tracks to a bootstrap. */
export interface FakeFileMember extends AsyncDisposable {
  /** Announces `count` tracks made by `make(i)`, in batches of the most the bootstrap takes at once. */
  announce(count: number, make: (i: number) => unknown): Promise<void>;
}

/** Joins `bootstrap` as file member `id` (with the harness's join secret); disposing stops its heartbeat. */
export async function fakeFileMember(bootstrap: string, id: string): Promise<FakeFileMember> {
  const secret = (await Deno.readTextFile(joinSecretFileOf(bootstrap))).trim();
  const internal = async (path: string, body: unknown) => {
    const res = await fetch(`${bootstrap}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", [JOIN_SECRET_HEADER]: secret },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`POST ${path} answered ${res.status}: ${text}`);
    return text ? JSON.parse(text) : null;
  };
  const member = await internal("/v1/internal/members", {
    id,
    role: "file",
    url: "http://127.0.0.1:9",
    host: "127.0.0.1",
    pid: Deno.pid,
  }) as { id: string; heartbeatMs: number };
  const load = { activeStreams: 0, inFlight: 0, bytesPerSecond: 0, requests: 0 };
  const beat = setInterval(() => {
    internal(`/v1/internal/members/${member.id}/heartbeat`, { load }).catch(() => {});
  }, Math.min(member.heartbeatMs, 500));
  return {
    async announce(count, make) {
      for (let i = 0; i < count; i += 200) {
        const tracks = Array.from({ length: Math.min(200, count - i) }, (_, k) => make(i + k));
        await internal("/v1/internal/announce", { instance: member.id, replace: i === 0, tracks });
      }
    },
    [Symbol.asyncDispose]() {
      clearInterval(beat);
      return Promise.resolve();
    },
  };
}
