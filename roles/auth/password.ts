/**
 * Password hashing with Argon2id through WebCrypto. Hashes are stored as PHC strings
 * (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`), so the parameters travel with each hash and can be raised
 * later: {@linkcode needsRehash} tells when a stored hash is weaker than today's parameters.
 *
 * @module
 */

import { HttpError } from "../../daemon/http/http_error.ts";
import { Lanes, LanesFullError } from "../../daemon/runtime/lanes.ts";

/** Argon2id cost parameters. */
export interface Argon2Params {
  /** KiB of memory. */
  memory: number;
  /** Passes over memory. */
  passes: number;
  parallelism: number;
}

/** OWASP's minimum recommendation: 19 MiB, 2 passes, 1 lane. */
export const DEFAULT_PARAMS: Argon2Params = { memory: 19456, passes: 2, parallelism: 1 };

const encoder = new TextEncoder();

/**
 * An auth instance hashes one password at a time: one instance is one core's worth of sign-ins, so the scheduler
 * adds capacity by adding instances (on this machine or another), and a burst waits in a short queue instead of
 * holding 19 MiB per concurrent hash. When the queue is full the instance answers 503, and clients move on to
 * the next auth instance.
 */
const hashLanes = new Lanes({ lanes: 1, queue: 32 });

function b64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/=+$/, "");
}

function unb64(text: string): Uint8Array {
  const padded = text + "=".repeat((4 - (text.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

async function derive(
  password: string,
  salt: Uint8Array,
  params: Argon2Params,
  length: number,
): Promise<Uint8Array> {
  try {
    return await hashLanes.run(() => deriveNow(password, salt, params, length));
  } catch (error) {
    if (!(error instanceof LanesFullError)) throw error;
    throw new HttpError(503, "busy", "This auth instance is busy signing others in: try again shortly", {
      "retry-after": "1",
    });
  }
}

async function deriveNow(
  password: string,
  salt: Uint8Array,
  params: Argon2Params,
  length: number,
): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw-secret", encoder.encode(password), "Argon2id", false, [
    "deriveBits",
  ]);
  const algorithm = {
    name: "Argon2id",
    nonce: salt,
    memory: params.memory,
    passes: params.passes,
    parallelism: params.parallelism,
  };
  // Deno's lib types do not know Argon2id yet.
  const bits = await crypto.subtle.deriveBits(algorithm as unknown as AlgorithmIdentifier, key, length * 8);
  return new Uint8Array(bits);
}

/** Hashes a password with a fresh 16-byte salt. */
export async function hashPassword(password: string, params: Argon2Params = DEFAULT_PARAMS): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = await derive(password, salt, params, 32);
  return `$argon2id$v=19$m=${params.memory},t=${params.passes},p=${params.parallelism}$${b64(salt)}$${
    b64(hash)
  }`;
}

interface Parsed {
  params: Argon2Params;
  salt: Uint8Array;
  hash: Uint8Array;
}

function parse(phc: string): Parsed | undefined {
  const m = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(phc);
  if (!m) return undefined;
  try {
    return {
      params: { memory: Number(m[1]), passes: Number(m[2]), parallelism: Number(m[3]) },
      salt: unb64(m[4]!),
      hash: unb64(m[5]!),
    };
  } catch {
    return undefined;
  }
}

/** Checks a password against a stored hash in constant time. False for a malformed hash. */
export async function verifyPassword(password: string, phc: string): Promise<boolean> {
  const parsed = parse(phc);
  if (!parsed || parsed.hash.length < 16) return false;
  const hash = await derive(password, parsed.salt, parsed.params, parsed.hash.length);
  let diff = 0;
  for (let i = 0; i < hash.length; i++) diff |= hash[i]! ^ parsed.hash[i]!;
  return diff === 0;
}

/** True when a stored hash used weaker parameters than `params` (upgrade it at the next login). */
export function needsRehash(phc: string, params: Argon2Params = DEFAULT_PARAMS): boolean {
  const parsed = parse(phc);
  if (!parsed) return true;
  return parsed.params.memory < params.memory || parsed.params.passes < params.passes;
}

let dummy: Promise<string> | undefined;

/**
 * Spends the same time as verifying a real password, for unknown users, so that the answer's timing does not
 * tell whether an account exists.
 */
export async function burnVerify(password: string): Promise<false> {
  dummy ??= hashPassword("audiod-dummy-password");
  await verifyPassword(password, await dummy);
  return false;
}
