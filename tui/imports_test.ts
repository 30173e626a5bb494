import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const TUI = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(TUI);

/**
 * What tui/ may import from the rest of audiod: the protocol's types, the playback engine's types that the services
 * seam (tui/services.ts) re-exports, and plain formatting. The cluster (client/api.ts, daemon/, media/transfer.ts)
 * is reached only through the {@linkcode TuiServices} that client/tui_services.ts implements.
 */
const ALLOWED = new Map<string, string>([
  ["protocol/mod.ts", "any file (types of the wire protocol)"],
  ["media/playback.ts", "tui/services.ts (types only)"],
  ["media/player/types.ts", "tui/services.ts (types only)"],
  ["client/format.ts", "tui/format.ts (sizes and durations)"],
  ["client/short_id.ts", "tui/screens/cluster_screen.tsx (shortest unique id prefixes, a pure function)"],
]);

async function* sources(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* sources(path);
    else if (/\.tsx?$/.test(entry.name) && !/(_test\.tsx?|_test_utils\.tsx)$/.test(entry.name)) yield path;
  }
}

Deno.test("tui/ reaches the rest of audiod only through the services seam and protocol types", async () => {
  const outside: string[] = [];
  for await (const file of sources(TUI)) {
    const text = await Deno.readTextFile(file);
    for (const match of text.matchAll(/^(import|export)\s+(type\s+)?[^;]*?from\s+"(\.[^"]+)"/gms)) {
      const target = relative(ROOT, resolve(dirname(file), match[3]!));
      if (target.startsWith("tui/")) continue;
      const from = relative(ROOT, file);
      const allowed = ALLOWED.get(target);
      const typeOnly = match[2] !== undefined;
      if (allowed === undefined) outside.push(`${from} imports ${target}`);
      else if (allowed.includes("types only") && (!typeOnly || from !== "tui/services.ts")) {
        outside.push(`${from} imports ${target}${typeOnly ? "" : " (not as a type)"}`);
      }
    }
  }
  assert.deepEqual(outside, []);
});
