/**
 * `audiod doctor`: "what is wrong with my setup", a line per check with a verdict, in the order a listener's
 * request meets them: the bootstrap answers, its TLS certificate is trusted, the saved session is valid, auth
 * and file instances are up, a track's replica is reachable and its first chunk verifies, a player backend is
 * installed. A check that cannot run because an earlier one failed says so (SKIP). Exit status 0 only when all
 * pass.
 *
 * @module
 */

import { describeFetchError } from "../daemon/cluster/peer_client.ts";
import { httpClientFor, readCa } from "../daemon/http/tls.ts";
import { printOut } from "../daemon/runtime/log.ts";
import { CommandError } from "../cli/usage_error.ts";
import { streamVerified } from "../media/transfer.ts";
import { detectPlayers } from "../media/player/mod.ts";
import type { Session, StatusReport } from "../protocol/mod.ts";
import { AudiodClient } from "./api.ts";
import { resolveHost } from "./commands.ts";

/** The verdict of one check. */
export type Verdict = "PASS" | "FAIL" | "SKIP";

/** One line of the report. */
export interface CheckResult {
  name: string;
  verdict: Verdict;
  detail: string;
}

/** Options of `audiod doctor`. */
export interface DoctorOptions {
  host?: string;
  ca?: string;
  /** Where each line goes; default stdout. */
  print?: (line: string) => void;
}

/** Runs every check, prints a line each; resolves with the results. */
export async function runChecks(options: DoctorOptions = {}): Promise<CheckResult[]> {
  const print = options.print ?? printOut;
  const results: CheckResult[] = [];
  const report = (name: string, verdict: Verdict, detail: string) => {
    results.push({ name, verdict, detail });
    print(`${verdict}  ${name.padEnd(22)} ${detail}`);
  };
  const { host, session } = await resolveHost(options.host);
  const httpClient = httpClientFor(await readCa(options.ca));
  const client = new AudiodClient(host, {
    ...(httpClient ? { httpClient } : {}),
    // The catalog and status need the session (a refused one is reported below).
    ...(session?.token && session.host === host ? { token: session.token } : {}),
  });
  const https = host.startsWith("https:");

  // 1, 2: the bootstrap answers, over TLS it trusts.
  let reachable = false;
  try {
    const res = await fetch(`${host}/v1/health`, {
      signal: AbortSignal.timeout(5000),
      ...(httpClient ? { client: httpClient } : {}),
    });
    await res.body?.cancel();
    reachable = res.ok;
    report("bootstrap answers", res.ok ? "PASS" : "FAIL", `${host}/v1/health answered ${res.status}`);
    report("TLS trust", "PASS", https ? "its certificate is trusted" : "not used (plain http)");
  } catch (error) {
    const why = describeFetchError(error, error instanceof DOMException && error.name === "TimeoutError");
    const tls = https && /certificate|tls|handshake|UnknownIssuer|self.signed/i.test(why);
    report(
      "bootstrap answers",
      tls ? "PASS" : "FAIL",
      tls ? `${host} is up, but see TLS trust` : `${host}: ${why}`,
    );
    reachable = tls;
    report(
      "TLS trust",
      tls ? "FAIL" : https ? "SKIP" : "PASS",
      tls
        ? `${why} (pass --ca FILE or set AUDIOD_CA to the cluster's CA certificate)`
        : https
        ? "the bootstrap did not answer"
        : "not used (plain http)",
    );
  }
  const ok = reachable && results.every((r) => r.verdict === "PASS");

  // 3: the saved session.
  let valid: Session | null = null;
  if (!session?.token || session.host !== host) {
    report("saved session", "FAIL", `none for ${host} (run audiod login --host ${host} --user NAME)`);
  } else if (session.expiresAt <= Date.now()) {
    report(
      "saved session",
      "FAIL",
      `${session.user}'s session expired ${new Date(session.expiresAt).toISOString()}`,
    );
  } else if (!ok) {
    report(
      "saved session",
      "SKIP",
      `${session.user}'s session cannot be checked: the bootstrap did not answer`,
    );
  } else {
    try {
      await client.session(session.token);
      valid = session;
      report(
        "saved session",
        "PASS",
        `${session.user}, valid until ${new Date(session.expiresAt).toISOString()}`,
      );
    } catch (error) {
      report(
        "saved session",
        "FAIL",
        `${session.user}'s session was refused: ${message(error)} (run audiod login)`,
      );
    }
  }

  // 4: instances up.
  let status: StatusReport | null = null;
  if (ok) {
    try {
      status = await client.status();
    } catch (error) {
      report("auth instances up", "FAIL", `${host}/v1/status: ${message(error)}`);
      report("file instances up", "SKIP", "no status");
    }
  } else {
    report("auth instances up", "SKIP", "the bootstrap did not answer");
    report("file instances up", "SKIP", "the bootstrap did not answer");
  }
  if (status) {
    for (const role of ["auth", "file"] as const) {
      const all = status.nodes.filter((n) => n.role === role);
      const up = all.filter((n) => n.state === "up").length;
      const others = all.length - up;
      const rest = others > 0 ? ` (${others} ${others === 1 ? "is" : "are"} draining or down)` : "";
      report(`${role} instances up`, up > 0 ? "PASS" : "FAIL", `${up} up${rest}`);
    }
  }

  // 5: a track's replica is reachable and its first chunk verifies.
  await checkTrack(client, status, valid, httpClient, report);

  // 6: a player backend.
  const players = (await detectPlayers()).filter((p) => p !== "null");
  report(
    "player backend",
    players.length > 0 ? "PASS" : "FAIL",
    players.length > 0 ? `${players.join(", ")} installed` : "none of mpv, ffplay, paplay, aplay is on PATH",
  );
  return results;
}

