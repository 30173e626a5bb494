/**
 * The scriptable client: `register`, `login`, `logout`, `passwd`, `delete-account`, `tracks`, `get`, `status`
 * (what mpc is to mpd). Every command takes `--ca FILE` (or AUDIOD_CA) for a cluster whose TLS certificates a
 * private CA signed.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";
import { parseAddresses } from "../cli/address.ts";
import { HttpError } from "../daemon/http/http_error.ts";
import { printErr, printOut } from "../daemon/runtime/log.ts";
import { httpClientFor, readCa } from "../daemon/http/tls.ts";
import { CommandError } from "../cli/usage_error.ts";
import { resolveJoinSecret } from "../daemon/cluster/join_secret.ts";
import { CheckerThread } from "../media/chunk_checker.ts";
import { ChunkBuffers, CHUNKS_IN_HAND, streamVerified, TransferError } from "../media/transfer.ts";
import { AudiodClient } from "./api.ts";
import { waitForAuth } from "./wait_for_auth.ts";
import { shortIds } from "./short_id.ts";
import { readPassword, readPasswordChange } from "./password_input.ts";
import { loadSession, saveSession } from "./session_store.ts";
import type { Session, StatusEntry } from "../protocol/mod.ts";
import { formatBytes, formatDuration, ProgressLine, StreamedTable, table } from "./format.ts";

/** Picks the bootstrap: `--host`, else the saved session's, else an error saying what to do. */
export async function resolveHost(
  host: string | undefined,
): Promise<{ host: string; session: Session | null }> {
  const session = await loadSession();
  if (host !== undefined) return { host: parseAddresses(host), session };
  if (session) return { host: session.host, session };
  throw new CommandError("Cannot tell which cluster to use: pass --host ADDR (the bootstrap's address) once");
}

/** A client for `host` that trusts `--ca FILE` (else AUDIOD_CA) besides the system's roots. */
export async function clientFor(host: string, ca?: string): Promise<AudiodClient> {
  const httpClient = httpClientFor(await readCa(ca));
  return new AudiodClient(host, httpClient ? { httpClient } : {});
}

/**
 * A client for `host` that sends the saved session's token (renewed first when it is near its expiry) on the
 * private routes (catalog, status); without a session for `host` the bootstrap's 401 says how to sign in.
 */
export async function sessionClient(
  host: string,
  session: Session | null,
  ca?: string,
): Promise<AudiodClient> {
  const client = await clientFor(host, ca);
  if (!session?.token || session.host !== host || session.expiresAt <= Date.now()) return client;
  let current = session;
  try {
    const fresh = await client.fresh(session);
    if (fresh !== session) await saveSession(current = fresh);
  } catch (error) {
    // A token that cannot be renewed may still be good until it expires: the call says when it is not.
    if (!(error instanceof HttpError)) throw error;
  }
  client.token = current.token;
  return client;
}

/** The saved session when it holds a token, else an error saying how to sign in. */
async function signedIn(toDo: string): Promise<Session> {
  const session = await loadSession();
  if (!session?.token) throw new CommandError(`Cannot ${toDo}: not signed in (run audiod login first)`);
  return session;
}

/** `audiod register` / `audiod login`. */
export async function signIn(
  mode: "register" | "login",
  options: { host?: string; user: string; passwordStdin?: boolean; ca?: string; invite?: string },
): Promise<void> {
  const { host } = await resolveHost(options.host);
  const password = await readPassword({
    stdin: options.passwordStdin ?? false,
    confirm: mode === "register",
  });
  const client = await clientFor(host, options.ca);
  // Right after the cluster starts its auth instance may be a moment away: wait for it, say so once.
  const session = await waitForAuth(
    () =>
      mode === "register"
        ? client.register(options.user, password, options.invite)
        : client.login(options.user, password),
    { onWait: (ms) => printErr(`audiod: waiting up to ${ms / 1000} s for an auth instance on ${host}…`) },
  );
  await saveSession(session);
  const verb = mode === "register" ? "Registered and signed in" : "Signed in";
  printOut(
    `${verb} as ${session.user} on ${host} (session valid until ${
      new Date(session.expiresAt).toISOString()
    })`,
  );
}

/** `audiod logout`: revokes the token on the server and forgets it here. */
export async function logout(options: { ca?: string } = {}): Promise<void> {
  const session = await loadSession();
  if (!session || !session.token) {
    printOut("Not signed in");
    return;
  }
  try {
    await (await clientFor(session.host, options.ca)).logout(session.token);
  } catch (error) {
    if (!(error instanceof HttpError && error.status === 401)) throw error;
  }
  await saveSession({ ...session, token: "", expiresAt: 0 });
  printOut(`Signed out ${session.user} from ${session.host}`);
}

