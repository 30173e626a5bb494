import assert from "node:assert/strict";
import { type MemberInfo, Membership, type MembershipOptions } from "./membership.ts";
import { createLogger } from "../runtime/log.ts";
import { createHandler } from "../../roles/bootstrap/handler.ts";
import { Registry } from "../../roles/bootstrap/registry.ts";
import { Catalog } from "../../roles/bootstrap/catalog.ts";
import { SqliteStore } from "../../roles/bootstrap/store/sqlite.ts";
import { EventHub } from "../../roles/bootstrap/events.ts";

const SECRET = "s".repeat(43);
/** The heartbeat the test bootstrap asks for: short, so the tests wait little. */
const HEARTBEAT_MS = 20;

/** A request the bootstrap answered. */
interface Seen {
  method: string;
  path: string;
  status: number;
}

/**
 * The real bootstrap handler on 127.0.0.1:0, with a registry the test can reach into, and every answered
 * request recorded so a test can wait for the next one that fits (instead of sleeping).
 */
function startBootstrap() {
  const registry = new Registry({ timing: { heartbeatMs: HEARTBEAT_MS, leaseMs: 60_000, forgetMs: 60_000 } });
  const store = new SqliteStore(":memory:", { dataDir: "/nonexistent" });
  const handler = createHandler({
    registry,
    catalog: new Catalog(),
    users: store.accounts,
    logger: createLogger({ role: "bootstrap", write: () => {} }),
    joinSecret: SECRET,
    limits: store.signInLimits,
    events: new EventHub(),
    self: () => {
      throw new Error("Cannot report the bootstrap's status: not needed by these tests");
    },
  });
  const seen: Seen[] = [];
  const waiters: { fits: (s: Seen) => boolean; resolve: (s: Seen) => void }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req, info) => {
    const res = await handler(req, info);
    const s = { method: req.method, path: new URL(req.url).pathname, status: res.status };
    seen.push(s);
    for (const w of waiters.splice(0)) {
      if (w.fits(s)) w.resolve(s);
      else waiters.push(w);
    }
    return res;
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    registry,
    seen,
    /** The next request answered from now on that fits. */
    next(method: string, path: RegExp): Promise<Seen> {
      return new Promise((resolve) =>
        waiters.push({ fits: (s) => s.method === method && path.test(s.path), resolve })
      );
    },
    async [Symbol.asyncDispose]() {
      await server.shutdown();
      await store.close();
    },
  };
}

function memberInfo(overrides: Partial<MemberInfo> = {}): MemberInfo {
  return {
    id: crypto.randomUUID(),
    role: "file",
    url: "http://127.0.0.1:1",
    host: "127.0.0.1",
    pid: Deno.pid,
    node: null,
    ...overrides,
  };
}

/** A membership with the bootstrap and a kept log, left on dispose. */
function join(bootstrap: string, overrides: Partial<MembershipOptions> = {}) {
  const events: string[] = [];
  const membership = new Membership({
    bootstrap,
    peer: { joinSecret: SECRET },
    info: memberInfo(),
    logger: createLogger({
      role: "member",
      format: "json",
      level: "debug",
      write: (line) => events.push((JSON.parse(line) as { event: string }).event),
    }),
    report: () => ({ load: { activeStreams: 2, inFlight: 1, bytesPerSecond: 10, requests: 7 }, tracks: 3 }),
    retryMs: HEARTBEAT_MS,
    ...overrides,
  });
  return Object.assign(membership, { events, [Symbol.asyncDispose]: () => membership.leave() });
}

Deno.test("start() registers with the bootstrap and resolves with the member's own id", async () => {
  await using bootstrap = startBootstrap();
  const info = memberInfo({ role: "auth" });
  const registered: string[] = [];
  await using member = join(bootstrap.url, { info, onRegistered: (id) => void registered.push(id) });
  const id = await member.start();
  assert.equal(id, info.id);
  assert.equal(member.id, info.id);
  assert.deepEqual(registered, [info.id]);
  const entry = bootstrap.registry.get(id);
  assert.equal(entry?.role, "auth");
  assert.equal(entry?.url, info.url);
  assert.equal(entry?.state, "up");
  assert.ok(member.events.includes("joined"));
});