async function checkTrack(
  client: AudiodClient,
  status: StatusReport | null,
  session: Session | null,
  httpClient: Deno.HttpClient | undefined,
  report: (name: string, verdict: Verdict, detail: string) => void,
): Promise<void> {
  const name = "first chunk verifies";
  if (!status) return report(name, "SKIP", "no cluster status");
  if (!session) return report(name, "SKIP", "needs a valid session");
  if (status.tracks === 0) {
    return report(name, "FAIL", "the catalog has no tracks (is a file instance scanning?)");
  }
  try {
    const page = await client.trackPage("", 0, 1);
    const track = page.tracks[0];
    if (!track) return report(name, "FAIL", "the catalog listed no track");
    const failures: string[] = [];
    let replica = "";
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), 15_000);
    try {
      for await (
        const chunk of streamVerified(track, {
          token: session.token,
          signal: stop.signal,
          ...(httpClient ? { httpClient } : {}),
          onEvent: (e) => {
            if (e.type === "replica") replica = e.replica;
            if (e.type === "replica-failed") failures.push(`${e.replica}: ${e.reason}`);
          },
        })
      ) {
        const tried = failures.length > 0 ? ` after ${failures.join("; ")}` : "";
        report(name, "PASS", `"${track.title}": ${chunk.length} bytes from ${replica}, MD5 matched${tried}`);
        return;
      }
      report(name, "FAIL", `"${track.title}" has no bytes`);
    } finally {
      clearTimeout(timer);
      stop.abort();
    }
  } catch (error) {
    report(name, "FAIL", message(error));
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `audiod doctor`: the checks, then a summary line; a CommandError (exit 1) when any did not pass. */
export async function doctor(options: DoctorOptions = {}): Promise<void> {
  const results = await runChecks(options);
  const failed = results.filter((r) => r.verdict !== "PASS");
  if (failed.length > 0) {
    throw new CommandError(
      `${failed.length} of ${results.length} checks did not pass: ${failed.map((r) => r.name).join(", ")}`,
    );
  }
  (options.print ?? printOut)(`All ${results.length} checks passed`);
}
