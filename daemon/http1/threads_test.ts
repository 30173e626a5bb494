import assert from "node:assert/strict";
import { join } from "node:path";
import { fileBody, type Http1Options, serveHttp1 } from "./server.ts";
import { LoadMeter } from "../cluster/load_meter.ts";
import { waitFor } from "../../tests/_harness.ts";
import { rawExchange, type RawResponse, writeRandomFile } from "../../tests/_raw_http.ts";

type Handler = Http1Options["handler"];

/** A two-thread server on 127.0.0.1 (any free port unless told), shut down on dispose. */
function serveTwo(handler: Handler, tls?: Http1Options["tls"], port = 0) {
  const server = serveHttp1({
    hostname: "127.0.0.1",
    port,
    handler,
    onError: () => Response.json({ error: "handler failed" }, { status: 500 }),
    threads: 2,
    ...(tls ? { tls } : {}),
  });
  return Object.assign(server, { [Symbol.asyncDispose]: () => server.shutdown() });
}

/** Sends `requests` on one new connection, the last asking to close, and parses the replies. */
function exchange(
  connect: () => Promise<Deno.Conn>,
  requests: { head: string; body?: Uint8Array }[],
): Promise<RawResponse[]> {
  const encoder = new TextEncoder();
  const parts = requests.flatMap((r, i) => {
    const close = i === requests.length - 1 ? "connection: close\r\n" : "";
    const length = r.body ? `content-length: ${r.body.length}\r\n` : "";
    return [encoder.encode(`${r.head}\r\nhost: test\r\n${length}${close}\r\n`), r.body ?? new Uint8Array()];
  });
  return connect().then((conn) => rawExchange(conn, parts));
}

const tcp = (port: number) => () => Deno.connect({ hostname: "127.0.0.1", port });

const randomFile = (dir: string, name: string, size: number) => writeRandomFile(join(dir, name), size);

/** Serves the file at `path` whole, announcing `sendPath` as the path another thread opens. */
function fileHandler(path: string, meter: LoadMeter, sendPath = path): Handler {
  return async () => {
    const file = await Deno.open(path);
    const { size } = await file.stat();
    return new Response(fileBody(file, { path: sendPath, start: 0, length: size, meter }));
  };
}

/** Waits until `ok()` holds (5 s at most). */
const until = (what: string, ok: () => boolean) => waitFor(what, () => ok() || undefined, 5000);

