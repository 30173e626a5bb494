/**
 * The store suite: every case runs against both backends, SQLite in a temp data dir and PostgreSQL in a fresh
 * database of one throwaway server (tests/_postgres.ts; skipped, with the reason in the step's name, where
 * PostgreSQL is not installed).
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import postgres from "postgres";
import { errorAnswer, HttpError } from "../../../daemon/http/http_error.ts";
import {
  POSTGRES_MISSING,
  skippedSuffix,
  startPostgres,
  type TestPostgres,
} from "../../../tests/_postgres.ts";
import { SCHEMA_VERSION } from "./_migrations.ts";
import {
  openStore,
  parseStoreSpec,
  SQLITE_FILE,
  type Store,
  type StoreOptions,
  type StoreSpec,
  StoreUnavailableError,
  tokenHash,
} from "./mod.ts";

const HOUR = 3600_000;
const MOD_URL = new URL("./mod.ts", import.meta.url).href;
const ROOT = new URL("../../../", import.meta.url).pathname;

/** A fresh, empty store somewhere, and ways to look at it from outside. */
interface Place {
  spec: StoreSpec;
  dataDir: string;
  open(options?: Partial<StoreOptions>): Promise<Store>;
  /** The versions `schema_version` records, in order. */
  versions(): Promise<number[]>;
  /** Everything stored, as text (to look for secrets that must not be there). */
  raw(): Promise<string>;
  /** The number of rows in `table`. */
  count(table: string): Promise<number>;
}

interface Backend {
  name: "sqlite" | "postgres";
  ignore: boolean;
  fresh(): Promise<Place>;
}

type Case = (place: Place, backend: Backend) => Promise<void>;

const cases: { name: string; fn: Case }[] = [];
/** A case every backend runs. */
function storeCase(name: string, fn: Case): void {
  cases.push({ name, fn });
}

Deno.test("store suite on SQLite and PostgreSQL", async (t) => {
  const root = await Deno.makeTempDir({ prefix: "audiod-store-test-" });
  await using pg = POSTGRES_MISSING ? undefined : await startPostgres();
  try {
    const backends = [sqliteBackend(root), postgresBackend(root, pg)];
    for (const c of cases) {
      await t.step(c.name, async (t) => {
        for (const backend of backends) {
          await t.step({
            name: backend.name + (backend.ignore ? skippedSuffix() : ""),
            ignore: backend.ignore,
            fn: async () => await c.fn(await backend.fresh(), backend),
          });
        }
      });
    }
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
});

let places = 0;

function sqliteBackend(root: string): Backend {
  return {
    name: "sqlite",
    ignore: false,
    fresh() {
      const dataDir = join(root, `sqlite-${++places}`);
      const spec = parseStoreSpec(undefined, dataDir);
      const path = join(dataDir, SQLITE_FILE);
      return Promise.resolve({
        spec,
        dataDir,
        open: (options = {}) => openStore(spec, { dataDir, ...options }),
        versions() {
          const db = new DatabaseSync(path);
          try {
            const rows = db.prepare("SELECT version FROM schema_version ORDER BY version").all();
            return Promise.resolve(rows.map((r) => Number(r.version)));
          } finally {
            db.close();
          }
        },
        count(table) {
          const db = new DatabaseSync(path);
          try {
            return Promise.resolve(Number(db.prepare(`SELECT count(*) AS n FROM ${table}`).get()!.n));
          } finally {
            db.close();
          }
        },
        async raw() {
          const decode = (b: Uint8Array) => new TextDecoder("latin1").decode(b);
          const main = decode(await Deno.readFile(path));
          const wal = await Deno.readFile(path + "-wal").then(decode, () => "");
          return main + wal;
        },
      });
    },
  };
}

function postgresBackend(root: string, pg: TestPostgres | undefined): Backend {
  const query = async (url: string, text: string) => {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      return await sql.unsafe(text);
    } finally {
      await sql.end();
    }
  };
  return {
    name: "postgres",
    ignore: pg === undefined,
    async fresh() {
      const url = await pg!.createDatabase();
      const dataDir = join(root, `postgres-${++places}`);
      const spec = parseStoreSpec(url, dataDir);
      return {
        spec,
        dataDir,
        open: (options = {}) => openStore(spec, { dataDir, ...options }),
        versions: async () =>
          (await query(url, "SELECT version FROM schema_version ORDER BY version")).map((r) =>
            Number(r.version)
          ),
        count: async (table) => Number((await query(url, `SELECT count(*)::int AS n FROM ${table}`))[0]!.n),
        raw: async () =>
          JSON.stringify([
            await query(url, "SELECT * FROM users"),
            await query(url, "SELECT * FROM sessions"),
          ]),
      };
    },
  };
}

