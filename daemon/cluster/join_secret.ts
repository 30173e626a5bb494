/**
 * The cluster's join secret: 256 random bits the bootstrap creates in its data dir on first start
 * (`<data dir>/join-secret`, mode 0600). Every internal route (`/v1/internal/*`, on every daemon) demands it in
 * the {@linkcode JOIN_SECRET_HEADER} header; nodes and instances send it with every internal call. Comparisons
 * take constant time.
 *
 * @module
 */

import { createHash, timingSafeEqual } from "node:crypto";
import { join } from "node:path";
import { HttpError } from "../http/http_error.ts";
import type { Router } from "../http/router.ts";
import { CommandError, UsageError } from "../../cli/usage_error.ts";
import { ensurePrivateDir, refuseExposed } from "../runtime/private_files.ts";

/** The request header that carries the join secret. */
export const JOIN_SECRET_HEADER = "x-audiod-join-secret";
/** The file name of the secret inside the bootstrap's data dir. */
export const JOIN_SECRET_FILE = "join-secret";
/** The environment variable nodes read the secret from when no file is given. */
export const JOIN_SECRET_ENV = "AUDIOD_JOIN_SECRET";

/** What a secret may look like: printable token characters, long enough to mean something. */
const FORMAT = /^[A-Za-z0-9._~+/=-]{32,512}$/;

const HOW =
  `pass the bootstrap's <data dir>/${JOIN_SECRET_FILE} with --join-secret-file FILE or ${JOIN_SECRET_ENV}`;

/** 256 random bits, base64url (43 characters): a join secret, or a session token. */
export function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** The bootstrap's secret. */
export interface BootstrapSecret {
  path: string;
  secret: string;
  /** Written just now (first start). */
  created: boolean;
  /** The file can be read by others than its owner. */
  exposed: boolean;
}

/** Reads `<dataDir>/join-secret`, creating it (mode 0600) on first start. */
export async function ensureJoinSecret(dataDir: string): Promise<BootstrapSecret> {
  const path = join(dataDir, JOIN_SECRET_FILE);
  try {
    await ensurePrivateDir(dataDir);
  } catch (error) {
    throw new CommandError(`Cannot create the data dir ${dataDir}: ${(error as Error).message}`);
  }
  const secret = randomToken();
  try {
    await Deno.writeTextFile(path, secret + "\n", { createNew: true, mode: 0o600 });
    await Deno.chmod(path, 0o600);
    return { path, secret, created: true, exposed: false };
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) {
      throw new CommandError(`Cannot write the join secret ${path}: ${(error as Error).message}`);
    }
  }
  const existing = await readSecretFile(path);
  const info = await Deno.stat(path);
  return { path, secret: existing, created: false, exposed: ((info.mode ?? 0) & 0o077) !== 0 };
}

async function readSecretFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound ? "it does not exist" : (error as Error).message;
    throw new CommandError(`Cannot read the join secret ${path}: ${why}`);
  }
  return checkFormat(text.trim(), path);
}

function checkFormat(secret: string, where: string): string {
  if (!FORMAT.test(secret)) {
    throw new UsageError(
      `Cannot use the join secret from ${where}: expected 32 to 512 token characters (the file the bootstrap wrote)`,
    );
  }
  return secret;
}

/**
 * Reads the join secret from the first line of `stream` (a remote launch hands it over stdin, so it is on no
 * command line) and releases the stream: what follows the line stays for others to read (the node watches
 * stdin for its end).
 */
export async function readSecretLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    while (!text.includes("\n") && text.length <= 1024) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    reader.releaseLock();
  }
  return checkFormat(text.split("\n")[0]!.trim(), "the first line of stdin");
}

/**
 * The secret a node or instance joins with: the first line of `stdin` when given (`--join-secret-stdin`), else
 * `--join-secret-file`, else AUDIOD_JOIN_SECRET, else `<dataDir>/join-secret` when it exists (a node on the
 * bootstrap's own machine). A UsageError when none is found; a secret file others may read is refused.
 */
export async function resolveJoinSecret(
  options: { file?: string; dataDir?: string; stdin?: ReadableStream<Uint8Array> },
): Promise<string> {
  if (options.stdin !== undefined) return await readSecretLine(options.stdin);
  if (options.file !== undefined) {
    await refuseExposed(options.file, "the join secret");
    return await readSecretFile(options.file);
  }
  const env = Deno.env.get(JOIN_SECRET_ENV);
  if (env !== undefined && env.trim() !== "") return checkFormat(env.trim(), JOIN_SECRET_ENV);
  if (options.dataDir !== undefined) {
    const local = join(options.dataDir, JOIN_SECRET_FILE);
    try {
      await refuseExposed(local, "the join secret");
      return await readSecretFile(local);
    } catch (error) {
      if (!(error instanceof CommandError && /does not exist/.test(error.message))) throw error;
    }
  }
  throw new UsageError(`Cannot join the cluster without its join secret: ${HOW}`);
}

function digest(text: string): Uint8Array {
  return createHash("sha256").update(text).digest();
}

/** True when `given` equals `secret`; takes the same time wherever they differ. */
export function secretMatches(given: string, secret: string): boolean {
  return timingSafeEqual(digest(given), digest(secret));
}

/** Refuses (401) a request without the right secret in its {@linkcode JOIN_SECRET_HEADER}. */
export function requireJoinSecret(req: Request, secret: string): void {
  const given = req.headers.get(JOIN_SECRET_HEADER);
  if (given === null || given === "") {
    throw new HttpError(
      401,
      "join_secret_missing",
      `Cannot accept an internal call without the cluster's join secret: ${HOW}`,
    );
  }
  if (!secretMatches(given, secret)) {
    throw new HttpError(
      401,
      "join_secret_wrong",
      `Cannot accept an internal call: the join secret is wrong (${HOW})`,
    );
  }
}

/** Makes every internal route of `router` demand the join secret. */
export function guardInternal(router: Router, joinSecret: string): Router {
  return router.guard("/v1/internal", (req) => requireJoinSecret(req, joinSecret));
}
