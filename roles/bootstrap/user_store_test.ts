import assert from "node:assert/strict";
import { join } from "node:path";
import { tokenHash, UserStore } from "./user_store.ts";

Deno.test("UserStore keeps user names unique regardless of case", () => {
  const store = new UserStore(":memory:");
  try {
    store.createUser("Alice", "h1");
    assert.throws(() => store.createUser("ALICE", "h2"), /taken/);
    assert.equal(store.findUser("alice")?.name, "Alice");
  } finally {
    store.close();
  }
});

Deno.test("UserStore tokens expire after the idle timeout and the absolute lifetime, and revoke", () => {
  let now = 0;
  const store = new UserStore(":memory:", { now: () => now, timing: { idleMs: 1000, lifetimeMs: 5000 } });
  try {
    const user = store.createUser("bob", "h");
    const a = store.createSession(user.id);
    assert.ok(a.token.length >= 43);
    now = 900;
    assert.equal(store.verify(a.token)?.user, "bob");
    now = 2500;
    assert.equal(store.verify(a.token), undefined, "idle for longer than the idle timeout");
    const b = store.createSession(user.id);
    for (now = 3000; now < 7500; now += 600) assert.ok(store.verify(b.token), `active at ${now}`);
    now = 8000;
    assert.equal(store.verify(b.token), undefined, "past the absolute lifetime");
    const c = store.createSession(user.id);
    assert.equal(store.revoke(c.token), tokenHash(c.token));
    assert.equal(store.verify(c.token), undefined);
  } finally {
    store.close();
  }
});

Deno.test("UserStore stores only a hash of each token", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "users.db");
    const store = new UserStore(path);
    const session = store.createSession(store.createUser("carol", "h").id);
    store.close();
    const reopened = new UserStore(path);
    assert.equal(reopened.verify(session.token)?.user, "carol", "sessions survive a restart");
    reopened.close();
    const raw = new TextDecoder("latin1").decode(await Deno.readFile(path));
    const wal = await Deno.readFile(path + "-wal").then((b) => new TextDecoder("latin1").decode(b), () => "");
    assert.ok(!raw.includes(session.token) && !wal.includes(session.token));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("UserStore refuses a corrupt store with a clear error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "users.db");
    await Deno.writeTextFile(path, "this is not a database ".repeat(200));
    assert.throws(() => new UserStore(path), /Cannot open the user store .*users\.db/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