// Accounts and sessions.

storeCase("refuses a duplicate user name regardless of case", async (place) => {
  await using store = await place.open();
  const users = store.accounts;
  await users.createUser("Alice", "h1");
  await assert.rejects(
    () => users.createUser("ALICE", "h2"),
    (e: unknown) =>
      e instanceof HttpError && e.status === 409 && e.code === "user_exists" && /taken/.test(e.message),
  );
  assert.equal((await users.findUser("alice"))?.name, "Alice");
  assert.equal((await users.findUser("alice"))?.hash, "h1", "the first one stays");
  assert.equal(await users.countUsers(), 1);
});

storeCase(
  "tokens expire after the idle timeout and the absolute lifetime (fake clock), and revoke",
  async (place) => {
    let now = 0;
    await using store = await place.open({ now: () => now, timing: { idleMs: 1000, lifetimeMs: 5000 } });
    const users = store.accounts;
    const user = await users.createUser("bob", "h");
    const a = await users.createSession(user.id);
    assert.ok(a.token.length >= 43);
    now = 900;
    assert.equal((await users.verify(a.token))?.user, "bob");
    now = 2500;
    assert.equal(await users.verify(a.token), undefined, "idle for longer than the idle timeout");
    const b = await users.createSession(user.id);
    for (now = 3000; now < 7500; now += 600) assert.ok(await users.verify(b.token), `active at ${now}`);
    now = 8000;
    assert.equal(await users.verify(b.token), undefined, "past the absolute lifetime");
    const c = await users.createSession(user.id);
    assert.equal(await users.revoke(c.token), tokenHash(c.token));
    assert.equal(await users.verify(c.token), undefined);
    assert.equal(await users.revoke(c.token), undefined, "a second revoke finds nothing");
  },
);

storeCase("stores only a hash of each token, and sessions survive reopening", async (place) => {
  const first = await place.open();
  const session = await first.accounts.createSession((await first.accounts.createUser("carol", "h")).id);
  await first.close();
  await using reopened = await place.open();
  assert.equal((await reopened.accounts.verify(session.token))?.user, "carol", "sessions survive a restart");
  const raw = await place.raw();
  assert.ok(raw.includes(tokenHash(session.token)), "the hash is what is stored");
  assert.ok(!raw.includes(session.token), "the token is not");
});

storeCase("changePassword() keeps the asking session and ends the user's others", async (place) => {
  await using store = await place.open();
  const users = store.accounts;
  const dave = await users.createUser("dave", "old");
  const erin = await users.createUser("erin", "h");
  const [a, b, c] = [
    await users.createSession(dave.id),
    await users.createSession(dave.id),
    await users.createSession(dave.id),
  ];
  const other = await users.createSession(erin.id);
  const ended = await users.changePassword(dave.id, "new", b.token);
  assert.deepEqual(ended.sort(), [tokenHash(a.token), tokenHash(c.token)].sort());
  assert.equal((await users.findUser("dave"))?.hash, "new");
  assert.equal(await users.verify(a.token), undefined);
  assert.equal((await users.verify(b.token))?.user, "dave", "the session that changed the password stays");
  assert.equal((await users.verify(other.token))?.user, "erin", "other users are untouched");
});

storeCase("deleteUser() removes the account and ends all its sessions", async (place) => {
  await using store = await place.open();
  const users = store.accounts;
  const user = await users.createUser("frank", "h");
  const a = await users.createSession(user.id);
  assert.deepEqual(await users.deleteUser(user.id), [tokenHash(a.token)]);
  assert.equal(await users.findUser("frank"), undefined);
  assert.equal(await users.verify(a.token), undefined);
  assert.equal((await users.createUser("Frank", "h2")).name, "Frank", "the name is free again");
});

storeCase("renew() trades a valid token for a new one with a fresh lifetime", async (place) => {
  let now = 0;
  await using store = await place.open({ now: () => now, timing: { idleMs: 60_000, lifetimeMs: 50_000 } });
  const users = store.accounts;
  const user = await users.createUser("gina", "h");
  const old = await users.createSession(user.id);
  assert.equal(old.issuedAt, 0);
  now = 46_000;
  assert.ok(await users.verify(old.token));
  const renewed = (await users.renew(old.token))!;
  assert.equal(renewed.user, "gina");
  assert.equal(renewed.revoked, tokenHash(old.token));
  assert.deepEqual([renewed.issuedAt, renewed.expiresAt], [46_000, 96_000]);
  assert.equal(await users.verify(old.token), undefined, "the old token is revoked");
  now = 90_000;
  assert.equal((await users.verify(renewed.token))?.user, "gina", "past the first token's lifetime");
  now = 100_000;
  assert.equal(await users.renew(old.token), undefined, "a revoked token cannot be renewed");
  assert.equal(await users.renew(renewed.token), undefined, "nor an expired one");
});

