/**
 * Turns the security options of the daemon commands into role options: the join secret, TLS certificate and key,
 * the CA peers are checked against, and (the bootstrap) session timing and sign-in rate.
 *
 * @module
 */

import { parseDuration, parseRate, type Rate } from "./duration.ts";
import { resolveJoinSecret } from "../daemon/cluster/join_secret.ts";
import { readDaemonTls, type TlsPem } from "../daemon/http/tls.ts";

/** TLS options as the command line gives them. */
interface TlsFlags {
  tlsCert?: string;
  tlsKey?: string;
  ca?: string;
}

/** What the bootstrap's security flags become. */
export interface BootstrapSecurity {
  sessionTiming: { idleMs: number; lifetimeMs: number };
  signInRate: Rate;
  tls?: TlsPem;
  caCerts?: string[];
}

/** `--session-idle`, `--session-lifetime`, `--sign-in-rate`, `--tls-cert`, `--tls-key`, `--ca` of the bootstrap. */
export async function bootstrapSecurity(
  flags: TlsFlags & { sessionIdle: string; sessionLifetime: string; signInRate: string },
): Promise<BootstrapSecurity> {
  return {
    sessionTiming: {
      idleMs: parseDuration(flags.sessionIdle, "--session-idle"),
      lifetimeMs: parseDuration(flags.sessionLifetime, "--session-lifetime"),
    },
    signInRate: parseRate(flags.signInRate, "--sign-in-rate"),
    ...await readDaemonTls(flags),
  };
}

/** What a node's or instance's security flags become. */
export interface MemberSecurity {
  joinSecret: string;
  tls?: TlsPem;
  caCerts?: string[];
}

/**
 * `--join-secret-stdin` (its first line; remote launches), else `--join-secret-file` (else AUDIOD_JOIN_SECRET,
 * else `<data>/join-secret`), `--tls-cert`, `--tls-key`, `--ca`.
 */
export async function memberSecurity(
  flags: TlsFlags & { joinSecretFile?: string; joinSecretStdin?: boolean; data: string },
): Promise<MemberSecurity> {
  const joinSecret = await resolveJoinSecret({
    ...(flags.joinSecretStdin ? { stdin: Deno.stdin.readable } : {}),
    ...(flags.joinSecretFile !== undefined ? { file: flags.joinSecretFile } : {}),
    dataDir: flags.data,
  });
  return { joinSecret, ...await readDaemonTls(flags) };
}
