/**
 * Who a Subsonic request comes from. Clients send credentials with every request:
 *
 * - `apiKey` (the `apiKeyAuthentication` extension): a key made by `audiod apikey create`, looked up by its
 *   SHA-256 in the store;
 * - `u` + `p` (plain, or `enc:` and the password's UTF-8 in hex): checked against the Argon2id hash by an auth
 *   instance (the bootstrap never hashes a password itself). Successes are remembered for a few minutes under
 *   an HMAC of user, password and stored hash with a random per-process key — never the clear password — so a
 *   password change (a new stored hash) misses the cache at once; failures are never remembered, and every one
 *   counts against the sign-in limits like a failed login;
 * - `u` + `t` + `s` (md5(password + salt)) cannot be checked against an Argon2id hash: code 41, with a
 *   `helpUrl` explaining API keys.
 *
 * Each credential has a *grant*: the SHA-256 a stream access names, which a revocation lists to end it (an API
 * key revoked; for a password, the grant changes with the stored hash).
 *
 * @module
 */

import { createHash, createHmac, randomBytes } from "node:crypto";
import { callJson, type PeerAccess, UnreachableError } from "../../../daemon/cluster/peer_client.ts";
import { HttpError } from "../../../daemon/http/http_error.ts";
import { passwordChecked } from "../../../protocol/stream_access.ts";
import { rankMembers } from "../balance.ts";
import type { Registry } from "../registry.ts";
import { type AccountStore, userKey } from "../store/mod.ts";
import type { ApiKeyRecord } from "../store/user_data.ts";
import { ErrorCode, SubsonicError } from "./response.ts";
import type { Params } from "./params.ts";

/** Where `t`+`s` clients are sent to learn about API keys. */
/** Where error 41's `helpUrl` points, on the bootstrap that answered: a page on API keys. */
export const API_KEY_HELP_PATH = "/v1/help/api-keys";

/** Finds API keys by their SHA-256 (the store's). */
export interface ApiKeyLookup {
  findApiKey(keyHash: string): Promise<ApiKeyRecord | undefined>;
}

/** Who is calling. */
export interface Caller {
  userId: number;
  user: string;
  /** The SHA-256 a stream access for this caller names. */
  grant: string;
  /** How they signed in. */
  via: "password" | "apiKey";
  /** The API key, when one was used. */
  apiKey?: ApiKeyRecord;
  /** The SHA-256 of that key. */
  keyHash?: string;
}

/** What a grant minted by this bootstrap was for. */
interface GrantOrigin {
  user: string;
  /** The API key's SHA-256, for an API key's grant. */
  keyHash?: string;
}

const GRANTS_MAX = 10_000;

/** What the authenticator works with. */
export interface AuthenticatorDeps {
  users: AccountStore;
  apiKeys?: ApiKeyLookup | undefined;
  /** Whether an admin disabled an account (its API keys then sign nothing in). */
  isDisabled?: (user: string) => Promise<boolean>;
  registry: Registry;
  peer: PeerAccess;
  now?: () => number;
  /** How long a password success is remembered (default 5 min). */
  cacheMs?: number;
}

/** SHA-256 of an API key, hex: what the store keeps. */
export function apiKeyHash(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

/** The grant of an API key: revoking the key revokes it. */
export function apiKeyGrant(keyId: string): string {
  return createHash("sha256").update(`audiod subsonic api key\n${keyId}`).digest("hex");
}

/** The grant of a password sign-in: it changes with the stored hash. */
export function passwordGrant(user: string, storedHash: string): string {
  return createHash("sha256").update(`audiod subsonic password\n${userKey(user)}\n${storedHash}`).digest(
    "hex",
  );
}

const CACHE_MAX = 10_000;

/** Decodes `p`: plain, or `enc:` and hex. */
export function decodePassword(p: string): string {
  if (!p.startsWith("enc:")) return p;
  const hex = p.slice(4);
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) {
    throw new SubsonicError(ErrorCode.WRONG_CREDENTIALS, "Cannot sign in: p=enc:… must be hex");
  }
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new SubsonicError(ErrorCode.WRONG_CREDENTIALS, "Cannot sign in: p=enc:… is not UTF-8");
  }
}

/** Checks Subsonic credentials. */
export class Authenticator {
  #deps: AuthenticatorDeps;
  #key = randomBytes(32);
  /** HMAC(user, password, stored hash) → when the success is forgotten, and whose it was. */
  #cache = new Map<string, { until: number; user: string }>();
  /** Grants accesses were minted for, oldest first. */
  #grants = new Map<string, GrantOrigin>();
  #now: () => number;

  constructor(deps: AuthenticatorDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
  }

  /** Whether the request carries any credentials at all. */
  static hasCredentials(params: Params): boolean {
    return ["u", "p", "t", "s", "apiKey"].some((name) => params.get(name) !== undefined);
  }

  /** The caller, or the Subsonic error that refuses them. */
  async authenticate(params: Params, address: string): Promise<Caller> {
    const u = params.get("u");
    const p = params.get("p");
    const t = params.get("t");
    const s = params.get("s");
    const apiKey = params.get("apiKey");
    if (apiKey !== undefined) {
      if (u !== undefined || p !== undefined || t !== undefined || s !== undefined) {
        throw new SubsonicError(
          ErrorCode.CONFLICTING_AUTH,
          "Cannot sign in: give either apiKey or u with p (or t and s), not both",
        );
      }
      return await this.#byApiKey(apiKey);
    }
    if (p !== undefined && (t !== undefined || s !== undefined)) {
      throw new SubsonicError(
        ErrorCode.CONFLICTING_AUTH,
        "Cannot sign in: give either p or t and s, not both",
      );
    }
    if (u === undefined || u === "") {
      throw new SubsonicError(
        ErrorCode.MISSING_PARAMETER,
        "Cannot sign in: the parameter u (user) is missing",
      );
    }
    if (t !== undefined || s !== undefined) {
      throw new SubsonicError(
        ErrorCode.TOKEN_AUTH_UNSUPPORTED,
        "Cannot sign in with a token (t and s): audiod keeps only Argon2id hashes of passwords, so " +
          "md5(password + salt) cannot be checked; create an API key (audiod apikey create) and use apiKey, " +
          "or send the password (p)",
        { helpUrl: API_KEY_HELP_PATH },
      );
    }
    if (p === undefined) {
      throw new SubsonicError(
        ErrorCode.MISSING_PARAMETER,
        "Cannot sign in: the parameter p (password) or apiKey is missing",
      );
    }
    return await this.#byPassword(u, decodePassword(p), address);
  }