storeCase(
  "touch() answers the valid sessions of the hashes asked, in order, restarting their idle timers",
  async (place) => {
    let now = 0;
    await using store = await place.open({ now: () => now, timing: { idleMs: 1000, lifetimeMs: 5000 } });
    const users = store.accounts;
    assert.equal(users.idleMs, 1000);
    const user = await users.createUser("judy", "h");
    const [a, b, c] = [
      await users.createSession(user.id),
      await users.createSession(user.id),
      await users.createSession(user.id),
    ];
    now = 900;
    const touched = await users.touch([tokenHash(c.token), tokenHash(a.token), "0".repeat(64)]);
    assert.deepEqual(touched.map((s) => [s.tokenHash, s.user]), [[tokenHash(c.token), "judy"], [
      tokenHash(a.token),
      "judy",
    ]]);
    now = 1800;
    assert.equal((await users.verify(a.token))?.user, "judy", "touched at 900: not idle");
    assert.equal(await users.verify(b.token), undefined, "untouched since 0: idle");
    now = 2900;
    assert.deepEqual(await users.touch([tokenHash(c.token)]), [], "touched at 900, idle by 2900");
  },
);

storeCase("prune() deletes expired and idle sessions only", async (place) => {
  let now = 0;
  await using store = await place.open({ now: () => now, timing: { idleMs: 1000, lifetimeMs: 5000 } });
  const users = store.accounts;
  const user = await users.createUser("ivan", "h");
  const idle = await users.createSession(user.id);
  now = 500;
  const fresh = await users.createSession(user.id);
  now = 1200;
  await store.prune();
  assert.equal(await place.count("sessions"), 1, "the idle session is gone");
  assert.equal(await users.verify(idle.token), undefined);
  assert.equal((await users.verify(fresh.token))?.user, "ivan");
});

// Registration policy, invites and the admin's flags (schema version 5).

/** An HttpError with this status and code. */
const refusal = (status: number, code: string) => (e: unknown) =>
  e instanceof HttpError && e.status === status && e.code === code;

storeCase(
  "register(): the first account is admin under any policy, then the policy decides",
  async (place) => {
    await using store = await place.open();
    const admin = store.accountAdmin;
    const first = await admin.register("Root", "h", { policy: "closed" });
    assert.deepEqual([first.admin, first.via], [true, "first"]);
    await assert.rejects(
      () => admin.register("bob", "h", { policy: "closed" }),
      refusal(403, "registration_closed"),
    );
    await assert.rejects(
      () => admin.register("bob", "h", { policy: "invite" }),
      refusal(403, "invite_required"),
    );
    await assert.rejects(
      () => admin.register("bob", "h", { policy: "invite", inviteHash: tokenHash("made-up") }),
      refusal(403, "bad_invite"),
    );
    const added = await admin.register("carol", "h", { policy: "closed", byAdmin: true });
    assert.deepEqual([added.admin, added.via], [false, "admin"]);
    const open = await admin.register("dan", "h", { policy: "open" });
    assert.deepEqual([open.admin, open.via], [false, "open"]);
    await assert.rejects(() => admin.register("DAN", "h", { policy: "open" }), refusal(409, "user_exists"));
    assert.deepEqual((await admin.list()).map((a) => [a.name, a.admin]), [
      ["carol", false],
      ["dan", false],
      ["Root", true],
    ]);
    const session = await store.accounts.createSession(first.id);
    assert.equal(
      (await store.accounts.verify(session.token))?.admin,
      true,
      "a session knows its account is admin",
    );
  },
);

storeCase(
  "an invite is used up by its uses, refused once expired, and stored only as a hash",
  async (place) => {
    let now = 1000;
    await using store = await place.open({ now: () => now });
    const admin = store.accountAdmin;
    await admin.register("root", "h", { policy: "invite" });
    const code = "an-invite-code-nobody-guesses-0123456789";
    await admin.createInvite({ codeHash: tokenHash(code), uses: 2, expiresAt: 5000, createdBy: "root" });
    const rule = { policy: "invite" as const, inviteHash: tokenHash(code) };
    assert.equal((await admin.register("a", "h", rule)).via, "invite");
    assert.equal((await admin.register("b", "h", rule)).via, "invite");
    await assert.rejects(() => admin.register("c", "h", rule), refusal(403, "bad_invite"), "used up");
    const late = "a-second-invite-code-0123456789-abcdef";
    await admin.createInvite({ codeHash: tokenHash(late), uses: 5, expiresAt: 6000, createdBy: "root" });
    now = 6000;
    await assert.rejects(
      () => admin.register("d", "h", { policy: "invite", inviteHash: tokenHash(late) }),
      refusal(403, "bad_invite"),
      "expired",
    );
    const raw = await place.raw();
    assert.ok(!raw.includes(code) && !raw.includes(late), "codes are not stored");
    assert.equal(await store.accounts.countUsers(), 3);
  },
);

