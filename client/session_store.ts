/**
 * The client's saved session (host, user, token) under the config dir, readable only by its owner. It keeps
 * the cluster's bootstraps as last listed too: loading it teaches the client where to go when `host` fails.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { defaultConfigDir } from "../daemon/runtime/paths.ts";
import { refuseExposed } from "../daemon/runtime/private_files.ts";
import type { Session } from "../protocol/mod.ts";
import { bootstrapSet } from "../daemon/cluster/bootstrap_set.ts";

/** Where the session file lives. */
export function sessionPath(configDir = defaultConfigDir()): string {
  return join(configDir, "session.json");
}

/**
 * The saved session, or null when there is none (or it is unreadable). A session file others can read is refused
 * (a CommandError saying `chmod 600 …`): its token is as good as the password until it expires.
 */
export async function loadSession(configDir?: string): Promise<Session | null> {
  const path = sessionPath(configDir);
  await refuseExposed(path, "the saved session");
  try {
    const value = JSON.parse(await Deno.readTextFile(path)) as Partial<Session>;
    if (typeof value.host !== "string") return null;
    const bootstraps = Array.isArray(value.bootstraps)
      ? value.bootstraps.filter((b): b is string => typeof b === "string" && /^https?:\/\/\S+$/.test(b))
      : [];
    if (bootstraps.length > 0) bootstrapSet(value.host).learn(bootstraps);
    return {
      host: value.host,
      user: typeof value.user === "string" ? value.user : "",
      token: typeof value.token === "string" ? value.token : "",
      expiresAt: typeof value.expiresAt === "number" ? value.expiresAt : 0,
      ...(typeof value.issuedAt === "number" ? { issuedAt: value.issuedAt } : {}),
      ...(bootstraps.length > 0 ? { bootstraps } : {}),
    };
  } catch {
    return null;
  }
}

/**
 * Writes `text` to `path` whole or not at all: into a temporary file beside it, then renamed over it, so a crash
 * or a full disk leaves the old file as it was (and no temporary one). The folder is made (0700) when missing.
 */
export async function writeTextAtomic(
  path: string,
  text: string,
  options: { mode?: number } = {},
): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    await Deno.writeTextFile(temp, text, options.mode === undefined ? {} : { mode: options.mode });
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}

/** Saves the session atomically with mode 0600. */
export async function saveSession(session: Session, configDir?: string): Promise<void> {
  await writeTextAtomic(sessionPath(configDir), JSON.stringify(session, null, 2) + "\n", { mode: 0o600 });
}
