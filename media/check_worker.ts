/**
 * Entry module of a transfer's chunk checker (started by `chunk_checker.ts`): checks the chunks posted against
 * the manifest posted before them and sends them back, moved, with how many passed.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import type { ChunkManifest } from "../protocol/manifest.ts";
import type { CheckJob, CheckReply } from "./chunk_checker.ts";
import { verifyChunks, warmUpHashing } from "./chunk_manifest.ts";

function serveChecks(scope: {
  onmessage: ((event: MessageEvent<CheckJob>) => void) | null;
  postMessage(reply: CheckReply, transfer?: Transferable[]): void;
}): void {
  let manifest: ChunkManifest | null = null;
  scope.onmessage = ({ data }) => {
    if (data.kind === "manifest") {
      manifest = data.manifest;
      return;
    }
    const { id, first, chunks } = data;
    // A check before any manifest cannot happen (the checker sends it first); it would fail every chunk.
    const passed = manifest ? verifyChunks(manifest, first, chunks) : 0;
    scope.postMessage({ kind: "checked", id, passed, chunks }, chunks.map((c) => c.buffer as ArrayBuffer));
  };
  // The first chunks hashed by a fresh thread run at half speed until V8 has compiled the hashing fully.
  warmUpHashing();
  scope.postMessage({ kind: "ready" });
}

serveChecks(self as unknown as Parameters<typeof serveChecks>[0]);
