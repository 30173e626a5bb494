/**
 * Files only their owner may read: the data dir (0700), the stores and the join secret (0600), the client's saved
 * session (0600). A store or secret file that others can read is refused with the command that fixes it, rather
 * than used: whoever could read it may already hold the cluster's keys, and the operator should know.
 *
 * Modes are POSIX: where the system reports none (Windows), nothing is checked.
 *
 * @module
 */

import { CommandError } from "../../cli/usage_error.ts";

/** Group and other permission bits. */
const OTHERS = 0o077;

/** Whether a mode lets anyone but the owner in. */
export function exposedMode(mode: number | null): boolean {
  return mode !== null && (mode & OTHERS) !== 0;
}

/**
 * Refuses `path` (a store or a secret: `what` names it in the message) when others may read or write it:
 * "Cannot use the join secret /x: others can read it (mode 0644); run chmod 600 /x". A missing file passes (it
 * is made 0600 when created).
 */
export async function refuseExposed(path: string, what: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  if (!info.isFile || !exposedMode(info.mode)) return;
  const mode = (info.mode! & 0o777).toString(8).padStart(4, "0");
  throw new CommandError(
    `Cannot use ${what} ${path}: others can read it (mode ${mode}); run chmod 600 ${path}`,
  );
}

/**
 * Makes `dir` (and missing parents) with mode 0700, and takes group and other permissions away from it when it
 * already existed with them (it is ours: a data dir).
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const info = await Deno.stat(dir);
  if (exposedMode(info.mode)) await Deno.chmod(dir, 0o700);
}

/** Sets `path` to 0600 when it exists (a store's file and its journal, made with the process's umask). */
export async function makePrivate(path: string): Promise<void> {
  try {
    const info = await Deno.stat(path);
    if (exposedMode(info.mode)) await Deno.chmod(path, 0o600);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}
