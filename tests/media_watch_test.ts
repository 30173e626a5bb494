/**
 * Media changes reach the catalog within 5 s: a file instance watches its media directory and rescans when
 * it changes. The periodic rescan is set to a minute here, so only the watch can explain the speed.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { asMember, isolatedEnv, startBootstrap, startDaemon, tempDir, waitFor } from "./_harness.ts";
import { synthesizeWav } from "../media/wav.ts";

Deno.test({
  name: "a file added to or removed from a media directory is in or out of the catalog within 5 s",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using temp = await tempDir();
    const root = temp.path;
    const lib = join(root, "lib");
    await Deno.mkdir(lib);
    await Deno.writeFile(
      join(lib, "old.wav"),
      synthesizeWav({ seconds: 1, frequency: 440, tags: { title: "Old" } }),
    );
    const env = isolatedEnv(root, "servers");
    await using bootstrap = await startBootstrap(join(root, "boot"), env);
    await using _file = await startDaemon([
      "file",
      "--bootstrap",
      bootstrap.url,
      "--media",
      lib,
      "--data",
      join(root, "file-data"),
      "--rescan-interval",
      "60s",
    ], { env });
    const titles = async () => {
      const res = await fetch(`${bootstrap.url}/v1/tracks`, await asMember(bootstrap.url));
      return (await res.json() as { tracks: { title: string }[] }).tracks.map((t) => t.title).sort();
    };
    await waitFor("the first track", async () => (await titles()).includes("Old") || undefined);

    const within = async (what: string, check: (titles: string[]) => boolean) => {
      const started = Date.now();
      await waitFor(what, async () => check(await titles()) || undefined, 10_000);
      return Date.now() - started;
    };

    await t.step("a file added in a new folder appears", async () => {
      await Deno.mkdir(join(lib, "new album"));
      await Deno.writeFile(
        join(lib, "new album", "new.wav"),
        synthesizeWav({ seconds: 1, frequency: 660, tags: { title: "New" } }),
      );
      const ms = await within("the new track", (t) => t.includes("New"));
      assert.ok(ms <= 5000, `${ms} ms`);
    });

    await t.step("a removed file leaves", async () => {
      await Deno.remove(join(lib, "old.wav"));
      const ms = await within("the old track to leave", (t) => !t.includes("Old"));
      assert.deepEqual(await titles(), ["New"]);
      assert.ok(ms <= 5000, `${ms} ms`);
    });

    await t.step("a folder moved away takes its tracks along", async () => {
      await Deno.rename(join(lib, "new album"), join(root, "elsewhere"));
      const ms = await within("the moved track to leave", (t) => t.length === 0);
      assert.ok(ms <= 5000, `${ms} ms`);
    });
  },
});
