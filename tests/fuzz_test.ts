/**
 * Hostile input against every role, with real processes on 127.0.0.1: at least 10,000 random and malicious
 * requests each to the bootstrap, a content node, an auth and a file instance (broken JSON, huge bodies, odd
 * methods and headers, bogus tokens, traversal and double encoding, NUL bytes, Range garbage; one in ten sent as
 * raw bytes over TCP for what fetch cannot send). Zero 5xx, zero crashes, and every daemon still serves afterwards.
 * The generator is seeded: a failure prints its seed, and AUDIOD_FUZZ_SEED replays it.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { asMember, isolatedEnv, startBootstrap, startContent, tempDir, waitFor } from "./_harness.ts";
import { synthesizeWav } from "../media/wav.ts";
import type { StatusReport } from "../protocol/mod.ts";

const PER_ROLE = 10_000;
const CONCURRENCY = 32;

/** mulberry32: small, fast, good enough to pick test cases. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One request to send. */
interface Case {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array<ArrayBuffer> | string;
  /** Sent as these raw bytes over TCP instead of through fetch. */
  raw?: Uint8Array;
}

/** A route of a role: a path template (`:x` is a parameter) and a body that would be valid. */
interface Route {
  method: string;
  path: string;
  body?: Record<string, unknown>;
}

const ROUTES: Record<string, Route[]> = {
  bootstrap: [
    { method: "GET", path: "/v1/health" },
    { method: "GET", path: "/v1/status" },
    { method: "GET", path: "/v1/session" },
    { method: "GET", path: "/v1/tracks" },
    { method: "GET", path: "/v1/tracks/:ref" },
    { method: "GET", path: "/v1/services/:role" },
    {
      method: "POST",
      path: "/v1/internal/members",
      body: { id: "fuzzmember1", role: "file", url: "http://127.0.0.1:9", host: "h", pid: 1, node: null },
    },
    {
      method: "POST",
      path: "/v1/internal/members/:id/heartbeat",
      body: { load: { activeStreams: 0, inFlight: 0, bytesPerSecond: 0, requests: 0 }, tracks: 1 },
    },
    { method: "POST", path: "/v1/internal/members/:id/draining" },
    { method: "DELETE", path: "/v1/internal/members/:id" },
    { method: "POST", path: "/v1/internal/announce", body: { instance: "x", replace: true, tracks: [] } },
    { method: "POST", path: "/v1/internal/users", body: { user: "fuzz", hash: "h" } },
    { method: "GET", path: "/v1/internal/users/:name" },
    { method: "DELETE", path: "/v1/internal/users/:name" },
    { method: "POST", path: "/v1/internal/users/:name/hash", body: { hash: "h" } },
    { method: "POST", path: "/v1/internal/users/:name/password", body: { hash: "h", keep: "t".repeat(43) } },
    { method: "POST", path: "/v1/internal/sessions", body: { user: "fuzz" } },
    { method: "POST", path: "/v1/internal/sessions/verify", body: { token: "t".repeat(43) } },
    { method: "POST", path: "/v1/internal/sessions/revoke", body: { token: "t".repeat(43) } },
    { method: "POST", path: "/v1/internal/sessions/renew", body: { token: "t".repeat(43) } },
    {
      method: "POST",
      path: "/v1/internal/sign-in/attempt",
      body: { kind: "login", address: "1.2.3.4", user: "u" },
    },
    { method: "POST", path: "/v1/internal/sign-in/failed", body: { user: "u" } },
    { method: "POST", path: "/v1/internal/users/:name/reset", body: { hash: "h", by: "t".repeat(43) } },
    { method: "GET", path: "/v1/admin/users" },
    { method: "POST", path: "/v1/admin/invites", body: { uses: 2, expiresInMs: 60_000 } },
    { method: "DELETE", path: "/v1/admin/users/:name" },
    { method: "POST", path: "/v1/admin/users/:name/disable" },
    { method: "POST", path: "/v1/admin/users/:name/enable" },
    { method: "POST", path: "/v1/admin/users/:name/sign-out" },
    { method: "POST", path: "/v1/admin/users/:name/promote" },
    { method: "POST", path: "/v1/admin/users/:name/demote" },
    { method: "GET", path: "/rest/:method" },
    { method: "POST", path: "/rest/:method", body: { u: "fuzz", p: "fuzz password" } },
    { method: "OPTIONS", path: "/rest/:method" },
    { method: "GET", path: "/v1/apikeys" },
    { method: "POST", path: "/v1/apikeys", body: { name: "fuzz" } },
    { method: "DELETE", path: "/v1/apikeys/:id" },
  ],
  content: [
    { method: "GET", path: "/v1/health" },
    { method: "GET", path: "/v1/internal/instances" },
    { method: "POST", path: "/v1/internal/spawn", body: { role: "file" } },
    { method: "POST", path: "/v1/internal/stop", body: { instance: "abc" } },
  ],
  auth: [
    { method: "GET", path: "/v1/health" },
    { method: "POST", path: "/v1/register", body: { user: "fuzzer", password: "fuzz password" } },
    { method: "POST", path: "/v1/login", body: { user: "fuzzer", password: "fuzz password" } },
    { method: "POST", path: "/v1/logout" },
    { method: "POST", path: "/v1/renew" },
    {
      method: "POST",
      path: "/v1/password",
      body: { oldPassword: "fuzz password", newPassword: "other password" },
    },
    { method: "DELETE", path: "/v1/account", body: { password: "fuzz password" } },
    {
      method: "POST",
      path: "/v1/register",
      body: { user: "fuzzinvited", password: "fuzz password", invite: "i".repeat(43) },
    },
    { method: "POST", path: "/v1/admin/users", body: { user: "fuzzadded", password: "fuzz password" } },
    { method: "POST", path: "/v1/admin/users/:name/password", body: { password: "fuzz password" } },
  ],
  file: [
    { method: "GET", path: "/v1/health" },
    { method: "GET", path: "/v1/tracks/:id" },
    { method: "GET", path: "/v1/tracks/:id/manifest" },
    { method: "POST", path: "/v1/internal/revoked", body: { tokenHashes: ["0".repeat(64)] } },
    { method: "GET", path: "/v1/internal/covers/:id" },
    { method: "GET", path: "/v1/internal/lyrics/:id" },
  ],
};

