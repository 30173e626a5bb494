/**
 * The client's saved session (host, user, token) under the config dir, readable only by its owner.
 *
 * @module
 */

import { join } from "node:path";
import { defaultConfigDir } from "../daemon/paths.ts";
import type { Session } from "./types.ts";

/** Where the session file lives. */
export function sessionPath(configDir = defaultConfigDir()): string {
  return join(configDir, "session.json");
}

/** The saved session, or null when there is none (or it is unreadable). */
export async function loadSession(configDir?: string): Promise<Session | null> {
  try {
    const value = JSON.parse(await Deno.readTextFile(sessionPath(configDir))) as Partial<Session>;
    if (typeof value.host !== "string") return null;
    return {
      host: value.host,
      user: typeof value.user === "string" ? value.user : "",
      token: typeof value.token === "string" ? value.token : "",
      expiresAt: typeof value.expiresAt === "number" ? value.expiresAt : 0,
      ...(typeof value.issuedAt === "number" ? { issuedAt: value.issuedAt } : {}),
    };
  } catch {
    return null;
  }
}

/** Saves the session atomically with mode 0600. */
export async function saveSession(session: Session, configDir?: string): Promise<void> {
  const path = sessionPath(configDir);
  await Deno.mkdir(join(path, ".."), { recursive: true, mode: 0o700 });
  const temp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  await Deno.writeTextFile(temp, JSON.stringify(session, null, 2) + "\n", { mode: 0o600 });
  await Deno.rename(temp, path);
}
