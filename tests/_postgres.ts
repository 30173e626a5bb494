/**
 * A throwaway PostgreSQL server for tests: `initdb` into a temporary directory, `pg_ctl start` on a free
 * loopback port with its socket in that directory, stopped (`-m fast`) and removed on dispose. As root (CI) the
 * server runs as the `postgres` user through `su`; otherwise as the current user. Where PostgreSQL is not
 * installed, {@linkcode POSTGRES_MISSING} says why and the tests that need it are skipped, never failed.
 *
 * @module
 */

import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";

/** The directory holding initdb and pg_ctl: AUDIOD_TEST_PG_BIN, else the newest /usr/lib/postgresql/N/bin. */
function findBin(): string | undefined {
  const given = Deno.env.get("AUDIOD_TEST_PG_BIN");
  if (given) return existsSync(join(given, "pg_ctl")) ? given : undefined;
  let versions: string[] = [];
  try {
    versions = readdirSync("/usr/lib/postgresql").filter((v) => /^\d+$/.test(v));
  } catch { /* not installed */ }
  versions.sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const bin = `/usr/lib/postgresql/${v}/bin`;
    if (existsSync(join(bin, "initdb")) && existsSync(join(bin, "pg_ctl"))) return bin;
  }
  return undefined;
}

const BIN = findBin();
const IS_ROOT = Deno.uid() === 0;

function missingReason(): string | undefined {
  if (!BIN) {
    return "PostgreSQL is not installed: no initdb and pg_ctl in /usr/lib/postgresql/N/bin or AUDIOD_TEST_PG_BIN, " +
      "apt-get install postgresql";
  }
  if (IS_ROOT) {
    try {
      const id = new Deno.Command("id", { args: ["-u", "postgres"], stdout: "null", stderr: "null" })
        .outputSync();
      if (!id.success) {
        return "PostgreSQL runs as the postgres user when tests run as root, and there is none";
      }
    } catch {
      return "cannot tell whether the postgres user exists (no id command)";
    }
  }
  return undefined;
}

/** Why tests needing PostgreSQL are skipped here, or undefined when they can run. */
export const POSTGRES_MISSING: string | undefined = missingReason();

/** A name suffix for a skipped test or step: says what was skipped and why. */
export function skippedSuffix(): string {
  return POSTGRES_MISSING ? ` (skipped: ${POSTGRES_MISSING})` : "";
}

/** A running throwaway server. */
export interface TestPostgres extends AsyncDisposable {
  port: number;
  /** `postgres://audiod@127.0.0.1:PORT/postgres`. */
  url: string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server (`immediate` is a crash); the data stays. */
  stop(mode?: "fast" | "immediate"): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  /** SIGSTOPs the server and its backends (it then answers nothing, like a database behind a cut link; Linux). */
  pause(): Promise<void>;
  /** SIGCONTs what {@linkcode pause} stopped. */
  resume(): Promise<void>;
}

async function sh(command: string, what: string, netns?: string): Promise<void> {
  let [cmd, args] = IS_ROOT ? ["su", ["postgres", "-s", "/bin/sh", "-c", command]] : ["sh", ["-c", command]];
  if (netns) [cmd, args] = ["ip", ["netns", "exec", netns, cmd, ...args]];
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped", stdin: "null" }).output();
  if (!out.success) {
    const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
    throw new Error(`Cannot ${what}: ${command} exited with ${out.code}:\n${text}`);
  }
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

let databases = 0;

async function chownToPostgres(dir: string): Promise<void> {
  if (!IS_ROOT) return;
  const out = await new Deno.Command("id", { args: ["-u", "postgres"], stdout: "piped" }).output();
  await Deno.chown(dir, Number(new TextDecoder().decode(out.stdout).trim()), null);
}

/** Where the server listens: a network namespace and its address there (default 127.0.0.1 here). */
export interface PostgresPlace {
  /** The network namespace the server runs in (`ip netns exec`; root only). */
  netns?: string;
  /** The address it listens on and clients use. */
  address?: string;
}

/** Starts a throwaway server (throws when {@linkcode POSTGRES_MISSING}). */
export async function startPostgres(place: PostgresPlace = {}): Promise<TestPostgres> {
  const address = place.address ?? "127.0.0.1";
  if (POSTGRES_MISSING) throw new Error(`Cannot start PostgreSQL: ${POSTGRES_MISSING}`);
  const dir = await Deno.makeTempDir({ prefix: "audiod-pg-" });
  await chownToPostgres(dir);
  const data = join(dir, "db");
  const pgCtl = join(BIN!, "pg_ctl");
  let port = 0;
  let running = false;
  const start = async () => {
    await sh(
      `${pgCtl} -D ${data} -l ${join(dir, "log")} -w -t 30 -o "-p ${port} -k ${dir} ` +
        `-c listen_addresses=${address} -c fsync=off" start`,
      "start PostgreSQL",
      place.netns,
    );
    running = true;
  };
  const stop = async (mode: "fast" | "immediate" = "fast") => {
    if (!running) return;
    await sh(`${pgCtl} -D ${data} -m ${mode} -w stop`, "stop PostgreSQL");
    running = false;
  };
  try {
    await sh(
      `${join(BIN!, "initdb")} -D ${data} -U audiod --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync`,
      "create a PostgreSQL cluster",
    );
    // initdb trusts loopback only: a server on a namespace's address takes the clients on its network too.
    if (address !== "127.0.0.1") {
      await Deno.writeTextFile(join(data, "pg_hba.conf"), `host all all ${address}/24 trust\n`, {
        append: true,
      });
    }
    // Another process may take the port between freePort() and the start: try a few.
    for (let attempt = 0;; attempt++) {
      port = freePort();
      try {
        await start();
        break;
      } catch (error) {
        if (attempt >= 2) throw error;
      }
    }
  } catch (error) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw error;
  }
  const url = `postgres://audiod@${address}:${port}/postgres`;
  // The server and its backends (each of which is a process group of its own), found by their parent.
  const signalGroup = async (signal: Deno.Signal) => {
    const pid = Number((await Deno.readTextFile(join(data, "postmaster.pid"))).split("\n")[0]);
    const children: number[] = [];
    for await (const entry of Deno.readDir("/proc")) {
      if (!/^\d+$/.test(entry.name)) continue;
      const stat = await Deno.readTextFile(`/proc/${entry.name}/stat`).catch(() => "");
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (parent === pid) children.push(Number(entry.name));
    }
    for (const p of signal === "SIGSTOP" ? [pid, ...children] : [...children, pid]) {
      try {
        Deno.kill(p, signal);
      } catch { /* gone */ }
    }
  };

  return {
    port,
    url,
    async createDatabase(name = `t${Deno.pid}_${++databases}`) {
      const sql = postgres(url, { max: 1, onnotice: () => {} });
      try {
        await sql.unsafe(`CREATE DATABASE "${name}"`);
      } finally {
        await sql.end();
      }
      return `postgres://audiod@${address}:${port}/${name}`;
    },
    stop,
    start,
    pause: () => signalGroup("SIGSTOP"),
    resume: () => signalGroup("SIGCONT"),
    async [Symbol.asyncDispose]() {
      await signalGroup("SIGCONT").catch(() => {});
      try {
        await stop("fast");
      } catch {
        await stop("immediate").catch(() => {});
      } finally {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    },
  };
}
