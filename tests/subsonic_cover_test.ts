/**
 * `getCoverArt`'s `size` end to end: a real cluster (bootstrap and content node on 127.0.0.1:0) serves a
 * 600x400 `cover.jpg` scaled down by the file instance's ffmpeg, and the original without `size`.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { audiod, isolatedEnv, startBootstrap, startContent, tempDir, waitFor } from "./_harness.ts";
import { makeLibrary, probeImageSize } from "./fixtures.ts";
import { imageDimensions } from "../roles/file/cover_scaler.ts";

type Json = Record<string, unknown>;

async function answer(res: Response): Promise<Json> {
  assert.equal(res.status, 200);
  return (await res.json() as { "subsonic-response": Json })["subsonic-response"];
}

Deno.test({
  name:
    "getCoverArt with size=100 serves the cover scaled to 100 px on its longest side, and without size the original",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using temp = await tempDir();
    const root = temp.path;
    const media = join(root, "media");
    await makeLibrary(media, [
      { file: "moon/1.flac", title: "Moon Rise", artist: "The Orbiters", album: "Moon", track: 1 },
    ]);
    const coverPath = join(media, "moon", "cover.jpg");
    const made = await new Deno.Command("ffmpeg", {
      args: ["-v", "error", "-y", "-f", "lavfi", "-i", "color=red:s=600x400", "-frames:v", "1", coverPath],
    }).output();
    assert.ok(made.success, new TextDecoder().decode(made.stderr));
    const cover = await Deno.readFile(coverPath);

    const env = isolatedEnv(root, "alice");
    await using bootstrap = await startBootstrap(join(root, "boot"), env);
    await using _content = await startContent(bootstrap.url, media, join(root, "content"), env);
    const reg = await audiod(["register", "--host", bootstrap.url, "--user", "alice", "--password-stdin"], {
      env,
      stdin: "alice's password\n",
    });
    assert.equal(reg.code, 0, reg.stderr);
    const key = await audiod(["apikey", "create", "--json"], { env });
    assert.equal(key.code, 0, key.stderr);
    const apiKey = JSON.parse(key.stdout).key as string;
    const rest = (method: string, params: Record<string, string> = {}) => {
      const url = new URL(`${bootstrap.url}/rest/${method}`);
      for (const [k, v] of Object.entries({ apiKey, f: "json", ...params })) url.searchParams.set(k, v);
      return url;
    };
    const song = await waitFor("the track in the API", async () => {
      const body = await answer(await fetch(rest("search3", { query: "" })));
      return ((body.searchResult3 as { song?: Json[] }).song ?? [])[0];
    }, 30_000);
    const coverArt = song.coverArt as string;
    assert.ok(coverArt);

    await t.step("size=100 answers a JPEG whose longest side is 100", async () => {
      const res = await fetch(rest("getCoverArt", { id: coverArt, size: "100" }));
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "image/jpeg");
      const bytes = new Uint8Array(await res.arrayBuffer());
      assert.equal(await probeImageSize(root, bytes), "100,67");
      assert.ok(bytes.length < cover.length, "smaller than the original");
    });

    await t.step("no size, or a size above the image's, answers the original bytes", async () => {
      for (const params of [{ id: coverArt }, { id: coverArt, size: "1200" }]) {
        const res = await fetch(rest("getCoverArt", params));
        assert.equal(res.status, 200);
        const bytes = new Uint8Array(await res.arrayBuffer());
        assert.deepEqual(bytes, cover, JSON.stringify(params));
        assert.deepEqual(imageDimensions(bytes), { width: 600, height: 400 });
      }
    });

    await t.step("a size that is not a whole number is Subsonic error 10", async () => {
      const body = await answer(await fetch(rest("getCoverArt", { id: coverArt, size: "big" })));
      assert.equal(body.status, "failed");
      assert.equal((body.error as { code: number }).code, 10);
      assert.match((body.error as { message: string }).message, /size=big is not a whole number/);
    });
  },
});