Deno.test("the heartbeat renews the lease with the load and extras report() gives", async () => {
  await using bootstrap = startBootstrap();
  await using member = join(bootstrap.url);
  const id = await member.start();
  const beat = await bootstrap.next("POST", new RegExp(`^/v1/internal/members/${id}/heartbeat$`));
  assert.equal(beat.status, 204);
  const entry = bootstrap.registry.get(id);
  assert.deepEqual(entry?.load, { activeStreams: 2, inFlight: 1, bytesPerSecond: 10, requests: 7 });
  assert.equal(entry?.tracks, 3);
});

Deno.test("a member the bootstrap forgot (it restarted) registers again under the same id", async () => {
  await using bootstrap = startBootstrap();
  const registered: string[] = [];
  const { promise: again, resolve: registeredAgain } = Promise.withResolvers<void>();
  const onRegistered = (id: string) => {
    if (registered.push(id) === 2) registeredAgain();
  };
  await using member = join(bootstrap.url, { onRegistered });
  const id = await member.start();
  const forgotten = bootstrap.next("POST", /\/heartbeat$/);
  bootstrap.registry.remove(id);
  assert.equal((await forgotten).status, 404);
  await again;
  assert.deepEqual(registered, [id, id]);
  assert.equal(bootstrap.registry.get(id)?.state, "up");
  assert.ok(member.events.includes("bootstrap.forgot"));
  assert.deepEqual(bootstrap.seen.filter((s) => s.path === "/v1/internal/members").map((s) => s.status), [
    201,
    201,
  ]);
});

Deno.test("a bootstrap that refuses the join secret ends the membership, saying why", async () => {
  await using bootstrap = startBootstrap();
  await using member = join(bootstrap.url, { peer: { joinSecret: "w".repeat(43) } });
  await assert.rejects(member.start(), /refused our join secret/);
  const why = await member.refused;
  assert.match(why, /^Cannot join the cluster at http:\/\/127\.0\.0\.1:\d+: it refused our join secret/);
  assert.equal(await member.until(new AbortController().signal), why);
  assert.equal(member.id, null);
  assert.deepEqual(bootstrap.seen.map((s) => s.status), [401], "it asked once and gave up");
  assert.equal(bootstrap.registry.list().length, 0);
});

Deno.test("a registration the bootstrap will never accept (400) ends the membership with its message", async () => {
  await using bootstrap = startBootstrap();
  await using member = join(bootstrap.url, { info: memberInfo({ url: "ftp://127.0.0.1:1" }) });
  await assert.rejects(member.start(), /Cannot join the cluster/);
  assert.match(
    await member.refused,
    /: Cannot accept body\.url: must be a base URL like http:\/\/host:port$/,
  );
  assert.deepEqual(bootstrap.seen.map((s) => s.status), [400]);
});

Deno.test("leave() stops the heartbeat and tells the bootstrap, which forgets the member", async () => {
  await using bootstrap = startBootstrap();
  const member = join(bootstrap.url);
  const id = await member.start();
  await bootstrap.next("POST", /\/heartbeat$/);
  await member.drain();
  assert.equal(bootstrap.registry.get(id)?.state, "draining");
  await member.leave();
  assert.equal(bootstrap.registry.get(id), undefined);
  const last = bootstrap.seen.at(-1);
  assert.deepEqual(last, { method: "DELETE", path: `/v1/internal/members/${id}`, status: 204 });
  // A heartbeat after leaving would be refused 404 and register the member again: none comes.
  await new Promise((r) => setTimeout(r, HEARTBEAT_MS * 3));
  assert.deepEqual(bootstrap.seen.at(-1), last);
  assert.equal(bootstrap.registry.get(id), undefined);
});