Deno.test("two threads share the port: every file arrives whole and the main thread's meter counts it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bytes = await randomFile(dir, "track.bin", 3 * 1024 * 1024 + 4321);
    const meter = new LoadMeter();
    await using server = serveTwo(fileHandler(join(dir, "track.bin"), meter));
    assert.equal(server.threads, 2);
    await server.ready;
    const connections = 24;
    const replies = await Promise.all(
      Array.from(
        { length: connections },
        () => exchange(tcp(server.addr.port), [{ head: "GET /t HTTP/1.1" }]),
      ),
    );
    for (const [reply] of replies) {
      assert.equal(reply!.status, 200);
      assert.deepEqual(reply!.body, bytes);
    }
    assert.ok(server.forwarded > 0, "the helper served some connections");
    assert.ok(server.forwarded < connections, `the main thread served some (${server.forwarded} forwarded)`);
    await until("every byte to be counted", () => meter.bytesServed === connections * bytes.length);
    assert.equal(meter.activeStreams, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a helper's streams count as active until they end, and shutdown closes them and its listener", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Far more than the socket buffers hold, so streams stay open while nobody reads them.
    await randomFile(dir, "big.bin", 48 * 1024 * 1024);
    const meter = new LoadMeter();
    const server = serveTwo(fileHandler(join(dir, "big.bin"), meter));
    await server.ready;
    const conns: Deno.Conn[] = [];
    // New connections until one is the helper's; each asks for the file and reads nothing.
    for (let i = 0; i < 64 && server.forwarded === 0; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
      await conn.write(new TextEncoder().encode("GET /t HTTP/1.1\r\nhost: test\r\n\r\n"));
      conns.push(conn);
      await until("the stream to start", () => meter.activeStreams === conns.length);
    }
    assert.ok(server.forwarded > 0, "a connection reached the helper");
    assert.equal(meter.activeStreams, conns.length);
    await server.shutdown();
    assert.equal(meter.activeStreams, 0, "shutdown ended every stream, the helper's too");
    for (const conn of conns) {
      // Each stream was cut short: reading to the end gets less than the file.
      const got = (await new Response(conn.readable).arrayBuffer()).byteLength;
      assert.ok(got < 48 * 1024 * 1024, `a cut stream (${got} bytes)`);
    }
    await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port: server.addr.port }));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a helper refuses a file that is no longer the one the handler opened", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bytes = await randomFile(dir, "track.bin", 100_000);
    await randomFile(dir, "other.bin", 99_999);
    // The handler opens one file and names another: only a helper opens the file by its name.
    await using server = serveTwo(
      fileHandler(join(dir, "track.bin"), new LoadMeter(), join(dir, "other.bin")),
    );
    await server.ready;
    const replies = await Promise.all(
      Array.from({ length: 24 }, () => exchange(tcp(server.addr.port), [{ head: "GET /t HTTP/1.1" }])),
    );
    const refused = replies.filter(([r]) => r!.status === 503);
    assert.equal(refused.length, server.forwarded, "every forwarded request, and only those, was refused");
    assert.ok(refused.length > 0);
    const body = JSON.parse(new TextDecoder().decode(refused[0]![0]!.body));
    assert.equal(body.error.code, "file_changed");
    for (const [r] of replies) if (r!.status !== 503) assert.deepEqual(r!.body, bytes);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("request bodies reach the handler through a helper, which refuses one over 1 MiB", async () => {
  const echo: Handler = async (req) =>
    new Response(await req.text(), {
      headers: { "x-method": req.method, "x-path": new URL(req.url).pathname },
    });
  await using server = serveTwo(echo);
  await server.ready;
  const big = new Uint8Array(2 * 1024 * 1024).fill(120);
  const results = await Promise.all(
    Array.from({ length: 24 }, (_, i) =>
      exchange(tcp(server.addr.port), [
        { head: `POST /echo/${i} HTTP/1.1`, body: new TextEncoder().encode(`body ${i}`) },
        { head: `PUT /big HTTP/1.1`, body: big },
      ])),
  );
  let refusedBig = 0;
  for (const [i, [small, second]] of results.entries()) {
    assert.equal(small!.status, 200);
    assert.equal(new TextDecoder().decode(small!.body), `body ${i}`);
    assert.equal(small!.headers["x-method"], "POST");
    assert.equal(small!.headers["x-path"], `/echo/${i}`);
    if (second!.status === 413) refusedBig++;
    else assert.equal(second!.body.length, big.length);
  }
  // Each connection stays on one thread: the big bodies refused are those of the connections the helper took.
  assert.equal(refusedBig, server.forwarded, "the helper refused the big bodies of its connections");
  assert.ok(refusedBig > 0);
});

