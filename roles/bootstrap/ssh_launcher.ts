/**
 * Starts `audiod content` on remote machines over SSH (the system's ssh, in batch mode), relays their output into
 * the bootstrap's log prefixed by host, and starts them again when they exit or are killed. When the command is
 * missing there and this audiod is a compiled binary, it is copied over first with scp.
 *
 * The remote node is started with `--exit-on-stdin-eof`, so it stops when the SSH session ends (the bootstrap
 * stopped or lost the connection) instead of lingering. The join secret goes over the same stdin, as its first
 * line (`--join-secret-stdin`): never on a command line or in an environment, where `ps` would show it to every
 * user of either host.
 *
 * @module
 */

import { urlHost } from "../../cli/address.ts";
import { compiledBinary } from "../../daemon/runtime/self_command.ts";
import type { Logger } from "../../daemon/runtime/log.ts";
import { sleep } from "../../daemon/cluster/membership.ts";
import { UsageError } from "../../cli/usage_error.ts";
import { JOIN_SECRET_ENV } from "../../daemon/cluster/join_secret.ts";

/** `user@host:port`, parsed. */
export interface SshTarget {
  user: string | null;
  host: string;
  port: number | null;
}

/** Parses `user@host[:port]`, `host`, or `user@[v6]:port`. */
export function parseSshTarget(text: string): SshTarget {
  const m = /^(?:([A-Za-z0-9._-]+)@)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/.exec(text.trim());
  if (!m) throw new UsageError(`Cannot use SSH target "${text}": expected user@host or user@host:port`);
  const port = m[3] ? Number(m[3]) : null;
  if (port !== null && (port < 1 || port > 65535)) {
    throw new UsageError(`Cannot use SSH target "${text}": bad port`);
  }
  return { user: m[1] ?? null, host: m[2]!.replace(/^\[|\]$/g, ""), port };
}

/** Options for one remote content node. */
export interface RemoteNodeOptions {
  target: SshTarget;
  /** Extra options for ssh and scp, e.g. `-i KEY`. */
  sshArgs: string[];
  /** The command that runs audiod there (may contain spaces: it is run by the remote shell). */
  remoteAudiod: string;
  /** The media directory on that host. */
  media: string;
  /** The bootstrap's URL as the remote host reaches it. */
  bootstrap: string;
  /** Extra arguments for `audiod content` (e.g. the join secret option). */
  contentArgs: string[];
  /** The cluster's join secret, handed to the remote node over stdin. */
  joinSecret?: string;
  /**
   * Environment variables set for the remote command; passed on its command line, so never a secret:
   * AUDIOD_JOIN_SECRET given here goes over stdin like {@linkcode joinSecret} instead.
   */
  remoteEnv?: Record<string, string>;
  logger: Logger;
  /** The local executable, for copying when the remote has none; null when this is not a compiled binary. */
  localBinary?: string | null;
}

/** Quotes a word for a POSIX shell. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replaceAll("'", `'"'"'`)}'`;
}

/** Keeps one remote content node running until stopped. */
export class RemoteNode {
  #options: RemoteNodeOptions;
  #stop = new AbortController();
  #child: Deno.ChildProcess | null = null;
  #loop: Promise<void> | null = null;
  /** How many times the node was started. */
  starts = 0;

  constructor(options: RemoteNodeOptions) {
    this.#options = options;
  }

  get name(): string {
    const t = this.#options.target;
    return `${t.user ? t.user + "@" : ""}${t.host}${t.port ? ":" + t.port : ""}`;
  }

  /** Starts the keep-alive loop. */
  start(): void {
    this.#loop ??= this.#run();
  }

  /** Ends the SSH session (the remote node sees its stdin close and stops) and the loop. */
  async stop(): Promise<void> {
    this.#stop.abort();
    try {
      this.#child?.kill("SIGTERM");
    } catch { /* gone */ }
    await this.#loop;
  }

