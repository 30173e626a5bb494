/**
 * The content node's handler, called with `new Request` (no listener): the join secret on the internal routes,
 * spawn and stop bodies, unknown paths and methods. Its instances are a recording stand-in: spawning a real one
 * (a Worker that joins a bootstrap) is covered by tests/cluster_test.ts.
 */

import assert from "node:assert/strict";
import { JOIN_SECRET_HEADER } from "../daemon/cluster/join_secret.ts";
import { createLogger } from "../daemon/runtime/log.ts";
import type { ErrorBody } from "../protocol/error.ts";
import { createHandler, type HostedInfo, type InstanceHost } from "./content.ts";

const SECRET = "join-secret-for-the-content-test-0123456789";
const ADVERTISE = "10.0.0.7";

/** Instances that only record what they were asked; one file instance is up from the start. */
class RecordedInstances implements InstanceHost {
  spawned: { role: string; advertise: string }[] = [];
  stopped: string[] = [];
  #hosted: HostedInfo[] = [{
    localId: "a1b2c3d4",
    role: "file",
    state: "up",
    url: "http://10.0.0.7:40001",
    id: "cluster-id-1",
  }];

  list(): HostedInfo[] {
    return [...this.#hosted];
  }

  spawn(role: "auth" | "file", advertise: string): HostedInfo {
    this.spawned.push({ role, advertise });
    const hosted: HostedInfo = {
      localId: `new${this.spawned.length}`,
      role,
      state: "starting",
      url: null,
      id: null,
    };
    this.#hosted.push(hosted);
    return hosted;
  }

  stop(ref: string): boolean {
    if (!this.#hosted.some((h) => h.localId === ref || h.id === ref)) return false;
    this.stopped.push(ref);
    return true;
  }
}

function contentHandler(options: { stopping?: boolean } = {}) {
  const instances = new RecordedInstances();
  const stop = new AbortController();
  if (options.stopping) stop.abort();
  const handler = createHandler({
    instances,
    advertise: ADVERTISE,
    joinSecret: SECRET,
    logger: createLogger({ role: "content", write: () => {} }),
    stopping: stop.signal,
  });
  return { handler, instances };
}

function call(
  method: string,
  path: string,
  options: { secret?: string | null; body?: string } = {},
): Request {
  const secret = options.secret === undefined ? SECRET : options.secret;
  return new Request(`http://content.test${path}`, {
    method,
    headers: {
      ...(secret === null ? {} : { [JOIN_SECRET_HEADER]: secret }),
      ...(options.body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(options.body === undefined ? {} : { body: options.body }),
  });
}

Deno.test("content handler refuses internal calls without the join secret, whatever the route", async (t) => {
  const { handler, instances } = contentHandler();
  const routes = [
    ["GET", "/v1/internal/instances", undefined],
    ["POST", "/v1/internal/spawn", '{"role":"file"}'],
    ["POST", "/v1/internal/stop", '{"instance":"a1b2c3d4"}'],
    ["GET", "/v1/internal/no-such-route", undefined],
  ] as const;
  for (const [method, path, body] of routes) {
    for (
      const [secret, code] of [[null, "join_secret_missing"], ["w".repeat(43), "join_secret_wrong"]] as const
    ) {
      await t.step(
        `${method} ${path} ${secret === null ? "without a" : "with a wrong"} secret: 401`,
        async () => {
          const res = await handler(call(method, path, { secret, ...(body ? { body } : {}) }));
          assert.equal(res.status, 401);
          const { error } = (await res.json()) as ErrorBody;
          assert.equal(error.code, code);
          assert.match(error.message, /^Cannot accept an internal call/);
        },
      );
    }
  }
  assert.deepEqual(instances.spawned, [], "nothing spawned");
  assert.deepEqual(instances.stopped, [], "nothing stopped");
});

Deno.test("content handler refuses spawn and stop bodies it cannot use, naming the field", async (t) => {
  const { handler, instances } = contentHandler();
  const cases = [
    {
      name: "spawn without a role",
      path: "/v1/internal/spawn",
      body: "{}",
      status: 400,
      mentions: /^Cannot accept body\.role: /,
    },
    {
      name: "spawn of an unknown role",
      path: "/v1/internal/spawn",
      body: '{"role":"bootstrap"}',
      status: 400,
      mentions: /^Cannot accept body\.role: /,
    },
    {
      name: "spawn with a role that is no string",
      path: "/v1/internal/spawn",
      body: '{"role":7}',
      status: 400,
      mentions: /^Cannot accept body\.role: /,
    },
    {
      name: "spawn with a body that is no JSON",
      path: "/v1/internal/spawn",
      body: "role=file",
      status: 400,
      mentions: /JSON/,
    },
    {
      name: "stop without an instance",
      path: "/v1/internal/stop",
      body: "{}",
      status: 400,
      mentions: /^Cannot accept body\.instance: /,
    },
    {
      name: "stop with a far too long instance",
      path: "/v1/internal/stop",
      body: JSON.stringify({ instance: "x".repeat(65) }),
      status: 400,
      mentions: /^Cannot accept body\.instance: /,
    },
    {
      name: "stop of an instance not running here",
      path: "/v1/internal/stop",
      body: '{"instance":"elsewhere"}',
      status: 404,
      mentions: /elsewhere: not running here/,
    },
  ];
  for (const c of cases) {
    await t.step(`${c.name}: ${c.status}`, async () => {
      const res = await handler(call("POST", c.path, { body: c.body }));
      assert.equal(res.status, c.status);
      const { error } = (await res.json()) as ErrorBody;
      assert.match(error.message, /^Cannot /);
      assert.match(error.message, c.mentions);
    });
  }
  assert.deepEqual(instances.spawned, []);
  assert.deepEqual(instances.stopped, []);
});

Deno.test("content handler spawns, lists and stops instances for a caller with the join secret", async () => {
  const { handler, instances } = contentHandler();
  const spawn = await handler(call("POST", "/v1/internal/spawn", { body: '{"role":"auth"}' }));
  assert.equal(spawn.status, 202);
  assert.deepEqual(await spawn.json(), { local: "new1", role: "auth" });
  assert.deepEqual(instances.spawned, [{ role: "auth", advertise: ADVERTISE }]);

  const list = await handler(call("GET", "/v1/internal/instances"));
  assert.equal(list.status, 200);
  assert.deepEqual(await list.json(), {
    instances: [
      { local: "a1b2c3d4", role: "file", state: "up", url: "http://10.0.0.7:40001", id: "cluster-id-1" },
      { local: "new1", role: "auth", state: "starting", url: null, id: null },
    ],
  });

  for (const ref of ["a1b2c3d4", "cluster-id-1"]) {
    const stop = await handler(
      call("POST", "/v1/internal/stop", { body: JSON.stringify({ instance: ref }) }),
    );
    assert.equal(stop.status, 202);
    await stop.body?.cancel();
  }
  assert.deepEqual(instances.stopped, ["a1b2c3d4", "cluster-id-1"]);
});

Deno.test("content handler refuses to spawn once the node is stopping", async () => {
  const { handler, instances } = contentHandler({ stopping: true });
  const res = await handler(call("POST", "/v1/internal/spawn", { body: '{"role":"file"}' }));
  assert.equal(res.status, 503);
  assert.equal(((await res.json()) as ErrorBody).error.code, "stopping");
  assert.deepEqual(instances.spawned, []);
});

Deno.test("content handler answers health to anyone, and 404/405 for paths and methods it lacks", async (t) => {
  const { handler } = contentHandler();
  await t.step("GET /v1/health without a secret: 200", async () => {
    const res = await handler(call("GET", "/v1/health", { secret: null }));
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { ok: true, role: "content" });
  });
  const cases = [
    { method: "GET", path: "/v1/tracks", status: 404 },
    { method: "GET", path: "/nothing/here", status: 404 },
    { method: "POST", path: "/v1/health", status: 405, allow: /GET/ },
    { method: "GET", path: "/v1/internal/spawn", status: 405, allow: /POST/ },
    { method: "DELETE", path: "/v1/internal/instances", status: 405, allow: /GET/ },
  ];
  for (const c of cases) {
    await t.step(`${c.method} ${c.path}: ${c.status}`, async () => {
      const res = await handler(call(c.method, c.path));
      assert.equal(res.status, c.status);
      if (c.allow) assert.match(res.headers.get("allow") ?? "", c.allow);
      const { error } = (await res.json()) as ErrorBody;
      assert.match(error.message, /^Cannot /);
    });
  }
});
