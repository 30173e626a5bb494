/**
 * How to run this same audiod again as another process: the compiled binary itself, or `deno run -A main.ts`.
 *
 * @module
 */

import { basename } from "node:path";
import { fileURLToPath } from "node:url";

/** The local audiod executable when it is a compiled binary, else null (running under `deno run`). */
export function compiledBinary(): string | null {
  const exe = Deno.execPath();
  return /^deno(\.exe)?$/.test(basename(exe)) ? null : exe;
}

/** The command and arguments that run `audiod <args>` with this very program. */
export function selfCommand(args: string[]): [string, string[]] {
  const binary = compiledBinary();
  if (binary) return [binary, args];
  return [Deno.execPath(), ["run", "-A", fileURLToPath(Deno.mainModule), ...args]];
}