/** `audiod passwd`: changes the password; the server ends every other session of the account. */
export async function passwd(options: { passwordStdin?: boolean; ca?: string } = {}): Promise<void> {
  const session = await signedIn("change the password");
  const { current, next } = await readPasswordChange({ stdin: options.passwordStdin ?? false });
  const client = await clientFor(session.host, options.ca);
  const { revoked } = await client.changePassword(session.token, current, next);
  printOut(
    `Changed the password of ${session.user} on ${session.host}; ${revoked} other session${
      revoked === 1 ? "" : "s"
    } ended`,
  );
}

/** `audiod delete-account`: deletes the signed-in account (the password confirms it) and ends its sessions. */
export async function deleteAccount(options: { passwordStdin?: boolean; ca?: string } = {}): Promise<void> {
  const session = await signedIn("delete the account");
  const password = await readPassword({ stdin: options.passwordStdin ?? false, confirm: false });
  await (await clientFor(session.host, options.ca)).deleteAccount(session.token, password);
  await saveSession({ host: session.host, user: "", token: "", expiresAt: 0 });
  printOut(`Deleted the account ${session.user} on ${session.host} and ended all its sessions`);
}

/** How `audiod tracks` prints: a table, one JSON array, or JSON lines. */
export type TracksFormat = "text" | "json" | "jsonl";

/** The format `--json [array|lines]` and `--jsonl` ask for. */
export function tracksFormat(options: { json?: boolean | string; jsonl?: boolean }): TracksFormat {
  if (options.jsonl) return "jsonl";
  if (options.json === undefined || options.json === false) return "text";
  if (options.json === true || options.json === "array") return "json";
  if (options.json === "lines") return "jsonl";
  throw new CommandError(`Cannot use --json ${options.json}: expected array (the default) or lines`);
}

/**
 * `audiod tracks`: the catalog printed a page at a time as the pages arrive (a few in flight), so a large
 * catalog starts printing at once and is never held whole: a table; with `--json` one JSON array (written as
 * `[`, the tracks, `]`); with `--jsonl` (or `--json lines`) one track per line.
 */
export async function tracks(
  options: {
    host?: string;
    search?: string;
    json?: boolean | string;
    jsonl?: boolean;
    limit?: string;
    ca?: string;
  },
): Promise<void> {
  const format = tracksFormat(options);
  const limit = options.limit === undefined ? undefined : parseLimit(options.limit);
  const { host, session } = await resolveHost(options.host);
  const client = await sessionClient(host, session, options.ca);
  const pages = client.trackPages(options.search ?? "", limit === undefined ? {} : { limit });
  let total = 0;
  let printed = 0;
  if (format === "jsonl") {
    for await (const page of pages) {
      if (page.tracks.length > 0) printOut(page.tracks.map((t) => JSON.stringify(t)).join("\n"));
    }
    return;
  }
  if (format === "json") {
    // Each track is written once the next one (or the end) says whether a comma follows it.
    printOut("[");
    let last: string | null = null;
    for await (const page of pages) {
      const lines: string[] = [];
      for (const t of page.tracks) {
        if (last !== null) lines.push(`${last},`);
        last = `  ${JSON.stringify(t, null, 2).replaceAll("\n", "\n  ")}`;
      }
      if (lines.length > 0) printOut(lines.join("\n"));
    }
    if (last !== null) printOut(last);
    printOut("]");
    return;
  }
  const table = new StreamedTable(["ID", "TITLE", "ARTIST", "ALBUM", "TIME", "SIZE", "REPLICAS"]);
  for await (const page of pages) {
    total = page.total;
    if (page.tracks.length === 0) continue;
    printOut(
      table.lines(page.tracks.map((t) => [
        t.id.slice(0, 12),
        t.title,
        t.artist,
        t.album,
        formatDuration(t.duration),
        formatBytes(t.size),
        String(t.replicas.length),
      ])).join("\n"),
    );
    printed += page.tracks.length;
  }
  if (printed === 0) {
    printOut(options.search ? `No track matches "${options.search}"` : "The catalog is empty");
    return;
  }
  const more = total > printed ? ` of ${total} (see --limit)` : "";
  printOut(`${printed} track${printed === 1 && !more ? "" : "s"}${more}`);
}

function parseLimit(text: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1) {
    throw new CommandError(`Cannot use --limit ${text}: expected a whole number of tracks, 1 or more`);
  }
  return Number(text);
}

