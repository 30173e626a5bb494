import assert from "node:assert/strict";
import { join } from "node:path";
import { fileBody, type Http1Server, serveHttp1 } from "./server.ts";
import { LoadMeter } from "../cluster/load_meter.ts";
import { parseRange } from "../http/range.ts";
import { rawExchange, type RawResponse, writeRandomFile } from "../../tests/_raw_http.ts";

type Handler = Parameters<typeof serveHttp1>[0]["handler"];

/** A server on 127.0.0.1:0 that is shut down on dispose. */
function serve(handler: Handler): Http1Server & AsyncDisposable & { port: number } {
  const server = serveHttp1({
    hostname: "127.0.0.1",
    port: 0,
    handler,
    onError: () => Response.json({ error: "handler failed" }, { status: 500 }),
  });
  return { ...server, port: server.addr.port, [Symbol.asyncDispose]: () => server.shutdown() };
}

/** Sends `text` on one connection and reads until the server closes it; every response on it, parsed. */
async function raw(port: number, text: string | Uint8Array): Promise<RawResponse[]> {
  return rawExchange(await Deno.connect({ hostname: "127.0.0.1", port }), text);
}

const text = (r: RawResponse) => new TextDecoder().decode(r.body);

async function randomFile(dir: string, size: number): Promise<{ path: string; bytes: Uint8Array }> {
  const path = join(dir, "track.bin");
  return { path, bytes: await writeRandomFile(path, size) };
}

/** A handler serving `path` as the byte route does: whole, or the Range asked for. */
function fileHandler(path: string, size: number, meter: LoadMeter): Handler {
  return async (req) => {
    const range = parseRange(req.headers.get("range"), size);
    if (range.kind === "unsatisfiable") return new Response(null, { status: 416 });
    const start = range.kind === "partial" ? range.start : 0;
    const end = range.kind === "partial" ? range.end : size - 1;
    const file = await Deno.open(path);
    const headers = { "content-type": "application/octet-stream" };
    return new Response(fileBody(file, { path, start, length: end - start + 1, meter }), {
      status: range.kind === "partial" ? 206 : 200,
      headers,
    });
  };
}

Deno.test("a file body arrives byte-exact, whole and by range, and counts as a stream until it ends", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Larger than the biggest read buffer, and not a multiple of any, so reads end mid-buffer.
    const { path, bytes } = await randomFile(dir, 3 * 1024 * 1024 + 12345);
    const meter = new LoadMeter();
    await using server = serve(fileHandler(path, bytes.length, meter));
    const url = `http://127.0.0.1:${server.port}/track`;
    const whole = await fetch(url);
    assert.equal(whole.headers.get("content-length"), String(bytes.length));
    assert.deepEqual(new Uint8Array(await whole.arrayBuffer()), bytes);
    for (
      const [from, to] of [[0, 0], [1_048_575, 1_048_577], [5, bytes.length - 1], [
        bytes.length - 7,
        bytes.length - 1,
      ]]
    ) {
      const res = await fetch(url, { headers: { range: `bytes=${from}-${to}` } });
      assert.equal(res.status, 206);
      assert.deepEqual(
        new Uint8Array(await res.arrayBuffer()),
        bytes.subarray(from!, to! + 1),
        `${from}-${to}`,
      );
    }
    // Many at once share the pool's buffers and each still gets its own bytes.
    const all = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const res = await fetch(url, { headers: { range: `bytes=${i * 50_000}-` } });
        return new Uint8Array(await res.arrayBuffer());
      }),
    );
    all.forEach((got, i) => assert.deepEqual(got, bytes.subarray(i * 50_000), `stream ${i}`));
    assert.equal(meter.activeStreams, 0);
    const ranges = 1 + 3 + (bytes.length - 5) + 7 + all.reduce((n, b) => n + b.length, 0);
    assert.equal(meter.bytesServed, bytes.length + ranges);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a client that leaves mid-file ends its stream and frees the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { path, bytes } = await randomFile(dir, 64 * 1024 * 1024);
    const meter = new LoadMeter();
    await using server = serve(fileHandler(path, bytes.length, meter));
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    await conn.write(new TextEncoder().encode("GET /track HTTP/1.1\r\nhost: x\r\n\r\n"));
    const first = new Uint8Array(65536);
    assert.ok((await conn.read(first)) !== null);
    assert.equal(meter.activeStreams, 1);
    conn.close();
    assert.ok(await meter.streamsEnded(5000), "the stream ended once the client left");
    assert.ok(meter.bytesServed < bytes.length);
    // The server still answers.
    const res = await fetch(`http://127.0.0.1:${server.port}/track`, { headers: { range: "bytes=0-9" } });
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), bytes.subarray(0, 10));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("one connection carries many requests with Content-Length, chunked and unread bodies", async () => {
  await using server = serve(async (req) => {
    const body = req.body ? new Uint8Array(await new Response(req.body).arrayBuffer()) : null;
    const url = new URL(req.url);
    return Response.json({
      method: req.method,
      path: url.pathname + url.search,
      host: url.host,
      body: body ? new TextDecoder().decode(body) : null,
    });
  });
  const responses = await raw(
    server.port,
    "POST /a?x=1 HTTP/1.1\r\nHost: example.test:8080\r\nContent-Length: 5\r\n\r\nhello" +
      "\r\n" + // a stray blank line between requests is allowed
      "POST /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: x\r\n\r\n" +
      "GET /c HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyz" + // a GET's body is read and dropped
      "GET /d HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
  );
  assert.deepEqual(responses.map((r) => r.status), [200, 200, 200, 200]);
  assert.deepEqual(responses.map((r) => JSON.parse(text(r))), [
    { method: "POST", path: "/a?x=1", host: "example.test:8080", body: "hello" },
    { method: "POST", path: "/b", host: "h", body: "abcde" },
    { method: "GET", path: "/c", host: "h", body: null },
    { method: "GET", path: "/d", host: "h", body: null },
  ]);
  assert.equal(responses[0]!.headers["transfer-encoding"], "chunked");
  assert.equal(responses[3]!.headers["connection"], "close");
});