storeCase("two registrations racing for a one-use invite: exactly one wins", async (place) => {
  await using store = await place.open();
  const admin = store.accountAdmin;
  await admin.register("root", "h", { policy: "invite" });
  const code = "a-one-use-code-raced-for-0123456789";
  await admin.createInvite({
    codeHash: tokenHash(code),
    uses: 1,
    expiresAt: Date.now() + HOUR,
    createdBy: "root",
  });
  const rule = { policy: "invite" as const, inviteHash: tokenHash(code) };
  const results = await Promise.allSettled(
    Array.from({ length: 6 }, (_, i) => admin.register(`racer${i}`, "h", rule)),
  );
  assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
  for (const r of results) if (r.status === "rejected") assert.ok(refusal(403, "bad_invite")(r.reason));
  assert.equal(await store.accounts.countUsers(), 2);
});

storeCase(
  "disabling ends the sessions and refuses new ones; the last admin stays; sign-ins are noted",
  async (place) => {
    let now = 10_000;
    await using store = await place.open({ now: () => now });
    const { accountAdmin: admin, accounts } = store;
    const root = await admin.register("root", "h", { policy: "open" });
    const eve = await admin.register("eve", "h", { policy: "open" });
    const a = await accounts.createSession(eve.id);
    const b = await accounts.createSession(eve.id);
    await admin.recordSignIn(eve.id);
    let row = (await admin.account("EVE"))!;
    assert.deepEqual([row.sessions, row.lastSignIn, row.createdAt, row.disabled], [2, 10_000, 10_000, false]);
    now = 11_000;
    assert.deepEqual(
      (await admin.setDisabled(eve.id, true)).sort(),
      [tokenHash(a.token), tokenHash(b.token)].sort(),
    );
    const c = await accounts.createSession(eve.id);
    assert.equal(await accounts.verify(c.token), undefined, "a disabled account's session is not valid");
    assert.deepEqual(await accounts.touch([tokenHash(c.token)]), [], "nor does it keep streams alive");
    assert.equal(await accounts.renew(c.token), undefined, "nor can it be renewed");
    row = (await admin.account("eve"))!;
    assert.deepEqual([row.disabled, row.sessions], [true, 1]);
    assert.deepEqual(await admin.setDisabled(eve.id, false), []);
    assert.equal((await accounts.verify(c.token))?.user, "eve", "enabled again");
    assert.deepEqual(await admin.endSessions(eve.id), [tokenHash(c.token)]);
    await assert.rejects(() => admin.setAdmin(root.id, false), refusal(409, "last_admin"));
    await assert.rejects(() => admin.setDisabled(root.id, true), refusal(409, "last_admin"));
    await admin.setAdmin(eve.id, true);
    assert.equal((await admin.account("eve"))?.admin, true);
    await admin.setAdmin(root.id, false);
    assert.deepEqual((await admin.list()).map((r) => [r.name, r.admin]), [["eve", true], ["root", false]]);
  },
);

// Sign-in limits (their policy was SignInLimits' in memory; the cases are its tests, on the store).

storeCase(
  "allows 100 failed logins per account per hour, then refuses until the oldest ages out",
  async (place) => {
    let now = 1_000_000;
    await using store = await place.open({ now: () => now });
    const limits = store.signInLimits;
    for (let i = 0; i < 100; i++) {
      assert.equal(await limits.accountWait("alice"), 0, `attempt ${i + 1} is allowed`);
      await limits.recordFailure("alice");
      now += 1000;
    }
    const wait = await limits.accountWait("alice");
    assert.ok(wait > 0, "the 101st attempt within the hour is refused");
    assert.equal(wait, 1_000_000 + HOUR - now, "until the first failure is an hour old");
    assert.ok(wait <= HOUR, "never longer than the window");
    assert.equal(await limits.accountWait("bob"), 0, "other accounts are not affected");
    now += wait;
    assert.equal(
      await limits.accountWait("alice"),
      0,
      "allowed again once the oldest failure left the window",
    );
    await limits.recordFailure("alice");
    assert.ok(
      await limits.accountWait("alice") > 0,
      "the window slides: still 100 failures within the last hour",
    );
    now += HOUR;
    assert.equal(
      await limits.accountWait("alice"),
      0,
      "an hour after the last failure, everything is forgotten",
    );
  },
);

