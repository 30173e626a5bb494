/**
 * callJson() against a tiny real server on 127.0.0.1:0 that answers what each case asks: answers are checked
 * with their protocol schema, a malformed one is a clear error naming the call and the field.
 */

import assert from "node:assert/strict";
import { BadAnswerError, callJson, UnreachableError } from "./peer_client.ts";
import { HttpError } from "../http/http_error.ts";
import { registration } from "../../protocol/member.ts";
import { sessionOwner } from "../../protocol/session.ts";

/** Serves `answer(path)` on 127.0.0.1 until disposed. */
function serve(answer: (req: Request) => Response): { url: string } & AsyncDisposable {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, answer);
  return { url: `http://127.0.0.1:${server.addr.port}`, [Symbol.asyncDispose]: () => server.shutdown() };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail("the call succeeded");
}

Deno.test("callJson() returns the answer checked by its schema, dropping fields it does not know", async () => {
  await using server = serve(() =>
    Response.json({ id: "abcdefgh", heartbeatMs: 750, leaseMs: 2300, extra: 1 })
  );
  const reg = await callJson(server.url, "POST", "/v1/internal/members", { body: {}, answer: registration });
  assert.deepEqual(reg, { id: "abcdefgh", heartbeatMs: 750, leaseMs: 2300 });
});

Deno.test("callJson() turns a malformed answer into a BadAnswerError naming the call and the field", async (t) => {
  const cases: { name: string; body: string; field: string; reason: string }[] = [
    {
      name: "a field of the wrong type",
      body: JSON.stringify({ id: "abcdefgh", heartbeatMs: "750", leaseMs: 2300 }),
      field: "body.heartbeatMs",
      reason: "must be an integer",
    },
    {
      name: "a missing field",
      body: JSON.stringify({ id: "abcdefgh", heartbeatMs: 750 }),
      field: "body.leaseMs",
      reason: "must be an integer",
    },
    { name: "an array instead of an object", body: "[]", field: "body", reason: "must be a JSON object" },
    { name: "an empty body", body: "", field: "body", reason: "must be a JSON object" },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      await using server = serve(() =>
        new Response(c.body, { headers: { "content-type": "application/json" } })
      );
      const error = await rejection(
        callJson(server.url, "POST", "/v1/internal/members", { body: {}, answer: registration }),
      );
      assert.ok(error instanceof BadAnswerError, String(error));
      assert.ok(error instanceof HttpError);
      assert.equal(error.status, 502);
      assert.equal(error.path, c.field);
      assert.equal(
        error.message,
        `Cannot read the answer of POST ${server.url}/v1/internal/members: ${c.field} ${c.reason}`,
      );
    });
  }
});

Deno.test("callJson() says an answer that is not JSON is not JSON, with or without a schema", async (t) => {
  await using server = serve(() => new Response("<html>hello</html>"));
  const calls = {
    "with a schema": () => callJson(server.url, "GET", "/v1/session", { answer: sessionOwner }),
    "without": () => callJson(server.url, "GET", "/v1/session"),
  };
  for (const [name, call] of Object.entries(calls)) {
    await t.step(name, async () => {
      const error = await rejection(call());
      assert.ok(error instanceof HttpError);
      assert.equal(error.status, 502);
      assert.equal(error.message, `Cannot parse the answer of GET ${server.url}/v1/session: it is not JSON`);
    });
  }
});

Deno.test("callJson() without a schema reads a 204 and resolves to nothing", async () => {
  await using server = serve(() => new Response(null, { status: 204 }));
  assert.equal(
    await callJson(server.url, "POST", "/v1/internal/sign-in/failed", { body: { user: "a" } }),
    undefined,
  );
});

Deno.test("callJson() keeps the server's code, message and Retry-After of an error answer", async () => {
  await using server = serve(() =>
    Response.json({ error: { code: "too_many_attempts", message: "Cannot sign in: wait" } }, {
      status: 429,
      headers: { "retry-after": "3" },
    })
  );
  const error = await rejection(callJson(server.url, "POST", "/v1/login", { answer: sessionOwner }));
  assert.ok(error instanceof HttpError && !(error instanceof BadAnswerError));
  assert.equal(error.status, 429);
  assert.equal(error.code, "too_many_attempts");
  assert.equal(error.message, "Cannot sign in: wait");
  assert.equal(error.headers["retry-after"], "3");
});

Deno.test("callJson() to a closed port is an UnreachableError that was not sent", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const error = await rejection(callJson(`http://127.0.0.1:${port}`, "GET", "/v1/health"));
  assert.ok(error instanceof UnreachableError);
  assert.equal(error.notSent, true);
});
