/**
 * The bootstrap's handler without processes: `createHandler(deps)` over the real Registry, Catalog, EventHub,
 * and the SQLite store (in a temp dir), called with `new Request(...)`. Each route's validation,
 * status codes and error bodies; answers are checked strictly against their protocol schemas (exactly the
 * declared fields).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { createLogger } from "../../daemon/runtime/log.ts";
import { JOIN_SECRET_HEADER } from "../../daemon/cluster/join_secret.ts";
import { errorBody } from "../../protocol/error.ts";
import { announced, catalogTrack, trackPage } from "../../protocol/catalog.ts";
import { registration } from "../../protocol/member.ts";
import { revokedCount, userRecord, userRef } from "../../protocol/account.ts";
import { candidates } from "../../protocol/services.ts";
import { sessionAnswer, sessionOwner } from "../../protocol/session.ts";
import { health, statusReport } from "../../protocol/status.ts";
import type { Check } from "../../protocol/schema.ts";
import { Catalog } from "./catalog.ts";
import { EventHub } from "./events.ts";
import { createHandler } from "./handler.ts";
import { Registry } from "./registry.ts";
import { SqliteStore } from "./store/sqlite.ts";

const SECRET = "test-join-secret-0123456789abcdef";
const FILE_ID = "file-instance-1";
const TRACK = {
  id: "a".repeat(64),
  md5: "b".repeat(32),
  size: 1234,
  title: "Song",
  artist: "Artist",
  album: "Album",
  trackNo: 1,
  duration: 2.5,
  format: "wav",
};
const LOAD = { activeStreams: 0, inFlight: 0, bytesPerSecond: 0, requests: 0 };

/** A bootstrap handler over real stores in a temp dir; `call` sends one request (with the join secret by default). */
async function bootstrapHandler() {
  const dir = await Deno.makeTempDir({ prefix: "audiod-handler-" });
  const store = new SqliteStore(join(dir, "users.db"), { dataDir: dir });
  const events = new EventHub();
  const registry = new Registry();
  const catalog = new Catalog();
  const revoked: string[][] = [];
  const handler = createHandler({
    registry,
    catalog,
    users: store.accounts,
    events,
    limits: store.signInLimits,
    logger: createLogger({ role: "bootstrap", write: () => {} }),
    joinSecret: SECRET,
    self: () => ({
      id: "bootstrap",
      role: "bootstrap",
      url: "http://127.0.0.1:7700",
      state: "up",
      host: "127.0.0.1",
      pid: 1,
      node: null,
      load: LOAD,
      lastSeenMs: 0,
      since: 0,
    }),
    onRevoked: (hashes) => {
      revoked.push(hashes);
    },
  });
  const call = async (
    method: string,
    path: string,
    options: { body?: unknown; raw?: string; secret?: string | null; headers?: Record<string, string> } = {},
  ) => {
    const headers: Record<string, string> = { ...options.headers };
    const secret = options.secret === undefined ? SECRET : options.secret;
    if (secret !== null) headers[JOIN_SECRET_HEADER] = secret;
    const body = method === "GET"
      ? undefined
      : options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await handler(
      new Request(`http://127.0.0.1:7700${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
      }),
    );
    const text = await res.text();
    return { status: res.status, headers: res.headers, json: text === "" ? undefined : JSON.parse(text) };
  };
  return {
    call,
    registry,
    catalog,
    revoked,
    async [Symbol.asyncDispose]() {
      events.close();
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

type Call = Awaited<ReturnType<typeof bootstrapHandler>>["call"];

/** The answer's body, checked strictly (exactly the declared fields). */
function answerOf<T>(check: Check<T>, answer: { json: unknown }): T {
  return check(answer.json, "body");
}

/** Asserts an error answer: its status, code and (part of) its message. */
function assertError(
  answer: { status: number; json: unknown },
  status: number,
  code: string,
  message: RegExp,
) {
  const body = answerOf(errorBody, answer);
  assert.equal(answer.status, status, body.error.message);
  assert.equal(body.error.code, code);
  assert.match(body.error.message, message);
}

async function registerFile(call: Call): Promise<void> {
  const res = await call("POST", "/v1/internal/members", {
    body: { id: FILE_ID, role: "file", url: "http://127.0.0.1:40001", host: "127.0.0.1", pid: 42 },
  });
  assert.equal(res.status, 201);
}

Deno.test("bootstrap handler: internal routes refuse callers without the join secret", async (t) => {
  await using boot = await bootstrapHandler();
  const routes: [string, string][] = [
    ["POST", "/v1/internal/members"],
    ["POST", `/v1/internal/members/${FILE_ID}/heartbeat`],
    ["POST", `/v1/internal/members/${FILE_ID}/draining`],
    ["DELETE", `/v1/internal/members/${FILE_ID}`],
    ["POST", "/v1/internal/announce"],
    ["POST", "/v1/internal/sign-in/attempt"],
    ["POST", "/v1/internal/sign-in/failed"],
    ["POST", "/v1/internal/users"],
    ["GET", "/v1/internal/users/alice"],
    ["DELETE", "/v1/internal/users/alice"],
    ["POST", "/v1/internal/users/alice/hash"],
    ["POST", "/v1/internal/users/alice/password"],
    ["POST", "/v1/internal/sessions"],
    ["POST", "/v1/internal/sessions/verify"],
    ["POST", "/v1/internal/sessions/renew"],
    ["POST", "/v1/internal/sessions/revoke"],
    ["GET", "/v1/internal/no-such-route"],
  ];
  for (const [method, path] of routes) {
    await t.step(`${method} ${path} without the secret: 401 join_secret_missing`, async () => {
      assertError(
        await boot.call(method, path, { secret: null, body: {} }),
        401,
        "join_secret_missing",
        /join secret/,
      );
    });
    await t.step(`${method} ${path} with a wrong secret: 401 join_secret_wrong`, async () => {
      assertError(
        await boot.call(method, path, { secret: "wrong", body: {} }),
        401,
        "join_secret_wrong",
        /wrong/,
      );
    });
  }
});

Deno.test("bootstrap handler: bad request bodies are a 400 naming the field", async (t) => {
  await using boot = await bootstrapHandler();
  await registerFile(boot.call);
  const member = { id: "content-node-1", role: "content", url: "http://127.0.0.1:40002", host: "h", pid: 1 };
  const cases: {
    name: string;
    path: string;
    body?: unknown;
    raw?: string;
    code?: string;
    message: string;
  }[] = [
    {
      name: "a member id too short",
      path: "/v1/internal/members",
      body: { ...member, id: "short" },
      message: "Cannot accept body.id: must be at least 8 characters",
    },
    {
      name: "a member URL with a path",
      path: "/v1/internal/members",
      body: { ...member, url: "http://127.0.0.1:1/x" },
      message: "Cannot accept body.url: must be a base URL like http://host:port",
    },
    {
      name: "the bootstrap role",
      path: "/v1/internal/members",
      body: { ...member, role: "bootstrap" },
      message: "Cannot accept body.role: must be one of content, auth, file",
    },
    {
      name: "an unknown field",
      path: "/v1/internal/members",
      body: { ...member, colour: "red" },
      message: "Cannot accept body.colour: is not a known field",
    },
    {
      name: "a heartbeat load that is not a number",
      path: `/v1/internal/members/${FILE_ID}/heartbeat`,
      body: { load: { ...LOAD, activeStreams: "2" } },
      message: "Cannot accept body.load.activeStreams: must be an integer",
    },
    {
      name: "an announced track with a bad MD5",
      path: "/v1/internal/announce",
      body: { instance: FILE_ID, tracks: [TRACK, { ...TRACK, md5: "XYZ" }] },
      message: "Cannot accept body.tracks[1].md5: must be 32 lowercase hex digits (an MD5)",
    },
    {
      name: "a sign-in attempt of an unknown kind",
      path: "/v1/internal/sign-in/attempt",
      body: { kind: "guess", address: "127.0.0.1", user: "alice" },
      message: "Cannot accept body.kind: must be one of login, register, password, delete",
    },
    {
      name: "a new user without a hash",
      path: "/v1/internal/users",
      body: { user: "alice" },
      message: "Cannot accept body.hash: must be a string",
    },
    {
      name: "a token too short to be one",
      path: "/v1/internal/sessions/verify",
      body: { token: "abc" },
      message: "Cannot accept body.token: must be at least 16 characters",
    },
    {
      name: "a body that is an array",
      path: "/v1/internal/sessions",
      body: [],
      message: "Cannot accept body: must be a JSON object",
    },
    {
      name: "a body that is not JSON",
      path: "/v1/internal/sessions",
      raw: "{user:",
      code: "malformed_json",
      message: "Cannot parse the request body: it is not valid UTF-8 JSON",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const answer = await boot.call("POST", c.path, { ...(c.raw ? { raw: c.raw } : { body: c.body }) });
      const body = answerOf(errorBody, answer);
      assert.equal(answer.status, 400);
      assert.deepEqual(body, { error: { code: c.code ?? "invalid_request", message: c.message } });
    });
  }
});

Deno.test("bootstrap handler: unknown routes are a 404, wrong methods a 405 with Allow, big bodies a 413", async (t) => {
  await using boot = await bootstrapHandler();
  await t.step("GET /v1/nothing: 404 not_found", async () => {
    assertError(await boot.call("GET", "/v1/nothing"), 404, "not_found", /no such route/);
  });
  await t.step("DELETE /v1/status: 405 with Allow", async () => {
    const answer = await boot.call("DELETE", "/v1/status");
    assertError(answer, 405, "method_not_allowed", /allowed are GET, HEAD/);
    assert.equal(answer.headers.get("allow"), "GET, HEAD");
  });
  await t.step("GET /v1/internal/members: 405 once the secret is right", async () => {
    assertError(
      await boot.call("GET", "/v1/internal/members"),
      405,
      "method_not_allowed",
      /allowed are POST/,
    );
  });
  await t.step("a registration over 64 KiB: 413", async () => {
    const raw = JSON.stringify({ id: "x".repeat(70_000) });
    assertError(await boot.call("POST", "/v1/internal/members", { raw }), 413, "too_large", /65536/);
  });
  await t.step("an announcement over 4 MiB: 413", async () => {
    const raw = JSON.stringify({ instance: FILE_ID, tracks: [], removed: ["a".repeat(4_200_000)] });
    assertError(
      await boot.call("POST", "/v1/internal/announce", { raw }),
      413,
      "too_large",
      /4194304/,
    );
  });
  await t.step("a heartbeat of an unknown member: 404 unknown_member", async () => {
    const answer = await boot.call("POST", "/v1/internal/members/nobody-at-all/heartbeat", {
      body: { load: LOAD },
    });
    assertError(answer, 404, "unknown_member", /register again/);
  });
  await t.step("an announcement of an unknown member: 404 unknown_member", async () => {
    const answer = await boot.call("POST", "/v1/internal/announce", {
      body: { instance: "nobody", tracks: [] },
    });
    assertError(answer, 404, "unknown_member", /register again/);
  });
  await t.step("GET /v1/tracks?limit=0: 400", async () => {
    assertError(
      await boot.call("GET", "/v1/tracks?limit=0"),
      400,
      "invalid_request",
      /limit=0: expected 1..1000/,
    );
  });
  await t.step("GET /v1/tracks/nothing: 404 unknown_track", async () => {
    assertError(
      await boot.call("GET", "/v1/tracks/nothing"),
      404,
      "unknown_track",
      /no id, id prefix or title/,
    );
  });
  await t.step("GET /v1/services/bootstrap: 400 naming the role", async () => {
    assertError(await boot.call("GET", "/v1/services/bootstrap"), 400, "invalid_request", /role/);
  });
  await t.step("GET /v1/session without a token: 401", async () => {
    const answer = await boot.call("GET", "/v1/session");
    assert.equal(answer.status, 401);
  });
});

Deno.test("bootstrap handler: a file instance registers, announces and leaves; its tracks come and go", async () => {
  await using boot = await bootstrapHandler();
  const reg = await boot.call("POST", "/v1/internal/members", {
    body: {
      id: FILE_ID,
      role: "file",
      url: "http://127.0.0.1:40001",
      host: "127.0.0.1",
      pid: 42,
      node: null,
    },
  });
  assert.equal(reg.status, 201);
  assert.equal(answerOf(registration, reg).id, FILE_ID);
  const heartbeat = await boot.call("POST", `/v1/internal/members/${FILE_ID}/heartbeat`, {
    body: { load: LOAD },
  });
  assert.equal(heartbeat.status, 204);
  const announce = await boot.call("POST", "/v1/internal/announce", {
    body: { instance: FILE_ID, replace: true, tracks: [TRACK] },
  });
  assert.deepEqual(answerOf(announced, announce), { tracks: 1 });

  // The catalog and status are private: a listener signs in first (issue 17).
  await boot.call("POST", "/v1/internal/users", { body: { user: "listener", hash: "hash-1" } });
  const { token } = answerOf(
    sessionAnswer,
    await boot.call("POST", "/v1/internal/sessions", { body: { user: "listener" } }),
  );
  const listener = { secret: null, headers: { authorization: `Bearer ${token}` } };
  const page = answerOf(trackPage, await boot.call("GET", "/v1/tracks", listener));
  assert.equal(page.total, 1);
  assert.deepEqual(page.tracks[0]!.replicas.map((r) => r.instance), [FILE_ID]);
  const one = answerOf(
    catalogTrack,
    await boot.call("GET", `/v1/tracks/${TRACK.id.slice(0, 8)}`, listener),
  );
  assert.equal(one.title, "Song");
  const status = answerOf(statusReport, await boot.call("GET", "/v1/status", listener));
  assert.deepEqual(status.nodes.map((n) => [n.role, n.tracks]), [["bootstrap", undefined], ["file", 1]]);
  assert.equal(status.tracks, 1);
  const files = answerOf(candidates, await boot.call("GET", "/v1/services/file", { secret: null }));
  assert.deepEqual(files.candidates.map((c) => c.id), [FILE_ID]);
  assert.deepEqual(answerOf(health, await boot.call("GET", "/v1/health")), { ok: true, role: "bootstrap" });

  // A member whose lease ran out must register again before it announces (its tracks left with it).
  boot.registry.get(FILE_ID)!.state = "down";
  assertError(
    await boot.call("POST", "/v1/internal/announce", { body: { instance: FILE_ID, tracks: [TRACK] } }),
    404,
    "unknown_member",
    /register again/,
  );
  boot.registry.get(FILE_ID)!.state = "up";

  assert.equal((await boot.call("DELETE", `/v1/internal/members/${FILE_ID}`)).status, 204);
  assert.equal(boot.catalog.size, 0);
  assert.equal(answerOf(trackPage, await boot.call("GET", "/v1/tracks")).total, 0);
});

Deno.test("bootstrap handler: the account store creates users and sessions, renews and revokes them", async () => {
  await using boot = await bootstrapHandler();
  const created = await boot.call("POST", "/v1/internal/users", { body: { user: "Alice", hash: "hash-1" } });
  assert.equal(created.status, 201);
  assert.deepEqual(answerOf(userRef, created), { user: "Alice" });
  assertError(
    await boot.call("POST", "/v1/internal/users", { body: { user: "alice", hash: "hash-2" } }),
    409,
    "user_exists",
    /taken/,
  );
  assert.deepEqual(answerOf(userRecord, await boot.call("GET", "/v1/internal/users/alice")), {
    user: "Alice",
    hash: "hash-1",
  });
  assertError(await boot.call("GET", "/v1/internal/users/bob"), 404, "unknown_user", /Cannot find that user/);

  const opened = await boot.call("POST", "/v1/internal/sessions", { body: { user: "alice" } });
  assert.equal(opened.status, 201);
  const session = answerOf(sessionAnswer, opened);
  assert.equal(session.user, "Alice");
  const owner = answerOf(
    sessionOwner,
    await boot.call("POST", "/v1/internal/sessions/verify", { body: { token: session.token } }),
  );
  assert.deepEqual(owner, { user: "Alice", expiresAt: session.expiresAt });
  const mine = await boot.call("GET", "/v1/session", {
    secret: null,
    headers: { authorization: `Bearer ${session.token}` },
  });
  assert.deepEqual(answerOf(sessionOwner, mine), owner);

  const renewed = await boot.call("POST", "/v1/internal/sessions/renew", { body: { token: session.token } });
  assert.equal(renewed.status, 201);
  assert.notEqual(answerOf(sessionAnswer, renewed).token, session.token);
  assert.equal(boot.revoked.length, 1, "the old token was revoked");
  assertError(
    await boot.call("POST", "/v1/internal/sessions/verify", { body: { token: session.token } }),
    401,
    "bad_token",
    /revoked/,
  );

  const deleted = await boot.call("DELETE", "/v1/internal/users/alice");
  assert.deepEqual(answerOf(revokedCount, deleted), { revoked: 1 });
  assert.equal(boot.revoked.length, 2);
});
