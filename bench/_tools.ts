/**
 * The outside programs the benchmark drives — nginx, wrk, curl, md5sum — installed from Debian when missing,
 * and small helpers around processes (run with a time bound, memory from /proc).
 *
 * @module
 */
import { join } from "node:path";
import { printErr } from "../daemon/runtime/log.ts";

/** Prints one progress line to stderr. */
export function say(line: string): void {
  printErr(`bench: ${line}`);
}

/** Whether `name` is on the PATH (or in /usr/sbin, where Debian puts nginx). */
export async function hasCommand(name: string): Promise<boolean> {
  const { success } = await new Deno.Command("sh", {
    args: ["-c", 'PATH="$PATH:/usr/sbin:/sbin" command -v "$1" >/dev/null', "sh", name],
  }).output();
  return success;
}

/** Debian packages that provide each tool the suite needs. */
const PACKAGES: Record<string, string> = { nginx: "nginx", wrk: "wrk", curl: "curl", md5sum: "coreutils" };

/** Installs the missing tools with apt-get (we run as root); throws when that fails. */
export async function ensureTools(): Promise<void> {
  const missing: string[] = [];
  for (const [tool, pkg] of Object.entries(PACKAGES)) {
    if (!await hasCommand(tool)) missing.push(pkg);
  }
  if (missing.length === 0) return;
  say(`installing ${missing.join(", ")} with apt-get`);
  const install = () => run("apt-get", ["install", "-y", "--no-install-recommends", ...missing], 600_000);
  let out = await install();
  if (out.code !== 0) {
    await run("apt-get", ["update"], 600_000);
    out = await install();
  }
  if (out.code !== 0) throw new Error(`Cannot install ${missing.join(", ")}: ${out.stderr.slice(-500)}`);
}

/** What a finished command said. */
export interface RunOutput {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command to completion, killed when it takes longer than `timeoutMs`. */
export async function run(
  cmd: string,
  args: string[],
  timeoutMs: number,
  options: { env?: Record<string, string> } = {},
): Promise<RunOutput> {
  const started = performance.now();
  const child = new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    ...(options.env ? { env: options.env } : {}),
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, timeoutMs);
  try {
    const out = await child.output();
    const decoder = new TextDecoder();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
      ms: performance.now() - started,
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `bash -c script` with pipefail (for pipelines such as `curl | md5sum`), with a time bound. */
export function sh(script: string, timeoutMs: number): Promise<RunOutput> {
  return run("bash", ["-o", "pipefail", "-c", script], timeoutMs);
}

/** A field of /proc/PID/status in bytes (VmRSS, VmHWM), or NaN when the process is gone. */
export function procMemory(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** CPU seconds (user + system) a process used so far, from /proc/PID/stat; NaN when it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const fields = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 Hz)
  } catch {
    return NaN;
  }
}

/** Resets the process's peak RSS (VmHWM) to its current RSS (Linux ≥ 4.0, needs root or the same user). */
export function resetPeakMemory(pid: number): void {
  Deno.writeTextFileSync(`/proc/${pid}/clear_refs`, "5");
}

/** wrk's summary of one run. */
export interface WrkResult {
  bytes: number;
  seconds: number;
  requests: number;
  errors: number;
  /** Bytes per second. */
  rate: number;
}

const WRK_SCRIPT = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %d %d %d %d\\n", summary.bytes, summary.duration, summary.requests,
    e.connect + e.read + e.write + e.status + e.timeout))
end
`;

/**
 * Loads `url` with wrk for `seconds` over `connections` connections (to 127.0.0.1 only) and returns the bytes
 * it read per second. Every byte read counts, also of responses cut off when time runs out.
 */
export async function wrk(
  url: string,
  options: {
    connections: number;
    seconds: number;
    threads?: number;
    headers?: Record<string, string>;
    /** A Lua script of its own (it must print the WRK line like the default one does). */
    script?: string;
    workDir: string;
  },
): Promise<WrkResult> {
  if (!new URL(url).hostname.startsWith("127.")) throw new Error(`Cannot load ${url}: only 127.0.0.1`);
  const scriptPath = join(options.workDir, `wrk-${crypto.randomUUID().slice(0, 8)}.lua`);
  await Deno.writeTextFile(scriptPath, (options.script ?? "") + WRK_SCRIPT);
  const threads = Math.min(options.threads ?? 2, options.connections);
  const args = [
    `-t${threads}`,
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    "--timeout",
    "60s",
    "-s",
    scriptPath,
  ];
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push("-H", `${name}: ${value}`);
  args.push(url);
  const out = await run("wrk", args, (options.seconds + 30) * 1000);
  await Deno.remove(scriptPath).catch(() => {});
  const m = /^WRK (\d+) (\d+) (\d+) (\d+)$/m.exec(out.stdout);
  if (out.code !== 0 || !m) throw new Error(`wrk failed (${out.code}): ${out.stderr || out.stdout}`);
  const seconds = Number(m[2]) / 1e6;
  const bytes = Number(m[1]);
  return { bytes, seconds, requests: Number(m[3]), errors: Number(m[4]), rate: bytes / seconds };
}

/** Waits until something accepts TCP connections on 127.0.0.1:`port`. */
export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`Nothing listens on 127.0.0.1:${port}: ${error}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** A running nginx serving `root` as static files with sendfile. */
export interface Nginx extends AsyncDisposable {
  url: string;
  pid: number;
}

/** Starts Debian's nginx (sendfile on, Debian's `worker_processes auto`) serving `root` on 127.0.0.1. */
export async function startNginx(root: string, workDir: string): Promise<Nginx> {
  const dir = join(workDir, "nginx");
  await Deno.mkdir(join(dir, "logs"), { recursive: true });
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const conf = `
# Run by root from a temp dir: "user root" lets the workers read 0700 temp dirs.
user root;
worker_processes auto;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:${port};
    root ${root};
  }
}
`;
  await Deno.writeTextFile(join(dir, "nginx.conf"), conf);
  const nginx = (await hasCommand("nginx")) && Deno.statSync("/usr/sbin/nginx").isFile
    ? "/usr/sbin/nginx"
    : "nginx";
  const child = new Deno.Command(nginx, {
    args: ["-p", dir, "-c", join(dir, "nginx.conf"), "-e", join(dir, "logs", "error.log")],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  try {
    await waitForPort(port);
  } catch (error) {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    throw new Error(`Cannot start nginx: ${error}; ${await stderr}`);
  }
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
    [Symbol.asyncDispose]: async () => {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, 5000);
      await child.status;
      clearTimeout(timer);
      await stderr;
    },
  };
}

/** Where this process's Deno keeps its cache (on Linux: DENO_DIR, else under XDG_CACHE_HOME or ~/.cache). */
export function denoDir(): string {
  const env = (name: string) => Deno.env.get(name) || undefined;
  return env("DENO_DIR") ?? join(env("XDG_CACHE_HOME") ?? join(env("HOME") ?? "/root", ".cache"), "deno");
}
