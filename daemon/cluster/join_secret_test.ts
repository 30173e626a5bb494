import assert from "node:assert/strict";
import { join } from "node:path";
import {
  ensureJoinSecret,
  guardInternal,
  JOIN_SECRET_HEADER,
  requireJoinSecret,
  resolveJoinSecret,
  secretMatches,
} from "./join_secret.ts";
import { HttpError } from "../http/http_error.ts";
import { Router } from "../http/router.ts";

Deno.test("ensureJoinSecret() writes 256 random bits with mode 0600 once, then reads them back", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = await ensureJoinSecret(join(dir, "data"));
    assert.equal(first.created, true);
    assert.match(first.secret, /^[A-Za-z0-9_-]{43}$/, "base64url of 32 bytes");
    assert.equal((await Deno.stat(first.path)).mode! & 0o777, 0o600);
    const again = await ensureJoinSecret(join(dir, "data"));
    assert.deepEqual([again.created, again.secret, again.exposed], [false, first.secret, false]);
    await Deno.chmod(first.path, 0o644);
    assert.equal((await ensureJoinSecret(join(dir, "data"))).exposed, true, "a readable secret is flagged");
    const other = await ensureJoinSecret(join(dir, "other"));
    assert.notEqual(other.secret, first.secret);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resolveJoinSecret() takes the file, else the environment, else the data dir's, else says what to do", async () => {
  const dir = await Deno.makeTempDir();
  const saved = Deno.env.get("AUDIOD_JOIN_SECRET");
  try {
    Deno.env.delete("AUDIOD_JOIN_SECRET");
    const { secret, path } = await ensureJoinSecret(dir);
    assert.equal(await resolveJoinSecret({ file: path }), secret);
    assert.equal(await resolveJoinSecret({ dataDir: dir }), secret);
    await assert.rejects(resolveJoinSecret({ dataDir: join(dir, "none") }), /--join-secret-file/);
    await assert.rejects(resolveJoinSecret({ file: join(dir, "missing") }), /does not exist/);
    Deno.env.set("AUDIOD_JOIN_SECRET", "x".repeat(40));
    assert.equal(await resolveJoinSecret({ dataDir: dir }), "x".repeat(40));
    Deno.env.set("AUDIOD_JOIN_SECRET", "short");
    await assert.rejects(resolveJoinSecret({}), /32 to 512/);
  } finally {
    if (saved === undefined) Deno.env.delete("AUDIOD_JOIN_SECRET");
    else Deno.env.set("AUDIOD_JOIN_SECRET", saved);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("secretMatches() compares whole secrets of any length", () => {
  const secret = "s".repeat(43);
  assert.equal(secretMatches(secret, secret), true);
  assert.equal(secretMatches(secret.slice(0, 42), secret), false);
  assert.equal(secretMatches(secret + "s", secret), false);
  assert.equal(secretMatches("", secret), false);
});

Deno.test("guardInternal() makes a router refuse internal calls without the right secret, before routing", async (t) => {
  const secret = "k".repeat(43);
  const router = new Router(() => {});
  guardInternal(router, secret);
  router.get("/v1/internal/x", () => new Response("in")).get("/v1/public", () => new Response("out"));
  const call = (path: string, headers: Record<string, string> = {}, method = "GET") =>
    router.handle(new Request(`http://h${path}`, { method, headers }));
  const cases: [string, Record<string, string>, string, number, string?][] = [
    ["/v1/internal/x", {}, "GET", 401, "join_secret_missing"],
    ["/v1/internal/x", { [JOIN_SECRET_HEADER]: "nope" }, "GET", 401, "join_secret_wrong"],
    ["/v1//internal/x", {}, "GET", 401, "join_secret_missing"],
    ["/v1/internal/unknown", {}, "GET", 401, "join_secret_missing"],
    ["/v1/internal/x", {}, "DELETE", 401, "join_secret_missing"],
    ["/v1/internal/x", { [JOIN_SECRET_HEADER]: secret }, "GET", 200],
    ["/v1/internal/unknown", { [JOIN_SECRET_HEADER]: secret }, "GET", 404],
    ["/v1/public", {}, "GET", 200],
  ];
  for (const [path, headers, method, status, code] of cases) {
    await t.step(`${method} ${path} ${Object.keys(headers).length ? "with a secret" : ""}`, async () => {
      const res = await call(path, headers, method);
      assert.equal(res.status, status);
      const text = await res.text();
      if (code) assert.equal((JSON.parse(text) as { error: { code: string } }).error.code, code);
    });
  }
  assert.throws(() => requireJoinSecret(new Request("http://h/"), secret), HttpError);
});

Deno.test("the router refuses Host headers that would reshape the URL", async (t) => {
  const router = new Router(() => {});
  router.get("/v1/public", () => new Response("out"));
  for (const host of ["h/v1/internal", "u@h", "h\\x", "h?x", "h#x", "a b", ""]) {
    await t.step(JSON.stringify(host), async () => {
      const res = await router.handle(new Request("http://h/v1/public", { headers: { host } }));
      assert.equal(res.status, 400);
      await res.body?.cancel();
    });
  }
  for (const host of ["h", "h:8080", "10.0.0.1:7700", "[::1]:7700", "my_host.local"]) {
    const res = await router.handle(new Request("http://h/v1/public", { headers: { host } }));
    assert.equal(res.status, 200, host);
    await res.body?.cancel();
  }
});