Deno.test("a helper serves HTTPS with the server's certificate", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = await new Deno.Command("openssl", {
      args: [
        ...[
          "req",
          "-x509",
          "-newkey",
          "ec",
          "-pkeyopt",
          "ec_paramgen_curve:prime256v1",
          "-nodes",
          "-days",
          "1",
        ],
        ...["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        ...["-addext", "basicConstraints=critical,CA:FALSE"],
        ...["-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")],
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const cert = await Deno.readTextFile(join(dir, "cert.pem"));
    const key = await Deno.readTextFile(join(dir, "key.pem"));
    const bytes = await randomFile(dir, "track.bin", 300_000);
    await using server = serveTwo(fileHandler(join(dir, "track.bin"), new LoadMeter()), { cert, key });
    await server.ready;
    const connect = () => Deno.connectTls({ hostname: "127.0.0.1", port: server.addr.port, caCerts: [cert] });
    const replies = await Promise.all(
      Array.from({ length: 16 }, () => exchange(connect, [{ head: "GET /t HTTP/1.1" }])),
    );
    for (const [r] of replies) assert.deepEqual(r!.body, bytes);
    assert.ok(server.forwarded > 0, "the helper served some connections over TLS");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("without --unstable-net one thread serves, instead of the process exiting", async () => {
  const code = `
    import { serveHttp1 } from ${JSON.stringify(new URL("./server.ts", import.meta.url).href)};
    const server = serveHttp1({ hostname: "127.0.0.1", port: 0, threads: 2, handler: () => new Response("hi"),
      onError: () => new Response("no", { status: 500 }) });
    const res = await fetch("http://127.0.0.1:" + server.addr.port + "/");
    console.log(server.threads, await res.text());
    await server.shutdown();
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-config", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.equal(new TextDecoder().decode(out.stdout).trim(), "1 hi");
});

Deno.test("a port another server holds is refused, as with one thread, although the threads share theirs", async () => {
  await using first = serveTwo(() => new Response("first"));
  await first.ready;
  assert.throws(
    () => serveTwo(() => new Response("second"), undefined, first.addr.port),
    Deno.errors.AddrInUse,
  );
  // A listener of another program (no SO_REUSEPORT) keeps its port too.
  const other = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    assert.throws(
      () => serveTwo(() => new Response("third"), undefined, (other.addr as Deno.NetAddr).port),
      Deno.errors.AddrInUse,
    );
  } finally {
    other.close();
  }
  const res = await fetch(`http://127.0.0.1:${first.addr.port}/`);
  assert.equal(await res.text(), "first");
});

/** Reads `conn` until the server closes it, at most `ms` long; the bytes received, or null when it stayed open. */
async function readToEnd(conn: Deno.Conn, ms: number): Promise<number | null> {
  const buffer = new Uint8Array(256 * 1024);
  const deadline = Date.now() + ms;
  let total = 0;
  while (Date.now() < deadline) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((resolve) =>
      timer = setTimeout(() => resolve("late"), deadline - Date.now())
    );
    const n = await Promise.race([conn.read(buffer).catch(() => null), late]).finally(() =>
      clearTimeout(timer)
    );
    if (n === "late") return null;
    if (n === null) return total;
    total += n;
  }
  return null;
}

Deno.test("a file body whose signal aborts ends short and its connection closes, on either thread", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const size = 48 * 1024 * 1024;
    await randomFile(dir, "long.bin", size);
    const path = join(dir, "long.bin");
    const meter = new LoadMeter();
    const cuts: AbortController[] = [];
    let settled = 0;
    await using server = serveTwo(async () => {
      const file = await Deno.open(path);
      const cut = new AbortController();
      cuts.push(cut);
      const body = fileBody(file, {
        path,
        start: 0,
        length: size,
        meter,
        signal: cut.signal,
        onSettled: () => settled++,
      });
      return new Response(body);
    });
    await server.ready;
    const streams = 8;
    const conns = await Promise.all(Array.from({ length: streams }, async () => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
      await conn.write(new TextEncoder().encode("GET /t HTTP/1.1\r\nhost: test\r\n\r\n"));
      // The head and the first bytes: the body is flowing, and the client reads no more for now.
      assert.ok((await conn.read(new Uint8Array(64 * 1024)) ?? 0) > 0);
      return conn;
    }));
    await until("every stream to start", () => meter.activeStreams === streams);
    assert.ok(server.forwarded > 0, "the helper serves some of the streams");
    assert.ok(server.forwarded < streams, `the main thread serves some (${server.forwarded} forwarded)`);
    for (const cut of cuts) cut.abort();
    for (const conn of conns) {
      const rest = await readToEnd(conn, 10_000);
      conn.close();
      assert.notEqual(rest, null, "the server closed the connection");
      assert.ok(rest! < size - 64 * 1024, `the body ended short (${rest} more bytes arrived)`);
    }
    await until("every stream to end", () => meter.activeStreams === 0);
    await until("every body to be settled", () => settled === streams);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a file body read as a stream (another server) fails at its next read once its signal aborted", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "track.bin");
    await randomFile(dir, "track.bin", 1024 * 1024);
    const cut = new AbortController();
    let settled = 0;
    const body = fileBody(await Deno.open(path), {
      path,
      start: 0,
      length: 1024 * 1024,
      meter: new LoadMeter(),
      signal: cut.signal,
      onSettled: () => settled++,
    });
    const reader = body.getReader();
    assert.ok((await reader.read()).value!.length > 0);
    cut.abort(new Error("session ended"));
    await assert.rejects(reader.read(), /session ended/);
    assert.equal(settled, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
