/** `audiod demo` (what `deno task demo` runs) brings up a working cluster with a playable sample library. */

import assert from "node:assert/strict";
import { join } from "node:path";
import { audiod, isolatedEnv, startDaemon, tempDir, waitFor } from "./_harness.ts";
import { md5OfFile } from "./fixtures.ts";
import type { CatalogTrack } from "../protocol/mod.ts";

Deno.test({
  name: "demo starts a cluster whose sample tracks a listener can sign in to, list and download",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using temp = await tempDir();
    const env = isolatedEnv(temp.path, "demo");
    await using demo = await startDaemon(["demo", "--listen", "127.0.0.1:0"], { env });
    await waitFor(
      "the sample library's announcement",
      () => demo.logs().includes("tracks.announced") || undefined,
    );
    const listener = isolatedEnv(temp.path, "listener");
    const login = await audiod(["login", "--host", demo.url, "--user", "demo", "--password-stdin"], {
      env: listener,
      stdin: "listen-to-the-demo\n",
    });
    assert.equal(login.code, 0, login.stderr);
    const tracks = JSON.parse(
      (await audiod(["tracks", "--json"], { env: listener })).stdout,
    ) as CatalogTrack[];
    assert.ok(tracks.length >= 5, `${tracks.length} sample tracks`);
    const titles = new Set(tracks.map((t) => t.title));
    assert.equal(titles.size, tracks.length, "distinct titles");
    const first = tracks[0]!;
    const out = join(temp.path, "first.wav");
    const get = await audiod(["get", first.id, "-o", out], { env: listener });
    assert.equal(get.code, 0, get.stderr);
    assert.equal(await md5OfFile(out), first.md5);
    assert.equal(await demo.stop(), 0);
  },
});
