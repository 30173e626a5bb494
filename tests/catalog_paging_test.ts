/**
 * A catalog larger than a page: the bootstrap answers in pages, and `audiod tracks` (and the player, through the
 * same client) fetches every page and keeps each track once.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { AudiodClient } from "../client/api.ts";
import {
  asMember,
  audiod,
  fakeFileMember,
  isolatedEnv,
  joinSecretOf,
  signInFor,
  startBootstrap,
  tempDir,
} from "./_harness.ts";

const COUNT = 1234;

function fakeTrack(i: number) {
  return {
    id: createHash("sha256").update(`track ${i}`).digest("hex"),
    md5: createHash("md5").update(`track ${i}`).digest("hex"),
    size: 1000 + i,
    title: `Song ${String(i).padStart(4, "0")}${i % 100 === 0 ? " centennial" : ""}`,
    artist: `Artist ${i % 7}`,
    album: `Album ${i % 13}`,
    trackNo: (i % 12) + 1,
    duration: 100 + i,
    format: "flac",
  };
}

Deno.test("the catalog comes in pages; `audiod tracks` lists every page, --limit cuts the list", async () => {
  await using root = await tempDir();
  const env = isolatedEnv(root.path, "client");
  await using bootstrap = await startBootstrap(`${root.path}/bootstrap`, env);
  const base = bootstrap.url;
  await using member = await fakeFileMember(base, "paging-test-member");
  await member.announce(COUNT, fakeTrack);
  // One request answers one page, with the total.
  const page = await (await fetch(`${base}/v1/tracks`, await asMember(base))).json();
  assert.equal(page.total, COUNT);
  assert.equal(page.tracks.length, 500);
  assert.equal(page.offset, 0);
  const last = await (await fetch(`${base}/v1/tracks?offset=1200&limit=1000`, await asMember(base))).json();
  assert.equal(last.tracks.length, COUNT - 1200);
  const tooBig = await fetch(`${base}/v1/tracks?limit=1001`, await asMember(base));
  assert.equal(tooBig.status, 400);
  assert.match((await tooBig.json()).error.message, /limit=1001.*1\.\.1000/);

  // The client fetches every page, in catalog order, each track once, and says how far it got.
  const seen: number[] = [];
  const all = await new AudiodClient(base, { joinSecret: await joinSecretOf(base) }).tracks("", {
    onProgress: (loaded) => seen.push(loaded),
  });
  assert.equal(all.length, COUNT);
  assert.equal(new Set(all.map((t) => t.id)).size, COUNT);
  const rest = await (await fetch(`${base}/v1/tracks?offset=500&limit=1000`, await asMember(base))).json();
  assert.equal(rest.tracks.length, COUNT - 500);
  assert.deepEqual(all.map((t) => t.id), [
    ...page.tracks.map((t: { id: string }) => t.id),
    ...rest.tracks.map((t: { id: string }) => t.id),
  ]);
  assert.equal(seen.at(-1), COUNT);
  assert.ok(seen.length >= 3, `progress was reported per page: ${seen}`);

  // The catalog is private: the client signs in first.
  await signInFor(env, base, "pager");
  const json = await audiod(["tracks", "--host", base, "--json"], { env });
  assert.equal(json.code, 0, json.stderr);
  assert.equal(JSON.parse(json.stdout).length, COUNT);
  // JSON lines: one track per line, every track once, in the order of the array.
  for (const args of [["--jsonl"], ["--json", "lines"]]) {
    const lines = await audiod(["tracks", "--host", base, ...args], { env });
    assert.equal(lines.code, 0, lines.stderr);
    const ids = lines.stdout.trimEnd().split("\n").map((l) => (JSON.parse(l) as { id: string }).id);
    assert.deepEqual(ids, JSON.parse(json.stdout).map((t: { id: string }) => t.id), args.join(" "));
  }
  const none = await audiod(["tracks", "--host", base, "--search", "no such words", "--json"], { env });
  assert.deepEqual(JSON.parse(none.stdout), []);
  const badFormat = await audiod(["tracks", "--host", base, "--json", "xml"], { env });
  assert.equal(badFormat.code, 1, badFormat.stdout);
  assert.match(badFormat.stderr, /Cannot use --json xml: expected array \(the default\) or lines/);
  // The table is printed a page at a time: every track on a row of its own, however many pages.
  const text = await audiod(["tracks", "--host", base], { env });
  assert.equal(text.code, 0, text.stderr);
  assert.equal(text.stdout.split("\n").filter((l) => /Song \d{4}/.test(l)).length, COUNT);
  assert.match(text.stdout, new RegExp(`^${COUNT} tracks$`, "m"));

  const limited = await audiod(["tracks", "--host", base, "--limit", "20"], { env });
  assert.equal(limited.code, 0, limited.stderr);
  assert.match(limited.stdout, /20 tracks of 1234 \(see --limit\)/);
  assert.equal(limited.stdout.split("\n").filter((l) => /Song \d{4}/.test(l)).length, 20);

  const search = await audiod(["tracks", "--host", base, "--search", "centennial"], { env });
  assert.equal(search.code, 0, search.stderr);
  assert.match(search.stdout, /^13 tracks$/m);

  const bad = await audiod(["tracks", "--host", base, "--limit", "zero"], { env });
  assert.equal(bad.code, 1, bad.stdout);
  assert.match(bad.stderr, /Cannot use --limit zero: expected a whole number/);
});