storeCase("a refused attempt does not extend the lockout, and a success clears the count", async (place) => {
  let now = 0;
  await using store = await place.open({
    now: () => now,
    signIn: { accountFailures: 3, accountWindowMs: 10_000 },
  });
  const limits = store.signInLimits;
  for (let i = 0; i < 3; i++) await limits.recordFailure("carol");
  for (now = 0; now < 10_000; now += 500) {
    const wait = await limits.accountWait("carol");
    assert.ok(wait > 0 && wait <= 10_000 - now);
  }
  assert.equal(await limits.accountWait("carol"), 0, "free exactly one window after the failures");
  for (let i = 0; i < 2; i++) await limits.recordFailure("carol");
  await limits.clearFailures("carol");
  await limits.recordFailure("carol");
  await limits.recordFailure("carol");
  assert.equal(await limits.accountWait("carol"), 0, "the count restarted after a successful sign-in");
});

storeCase("gives each address a token bucket that refills at its rate", async (place) => {
  let now = 0;
  await using store = await place.open({
    now: () => now,
    signIn: { addressBurst: 5, addressPeriodMs: 60_000 },
  });
  const limits = store.signInLimits;
  for (let i = 0; i < 5; i++) assert.equal(await limits.takeAddress("10.0.0.1"), 0, `burst attempt ${i + 1}`);
  const wait = await limits.takeAddress("10.0.0.1");
  assert.equal(wait, 12_000, "one token every 12 s");
  assert.equal(await limits.takeAddress("10.0.0.2"), 0, "another address has its own bucket");
  now += 11_999;
  assert.ok(await limits.takeAddress("10.0.0.1") > 0, "refused attempts take nothing");
  now += 1;
  assert.equal(await limits.takeAddress("10.0.0.1"), 0, "one token back after 12 s");
  assert.ok(await limits.takeAddress("10.0.0.1") > 0);
  now += 10 * 60_000;
  for (let i = 0; i < 5; i++) {
    assert.equal(await limits.takeAddress("10.0.0.1"), 0, "full again, never more than the burst");
  }
  assert.ok(await limits.takeAddress("10.0.0.1") > 0);
});

storeCase("prune() forgets the least recently touched keys past maxTracked", async (place) => {
  await using store = await place.open({ now: () => 0, signIn: { accountFailures: 1, maxTracked: 2 } });
  const limits = store.signInLimits;
  await limits.recordFailure("a");
  await limits.recordFailure("b");
  await limits.recordFailure("c");
  await store.prune();
  assert.equal(await limits.accountWait("a"), 0, "a was forgotten");
  assert.ok(await limits.accountWait("b") > 0 && await limits.accountWait("c") > 0);
});

storeCase("sign-in limits survive reopening the store", async (place) => {
  const now = 5_000_000;
  const options = { now: () => now, signIn: { accountFailures: 2, addressBurst: 2 } };
  const first = await place.open(options);
  await first.signInLimits.recordFailure("dora");
  await first.signInLimits.recordFailure("dora");
  assert.equal(await first.signInLimits.takeAddress("10.1.1.1"), 0);
  assert.equal(await first.signInLimits.takeAddress("10.1.1.1"), 0);
  await first.close();
  await using again = await place.open(options);
  assert.ok(await again.signInLimits.accountWait("dora") > 0, "the account's failures are remembered");
  assert.ok(await again.signInLimits.takeAddress("10.1.1.1") > 0, "the address's bucket is still empty");
});

// Schema and join secret.