const TRAVERSAL = [
  "..",
  "../../../../etc/passwd",
  "..%2f..%2f..%2fetc%2fpasswd",
  "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
  "%2E%2E%2F",
  "..%5c..%5cwindows%5cwin.ini",
  "..\\..\\",
  "%252e%252e%252f",
  "%25252e%25252e",
  "..%00.wav",
  "%00",
  "a%00b",
  "%c0%ae%c0%ae%c0%af",
  "%uff0e%uff0e",
  "....//....//",
  "%2fetc%2fpasswd",
  "/etc/passwd",
  "file:%2f%2f%2fetc%2fpasswd",
  "%zz",
  "%",
  "%%",
  "%e2%82",
  "%ff%fe",
  "~root",
  "*",
  ".",
  "%20",
  "%0d%0aSet-Cookie:%20x=y",
  "%3Cscript%3E",
  "';DROP TABLE users;--",
  "%F0%9F%8E%B5",
];

const METHODS = [
  "GET",
  "GET",
  "GET",
  "POST",
  "POST",
  "POST",
  "DELETE",
  "PUT",
  "PATCH",
  "HEAD",
  "OPTIONS",
  "PROPFIND",
  "MKCOL",
  "X-FUZZ",
  "get",
];
const RAW_METHODS = [
  "TRACE",
  "CONNECT",
  "TRACK",
  "PROPFIND",
  "GET",
  "POST",
  "DELETE",
  "G\u00e9T",
  "GET GET",
  "",
];

