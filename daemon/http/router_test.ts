import assert from "node:assert/strict";
import { HttpError } from "./http_error.ts";
import { type RouteContext, Router, type Routing } from "./router.ts";
import { SchemaError } from "../../protocol/schema.ts";

interface ErrorJson {
  error: { code: string; message: string };
}

/** A router whose internal errors are collected, with a few routes that echo what they were given. */
function testRouter(): { router: Router; internal: unknown[] } {
  const internal: unknown[] = [];
  const router = new Router((error) => internal.push(error));
  const echo = (_req: Request, ctx: RouteContext) =>
    Response.json({ params: ctx.params, route: ctx.route, path: ctx.url.pathname });
  router
    .get("/v1/tracks", echo)
    .get("/v1/tracks/:id", echo)
    .delete("/v1/tracks/:id", echo)
    .get("/v1/tracks/:id/chunks/:n", echo)
    .post("/v1/things", echo);
  return { router, internal };
}

async function json<T>(res: Response): Promise<T> {
  return await res.json() as T;
}

Deno.test("Router matches :params and decodes them, and tells the handler its route pattern", async (t) => {
  const { router } = testRouter();
  const cases: [string, Record<string, string>, string][] = [
    ["/v1/tracks", {}, "/v1/tracks"],
    ["/v1/tracks/abc", { id: "abc" }, "/v1/tracks/:id"],
    ["/v1/tracks/a%20b%2Fc", { id: "a b/c" }, "/v1/tracks/:id"],
    ["/v1/tracks/x/chunks/7", { id: "x", n: "7" }, "/v1/tracks/:id/chunks/:n"],
    ["/v1//tracks/abc/", { id: "abc" }, "/v1/tracks/:id"],
  ];
  for (const [path, params, route] of cases) {
    await t.step(path, async () => {
      const res = await router.handle(new Request(`http://h${path}`));
      assert.equal(res.status, 200);
      const body = await json<{ params: Record<string, string>; route: string }>(res);
      assert.deepEqual(body.params, params);
      assert.equal(body.route, route);
    });
  }
});

Deno.test("Router answers 404 not_found for a path no route has", async () => {
  const { router, internal } = testRouter();
  const res = await router.handle(new Request("http://h/v1/nothing/here"));
  assert.equal(res.status, 404);
  const body = await json<ErrorJson>(res);
  assert.equal(body.error.code, "not_found");
  assert.match(body.error.message, /^Cannot find \/v1\/nothing\/here: no such route$/);
  assert.equal(internal.length, 0);
});

Deno.test("Router answers 405 with Allow for a known path and another method", async (t) => {
  const { router } = testRouter();
  await t.step("a GET and DELETE route, asked to POST", async () => {
    const res = await router.handle(new Request("http://h/v1/tracks/abc", { method: "POST" }));
    assert.equal(res.status, 405);
    assert.equal(res.headers.get("allow"), "GET, HEAD, DELETE");
    const body = await json<ErrorJson>(res);
    assert.equal(body.error.code, "method_not_allowed");
    assert.equal(body.error.message, "Cannot POST /v1/tracks/abc: allowed are GET, HEAD, DELETE");
  });
  await t.step("a POST route, asked to GET", async () => {
    const res = await router.handle(new Request("http://h/v1/things"));
    assert.equal(res.status, 405);
    assert.equal(res.headers.get("allow"), "POST");
    await res.body?.cancel();
  });
});

Deno.test("Router answers HEAD with the GET route, and not a POST route", async () => {
  const { router } = testRouter();
  const head = await router.handle(new Request("http://h/v1/tracks/abc", { method: "HEAD" }));
  assert.equal(head.status, 200);
  assert.equal((await json<{ route: string }>(head)).route, "/v1/tracks/:id");
  const post = await router.handle(new Request("http://h/v1/things", { method: "HEAD" }));
  assert.equal(post.status, 405);
  await post.body?.cancel();
});

