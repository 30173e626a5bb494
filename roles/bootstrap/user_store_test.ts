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

Deno.test("UserStore.changePassword() keeps the asking session and ends the user's others", () => {
  const store = new UserStore(":memory:");
  try {
    const dave = store.createUser("dave", "old");
    const erin = store.createUser("erin", "h");
    const [a, b, c] = [
      store.createSession(dave.id),
      store.createSession(dave.id),
      store.createSession(dave.id),
    ];
    const other = store.createSession(erin.id);
    const ended = store.changePassword(dave.id, "new", b.token);
    assert.deepEqual(ended.sort(), [tokenHash(a.token), tokenHash(c.token)].sort());
    assert.equal(store.findUser("dave")?.hash, "new");
    assert.equal(store.verify(a.token), undefined);
    assert.equal(store.verify(b.token)?.user, "dave", "the session that changed the password stays");
    assert.equal(store.verify(other.token)?.user, "erin", "other users are untouched");
  } finally {
    store.close();
  }
});

Deno.test("UserStore.deleteUser() removes the account and ends all its sessions", () => {
  const store = new UserStore(":memory:");
  try {
    const user = store.createUser("frank", "h");
    const a = store.createSession(user.id);
    assert.deepEqual(store.deleteUser(user.id), [tokenHash(a.token)]);
    assert.equal(store.findUser("frank"), undefined);
    assert.equal(store.verify(a.token), undefined);
    assert.equal(store.createUser("Frank", "h2").name, "Frank", "the name is free again");
  } finally {
    store.close();
  }
});

Deno.test("UserStore.renew() trades a valid token for a new one with a fresh lifetime", () => {
  let now = 0;
  const store = new UserStore(":memory:", { now: () => now, timing: { idleMs: 60_000, lifetimeMs: 50_000 } });
  try {
    const user = store.createUser("gina", "h");
    const old = store.createSession(user.id);
    assert.equal(old.issuedAt, 0);
    now = 46_000;
    assert.ok(store.verify(old.token));
    const renewed = store.renew(old.token)!;
    assert.equal(renewed.user, "gina");
    assert.equal(renewed.revoked, tokenHash(old.token));
    assert.deepEqual([renewed.issuedAt, renewed.expiresAt], [46_000, 96_000]);
    assert.equal(store.verify(old.token), undefined, "the old token is revoked");
    now = 90_000;
    assert.equal(store.verify(renewed.token)?.user, "gina", "past the first token's lifetime");
    now = 100_000;
    assert.equal(store.renew(old.token), undefined, "a revoked token cannot be renewed");
    assert.equal(store.renew(renewed.token), undefined, "nor an expired one");
  } finally {
    store.close();
  }
});

Deno.test("UserStore refuses an emptied store file instead of starting empty, and keeps its file private", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "users.db");
    const store = new UserStore(path);
    store.createUser("hana", "h");
    store.close();
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    await Deno.truncate(path, 0);
    await Deno.remove(path + "-wal").catch(() => {});
    assert.throws(() => new UserStore(path), /Cannot open the user store .*users\.db: it is empty/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