const RANGES = [
  "bytes=0-0",
  "bytes=-1",
  "bytes=0-",
  "bytes=-0",
  "bytes=-",
  "bytes=5-1",
  "bytes=0-1,2-3",
  "bytes=0-1, 5-",
  "bytes=99999999999999999999-",
  "bytes=-99999999999999999999",
  "bytes=18446744073709551616-",
  "bytes=1e3-2e3",
  "bytes=0x10-0x20",
  "bytes= 0 - 1 ",
  "bytes=--1",
  "items=0-1",
  "bytes",
  "=0-1",
  "bytes=0-1;",
  "bytes=\u00e9-1",
  "",
];

/** Builds the requests for one role. */
function generator(
  role: string,
  next: () => number,
  secrets: { right: string; token: string; trackId: string },
) {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const chance = (p: number) => next() < p;
  const int = (n: number) => Math.floor(next() * n);
  const ascii = (n: number) => Array.from({ length: n }, () => String.fromCharCode(33 + int(94))).join("");
  const hex = (n: number) => Array.from({ length: n }, () => "0123456789abcdef"[int(16)]).join("");
  const routes = ROUTES[role]!;

  const param = (name: string): string => {
    if (name === "id" && chance(0.4)) return secrets.trackId;
    if (chance(0.4)) return pick(TRAVERSAL);
    if (chance(0.15)) return hex(64);
    if (chance(0.1)) return "a".repeat(1 + int(8000));
    if (chance(0.1)) return encodeURIComponent(ascii(1 + int(40)));
    if (chance(0.1)) return pick(["auth", "file", "content", "bootstrap", "fuzz", "AUTH"]);
    return ascii(1 + int(30)).replace(/[/?#%\\]/g, "_");
  };

  const path = (route: Route): string => {
    let p = route.path.replace(/:(\w+)/g, (_m, name: string) => param(name));
    if (chance(0.05)) {
      p = p.replace("/v1/", pick(["/v1//", "/V1/", "/v1/./", "/v1/../v1/", "//v1/", "/v1/%2e/"]));
    }
    if (chance(0.05)) p += pick(["/", "//", "/.", "/..", "%2f", "%00", "/extra/segments/here"]);
    if (chance(0.15)) {
      p += "?" + pick([
        `q=${encodeURIComponent(ascii(int(300)))}`,
        "limit=abc",
        "limit=-1",
        "offset=99999999999999999999",
        "limit=0&offset=0",
        "q=%zz",
        "q=%00",
        "&&&=&=",
        `q=${"x".repeat(5000)}`,
        "limit=1e5",
      ]);
    }
    return p;
  };

  /** A value of another JSON type than `value`, never null (so a required or typed field always fails). */
  const wrongTyped = (value: unknown): unknown => {
    const options: unknown[] = [12345, -1, 1e308, true, {}, [], ["x"], { nested: { deep: 1 } }, "text", ""];
    for (;;) {
      const candidate = pick(options);
      if (typeof candidate !== typeof value || Array.isArray(candidate) !== Array.isArray(value)) {
        return candidate;
      }
    }
  };

  /** A body that no schema accepts. */
  const brokenBody = (route: Route): string | Uint8Array<ArrayBuffer> => {
    const template = route.body ?? { anything: 1 };
    const kind = int(14);
    switch (kind) {
      case 0:
        return JSON.stringify(template).slice(0, int(JSON.stringify(template).length));
      case 1:
        return "{" + ascii(int(200));
      case 2: {
        const key = pick(Object.keys(template));
        return JSON.stringify({ ...template, [key]: wrongTyped(template[key]) });
      }
      case 3:
        return JSON.stringify({ ...template, ["unknown" + int(9)]: "x" });
      case 4:
        return `{"__proto__": {"admin": true}, "constructor": {"prototype": {"x": 1}}}`;
      case 5:
        return "[".repeat(5000 + int(20000)) + "]".repeat(int(100));
      case 6:
        return new Uint8Array(Array.from({ length: 1 + int(512) }, () => int(256)));
      case 7:
        return JSON.stringify({ ...template, pad: "x".repeat(70 * 1024) }); // past the 64 KiB limit
      case 8:
        return new Uint8Array(300 * 1024 + int(700 * 1024)).fill(0x7b);
      case 9:
        return '{"user": "a\u0000b", "password": "\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000"}';
      case 10:
        return new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]); // invalid UTF-8
      case 11:
        return JSON.stringify([template]);
      case 12:
        return pick(["null", "1", '"x"', "true", "1e999", "NaN", "", " ", "{}"]);
      default:
        return JSON.stringify({ ...template, [pick(Object.keys(template))]: "x".repeat(2000 + int(60_000)) });
    }
  };

  const headers = (route: Route): Record<string, string> => {
    const h: Record<string, string> = {};
    if (chance(0.6)) {
      h["content-type"] = pick([
        "application/json",
        "text/plain",
        "application/x-www-form-urlencoded",
        "a/b; charset=ebcdic",
        "",
      ]);
    }
    if (chance(0.5)) {
      h["authorization"] = pick([
        "Bearer x",
        `Bearer ${ascii(16 + int(40)).replace(/[^A-Za-z0-9_-]/g, "a")}`,
        `Bearer ${"A".repeat(43)}`,
        `Bearer ${"a".repeat(600)}`,
        "Basic YWRtaW46YWRtaW4=",
        "Bearer",
        "bearer " + hex(43),
        `Bearer ${secrets.token}x`,
        "Bearer ../../etc/passwd",
      ]);
    }
    if (role === "file" && chance(0.4)) h["authorization"] = `Bearer ${secrets.token}`;
    if (route.path.includes("/internal/") && chance(0.5)) {
      h["x-audiod-join-secret"] = chance(0.5)
        ? secrets.right
        : pick(["", "wrong", secrets.right + "x", ascii(43), "a".repeat(4000)]);
    }
    if (chance(role === "file" ? 0.6 : 0.2)) h["range"] = pick(RANGES);
    if (chance(0.05)) h["x-huge"] = "h".repeat(8000 + int(8000));
    if (chance(0.05)) h["accept"] = ascii(int(200));
    if (chance(0.05)) h["content-encoding"] = pick(["gzip", "br", "deflate", "identity", "x-unknown"]);
    if (chance(0.05)) h["transfer-encoding"] = "chunked";
    if (chance(0.03)) h["expect"] = "100-continue";
    if (chance(0.03)) h["x-forwarded-for"] = pick(["1.2.3.4", "::1", "garbage", "1.2.3.4, 5.6.7.8"]);
    return h;
  };

  const rawCase = (route: Route): Case => {
    const method = pick(RAW_METHODS);
    let target = path(route);
    if (chance(0.3)) {
      target = pick([
        "*",
        "h:443",
        "http://evil.example/v1/health",
        "/v1/../../../etc/passwd",
        "/v1/\u0000",
        "/v1/a b",
        "/\\..\\..",
        "",
        "/%",
      ]);
    }
    const host = pick([
      "127.0.0.1",
      "127.0.0.1:1",
      "h/v1/internal",
      "u@h",
      "[::1",
      "a b",
      "",
      "h\\x",
      "\u00e9xample",
      "x".repeat(3000),
      "h:99999999",
    ]);
    const lines = [
      `${method} ${target} ${pick(["HTTP/1.1", "HTTP/1.1", "HTTP/1.0", "HTTP/9.9", "HTTP/1.1x", ""])}`,
    ];
    if (!chance(0.1)) lines.push(`Host: ${host}`);
    if (chance(0.1)) lines.push(`Host: other`);
    if (chance(0.1)) lines.push(`X-Big: ${"b".repeat(100_000)}`);
    if (chance(0.1)) { for (let i = 0; i < 300; i++) lines.push(`X-Many-${i}: v`); }
    if (chance(0.1)) lines.push("X-Nul: a\u0000b");
    if (chance(0.1)) lines.push("Bad Header Line");
    if (chance(0.1)) lines.push(`Range: ${pick(RANGES)}`);
    if (route.path.includes("/internal/") && chance(0.3)) {
      lines.push(`X-Audiod-Join-Secret: ${secrets.right}`);
    }
    let body = "";
    if (chance(0.3)) {
      body = typeof route.body === "object" ? String(brokenBody(route)).slice(0, 2000) : "x";
      lines.push(
        `Content-Length: ${pick([String(new TextEncoder().encode(body).length), "-1", "abc", "0", "1, 2"])}`,
      );
    } else if (chance(0.1)) {
      lines.push("Transfer-Encoding: chunked");
      body = pick(["0\r\n\r\n", "zz\r\nxx\r\n0\r\n\r\n", "5\r\nabc\r\n0\r\n\r\n", "ffffffffffffffffff\r\n"]);
    }
    lines.push("Connection: close");
    const eol = chance(0.1) ? "\n" : "\r\n";
    const text = lines.join(eol) + eol + eol + body;
    return { method, path: target, headers: {}, raw: new TextEncoder().encode(text) };
  };

  return (): Case => {
    const route = pick(routes);
    if (chance(0.1)) return rawCase(route);
    const method = chance(0.75) ? route.method : pick(METHODS);
    const h = headers(route);
    const rightSecret = h["x-audiod-join-secret"] === secrets.right;
    let body: Case["body"];
    if (method !== "GET" && method !== "HEAD" && chance(0.85)) {
      // With the right join secret only bodies no schema accepts, so the fuzzer never spawns, registers or revokes.
      body = route.body && !rightSecret && chance(0.3) ? JSON.stringify(route.body) : brokenBody(route);
    }
    return { method, path: path(route), headers: h, ...(body !== undefined ? { body } : {}) };
  };
}