Deno.test("Router runs guards under their prefix before routing, also for unknown paths", async (t) => {
  const { router } = testRouter();
  const seen: string[] = [];
  router.get("/v1/internal/x", () => new Response("in"));
  router.guard("/v1/internal", (req) => {
    seen.push(new URL(req.url).pathname);
    if (req.headers.get("x-key") !== "open") throw new HttpError(401, "locked", "Cannot enter: locked");
  });
  const cases: [string, Record<string, string>, number, string | null][] = [
    ["/v1/internal/x", {}, 401, "locked"],
    ["/v1//internal/x", {}, 401, "locked"],
    ["/v1/internal/unknown", {}, 401, "locked"],
    ["/v1/internal/x", { "x-key": "open" }, 200, null],
    ["/v1/internal/unknown", { "x-key": "open" }, 404, "not_found"],
    ["/v1/tracks", {}, 200, null],
  ];
  for (const [path, headers, status, code] of cases) {
    await t.step(`${path} ${JSON.stringify(headers)}`, async () => {
      const res = await router.handle(new Request(`http://h${path}`, { headers }));
      assert.equal(res.status, status);
      if (code) assert.equal((await json<ErrorJson>(res)).error.code, code);
      else await res.body?.cancel();
    });
  }
  assert.equal(seen.includes("/v1/tracks"), false, "the guard ran outside its prefix");
});

Deno.test("Router tells the caller's Routing which route pattern matched, or null", async (t) => {
  const { router } = testRouter();
  router.guard("/v1/tracks/:id", () => {}); // a guard that passes does not change the route
  const cases: [string, string, string | null][] = [
    ["GET", "/v1/tracks/abc", "/v1/tracks/:id"],
    ["DELETE", "/v1/tracks/abc", "/v1/tracks/:id"],
    ["POST", "/v1/tracks/abc", "/v1/tracks/:id"], // a 405 still names the path's route
    ["GET", "/v1/nothing", null],
  ];
  for (const [method, path, route] of cases) {
    await t.step(`${method} ${path}`, async () => {
      const routing: Routing = { route: "stale" };
      const res = await router.handle(new Request(`http://h${path}`, { method }), undefined, routing);
      await res.body?.cancel();
      assert.equal(routing.route, route);
    });
  }
});

Deno.test("Router answers 400 for a parameter with bad percent-encoding, not 500", async () => {
  const { router, internal } = testRouter();
  const res = await router.handle(new Request("http://h/v1/tracks/%E0%A4%A"));
  assert.equal(res.status, 400);
  const body = await json<ErrorJson>(res);
  assert.equal(body.error.code, "bad_request");
  assert.equal(body.error.message, "Cannot decode the request path: invalid percent-encoding");
  assert.equal(internal.length, 0);
});

Deno.test("Router refuses a Host header that would reshape the URL, and takes HOST and HOST:PORT", async (t) => {
  const { router } = testRouter();
  for (const host of ["h/v1/internal", "u@h", "h?x", "a b", ""]) {
    await t.step(`refused: ${JSON.stringify(host)}`, async () => {
      const res = await router.handle(new Request("http://h/v1/tracks", { headers: { host } }));
      assert.equal(res.status, 400);
      assert.match((await json<ErrorJson>(res)).error.message, /^Cannot accept the Host header/);
    });
  }
  for (const host of ["h", "h:8080", "[::1]:7700"]) {
    await t.step(`taken: ${host}`, async () => {
      const res = await router.handle(new Request("http://h/v1/tracks", { headers: { host } }));
      assert.equal(res.status, 200);
      await res.body?.cancel();
    });
  }
});

Deno.test("Router turns what handlers throw into the JSON envelope, and logs only 500s", async (t) => {
  const internal: unknown[] = [];
  const router = new Router((error) => internal.push(error));
  router
    .get("/http-error", () => {
      throw new HttpError(409, "taken", "Cannot take it: taken", { "retry-after": "3" });
    })
    .get("/schema-error", () => {
      throw new SchemaError("body.a[2].b", "must be a string");
    })
    .get("/bug", () => {
      throw new TypeError("secret internal detail at /srv/x.ts:1");
    });
  await t.step("an HttpError keeps its status, code, message and headers", async () => {
    const res = await router.handle(new Request("http://h/http-error"));
    assert.equal(res.status, 409);
    assert.equal(res.headers.get("retry-after"), "3");
    assert.deepEqual(await res.json(), { error: { code: "taken", message: "Cannot take it: taken" } });
  });
  await t.step("a SchemaError is a 400 invalid_request naming the field", async () => {
    const res = await router.handle(new Request("http://h/schema-error"));
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), {
      error: { code: "invalid_request", message: "Cannot accept body.a[2].b: must be a string" },
    });
  });
  assert.equal(internal.length, 0);
  await t.step("anything else is a 500 that hides the details and is logged", async () => {
    const res = await router.handle(new Request("http://h/bug"));
    assert.equal(res.status, 500);
    const text = await res.text();
    assert.doesNotMatch(text, /secret|srv|TypeError/);
    assert.equal((JSON.parse(text) as ErrorJson).error.code, "internal");
    assert.equal(internal.length, 1);
    assert.ok(internal[0] instanceof TypeError);
  });
});