/** Parses a rate like `8M`, `500k`, `1.5G` or `1000000` (bytes per second). */
export function parseRate(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kKmMgG]?)(?:i?B)?(?:\/s)?$/.exec(text.trim());
  if (!m) {
    throw new CommandError(`Cannot use rate "${text}": expected a number with an optional k, M or G suffix`);
  }
  const unit = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as "" | "k" | "m" | "g"];
  const rate = Number(m[1]) * unit;
  if (rate < 1) throw new CommandError(`Cannot use rate "${text}": it must be at least 1 byte per second`);
  return rate;
}

/**
 * Where `get` puts the track. A file (new or existing, also behind a symbolic link) is written under a temporary
 * name beside it and renamed only once every byte passed, so it never holds a partial or unchecked track. A
 * device or a pipe (`/dev/null`, a FIFO, `-` for stdout) cannot be replaced that way: it takes each piece once
 * that piece is verified.
 */
interface Sink {
  /** What the messages call it. */
  name: string;
  write(bytes: Uint8Array): Promise<void>;
  /** All bytes passed: the file takes its name. */
  commit(): Promise<void> | void;
  /** Something failed: the temporary file goes. */
  discard(): Promise<void> | void;
}

async function openSink(output: string): Promise<Sink> {
  const writeAll = (file: { write(p: Uint8Array): Promise<number> }) => async (bytes: Uint8Array) => {
    let written = 0;
    while (written < bytes.length) written += await file.write(bytes.subarray(written));
  };
  if (output === "-") {
    return { name: "stdout", write: writeAll(Deno.stdout), commit: () => {}, discard: () => {} };
  }
  let info: Deno.FileInfo | null = null;
  try {
    info = await Deno.stat(output);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  if (info?.isDirectory) {
    throw new CommandError(
      `Cannot write ${output}: it is a directory (name a file in it, e.g. ${output}/song.flac)`,
    );
  }
  if (info && !info.isFile) {
    const device = await Deno.open(output, { write: true });
    return {
      name: output,
      write: writeAll(device),
      commit: () => device.close(),
      discard: () => device.close(),
    };
  }
  // An existing file is replaced where it is: through a symbolic link, the link stays and its target changes.
  const target = info ? await Deno.realPath(output) : output;
  const temp = join(dirname(target), `.${basename(target)}.${crypto.randomUUID().slice(0, 8)}.part`);
  const file = await Deno.open(temp, { write: true, createNew: true, mode: 0o644 });
  let open = true;
  const close = () => {
    if (open) file.close();
    open = false;
  };
  return {
    name: output,
    write: writeAll(file),
    commit: async () => {
      close();
      await Deno.rename(temp, target);
    },
    discard: async () => {
      close();
      await Deno.remove(temp).catch(() => {});
    },
  };
}

/** Verified pieces `get` hands to the disk before it waits for the disk to take them. */
const WRITE_QUEUE = 4;

/** `audiod get TRACK -o FILE`: download, verify, and only then write FILE (see {@linkcode Sink}). */
export async function get(
  ref: string,
  options: { host?: string; output: string; limitRate?: string; verbose?: boolean; ca?: string },
): Promise<void> {
  if (options.output === "-" && Deno.stdout.isTerminal()) {
    throw new CommandError("Cannot write a track to the terminal: pipe it (-o - | mpv -) or name a file");
  }
  const { host, session: saved } = await resolveHost(options.host);
  let session = saved;
  if (!session?.token || session.host !== host) {
    throw new CommandError(
      `Cannot download from ${host}: not signed in there (run audiod login --host ${host} --user NAME)`,
    );
  }
  const limitRate = options.limitRate ? parseRate(options.limitRate) : undefined;
  const client = await clientFor(host, options.ca);
  // Renew a token near its expiry first, so a long download is not cut off.
  const fresh = await client.fresh(session);
  if (fresh !== session) await saveSession(session = fresh);
  client.token = session.token;
  const lookup = client.track(ref);
  lookup.catch(() => {}); // awaited below
  // Chunks are checked on a thread of their own while the next ones arrive. Starting it holds this thread for
  // a while (~20 ms here), which the track's lookup spends on the network meanwhile.
  using checker = new CheckerThread();
  const track = await lookup;
  const progress = new ProgressLine(`${track.title}`, track.size);
  let sink: Sink | null = null;
  let writing = Promise.resolve();
  /** The writes not known to be done, oldest first. */
  const held: Promise<void>[] = [];
  // Ctrl-C (or SIGTERM) stops the download and removes the temporary file: nothing half-written is left. A
  // second one exits at once, should something (a pipe nobody reads) hold up the first.
  const interrupted = new AbortController();
  const onSignal = () => {
    if (interrupted.signal.aborted) Deno.exit(130);
    interrupted.abort(new CommandError(`Interrupted: "${track.title}" was not downloaded whole`, 130));
  };
  const signals = ["SIGINT", "SIGTERM"] as const;
  for (const name of signals) Deno.addSignalListener(name, onSignal);
  // Written chunks are read into again: the writes in flight, and the chunks being checked or arriving.
  const buffers = new ChunkBuffers(WRITE_QUEUE + CHUNKS_IN_HAND);
  let writeError: unknown = null;
  try {
    sink = await openSink(options.output);
    for await (
      const bytes of streamVerified(track, {
        token: session.token,
        buffers,
        checker,
        signal: interrupted.signal,
        ...(limitRate ? { limitRate } : {}),
        ...(client.httpClient ? { httpClient: client.httpClient } : {}),
        onEvent: (e) => {
          if (e.type === "progress") progress.update(e.verifiedBytes);
          else if (e.type === "replica") {
            if (options.verbose) {
              progress.clear();
              printErr(`audiod: fetching from ${e.replica} at byte ${e.from}`);
            }
          } else {
            progress.clear();
            printErr(`audiod: replica ${e.replica} failed (${e.reason}); trying the next one`);
          }
        },
      })
    ) {
      // The write goes on in the background while the next chunks arrive; at most a few are held, and the
      // oldest is waited for once that many are.
      const out = sink;
      writing = writing.then(async () => {
        if (writeError !== null) return;
        try {
          await out.write(bytes);
          buffers.give(bytes);
        } catch (error) {
          writeError = error;
        }
      });
      held.push(writing);
      if (held.length >= WRITE_QUEUE) await held.shift();
      if (writeError !== null) throw writeError;
    }
    await writing;
    if (writeError !== null) throw writeError;
    interrupted.signal.throwIfAborted();
    await sink.commit();
    progress.done();
    // With the track on stdout, the report goes to stderr.
    const report = `${sink.name}: ${formatBytes(track.size)}, MD5 ${track.md5} verified`;
    if (options.output === "-") printErr(report);
    else printOut(report);
  } catch (error) {
    progress.clear();
    await writing;
    await sink?.discard();
    if (error instanceof TransferError) throw new CommandError(error.message);
    if (
      error instanceof Deno.errors.NotFound || error instanceof Deno.errors.PermissionDenied ||
      error instanceof Deno.errors.IsADirectory || error instanceof Deno.errors.NotADirectory ||
      error instanceof Deno.errors.BrokenPipe
    ) {
      throw new CommandError(`Cannot write ${options.output}: ${(error as Error).message}`);
    }
    throw error;
  } finally {
    for (const name of signals) Deno.removeSignalListener(name, onSignal);
  }
}

/**
 * `audiod status`: as the signed-in user (hosts and process ids for admins only), or as a member with the join
 * secret (`--join-secret-file`, an operator on a node's machine).
 */
export async function status(
  options: { host?: string; json?: boolean; ca?: string; joinSecretFile?: string },
): Promise<void> {
  const { host, session } = await resolveHost(options.host);
  let client: AudiodClient;
  if (options.joinSecretFile !== undefined) {
    const joinSecret = await resolveJoinSecret({ file: options.joinSecretFile });
    const httpClient = httpClientFor(await readCa(options.ca));
    client = new AudiodClient(host, { joinSecret, ...(httpClient ? { httpClient } : {}) });
  } else {
    client = await sessionClient(host, session, options.ca);
  }
  const report = await client.status();
  if (options.json) {
    printOut(JSON.stringify(report, null, 2));
    return;
  }
  const order = { bootstrap: 0, content: 1, auth: 2, file: 3 };
  const rows = [...report.nodes].sort((a, b) => order[a.role] - order[b.role] || a.url.localeCompare(b.url));
  const short = shortIds(rows.map((n) => n.id)); // unique within the cluster, 8 characters at least
  printOut(table(
    ["ROLE", "STATE", "URL", "HOST", "PID", "STREAMS", "IN-FLIGHT", "RATE", "TRACKS", "ID"],
    rows.map((n: StatusEntry) => [
      n.role,
      n.leader ? `${n.state} (leader)` : n.state, // the bootstrap that schedules
      n.url,
      n.host ?? "", // shown to admins only
      n.pid === undefined ? "" : String(n.pid),
      String(n.load.activeStreams),
      String(n.load.inFlight),
      `${formatBytes(n.load.bytesPerSecond)}/s`,
      n.tracks === undefined ? "" : String(n.tracks),
      short.get(n.id) ?? n.id,
    ]),
  ));
  printOut(`${report.tracks} track${report.tracks === 1 ? "" : "s"} in the catalog`);
}