/**
 * Sends raw bytes and returns the status code of the answer. 0: the server hung up without one, which it may do
 * on broken message framing (a malformed chunked body); it is not a 5xx.
 */
async function sendRaw(port: number, bytes: Uint8Array): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const timer = setTimeout(() => {
    try {
      conn.close();
    } catch { /* closed */ }
  }, 5000);
  try {
    try {
      await conn.write(bytes);
    } catch { /* the server may hang up before reading everything */ }
    let text = "";
    const buffer = new Uint8Array(4096);
    while (!text.includes("\r\n")) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) break;
      text += new TextDecoder().decode(buffer.subarray(0, n));
    }
    const m = /^HTTP\/\d\.\d (\d{3})/.exec(text);
    return m ? Number(m[1]) : 0;
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

interface Tally {
  statuses: Map<number, number>;
  failures: string[];
  sent: number;
}

async function fuzz(role: string, url: string, make: () => Case): Promise<Tally> {
  const port = Number(new URL(url).port);
  const tally: Tally = { statuses: new Map(), failures: [], sent: 0 };
  let issued = 0;
  const worker = async () => {
    while (issued < PER_ROLE) {
      issued++;
      const c = make();
      let status: number;
      try {
        if (c.raw) {
          status = await sendRaw(port, c.raw);
        } else {
          const res = await fetch(url + c.path, {
            method: c.method,
            headers: c.headers,
            ...(c.body !== undefined ? { body: c.body } : {}),
            // Generous: on a loaded 2-core machine a login waits behind the auth instance's Argon2id queue.
            signal: AbortSignal.timeout(30_000),
          });
          status = res.status;
          if (status >= 500) {
            tally.failures.push(
              `${role}: ${c.method} ${c.path.slice(0, 200)} -> ${status} ${(await res.text()).slice(0, 200)}`,
            );
          } else {
            await res.body?.cancel();
          }
        }
      } catch (error) {
        const message = error instanceof Error
          ? `${error.message} ${String(error.cause ?? "")}`
          : String(error);
        // A request fetch itself refuses to build never reaches the server: it does not count.
        if (error instanceof TypeError && !/error sending request|connection/i.test(message)) continue;
        tally.failures.push(`${role}: ${c.method} ${c.path.slice(0, 200)} -> ${message.slice(0, 300)}`);
        continue;
      }
      tally.sent++;
      tally.statuses.set(status, (tally.statuses.get(status) ?? 0) + 1);
      if (c.raw && status >= 500) {
        tally.failures.push(`${role}: raw ${c.method} ${c.path.slice(0, 100)} -> ${status}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return tally;
}

Deno.test({
  name: "10,000 hostile requests to each role: no 5xx, no crash, still serving",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const seed = Number(Deno.env.get("AUDIOD_FUZZ_SEED") ?? Math.floor(Math.random() * 2 ** 31));
    await using temp = await tempDir();
    const root = temp.path;
    const env = isolatedEnv(root, "servers");
    const lib = join(root, "lib");
    await Deno.mkdir(lib);
    await Deno.writeFile(
      join(lib, "tone.wav"),
      synthesizeWav({ seconds: 1, frequency: 440, tags: { title: "Fuzz" } }),
    );
    await using bootstrap = await startBootstrap(join(root, "boot"), env);
    await using node = await startContent(bootstrap.url, lib, join(root, "data"), env);
    const s = await waitFor("the instances", async () => {
      const report = await (await fetch(`${bootstrap.url}/v1/status`, await asMember(bootstrap.url)))
        .json() as StatusReport;
      const up = (role: string) => report.nodes.find((n) => n.role === role && n.state === "up");
      return up("auth") && up("file") && report.tracks === 1 ? report : undefined;
    });
    const urls: Record<string, string> = {
      bootstrap: bootstrap.url,
      content: node.url,
      auth: s.nodes.find((n) => n.role === "auth")!.url,
      file: s.nodes.find((n) => n.role === "file")!.url,
    };
    const registered = await fetch(`${urls.auth}/v1/register`, {
      method: "POST",
      body: JSON.stringify({ user: "listener", password: "listener password" }),
    });
    const { token } = await registered.json() as { token: string };
    const { tracks } = await (await fetch(`${bootstrap.url}/v1/tracks`, await asMember(bootstrap.url)))
      .json() as {
        tracks: { id: string }[];
      };
    const secrets = {
      right: (await Deno.readTextFile(join(root, "boot", "join-secret"))).trim(),
      token,
      trackId: tracks[0]!.id,
    };

    const started = performance.now();
    for (const role of ["bootstrap", "content", "auth", "file"]) {
      await t.step(`${role}: ${PER_ROLE} requests`, async () => {
        const tally = await fuzz(role, urls[role]!, generator(role, random(seed + role.length), secrets));
        const summary = [...tally.statuses].sort((a, b) => a[0] - b[0]).map(([k, v]) => `${k}×${v}`).join(
          " ",
        );
        // AUDIOD_FUZZ_VERBOSE=1 shows what each role answered.
        // deno-lint-ignore no-console
        if (Deno.env.get("AUDIOD_FUZZ_VERBOSE")) console.error(`${role} (seed ${seed}): ${summary}`);
        assert.deepEqual(tally.failures.slice(0, 20), [], `seed ${seed}; statuses ${summary}`);
        assert.ok(
          tally.sent >= PER_ROLE * 0.98,
          `only ${tally.sent} requests reached ${role} (seed ${seed})`,
        );
        const health = await fetch(`${urls[role]}/v1/health`);
        assert.equal(health.status, 200, `${role} still serves`);
        await health.body?.cancel();
      });
    }
    const seconds = (performance.now() - started) / 1000;
    // A guard against a server that hangs, not a speed target (it takes about 40 s alone on 2 cores).
    assert.ok(seconds < 180, `the fuzzing took ${seconds.toFixed(1)} s`);

    await t.step(
      "no daemon crashed or logged an internal error, and the cluster still works end to end",
      async () => {
        const logs = bootstrap.logs() + node.logs();
        assert.doesNotMatch(logs, /request\.failed|instance\.crashed|instance\.failed/, `seed ${seed}`);
        const report = await (await fetch(`${bootstrap.url}/v1/status`, await asMember(bootstrap.url)))
          .json() as StatusReport;
        assert.equal(report.tracks, 1);
        const res = await fetch(`${urls.file}/v1/tracks/${secrets.trackId}`, {
          headers: { authorization: `Bearer ${token}`, range: "bytes=0-3" },
        });
        assert.equal(res.status, 206);
        assert.equal(new TextDecoder().decode(await res.arrayBuffer()), "RIFF");
        assert.equal(await node.stop(), 0);
        assert.equal(await bootstrap.stop(), 0);
      },
    );
  },
});