storeCase(
  "migrations are applied once when three stores open the same fresh store at once",
  async (place) => {
    const script = `
    import { openStore, parseStoreSpec } from ${JSON.stringify(MOD_URL)};
    const dataDir = Deno.env.get("DATA_DIR");
    const store = await openStore(parseStoreSpec(Deno.env.get("STORE"), dataDir), { dataDir });
    await store.accounts.createUser("user-" + Deno.pid, "h");
    await store.close();`;
    const spec = place.spec.kind === "postgres" ? place.spec.url : "";
    const runs = await Promise.all([1, 2, 3].map(() =>
      new Deno.Command(Deno.execPath(), {
        args: ["eval", "--quiet", script],
        cwd: ROOT,
        env: { STORE: spec, DATA_DIR: place.dataDir },
        stdout: "piped",
        stderr: "piped",
      }).output()
    ));
    for (const run of runs) assert.equal(run.code, 0, new TextDecoder().decode(run.stderr));
    assert.deepEqual(await place.versions(), Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
    await using store = await place.open();
    assert.equal(await store.accounts.countUsers(), 3, "every one of them works on the same schema");
  },
);

storeCase("refuses a store whose schema is newer than this audiod knows", async (place) => {
  await (await place.open()).close();
  const next = SCHEMA_VERSION + 1;
  if (place.spec.kind === "sqlite") {
    const db = new DatabaseSync(place.spec.path);
    db.exec(`INSERT INTO schema_version (version, name, applied_at) VALUES (${next}, 'future', 0)`);
    db.close();
  } else {
    const sql = postgres(place.spec.url, { max: 1, onnotice: () => {} });
    await sql`INSERT INTO schema_version (version, name, applied_at) VALUES (${next}, 'future', 0)`;
    await sql.end();
  }
  await assert.rejects(() => place.open(), new RegExp(`Cannot open the .*version ${next}.*upgrade audiod`));
});

storeCase("the join secret is created once and kept in <data dir>/join-secret", async (place) => {
  const first = await place.open();
  const a = await first.joinSecret();
  await first.close();
  assert.ok(a.created);
  assert.equal(a.path, join(place.dataDir, "join-secret"));
  assert.equal((await Deno.readTextFile(a.path)).trim(), a.secret);
  assert.equal((await Deno.stat(a.path)).mode! & 0o777, 0o600);
  await using again = await place.open();
  const b = await again.joinSecret();
  assert.deepEqual([b.secret, b.created], [a.secret, false]);
});

// Backend-specific cases.

Deno.test("SQLite store: an existing users.db from before schema_version keeps its accounts", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, SQLITE_FILE);
    const old = new DatabaseSync(path);
    old.exec(`
      CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, name_key TEXT NOT NULL UNIQUE,
        hash TEXT NOT NULL, created_at INTEGER NOT NULL);
      CREATE TABLE sessions (token_hash TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, created_at INTEGER NOT NULL,
        last_seen INTEGER NOT NULL, expires_at INTEGER NOT NULL);
      CREATE INDEX sessions_user ON sessions(user_id);
      INSERT INTO users (name, name_key, hash, created_at) VALUES ('Olga', 'olga', 'old-hash', 1);`);
    old.close();
    await using store = await openStore(parseStoreSpec(undefined, dir), { dataDir: dir });
    assert.deepEqual(await store.accounts.findUser("OLGA"), { id: 1, name: "Olga", hash: "old-hash" });
    await store.signInLimits.recordFailure("olga");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SQLite store refuses a corrupt store with a clear error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, SQLITE_FILE);
    await Deno.writeTextFile(path, "this is not a database ".repeat(200));
    await assert.rejects(
      () => openStore(parseStoreSpec(undefined, dir), { dataDir: dir }),
      /Cannot open the user store .*users\.db/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SQLite store refuses an emptied store file instead of starting empty, and keeps its file private", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, SQLITE_FILE);
    const spec = parseStoreSpec(undefined, dir);
    const store = await openStore(spec, { dataDir: dir });
    await store.accounts.createUser("hana", "h");
    await store.close();
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    await Deno.truncate(path, 0);
    await Deno.remove(path + "-wal").catch(() => {});
    await assert.rejects(
      () => openStore(spec, { dataDir: dir }),
      /Cannot open the user store .*users\.db: it is empty/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseStoreSpec() takes SQLite by default and postgres:// URLs, and refuses anything else", async (t) => {
  await t.step(
    "default",
    () => assert.deepEqual(parseStoreSpec(undefined, "/d"), { kind: "sqlite", path: "/d/users.db" }),
  );
  await t.step("postgres", () => {
    assert.deepEqual(parseStoreSpec("postgres://u@h:5433/db", "/d"), {
      kind: "postgres",
      url: "postgres://u@h:5433/db",
    });
    assert.equal(parseStoreSpec("postgresql://u@h/db", "/d").kind, "postgres");
  });
  await t.step(
    "no database",
    () => assert.throws(() => parseStoreSpec("postgres://u:pw@h:5433", "/d"), /needs a host and a database/),
  );
  await t.step(
    "password hidden",
    () =>
      assert.throws(
        () => parseStoreSpec("postgres://u:pw@h:5433", "/d"),
        (e: Error) => !e.message.includes("pw"),
      ),
  );
  await t.step(
    "other",
    () =>
      assert.throws(() => parseStoreSpec("mysql://h/db", "/d"), /expected postgres:\/\/USER@HOST:PORT\/DB/),
  );
});