  #sshBase(): string[] {
    const t = this.#options.target;
    return [
      "-o",
      "BatchMode=yes",
      "-o",
      "ServerAliveInterval=5",
      "-o",
      "ServerAliveCountMax=3",
      "-o",
      "ConnectTimeout=10",
      ...(t.port ? ["-p", String(t.port)] : []),
      ...this.#options.sshArgs,
    ];
  }

  #destination(): string {
    const t = this.#options.target;
    const host = urlHost(t.host);
    return t.user ? `${t.user}@${host}` : host;
  }

  async #exec(command: string): Promise<{ code: number; stderr: string }> {
    const out = await new Deno.Command("ssh", {
      args: [...this.#sshBase(), this.#destination(), command],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    return { code: out.code, stderr: new TextDecoder().decode(out.stderr).trim() };
  }

  /** Makes sure the remote command exists; copies the local binary when it does not and we are compiled. */
  async #ensureRemoteCommand(): Promise<string> {
    const { remoteAudiod, logger } = this.#options;
    const program = remoteAudiod.trim().split(/\s+/)[0]!;
    const probe = await this.#exec(`command -v ${shellQuote(program)} >/dev/null 2>&1`);
    if (probe.code === 0) return remoteAudiod;
    if (probe.code === 255) throw new Error(`ssh failed: ${probe.stderr || "cannot connect"}`);
    const local = this.#options.localBinary === undefined ? compiledBinary() : this.#options.localBinary;
    if (!local) {
      throw new Error(
        `${program} is not installed there and this audiod runs under deno, so there is no binary to copy ` +
          "(install audiod there, or pass --remote-audiod with the command that runs it)",
      );
    }
    await this.#exec("mkdir -p .local/bin");
    const t = this.#options.target;
    const scp = await new Deno.Command("scp", {
      args: [
        "-q",
        "-o",
        "BatchMode=yes",
        ...(t.port ? ["-P", String(t.port)] : []),
        ...this.#options.sshArgs,
        local,
        `${this.#destination()}:.local/bin/audiod`,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!scp.success) throw new Error(`scp failed: ${new TextDecoder().decode(scp.stderr).trim()}`);
    logger.info("remote.copied", { host: this.name, to: ".local/bin/audiod" });
    return ".local/bin/audiod";
  }

  async #run(): Promise<void> {
    const { logger } = this.#options;
    const signal = this.#stop.signal;
    let backoff = 1000;
    while (!signal.aborted) {
      const startedAt = Date.now();
      try {
        const command = await this.#ensureRemoteCommand();
        const { [JOIN_SECRET_ENV]: envSecret, ...remoteEnv } = this.#options.remoteEnv ?? {};
        const secret = this.#options.joinSecret ?? envSecret;
        const env = Object.entries(remoteEnv).map(([k, v]) => `${k}=${shellQuote(v)}`);
        const words = [
          "content",
          "--bootstrap",
          this.#options.bootstrap,
          "--media",
          this.#options.media,
          "--listen",
          "0.0.0.0:0",
          "--advertise",
          this.#options.target.host,
          "--exit-on-stdin-eof",
          ...(secret ? ["--join-secret-stdin"] : []),
          ...this.#options.contentArgs,
        ].map(shellQuote);
        // `exec env K=V cmd`: `env K=V exec cmd` would look for a program called exec.
        const remote = `exec ${env.length ? "env " + env.join(" ") + " " : ""}${command} ${words.join(" ")}`;
        this.starts++;
        logger.info("remote.starting", { host: this.name, attempt: this.starts });
        const child = new Deno.Command("ssh", {
          args: [...this.#sshBase(), this.#destination(), remote],
          stdin: "piped",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        this.#child = child;
        // The secret's line, and stdin stays open: its end tells the node the session is over.
        const stdin = child.stdin.getWriter();
        if (secret) await stdin.write(new TextEncoder().encode(secret + "\n")).catch(() => {});
        stdin.releaseLock();
        const relay = (stream: ReadableStream<Uint8Array>) =>
          relayLines(stream, (line) => logger.info("remote", { host: this.name, line }));
        const [status] = await Promise.all([child.status, relay(child.stdout), relay(child.stderr)]);
        this.#child = null;
        if (signal.aborted) break;
        logger.warn("remote.exited", { host: this.name, code: status.code, signal: status.signal ?? "-" });
      } catch (error) {
        if (signal.aborted) break;
        logger.warn("remote.failed", { host: this.name, error });
      }
      if (Date.now() - startedAt > 30_000) backoff = 1000;
      logger.info("remote.restarting", { host: this.name, in: `${backoff}ms` });
      await sleep(backoff, signal);
      backoff = Math.min(backoff * 2, 30_000);
    }
  }
}

async function relayLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
  let rest = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    rest += text;
    let i: number;
    while ((i = rest.indexOf("\n")) >= 0) {
      const line = rest.slice(0, i).trimEnd();
      rest = rest.slice(i + 1);
      if (line) onLine(line);
    }
  }
  if (rest.trim()) onLine(rest.trim());
}
