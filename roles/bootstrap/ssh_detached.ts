/**
 * Remote content nodes of a cluster with several bootstraps (a shared store): started over SSH *detached*
 * (`setsid nohup`, their output in `audiod-content.log` in the remote user's home), so they outlive the
 * bootstrap that launched them, and *adopted* by whichever bootstrap leads next: a node already registered
 * from that host is left alone, one that is missing (never started, or down) is started again.
 *
 * The join secret still never appears on a command line: the remote shell reads it from the SSH session's
 * stdin (`read`, a builtin) and pipes it to the node's `--join-secret-stdin` with the `printf` builtin.
 *
 * @module
 */

import { urlHost } from "../../cli/address.ts";
import type { Logger } from "../../daemon/runtime/log.ts";
import { sleep } from "../../daemon/cluster/membership.ts";
import { JOIN_SECRET_ENV } from "../../daemon/cluster/join_secret.ts";
import { shellQuote, type SshTarget } from "./ssh_launcher.ts";

/** The log file of a detached node, in the remote user's home. */
export const DETACHED_LOG = "audiod-content.log";

/** Options for one detached remote node. */
export interface DetachedNodeOptions {
  target: SshTarget;
  sshArgs: string[];
  remoteAudiod: string;
  media: string;
  /** The bootstraps' URLs as the remote host reaches them (comma-separated), read at each launch. */
  bootstrap: () => string;
  contentArgs: string[];
  joinSecret: string;
  remoteEnv?: Record<string, string>;
  logger: Logger;
  /** Whether a content node from this host is registered and up now (shared registry). */
  alive: () => boolean;
  /** How long a launched node has to register before it is launched again (default 20 s). */
  registerMs?: number;
}

/** Keeps one detached remote content node running, while this bootstrap leads. */
export class DetachedRemoteNode {
  #o: DetachedNodeOptions;
  #stop = new AbortController();
  #loop: Promise<void> | null = null;
  /** How many times it was launched from here. */
  starts = 0;

  constructor(options: DetachedNodeOptions) {
    this.#o = options;
  }

  get name(): string {
    const t = this.#o.target;
    return `${t.user ? t.user + "@" : ""}${t.host}${t.port ? ":" + t.port : ""}`;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stops watching; the remote node keeps running (the next leader adopts it). */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const { logger } = this.#o;
    const signal = this.#stop.signal;
    let backoff = 1000;
    let adopted = false;
    while (!signal.aborted) {
      if (this.#o.alive()) {
        if (!adopted) logger.info("remote.adopted", { host: this.name });
        adopted = true;
        backoff = 1000;
        await sleep(2000, signal);
        continue;
      }
      adopted = false;
      try {
        await this.#launch();
      } catch (error) {
        if (signal.aborted) break;
        logger.warn("remote.failed", { host: this.name, error });
      }
      const deadline = Date.now() + (this.#o.registerMs ?? 20_000);
      while (!signal.aborted && Date.now() < deadline && !this.#o.alive()) await sleep(500, signal);
      if (!this.#o.alive() && !signal.aborted) {
        logger.warn("remote.not_registered", { host: this.name, retryIn: `${backoff}ms`, log: DETACHED_LOG });
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, 30_000);
      }
    }
  }

  async #launch(): Promise<void> {
    const o = this.#o;
    const t = o.target;
    const { [JOIN_SECRET_ENV]: _secret, ...remoteEnv } = o.remoteEnv ?? {};
    const env = Object.entries(remoteEnv).map(([k, v]) => `${k}=${shellQuote(v)}`);
    const words = [
      "content",
      "--bootstrap",
      o.bootstrap(),
      "--media",
      o.media,
      "--listen",
      "0.0.0.0:0",
      "--advertise",
      t.host,
      "--join-secret-stdin",
      ...o.contentArgs,
    ].map(shellQuote);
    const program = `${env.length ? "env " + env.join(" ") + " " : ""}${o.remoteAudiod} ${words.join(" ")}`;
    // read and printf are builtins: the secret is in no process's arguments.
    const remote = `IFS= read -r s; printf '%s\\n' "$s" | setsid nohup ${program} >>${DETACHED_LOG} 2>&1 & ` +
      `s=; exit 0`;
    this.starts++;
    o.logger.info("remote.starting", { host: this.name, attempt: this.starts, detached: true });
    const child = new Deno.Command("ssh", {
      args: [
        "-o",
        "BatchMode=yes",
        "-o",
        "ConnectTimeout=10",
        ...(t.port ? ["-p", String(t.port)] : []),
        ...o.sshArgs,
        t.user ? `${t.user}@${urlHost(t.host)}` : urlHost(t.host),
        remote,
      ],
      stdin: "piped",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(o.joinSecret + "\n")).catch(() => {});
    await writer.close().catch(() => {});
    const [status, stderr] = await Promise.all([child.status, new Response(child.stderr).text()]);
    if (!status.success) throw new Error(`ssh exited with ${status.code}: ${stderr.trim()}`);
  }
}
