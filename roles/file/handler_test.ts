/**
 * The file instance's handler, called with `new Request` (no listener): tokens, track lookup, Range, HEAD, the
 * chunk manifest, stale files and the revocation push. Token verification is handed in as a dep (the real one asks
 * the bootstrap: tests/cluster_test.ts covers it over the wire).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { LoadMeter } from "../../daemon/cluster/load_meter.ts";
import { JOIN_SECRET_HEADER } from "../../daemon/cluster/join_secret.ts";
import { HttpError } from "../../daemon/http/http_error.ts";
import { createLogger } from "../../daemon/runtime/log.ts";
import {
  CHUNK_SIZE,
  chunkBounds,
  isChunkManifest,
  manifestChunks,
  verifyChunks,
} from "../../media/chunk_manifest.ts";
import { MediaIndex, type TrackRecord } from "../../media/media_index.ts";
import { scanMedia } from "../../media/scan.ts";
import { synthesizeWav } from "../../media/wav.ts";
import type { ErrorBody } from "../../protocol/error.ts";
import { md5OfFile } from "../../tests/fixtures.ts";
import { createHandler } from "./handler.ts";
import { Library } from "./library.ts";
import { StreamRegistry } from "./streams.ts";

const TOKEN = "listener-token-0123456789";
const SECRET = "join-secret-for-the-handler-test-0123456789";
const UNKNOWN = "0".repeat(64);

/** A file handler over a library of two synthesized tracks in a temp dir, with what it was told. */
async function fileHandler() {
  const dir = await Deno.makeTempDir({ prefix: "audiod-file-handler-" });
  const root = join(dir, "music");
  await Deno.mkdir(root);
  for (const [i, title] of ["Short", "Long"].entries()) {
    // "Long" is over one chunk, so a manifest of it has two.
    const seconds = i === 0 ? 0.2 : 7;
    const wav = synthesizeWav({ seconds, frequency: 300 + 100 * i, tags: { title, artist: "Handler" } });
    await Deno.writeFile(join(root, `${i}.wav`), wav);
  }
  const index = new MediaIndex(join(dir, "index.db"));
  const library = new Library();
  library.replace((await scanMedia(root, index)).tracks);
  const stale: TrackRecord[] = [];
  const revoked: string[] = [];
  const streams = new StreamRegistry();
  const handler = createHandler({
    library,
    index,
    tokens: {
      session: (token) => {
        if (token !== TOKEN) throw new HttpError(401, "bad_token", "Cannot accept the token: it is unknown");
        return Promise.resolve({ tokenHash: "cd".repeat(32), user: "alice", expiresAt: Date.now() + 60_000 });
      },
      openStream: (session) => streams.open(session),
      revoked: (event) => void revoked.push(...event.tokenHashes),
    },
    meter: new LoadMeter(),
    logger: createLogger({ role: "file", write: () => {} }),
    joinSecret: SECRET,
    onStale: (record) => stale.push(record),
  });
  const byTitle = (title: string) => library.all().find((track) => track.title === title)!;
  return {
    handler,
    index,
    short: byTitle("Short"),
    long: byTitle("Long"),
    stale,
    revoked,
    async [Symbol.asyncDispose]() {
      index.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

function get(path: string, headers: Record<string, string> = {}, method = "GET"): Request {
  return new Request(`http://file.test${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...headers },
  });
}

/** The `code` of an error answer, after checking its message reads "Cannot …" (and matches `mentions`). */
async function errorCode(res: Response, mentions = /^Cannot /): Promise<string> {
  const { error } = (await res.json()) as ErrorBody;
  assert.match(error.message, /^Cannot /);
  assert.match(error.message, mentions);
  return error.code;
}

Deno.test("file handler refuses listeners without a good token and tracks it does not serve", async (t) => {
  await using file = await fileHandler();
  const id = file.short.id;
  const cases: { name: string; req: Request; status: number; error: string }[] = [
    {
      name: "no Authorization header",
      req: new Request(`http://file.test/v1/tracks/${id}`),
      status: 401,
      error: "no_token",
    },
    {
      name: "no Authorization header on the manifest",
      req: new Request(`http://file.test/v1/tracks/${id}/manifest`),
      status: 401,
      error: "no_token",
    },
    {
      name: "a token the check refuses",
      req: get(`/v1/tracks/${id}`, { authorization: "Bearer someone-elses-token-42" }),
      status: 401,
      error: "bad_token",
    },
    {
      name: "an id no file here has",
      req: get(`/v1/tracks/${UNKNOWN}`),
      status: 404,
      error: "unknown_track",
    },
    {
      name: "an id that is no SHA-256",
      req: get("/v1/tracks/..%2Fetc"),
      status: 404,
      error: "unknown_track",
    },
    {
      name: "the manifest of an unknown track",
      req: get(`/v1/tracks/${UNKNOWN}/manifest`),
      status: 404,
      error: "unknown_track",
    },
    {
      name: "a manifest head out of range",
      req: get(`/v1/tracks/${id}/manifest?head=0`),
      status: 400,
      error: "invalid_request",
    },
  ];
  for (const c of cases) {
    await t.step(`${c.name}: ${c.status} ${c.error}`, async () => {
      const res = await file.handler(c.req);
      assert.equal(res.status, c.status);
      assert.equal(await errorCode(res), c.error);
    });
  }
  await t.step("a wrong method on a track: 405 with Allow", async () => {
    const res = await file.handler(get(`/v1/tracks/${id}`, {}, "POST"));
    assert.equal(res.status, 405);
    assert.match(res.headers.get("allow") ?? "", /GET/);
    await res.body?.cancel();
  });
});

Deno.test("file handler serves a track's bytes whole, by Range and to HEAD", async (t) => {
  await using file = await fileHandler();
  const { short } = file;
  const bytes = await Deno.readFile(short.path);
  const cases: {
    name: string;
    range?: string;
    method?: string;
    status: number;
    body: Uint8Array;
    contentRange?: string;
  }[] = [
    { name: "no Range", status: 200, body: bytes },
    {
      name: "bytes=10-19",
      range: "bytes=10-19",
      status: 206,
      body: bytes.subarray(10, 20),
      contentRange: `bytes 10-19/${bytes.length}`,
    },
    {
      name: "the last 100 bytes (bytes=-100)",
      range: "bytes=-100",
      status: 206,
      body: bytes.subarray(bytes.length - 100),
      contentRange: `bytes ${bytes.length - 100}-${bytes.length - 1}/${bytes.length}`,
    },
    { name: "HEAD", method: "HEAD", status: 200, body: new Uint8Array() },
  ];
  for (const c of cases) {
    await t.step(`${c.name}: ${c.status}`, async () => {
      const res = await file.handler(
        get(`/v1/tracks/${short.id}`, c.range ? { range: c.range } : {}, c.method ?? "GET"),
      );
      assert.equal(res.status, c.status);
      assert.equal(res.headers.get("content-type"), "audio/wav");
      assert.equal(res.headers.get("accept-ranges"), "bytes");
      assert.equal(res.headers.get("x-audiod-md5"), await md5OfFile(short.path));
      assert.equal(res.headers.get("etag"), `"${short.md5}"`);
      assert.equal(res.headers.get("content-range"), c.contentRange ?? null);
      const length = c.method === "HEAD" ? bytes.length : c.body.length;
      assert.equal(res.headers.get("content-length"), String(length));
      assert.deepEqual(new Uint8Array(await res.arrayBuffer()), c.body);
    });
  }
  await t.step("a Range past the end: 416 with the size", async () => {
    const res = await file.handler(get(`/v1/tracks/${short.id}`, { range: `bytes=${bytes.length}-` }));
    assert.equal(res.status, 416);
    assert.equal(res.headers.get("content-range"), `bytes */${bytes.length}`);
    assert.equal(await errorCode(res), "bad_range");
  });
});

Deno.test("file handler answers a track's chunk manifest and caches it in the index", async (t) => {
  await using file = await fileHandler();
  const { long } = file;
  const chunks = Math.ceil(long.size / CHUNK_SIZE);
  assert.equal(chunks, 2, "the long track spans two chunks");
  await t.step("?head=1 before it was ever computed: the first chunk only, marked partial", async () => {
    const res = await file.handler(get(`/v1/tracks/${long.id}/manifest?head=1`));
    assert.equal(res.status, 200);
    const answer = await res.json();
    assert.equal(answer.id, long.id);
    assert.equal(answer.size, long.size);
    assert.equal(answer.md5, long.md5);
    assert.equal(answer.chunkSize, CHUNK_SIZE);
    assert.equal(answer.chunks.length, 1);
    assert.equal(answer.partial, true);
    assert.equal(file.index.getManifest(long.path, long.size, long.mtimeMs, CHUNK_SIZE), undefined);
  });
  await t.step("without head: every chunk, then kept in the index", async () => {
    const res = await file.handler(get(`/v1/tracks/${long.id}/manifest`));
    assert.equal(res.status, 200);
    const answer = await res.json();
    assert.equal(answer.md5, await md5OfFile(long.path));
    assert.equal(answer.chunks.length, chunks);
    assert.equal(answer.partial, undefined);
    const cached = file.index.getManifest(long.path, long.size, long.mtimeMs, CHUNK_SIZE);
    assert.deepEqual(cached?.chunks, answer.chunks);
  });
  await t.step("?head=1 once cached: the whole manifest", async () => {
    const answer = await (await file.handler(get(`/v1/tracks/${long.id}/manifest?head=1`))).json();
    assert.equal(answer.chunks.length, chunks);
  });
});

Deno.test("file handler answers 409 and asks for a rescan when a file changed since the scan", async () => {
  await using file = await fileHandler();
  const { short } = file;
  await Deno.writeFile(short.path, synthesizeWav({ seconds: 0.3, frequency: 999 }));
  const res = await file.handler(get(`/v1/tracks/${short.id}`));
  assert.equal(res.status, 409);
  assert.equal(await errorCode(res), "replica_changed");
  assert.deepEqual(file.stale.map((record) => record.id), [short.id]);
});

Deno.test("file handler takes revocations only from callers with the join secret", async (t) => {
  await using file = await fileHandler();
  const hash = "ab".repeat(32);
  const push = (body: unknown, headers: Record<string, string>) =>
    new Request("http://file.test/v1/internal/revoked", {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
  const cases: { name: string; req: Request; status: number; error?: string; mentions?: RegExp }[] = [
    {
      name: "no join secret",
      req: push({ tokenHashes: [hash] }, {}),
      status: 401,
      error: "join_secret_missing",
    },
    {
      name: "a wrong join secret",
      req: push({ tokenHashes: [hash] }, { [JOIN_SECRET_HEADER]: "x".repeat(43) }),
      status: 401,
      error: "join_secret_wrong",
    },
    {
      name: "a hash that is no SHA-256",
      req: push({ tokenHashes: ["nope"] }, { [JOIN_SECRET_HEADER]: SECRET }),
      status: 400,
      error: "invalid_request",
      mentions: /body\.tokenHashes\[0\]/,
    },
    {
      name: "the secret and a hash",
      req: push({ tokenHashes: [hash] }, { [JOIN_SECRET_HEADER]: SECRET }),
      status: 204,
    },
  ];
  for (const c of cases) {
    await t.step(`${c.name}: ${c.status}`, async () => {
      const res = await file.handler(c.req);
      assert.equal(res.status, c.status);
      if (c.error) assert.equal(await errorCode(res, c.mentions), c.error);
      else await res.body?.cancel();
    });
  }
  assert.deepEqual(file.revoked, [hash]);
});

Deno.test("file handler answers ?layout=doubling at once from the states the scan recorded", async () => {
  await using file = await fileHandler();
  const { long } = file;
  const bytes = await Deno.readFile(long.path);
  // The answer comes from the index: it is right with the file moved away now (no pass over it).
  await Deno.rename(long.path, `${long.path}.away`);
  try {
    const res = await file.handler(get(`/v1/tracks/${long.id}/manifest?layout=doubling&head=4`));
    assert.equal(res.status, 200);
    const answer = await res.json();
    assert.equal(answer.partial, undefined);
    assert.equal(answer.firstChunkSize, 16 * 1024);
    assert.equal(answer.chunks, undefined);
    const { id: _id, ...manifest } = answer;
    assert.ok(isChunkManifest(manifest));
    const count = manifestChunks(manifest);
    assert.ok(count > 2, "small chunks first: more chunks than 1 MiB ones");
    const chunks = Array.from({ length: count }, (_, i) => {
      const { start, end } = chunkBounds(manifest, i);
      return bytes.subarray(start, end);
    });
    assert.equal(chunks[0]!.length, 16 * 1024);
    assert.equal(verifyChunks(manifest, 0, chunks), count);
    assert.equal(file.index.getManifest(long.path, long.size, long.mtimeMs, CHUNK_SIZE), undefined);
  } finally {
    await Deno.rename(`${long.path}.away`, long.path);
  }
});