Deno.test({
  name: "PostgreSQL store: two bootstraps' stores share one join secret, adopting a data dir's existing one" +
    skippedSuffix(),
  ignore: !!POSTGRES_MISSING,
  fn: async () => {
    await using pg = await startPostgres();
    const root = await Deno.makeTempDir();
    try {
      const url = await pg.createDatabase();
      const dirA = join(root, "a");
      const dirB = join(root, "b");
      await Deno.mkdir(dirA);
      const existing = "s".repeat(43);
      await Deno.writeTextFile(join(dirA, "join-secret"), existing + "\n", { mode: 0o600 });
      await using a = await openStore(parseStoreSpec(url, dirA), { dataDir: dirA });
      await using b = await openStore(parseStoreSpec(url, dirB), { dataDir: dirB });
      const [sa, sb] = [await a.joinSecret(), await b.joinSecret()];
      assert.equal(sa.secret, existing, "the first bootstrap's existing secret becomes the cluster's");
      assert.equal(sb.secret, existing, "and the second one's");
      assert.equal(
        (await Deno.readTextFile(join(dirB, "join-secret"))).trim(),
        existing,
        "copied to B's data dir",
      );
      assert.equal((await Deno.stat(join(dirB, "join-secret"))).mode! & 0o777, 0o600);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test({
  name: "PostgreSQL store: a call the database does not answer fails as unavailable after the call timeout" +
    skippedSuffix(),
  ignore: !!POSTGRES_MISSING,
  fn: async () => {
    await using pg = await startPostgres();
    const root = await Deno.makeTempDir();
    try {
      const url = await pg.createDatabase();
      await using store = await openStore(parseStoreSpec(url, root), { dataDir: root, callTimeoutMs: 500 });
      assert.equal(await store.accounts.countUsers(), 0);
      await pg.pause();
      try {
        const error = await store.accounts.countUsers().then(() => undefined, (e: unknown) => e);
        assert.ok(error instanceof StoreUnavailableError, `a typed error, not ${error}`);
        assert.match(error.message, /no answer within 0\.5 s/);
      } finally {
        await pg.resume();
      }
      assert.equal(await store.accounts.countUsers(), 0, "answers again once the database does");
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test({
  name: "PostgreSQL store: calls fail with a 503 store_unavailable while the database is down, then recover" +
    skippedSuffix(),
  ignore: !!POSTGRES_MISSING,
  fn: async () => {
    await using pg = await startPostgres();
    const root = await Deno.makeTempDir();
    try {
      const url = await pg.createDatabase();
      const lines: string[] = [];
      const logger = {
        debug: () => {},
        info: (event: string) => void lines.push(event),
        warn: (event: string) => void lines.push(event),
        error: (event: string) => void lines.push(event),
        child() {
          return logger;
        },
      };
      await using store = await openStore(parseStoreSpec(url, root), { dataDir: root, logger });
      const user = await store.accounts.createUser("pat", "h");
      const session = await store.accounts.createSession(user.id);
      await pg.stop("immediate");
      for (
        const call of [
          () => store.accounts.verify(session.token),
          () => store.signInLimits.takeAddress("10.0.0.9"),
        ]
      ) {
        const error = await call().then(() => undefined, (e: unknown) => e);
        assert.ok(error instanceof StoreUnavailableError, `a typed error, not ${error}`);
        const answer = errorAnswer(error, () => assert.fail("not an internal error"));
        assert.equal(answer.status, 503);
        assert.equal(answer.body.error.code, "store_unavailable");
        assert.match(answer.body.error.message, /Cannot reach the bootstrap's store \(PostgreSQL at /);
      }
      await pg.start();
      let verified;
      for (let i = 0; i < 100 && !verified; i++) {
        verified = await store.accounts.verify(session.token).catch(() => undefined);
        if (!verified) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(verified?.user, "pat", "the same store works again once the database is back");
      assert.deepEqual(lines.filter((l) => l.startsWith("store.")), ["store.unavailable", "store.recovered"]);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

storeCase("userData keeps stars, ratings and play counts per user", async (place) => {
  await using store = await place.open();
  const alice = await store.accounts.createUser("alice", "h");
  const bob = await store.accounts.createUser("bob", "h");
  const data = store.userData;
  const song = "a".repeat(64);
  await data.star(alice.id, [{ kind: "song", id: song }, { kind: "album", id: "al-1" }], 1000);
  await data.star(alice.id, [{ kind: "song", id: song }], 5000);
  assert.deepEqual(
    (await data.stars(alice.id)).map((s) => [s.id, s.kind, s.at]).sort(),
    [[song, "song", 1000], ["al-1", "album", 1000]],
    "starring again keeps the first time",
  );
  assert.deepEqual(await data.stars(bob.id), []);
  await data.unstar(alice.id, ["al-1"]);
  assert.deepEqual((await data.stars(alice.id)).map((s) => s.id), [song]);
  await data.setRating(alice.id, song, 4);
  await data.setRating(alice.id, song, 5);
  assert.deepEqual(await data.ratings(alice.id), [{ id: song, rating: 5 }]);
  await data.setRating(alice.id, song, 0);
  assert.deepEqual(await data.ratings(alice.id), [], "0 removes the rating");
  await data.scrobble(alice.id, song, 2000);
  await data.scrobble(alice.id, song, 1500);
  assert.deepEqual(await data.plays(alice.id), [{ id: song, count: 2, lastPlayed: 2000 }]);
  assert.deepEqual(await data.plays(bob.id), []);
});

storeCase("userData playlists: create, change, see public ones, delete only one's own", async (place) => {
  await using store = await place.open();
  const alice = await store.accounts.createUser("alice", "h");
  const bob = await store.accounts.createUser("bob", "h");
  const data = store.userData;
  const [a, b, c] = ["a", "b", "c"].map((x) => x.repeat(64)) as [string, string, string];
  const list = await data.createPlaylist(alice.id, "Mix", [a, b, a], 100);
  assert.equal(list.owner, "alice");
  assert.deepEqual(list.songs, [a, b, a]);
  assert.equal(list.songCount, 3);
  assert.ok(
    await data.updatePlaylist(alice.id, list.id, { removeIndexes: [0], add: [c], name: "Mix 2" }, 200),
  );
  const changed = await data.playlist(alice.id, list.id);
  assert.deepEqual(changed?.songs, [b, a, c]);
  assert.equal(changed?.name, "Mix 2");
  assert.equal(changed?.changedAt, 200);
  assert.equal(await data.playlist(bob.id, list.id), undefined, "private to its owner");
  assert.equal(await data.updatePlaylist(bob.id, list.id, { name: "x" }, 300), false);
  assert.ok(await data.updatePlaylist(alice.id, list.id, { public: true }, 300));
  assert.deepEqual((await data.playlists(bob.id)).map((p) => p.name), ["Mix 2"], "public ones are listed");
  assert.equal(await data.deletePlaylist(bob.id, list.id), false, "not bob's to delete");
  assert.equal(await data.deletePlaylist(alice.id, list.id), true);
  assert.deepEqual(await data.playlists(alice.id), []);
  assert.equal(await data.playlist(alice.id, "not-a-number"), undefined);
});

storeCase("userData saves and replaces the play queue", async (place) => {
  await using store = await place.open();
  const alice = await store.accounts.createUser("alice", "h");
  const data = store.userData;
  assert.equal(await data.playQueue(alice.id), undefined);
  const songs = ["a".repeat(64), "b".repeat(64)];
  await data.savePlayQueue(alice.id, { songs, current: songs[1]!, position: 12_345, changedBy: "DSub" }, 10);
  assert.deepEqual(await data.playQueue(alice.id), {
    songs,
    current: songs[1],
    position: 12_345,
    changedAt: 10,
    changedBy: "DSub",
  });
  await data.savePlayQueue(alice.id, { songs: [], current: null, position: 0, changedBy: "" }, 20);
  assert.deepEqual((await data.playQueue(alice.id))?.songs, []);
});

storeCase(
  "userData API keys: found by hash, listed without it, revoked by their owner only",
  async (place) => {
    await using store = await place.open();
    const alice = await store.accounts.createUser("alice", "h");
    const bob = await store.accounts.createUser("bob", "h");
    const data = store.userData;
    const key = await data.createApiKey(alice.id, "phone", "f".repeat(64), 50);
    assert.match(key.id, /^[0-9a-f]{12}$/);
    assert.deepEqual(await data.findApiKey("f".repeat(64)), {
      id: key.id,
      userId: alice.id,
      user: "alice",
      name: "phone",
      createdAt: 50,
    });
    assert.deepEqual(await data.apiKeys(alice.id), [{ id: key.id, name: "phone", createdAt: 50 }]);
    assert.equal(await data.revokeApiKey(bob.id, key.id), false);
    assert.equal(await data.revokeApiKey(alice.id, key.id), true);
    assert.equal(await data.findApiKey("f".repeat(64)), undefined);
    assert.ok(!(await place.raw()).includes("secret-key-text"), "sanity: only hashes are given to the store");
  },
);

storeCase("deleteUser() takes the user's data along, so a new account never inherits it", async (place) => {
  await using store = await place.open();
  const alice = await store.accounts.createUser("alice", "h");
  const data = store.userData;
  await data.star(alice.id, [{ kind: "song", id: "a".repeat(64) }], 1);
  await data.createPlaylist(alice.id, "Mine", [], 1);
  await data.createApiKey(alice.id, "k", "e".repeat(64), 1);
  await data.scrobble(alice.id, "a".repeat(64), 1);
  await store.accounts.deleteUser(alice.id);
  const next = await store.accounts.createUser("carol", "h");
  assert.deepEqual(await data.stars(next.id), []);
  assert.deepEqual(await data.playlists(next.id), []);
  assert.deepEqual(await data.plays(next.id), []);
  assert.equal(await data.findApiKey("e".repeat(64)), undefined);
  for (const table of ["user_stars", "playlists", "api_keys", "user_plays"]) {
    assert.equal(await place.count(table), 0, table);
  }
});
