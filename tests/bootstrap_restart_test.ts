/**
 * A restarted bootstrap serves the catalog it kept at once, rebuilds its registry from re-registrations within
 * 3 s (file instances whose library did not change announce nothing), and a listener holding a valid token keeps
 * getting audio while it is down and after it is back.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  asMember,
  audiod,
  freePort,
  isolatedEnv,
  startContent,
  startDaemon,
  tempDir,
  waitFor,
} from "./_harness.ts";
import { makeLibrary } from "./fixtures.ts";
import type { CatalogTrack, StatusReport } from "../protocol/mod.ts";

Deno.test({
  name: "after kill -9 and restart of the bootstrap, the cluster re-forms within 3 s and tokens keep working",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using temp = await tempDir();
    const root = temp.path;
    const lib = join(root, "music");
    await makeLibrary(lib, [
      { file: "a.wav", title: "Before", artist: "Restart", album: "Crash", seconds: 1 },
      { file: "b.wav", title: "After", artist: "Restart", album: "Crash", seconds: 1, frequency: 550 },
    ]);
    const env = isolatedEnv(root, "servers");
    const data = join(root, "boot");
    const listen = `127.0.0.1:${freePort()}`;
    let bootstrap = await startDaemon(["bootstrap", "--listen", listen, "--data", data], { env });
    await using node = await startContent(bootstrap.url, lib, join(root, "node"), env);
    try {
      const status = async () =>
        await (await fetch(`${bootstrap.url}/v1/status`, await asMember(bootstrap.url)))
          .json() as StatusReport;
      await waitFor("two tracks", async () => (await status()).tracks === 2 || undefined);
      const listener = isolatedEnv(root, "listener");
      const reg = await audiod(
        ["register", "--host", bootstrap.url, "--user", "steady", "--password-stdin"],
        {
          env: listener,
          stdin: "steady password\n",
        },
      );
      assert.equal(reg.code, 0, reg.stderr);
      const { token } = JSON.parse(
        await Deno.readTextFile(join(listener.AUDIOD_CONFIG_DIR!, "session.json")),
      );
      const track = await (await fetch(`${bootstrap.url}/v1/tracks/Before`, await asMember(bootstrap.url)))
        .json() as CatalogTrack;
      const url = `${track.replicas[0]!.url}/v1/tracks/${track.id}`;
      const read = async () => {
        const res = await fetch(url, { headers: { authorization: `Bearer ${token}`, range: "bytes=0-99" } });
        await res.body?.cancel();
        return res.status;
      };
      assert.equal(await read(), 206);

      assert.equal(await bootstrap.stop("SIGKILL"), 137);
      assert.equal(
        await read(),
        206,
        "a token the file instance confirmed keeps working while the bootstrap is down",
      );

      bootstrap = await startDaemon(["bootstrap", "--listen", listen, "--data", data], { env });
      const restartedAt = Date.now();
      // The catalog was kept: both tracks are listed before any member registered again.
      const listed = await (await fetch(`${bootstrap.url}/v1/tracks`, await asMember(bootstrap.url))).json();
      assert.deepEqual(listed.tracks.map((t: CatalogTrack) => t.title).sort(), ["After", "Before"]);
      await waitFor("the registry and catalog to re-form", async () => {
        const s = await status();
        const up = (role: string) => s.nodes.filter((n) => n.role === role && n.state === "up").length;
        return up("content") === 1 && up("file") === 1 && up("auth") === 1 && s.tracks === 2 || undefined;
      });
      const took = Date.now() - restartedAt;
      assert.ok(took <= 3000, `re-formed after ${took} ms`);
      assert.equal(await read(), 206, "the same token works after the restart");
      // The file instance registered again under its id, was told the catalog holds its library, and sent none.
      await waitFor(
        "the file instance to find its library unchanged",
        () => node.logs().includes("tracks.unchanged") || undefined,
      );
      assert.equal(node.logs().match(/tracks\.announced/g)?.length, 1, "announced once, before the restart");
      const out = join(root, "after.wav");
      const get = await audiod(["get", "After", "-o", out], { env: listener });
      assert.equal(get.code, 0, get.stderr);
    } finally {
      await bootstrap.stop();
    }
  },
});