  /** Remembers that a stream access was minted for the caller's grant (so re-checks can tell it is valid). */
  remember(caller: Caller): void {
    this.#grants.delete(caller.grant);
    this.#grants.set(caller.grant, {
      user: caller.user,
      ...(caller.keyHash ? { keyHash: caller.keyHash } : {}),
    });
    while (this.#grants.size > GRANTS_MAX) this.#grants.delete(this.#grants.keys().next().value!);
  }

  /**
   * Whether a grant this bootstrap minted accesses for is still good (its API key exists; its password is
   * unchanged), or `unknown` when it minted none for it.
   */
  async grantStatus(grant: string): Promise<"valid" | "ended" | "unknown"> {
    const origin = this.#grants.get(grant);
    if (!origin) return "unknown";
    if (origin.keyHash) {
      return (await this.#deps.apiKeys?.findApiKey(origin.keyHash)) ? "valid" : "ended";
    }
    const record = await this.#deps.users.findUser(origin.user);
    return record && passwordGrant(record.name, record.hash) === grant ? "valid" : "ended";
  }

  /** Forgets every remembered success of `user` (their password changed, or the account ended). */
  forgetUser(user: string): void {
    const key = userKey(user);
    for (const [hash, entry] of this.#cache) if (userKey(entry.user) === key) this.#cache.delete(hash);
  }

  async #byApiKey(key: string): Promise<Caller> {
    const found = key.length <= 256 ? await this.#deps.apiKeys?.findApiKey(apiKeyHash(key)) : undefined;
    if (!found) {
      throw new SubsonicError(ErrorCode.INVALID_API_KEY, "Cannot sign in: the API key is unknown or revoked");
    }
    if (await this.#deps.isDisabled?.(found.user)) {
      throw new SubsonicError(
        ErrorCode.INVALID_API_KEY,
        "Cannot sign in: the account is disabled (ask an admin of this cluster)",
      );
    }
    return {
      userId: found.userId,
      user: found.user,
      grant: apiKeyGrant(found.id),
      via: "apiKey",
      apiKey: found,
      keyHash: apiKeyHash(key),
    };
  }

  async #byPassword(name: string, password: string, address: string): Promise<Caller> {
    if (name.length > 64 || password.length > 1024) throw wrong();
    const record = await this.#deps.users.findUser(name);
    const mac = createHmac("sha256", this.#key)
      .update(`${userKey(name)}\n${record?.hash ?? ""}\n`).update(password).digest("hex");
    const now = this.#now();
    const cached = this.#cache.get(mac);
    if (record && cached && now < cached.until) {
      return {
        userId: record.id,
        user: record.name,
        grant: passwordGrant(record.name, record.hash),
        via: "password",
      };
    }
    this.#cache.delete(mac);
    // Every miss goes to an auth instance, which counts a failure against the sign-in limits.
    await this.#checkAtAuthInstance(name, password, address);
    if (!record) throw wrong();
    if (this.#cache.size >= CACHE_MAX) {
      for (const [hash, entry] of this.#cache) if (now >= entry.until) this.#cache.delete(hash);
      while (this.#cache.size >= CACHE_MAX) this.#cache.delete(this.#cache.keys().next().value!);
    }
    this.#cache.set(mac, { until: now + (this.#deps.cacheMs ?? 5 * 60_000), user: record.name });
    return {
      userId: record.id,
      user: record.name,
      grant: passwordGrant(record.name, record.hash),
      via: "password",
    };
  }

  async #checkAtAuthInstance(user: string, password: string, address: string): Promise<void> {
    const candidates = rankMembers(this.#deps.registry.available("auth"));
    if (candidates.length === 0) {
      throw new SubsonicError(
        ErrorCode.GENERIC,
        "Cannot check the password: no auth instance is up yet, try again shortly (or use an API key)",
      );
    }
    let last: unknown;
    for (const candidate of candidates) {
      try {
        await callJson(candidate.url, "POST", "/v1/internal/password-check", {
          ...this.#deps.peer,
          body: { user, password, address: address.slice(0, 64) },
          answer: passwordChecked,
          timeoutMs: 10_000,
        });
        return;
      } catch (error) {
        if (error instanceof HttpError && error.status === 401) throw wrong();
        if (error instanceof HttpError && error.status === 429) {
          throw new SubsonicError(ErrorCode.GENERIC, error.message);
        }
        last = error;
        // Unreachable or overloaded: the next instance.
        if (error instanceof UnreachableError || (error instanceof HttpError && error.status >= 500)) {
          continue;
        }
        throw new SubsonicError(ErrorCode.GENERIC, `Cannot check the password: ${describe(error)}`);
      }
    }
    throw new SubsonicError(ErrorCode.GENERIC, `Cannot check the password: ${describe(last)}`);
  }
}

function wrong(): SubsonicError {
  return new SubsonicError(ErrorCode.WRONG_CREDENTIALS, "Cannot sign in: wrong user name or password");
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