Deno.test("HEAD gets the head alone, Expect: 100-continue gets its interim response, errors get 500", async () => {
  await using server = serve(async (req) => {
    if (new URL(req.url).pathname === "/boom") throw new Error("handler bug");
    if (new URL(req.url).pathname === "/json") return Response.json({ a: "x".repeat(100) });
    const body = req.body ? await new Response(req.body).text() : "";
    return new Response(`got ${body}`, { headers: { "content-length": String(4 + body.length) } });
  });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  const enc = new TextEncoder();
  await conn.write(
    enc.encode("POST /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"),
  );
  const interim = new Uint8Array(100);
  const n = await conn.read(interim);
  assert.equal(new TextDecoder().decode(interim.subarray(0, n!)), "HTTP/1.1 100 Continue\r\n\r\n");
  await conn.write(enc.encode("data"));
  const afterBody = new Uint8Array(200);
  const m = await conn.read(afterBody);
  assert.match(
    new TextDecoder().decode(afterBody.subarray(0, m!)),
    /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\ngot data$/,
  );
  await conn.write(
    enc.encode(
      "HEAD /x HTTP/1.1\r\nHost: h\r\n\r\nGET /boom HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    ),
  );
  const rest = new Uint8Array(await new Response(conn.readable).arrayBuffer());
  const all = new TextDecoder().decode(rest);
  // The HEAD response declares the length and sends no body: the next thing is the 500's head.
  assert.match(all, /^HTTP\/1\.1 200 OK\r\n[^]*content-length: 4\r\n\r\nHTTP\/1\.1 500 /);
  assert.match(all, /handler failed/);

  // A HEAD of a route that answers JSON gets the length its GET would.
  const [json] = await raw(server.port, "HEAD /json HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
  const got = await (await fetch(`http://127.0.0.1:${server.port}/json`)).arrayBuffer();
  assert.equal(json!.headers["content-length"], String(got.byteLength));
  assert.equal(json!.body.length, 0);

  // A client still waiting for "100 Continue" when the answer comes may never send its body: the server
  // closes rather than wait for it.
  const early = await raw(
    server.port,
    "POST /boom HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n",
  );
  assert.deepEqual(early.map((r) => [r.status, r.headers["connection"]]), [[500, "close"]]);
});

Deno.test("malformed requests get a clear 4xx and a closed connection, and the server keeps serving", async (t) => {
  let calls = 0;
  await using server = serve(() => {
    calls++;
    return new Response("ok");
  });
  const cases: [string, string, number][] = [
    ["a bad request line", "GET /x HTTP/2.0\r\nHost: h\r\n\r\n", 400],
    ["a target that is not a path", "GET http://evil/ HTTP/1.1\r\nHost: h\r\n\r\n", 400],
    ["a header without a colon", "GET / HTTP/1.1\r\nHost h\r\n\r\n", 400],
    ["a folded header", "GET / HTTP/1.1\r\nHost: h\r\n continued\r\n\r\n", 400],
    ["both framings", "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400],
    ["two different lengths", "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400],
    ["an unknown coding", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 400],
    ["an unknown expectation", "POST / HTTP/1.1\r\nExpect: magic\r\nContent-Length: 1\r\n\r\nx", 417],
    ["a head too long", `GET / HTTP/1.1\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`, 431],
  ];
  for (const [name, request, status] of cases) {
    await t.step(name, async () => {
      const responses = await raw(server.port, request);
      assert.equal(responses.length, 1);
      assert.equal(responses[0]!.status, status);
      assert.equal(responses[0]!.headers["connection"], "close");
      assert.match(JSON.parse(text(responses[0]!)).error.message, /^Cannot /);
    });
  }
  await t.step("a bad chunk size inside a body", async () => {
    const responses = await raw(
      server.port,
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
    );
    // The handler answered without reading the body; the connection closes rather than guess where it ends.
    assert.equal(responses.length, 1);
    assert.equal(responses[0]!.headers["connection"], "close");
  });
  assert.equal(calls, 1, "only the well-formed request reached the handler");
  assert.equal(await (await fetch(`http://127.0.0.1:${server.port}/`)).text(), "ok");
});

Deno.test("shutdown closes idle connections and file streams, and lets other responses finish", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { path, bytes } = await randomFile(dir, 32 * 1024 * 1024);
    const meter = new LoadMeter();
    const slow = Promise.withResolvers<void>();
    const files = fileHandler(path, bytes.length, meter);
    const server = serveHttp1({
      hostname: "127.0.0.1",
      port: 0,
      handler: async (req, info) => {
        if (new URL(req.url).pathname !== "/slow") return files(req, info);
        await slow.promise;
        return new Response("finished");
      },
      onError: () => new Response("error", { status: 500 }),
    });
    const port = server.addr.port;
    const idle = await Deno.connect({ hostname: "127.0.0.1", port });
    const streaming = await Deno.connect({ hostname: "127.0.0.1", port });
    await streaming.write(new TextEncoder().encode("GET /track HTTP/1.1\r\nHost: h\r\n\r\n"));
    assert.ok((await streaming.read(new Uint8Array(1024))) !== null);
    const pending = fetch(`http://127.0.0.1:${port}/slow`);
    await new Promise((r) => setTimeout(r, 100));
    const stopped = server.shutdown();
    assert.equal(await idle.read(new Uint8Array(1)), null, "the idle connection was closed");
    idle.close();
    // The streaming connection ends early (the rest of the file is not sent).
    let received = 0;
    try {
      for await (const chunk of streaming.readable) received += chunk.length;
    } catch { /* reset */ }
    assert.ok(received < bytes.length);
    slow.resolve();
    assert.equal(await (await pending).text(), "finished");
    await stopped;
    assert.equal(meter.activeStreams, 0);
    await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port }));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an over-long line in a chunked body fails the body read instead of stalling the server", async () => {
  await using server = serve(async (req) => new Response(String((await req.arrayBuffer()).byteLength)));
  // A trailer line that fills the 16 KiB read buffer exactly (so the server reads all that was sent and its
  // close carries no reset), never ended: the reader used to ask the full buffer for more bytes forever,
  // without yielding to anything else.
  const responses = await raw(
    server.port,
    `POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX: ${
      "a".repeat(16 * 1024 - 3)
    }`,
  );
  assert.deepEqual(responses.map((r) => [r.status, r.headers["connection"]]), [[500, "close"]]);
  assert.equal(
    await (await fetch(`http://127.0.0.1:${server.port}/`, { method: "POST", body: "xy" })).text(),
    "2",
  );
});

Deno.test("a file body served by Deno.serve is read as an ordinary stream, with the same bytes and counts", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { path, bytes } = await randomFile(dir, 700_000);
    const meter = new LoadMeter();
    const files = fileHandler(path, bytes.length, meter);
    await using server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (req) => files(req, {} as never),
    );
    const url = `http://127.0.0.1:${server.addr.port}/track`;
    assert.deepEqual(new Uint8Array(await (await fetch(url)).arrayBuffer()), bytes);
    const res = await fetch(url, { headers: { range: "bytes=300000-300009" } });
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), bytes.subarray(300_000, 300_010));
    assert.equal(meter.bytesServed, bytes.length + 10);
    assert.ok(await meter.streamsEnded(2000));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
