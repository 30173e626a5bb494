/**
 * The auth instance's handler without processes: `createHandler(deps)` called with `new Request(...)`, its
 * account store the real bootstrap handler (the real SQLite store in a temp dir) served in this process on
 * 127.0.0.1:0. Each route's validation, status codes and error bodies.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { createLogger } from "../../daemon/runtime/log.ts";
import { errorBody } from "../../protocol/error.ts";
import { accountChanged, sessionAnswer } from "../../protocol/session.ts";
import { Catalog } from "../bootstrap/catalog.ts";
import { EventHub } from "../bootstrap/events.ts";
import { createHandler as createBootstrapHandler } from "../bootstrap/handler.ts";
import { Registry } from "../bootstrap/registry.ts";
import { SqliteStore } from "../bootstrap/store/sqlite.ts";
import { createHandler } from "./mod.ts";

const SECRET = "test-join-secret-0123456789abcdef";
const quiet = (role: string) => createLogger({ role, write: () => {} });

/** Serves `handler` on 127.0.0.1:0 until disposed. */
function serve(handler: Deno.ServeHandler): { url: string } & AsyncDisposable {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handler);
  return { url: `http://127.0.0.1:${server.addr.port}`, [Symbol.asyncDispose]: () => server.shutdown() };
}

/** A real bootstrap (its account store) served on 127.0.0.1:0, over a SQLite store in a temp dir. */
async function accountStore() {
  const dir = await Deno.makeTempDir({ prefix: "audiod-auth-" });
  const store = new SqliteStore(join(dir, "users.db"), { dataDir: dir });
  const events = new EventHub();
  const handler = createBootstrapHandler({
    registry: new Registry(),
    catalog: new Catalog(),
    users: store.accounts,
    events,
    limits: store.signInLimits,
    logger: quiet("bootstrap"),
    joinSecret: SECRET,
    self: () => {
      throw new Error("not asked for");
    },
  });
  const server = serve((req, info) => handler(req, info));
  return {
    url: server.url,
    async [Symbol.asyncDispose]() {
      await server[Symbol.asyncDispose]();
      events.close();
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Sends one request to an auth handler whose store is `bootstrap`. */
function caller(bootstrap: string) {
  const handler = createHandler({ bootstrap, logger: quiet("auth"), peer: { joinSecret: SECRET } });
  return async (
    method: string,
    path: string,
    options: { body?: unknown; raw?: string; token?: string } = {},
  ) => {
    const headers: Record<string, string> = {};
    if (options.token) headers["authorization"] = `Bearer ${options.token}`;
    const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await handler(
      new Request(`http://127.0.0.1:7701${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
      }),
    );
    const text = await res.text();
    return { status: res.status, json: text === "" ? undefined : JSON.parse(text) as unknown };
  };
}

function assertError(
  answer: { status: number; json: unknown },
  status: number,
  code: string,
  message: string,
) {
  assert.deepEqual({ status: answer.status, ...errorBody(answer.json, "body") }, {
    status,
    error: { code, message },
  });
}

Deno.test("auth handler: bad bodies are a 400 naming the field, before any password work", async (t) => {
  await using store = await accountStore();
  const call = caller(store.url);
  const cases: {
    name: string;
    path: string;
    body?: unknown;
    raw?: string;
    token?: string;
    code?: string;
    message: string;
  }[] = [
    {
      name: "register: a user name with a space",
      path: "/v1/register",
      body: { user: "al ice", password: "long enough" },
      message: "Cannot accept body.user: use 1-64 letters, digits, '.', '_' or '-'",
    },
    {
      name: "register: no password",
      path: "/v1/register",
      body: { user: "alice" },
      message: "Cannot accept body.password: must be a string",
    },
    {
      name: "register: a short password",
      path: "/v1/register",
      body: { user: "alice", password: "short" },
      code: "weak_password",
      message: "Cannot accept the password: use at least 8 characters",
    },
    {
      name: "login: an unknown field",
      path: "/v1/login",
      body: { user: "alice", password: "long enough", remember: true },
      message: "Cannot accept body.remember: is not a known field",
    },
    {
      name: "login: not JSON",
      path: "/v1/login",
      raw: "user=alice",
      code: "malformed_json",
      message: "Cannot parse the request body: it is not valid UTF-8 JSON",
    },
    {
      name: "password: the old password missing",
      path: "/v1/password",
      token: "t".repeat(43),
      body: { newPassword: "long enough" },
      message: "Cannot accept body.oldPassword: must be a string",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const answer = await call("POST", c.path, {
        ...(c.raw ? { raw: c.raw } : { body: c.body }),
        ...(c.token ? { token: c.token } : {}),
      });
      assertError(answer, 400, c.code ?? "invalid_request", c.message);
    });
  }
});

Deno.test("auth handler: routes, methods, tokens and the join secret", async (t) => {
  await using store = await accountStore();
  const call = caller(store.url);
  await t.step("GET /v1/nothing: 404", async () => {
    assert.equal((await call("GET", "/v1/nothing")).status, 404);
  });
  await t.step("GET /v1/login: 405", async () => {
    assert.equal((await call("GET", "/v1/login")).status, 405);
  });
  await t.step("GET /v1/internal/anything without the secret: 401", async () => {
    assert.equal((await call("GET", "/v1/internal/anything")).status, 401);
  });
  await t.step("POST /v1/logout without a token: 401", async () => {
    assert.equal((await call("POST", "/v1/logout")).status, 401);
  });
  await t.step("POST /v1/renew with an unknown token: 401 bad_token", async () => {
    const answer = await call("POST", "/v1/renew", { token: "u".repeat(43) });
    assert.equal(answer.status, 401);
    assert.equal(errorBody(answer.json, "body").error.code, "bad_token");
  });
  await t.step("a body over 64 KiB: 413", async () => {
    const answer = await call("POST", "/v1/login", { raw: JSON.stringify({ user: "x".repeat(70_000) }) });
    assert.equal(answer.status, 413);
  });
});

Deno.test("auth handler: registers, signs in, refuses a wrong password, changes the password", async () => {
  await using store = await accountStore();
  const call = caller(store.url);
  const registered = await call("POST", "/v1/register", {
    body: { user: "alice", password: "first password" },
  });
  assert.equal(registered.status, 201);
  const first = sessionAnswer(registered.json, "body");
  assert.equal(first.user, "alice");
  assertError(
    await call("POST", "/v1/register", { body: { user: "Alice", password: "other password" } }),
    409,
    "user_exists",
    'Cannot register "Alice": that name is taken',
  );
  assertError(
    await call("POST", "/v1/login", { body: { user: "alice", password: "wrong password" } }),
    401,
    "bad_credentials",
    "Cannot sign in: wrong user name or password",
  );
  const login = await call("POST", "/v1/login", { body: { user: "alice", password: "first password" } });
  assert.equal(login.status, 200);
  const second = sessionAnswer(login.json, "body");
  const changed = await call("POST", "/v1/password", {
    token: second.token,
    body: { oldPassword: "first password", newPassword: "second password" },
  });
  assert.deepEqual(accountChanged(changed.json, "body"), { user: "alice", revoked: 1 });
  const renewed = await call("POST", "/v1/renew", { token: first.token });
  assert.equal(renewed.status, 401, "the first session ended with the password change");
});

Deno.test("auth handler: a store that cannot be reached is a 503, a malformed store answer a 502 naming it", async (t) => {
  await t.step("unreachable: 503 store_unavailable", async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const closed = `http://127.0.0.1:${listener.addr.port}`;
    listener.close();
    const answer = await caller(closed)("POST", "/v1/renew", { token: "u".repeat(43) });
    assertError(answer, 503, "store_unavailable", "Cannot reach the account store: try again shortly");
  });
  await t.step("a renewal without its token: 502 bad_answer naming the field", async () => {
    await using broken = serve(() =>
      Response.json({ user: "alice", expiresAt: 1, issuedAt: 0 }, { status: 201 })
    );
    const answer = await caller(broken.url)("POST", "/v1/renew", { token: "u".repeat(43) });
    assertError(
      answer,
      502,
      "bad_answer",
      `Cannot read the answer of POST ${broken.url}/v1/internal/sessions/renew: body.token must be a string`,
    );
  });
});
