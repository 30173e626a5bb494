/**
 * Security end to end, with real processes on 127.0.0.1: only holders of the join secret join; revocations
 * reach every file instance within a second; sign-in limits hold across auth instances; accounts survive
 * kill -9; a corrupt store stops the bootstrap; a symlink out of the media folder leaks nothing.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import {
  asMember,
  audiod,
  exitCodeWithin,
  freePort,
  isolatedEnv,
  joinSecretFileOf,
  startBootstrap,
  startContent,
  startDaemon,
  tempDir,
  waitFor,
} from "./_harness.ts";
import { synthesizeWav } from "../media/wav.ts";
import { AudiodClient } from "../client/api.ts";
import type { CatalogTrack, Session, StatusReport } from "../protocol/mod.ts";

const NO_TRACK = "0".repeat(64);

function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

async function json<T>(res: Response): Promise<T> {
  return await res.json() as T;
}

async function errorOf(res: Response): Promise<{ status: number; code: string; message: string }> {
  const body = await json<{ error: { code: string; message: string } }>(res);
  return { status: res.status, ...body.error };
}

/** What a file instance says to `token`: 404 for the made-up track means the token was accepted, 401 refused. */
async function probe(fileUrl: string, token: string): Promise<number> {
  const res = await fetch(`${fileUrl}/v1/tracks/${NO_TRACK}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  await res.body?.cancel();
  return res.status;
}

/** Milliseconds from now until every file instance refuses `token` (polling every 10 ms, giving up at 5 s). */
async function untilRefused(files: string[], token: string): Promise<number> {
  const started = performance.now();
  const pending = new Set(files);
  while (pending.size > 0 && performance.now() - started < 5000) {
    for (const url of [...pending]) if (await probe(url, token) === 401) pending.delete(url);
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(pending.size, 0, `still accepted by ${[...pending].join(", ")} after 5 s`);
  return performance.now() - started;
}

async function status(host: string): Promise<StatusReport> {
  return await json<StatusReport>(await fetch(`${host}/v1/status`, await asMember(host)));
}

async function candidates(host: string, role: "auth" | "file"): Promise<string[]> {
  const body = await json<{ candidates: { url: string }[] }>(await fetch(`${host}/v1/services/${role}`));
  return body.candidates.map((c) => c.url).sort();
}

async function writeTone(path: string, frequency: number, title: string): Promise<Uint8Array> {
  const bytes = synthesizeWav({ seconds: 1, frequency, tags: { title, artist: "Security", album: "Tests" } });
  await Deno.mkdir(join(path, ".."), { recursive: true });
  await Deno.writeFile(path, bytes);
  return bytes;
}

Deno.test({
  name: "only holders of the join secret join, announce or give orders; refused nodes say why and exit",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using temp = await tempDir();
    const root = temp.path;
    const env = isolatedEnv(root, "servers");
    await writeTone(join(root, "lib-a", "a.wav"), 440, "Member Tone");
    await writeTone(join(root, "lib-x", "x.wav"), 880, "Intruder Tone");
    await using bootstrap = await startBootstrap(join(root, "boot"), env);
    const host = bootstrap.url;
    const secretFile = join(root, "boot", "join-secret");

    await t.step("the bootstrap writes a 256-bit secret with mode 0600 and says where", async () => {
      assert.equal(joinSecretFileOf(host), secretFile);
      const secret = (await Deno.readTextFile(secretFile)).trim();
      assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
      assert.equal((await Deno.stat(secretFile)).mode! & 0o777, 0o600);
    });

    await using member = await startDaemon([
      "content",
      "--bootstrap",
      host,
      "--media",
      join(root, "lib-a"),
      "--data",
      join(root, "data-a"),
      "--join-secret-file",
      secretFile,
    ], { env });
    await waitFor("the member's instances and track", async () => {
      const s = await status(host);
      const up = (role: string) => s.nodes.some((n) => n.role === role && n.state === "up");
      return up("auth") && up("file") && s.tracks === 1 ? s : undefined;
    });
    const [auth] = await candidates(host, "auth");
    const [file] = await candidates(host, "file");

    await t.step(
      "every internal route of every daemon refuses callers without the secret or with a wrong one",
      async () => {
        const internal: [string, string, string, unknown?][] = [
          [host, "POST", "/v1/internal/members", {
            id: "intruder-1",
            role: "file",
            url: "http://127.0.0.1:9",
            host: "x",
            pid: 1,
          }],
          [host, "POST", "/v1/internal/members/intruder-1/heartbeat", {}],
          [host, "POST", "/v1/internal/members/intruder-1/draining"],
          [host, "DELETE", "/v1/internal/members/intruder-1"],
          [host, "POST", "/v1/internal/announce", { instance: "intruder-1", tracks: [] }],
          [host, "POST", "/v1/internal/users", { user: "mallory", hash: "x" }],
          [host, "GET", "/v1/internal/users/mallory"],
          [host, "DELETE", "/v1/internal/users/mallory"],
          [host, "POST", "/v1/internal/sessions", { user: "mallory" }],
          [host, "POST", "/v1/internal/sessions/verify", { token: "x".repeat(43) }],
          [host, "POST", "/v1/internal/sessions/revoke", { token: "x".repeat(43) }],
          [host, "POST", "/v1/internal/sessions/renew", { token: "x".repeat(43) }],
          [host, "POST", "/v1/internal/sign-in/attempt", { kind: "login", address: "1.2.3.4", user: "x" }],
          [host, "GET", "/v1/internal/no-such-route"],
          [member.url, "GET", "/v1/internal/instances"],
          [member.url, "POST", "/v1/internal/spawn", { role: "file" }],
          [member.url, "POST", "/v1/internal/stop", { instance: "x" }],
          [file!, "POST", "/v1/internal/revoked", { tokenHashes: ["0".repeat(64)] }],
          [auth!, "GET", "/v1/internal/anything"],
        ];
        for (const [base, method, path, body] of internal) {
          for (const secret of [undefined, "wrong-secret-".repeat(4)]) {
            const res = await fetch(base + path, {
              method,
              headers: {
                "content-type": "application/json",
                ...(secret ? { "x-audiod-join-secret": secret } : {}),
              },
              ...(body === undefined ? {} : { body: JSON.stringify(body) }),
            });
            const error = await errorOf(res);
            assert.equal(error.status, 401, `${method} ${base}${path} ${secret ? "wrong" : "no"} secret`);
            assert.equal(error.code, secret ? "join_secret_wrong" : "join_secret_missing");
            assert.match(error.message, /join secret.*--join-secret-file/);
          }
        }
        const s = await status(host);
        assert.equal(s.nodes.some((n) => n.id === "intruder-1"), false, "nothing was registered");
        assert.equal(s.tracks, 1);
      },
    );

    const wrongFile = join(root, "wrong-secret");
    // 0600: a secret file others could read is refused before it is even tried.
    await Deno.writeTextFile(wrongFile, "this-is-not-the-clusters-join-secret-at-all\n", { mode: 0o600 });

    await t.step("a content node with a wrong secret says so and exits 1", async () => {
      const node = await startDaemon([
        "content",
        "--bootstrap",
        host,
        "--media",
        join(root, "lib-x"),
        "--data",
        join(root, "data-x"),
        "--join-secret-file",
        wrongFile,
      ], { env });
      assert.equal(await exitCodeWithin(node.process, 10_000), 1, node.logs());
      await node.stop();
      assert.match(
        node.logs(),
        /audiod: Cannot join the cluster at http:\/\/127\.0\.0\.1:\d+: it refused our join secret/,
      );
    });

    await t.step(
      "a standalone file instance with a wrong secret (AUDIOD_JOIN_SECRET) exits 1; its tracks never reach the catalog",
      async () => {
        const intruder = await startDaemon([
          "file",
          "--bootstrap",
          host,
          "--media",
          join(root, "lib-x"),
          "--data",
          join(root, "data-x2"),
        ], { env: { ...env, AUDIOD_JOIN_SECRET: "another-wrong-secret-of-enough-length-000" } });
        assert.equal(await exitCodeWithin(intruder.process, 10_000), 1, intruder.logs());
        await intruder.stop();
        assert.match(intruder.logs(), /refused our join secret/);
        const listed = await json<{ tracks: CatalogTrack[] }>(
          await fetch(`${host}/v1/tracks`, await asMember(host)),
        );
        assert.deepEqual(listed.tracks.map((t) => t.title), ["Member Tone"]);
      },
    );

    await t.step("a node given no secret at all stops before joining and says how to give one", async () => {
      const result = await audiod([
        "content",
        "--bootstrap",
        host,
        "--media",
        join(root, "lib-x"),
        "--data",
        join(root, "data-none"),
      ], { env: { ...env, AUDIOD_JOIN_SECRET: "" } });
      assert.equal(result.code, 2, result.stderr);
      assert.match(
        result.stderr,
        /audiod: Cannot join the cluster without its join secret: .*--join-secret-file/,
      );
    });

    await t.step("the member with the right secret still serves", async () => {
      assert.equal((await status(host)).nodes.filter((n) => n.state === "up").length, 4);
      assert.equal(await member.stop(), 0);
    });
  },
});

Deno.test({
  name: "logout, password change, renewal and account deletion reach every file instance within 1 s",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using temp = await tempDir();
    const root = temp.path;
    const env = isolatedEnv(root, "servers");
    await writeTone(join(root, "lib-a", "a.wav"), 440, "Tone A");
    await writeTone(join(root, "lib-b", "b.wav"), 550, "Tone B");
    await using bootstrap = await startBootstrap(join(root, "boot"), env, ["--sign-in-rate", "200/min"]);
    const host = bootstrap.url;
    const content = (lib: string) => startContent(host, join(root, lib), join(root, lib + "-data"), env);
    await using nodeA = await content("lib-a");
    await using nodeB = await content("lib-b");
    await waitFor("two file and two auth instances", async () => {
      const s = await status(host);
      const up = (role: string) => s.nodes.filter((n) => n.role === role && n.state === "up").length;
      return up("auth") === 2 && up("file") === 2 && s.tracks === 2 ? true : undefined;
    });
    const files = await candidates(host, "file");
    const [authA, authB] = await candidates(host, "auth");
    assert.equal(files.length, 2);
    const login = async (user: string, password: string, via = authA!) => {
      const res = await post(`${via}/v1/login`, { user, password });
      assert.equal(res.status, 200, await res.clone().text());
      return await json<{ token: string; expiresAt: number; issuedAt: number }>(res);
    };
    const accepted = async (token: string) => {
      for (const f of files) assert.equal(await probe(f, token), 404, `${f} accepts the token`);
    };
    const measure = async (what: string, token: string) => {
      const ms = await untilRefused(files, token);
      assert.ok(ms <= 1000, `${what}: every file instance refused the token after ${ms.toFixed(0)} ms`);
    };

    const registered = await post(`${authA}/v1/register`, { user: "ivy", password: "first password" });
    assert.equal(registered.status, 201);
    const first = await json<{ token: string }>(registered);

    await t.step("logout", async () => {
      await accepted(first.token);
      const res = await post(`${authB}/v1/logout`, {}, { authorization: `Bearer ${first.token}` });
      assert.equal(res.status, 204);
      // The bootstrap pushes the revocation before it answers: the very next request is refused everywhere,
      // though every file instance had just confirmed the token.
      for (const f of files) assert.equal(await probe(f, first.token), 401, `${f} at once`);
      await measure("logout", first.token);
    });

    let kept = "";
    await t.step("a password change ends the user's other sessions, not the one that asked", async () => {
      const other = await login("ivy", "first password", authB);
      const asking = await login("ivy", "first password");
      await accepted(other.token);
      await accepted(asking.token);
      const wrong = await post(`${authA}/v1/password`, {
        oldPassword: "not it at all",
        newPassword: "second password",
      }, {
        authorization: `Bearer ${asking.token}`,
      });
      assert.deepEqual((await errorOf(wrong)).status, 401);
      const res = await post(`${authA}/v1/password`, {
        oldPassword: "first password",
        newPassword: "second password",
      }, {
        authorization: `Bearer ${asking.token}`,
      });
      assert.equal(res.status, 200);
      assert.deepEqual(await json(res), { user: "ivy", revoked: 1 });
      await measure("password change", other.token);
      await accepted(asking.token);
      const old = await post(`${authB}/v1/login`, { user: "ivy", password: "first password" });
      assert.equal(old.status, 401);
      await old.body?.cancel();
      kept = (await login("ivy", "second password", authB)).token;
    });

    await t.step("renewal gives a new token with a fresh lifetime and revokes the old one", async () => {
      await accepted(kept);
      const res = await post(`${authB}/v1/renew`, {}, { authorization: `Bearer ${kept}` });
      assert.equal(res.status, 201);
      const renewed = await json<{ token: string; expiresAt: number; issuedAt: number; user: string }>(res);
      assert.equal(renewed.user, "ivy");
      assert.equal(renewed.expiresAt - renewed.issuedAt, 12 * 3600_000, "the default lifetime is 12 h");
      await measure("renewal", kept);
      await accepted(renewed.token);
      kept = renewed.token;
    });

    await t.step("the client renews a token with less than a tenth of its lifetime left", async () => {
      const client = new AudiodClient(host);
      const session: Session = { host, user: "ivy", token: kept, expiresAt: 0, issuedAt: 0 };
      const info = await login("ivy", "second password");
      Object.assign(session, { token: info.token, expiresAt: info.expiresAt, issuedAt: info.issuedAt });
      assert.equal(
        await client.fresh(session, info.issuedAt + 3600_000),
        session,
        "9/12 of the lifetime left: kept",
      );
      const fresh = await client.fresh(session, info.expiresAt - 3600_000);
      assert.notEqual(fresh.token, session.token, "1/12 left: renewed");
      assert.ok(fresh.expiresAt > session.expiresAt);
      await measure("client renewal", session.token);
      await accepted(fresh.token);
    });

    await t.step("deleting the account ends all its sessions", async () => {
      const second = await login("ivy", "second password");
      await accepted(kept);
      await accepted(second.token);
      const res = await fetch(`${authA}/v1/account`, {
        method: "DELETE",
        headers: { authorization: `Bearer ${kept}`, "content-type": "application/json" },
        body: JSON.stringify({ password: "second password" }),
      });
      assert.equal(res.status, 200);
      // The session that changed the password, the two renewed ones, and `second`.
      assert.equal((await json<{ revoked: number }>(res)).revoked, 4);
      await measure("account deletion", second.token);
      await measure("account deletion", kept);
      const gone = await post(`${authB}/v1/login`, { user: "ivy", password: "second password" });
      assert.equal(gone.status, 401);
      await gone.body?.cancel();
    });

    await t.step("audiod passwd and audiod delete-account do the same from the command line", async () => {
      const listener = isolatedEnv(root, "listener");
      const run = (args: string[], stdin?: string) =>
        audiod(args, { env: listener, ...(stdin === undefined ? {} : { stdin }) });
      const reg = await run(
        ["register", "--host", host, "--user", "jo", "--password-stdin"],
        "jo password 1\n",
      );
      assert.equal(reg.code, 0, reg.stderr);
      const elsewhere = await login("jo", "jo password 1");
      await accepted(elsewhere.token);
      const bad = await run(["passwd", "--password-stdin"], "wrong one!\njo password 2\n");
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /^audiod: Cannot change the password: the current password is wrong/m);
      const short = await run(["passwd", "--password-stdin"], "jo password 1\nshort\n");
      assert.match(short.stderr, /at least 8 characters/);
      const ok = await run(["passwd", "--password-stdin"], "jo password 1\njo password 2\n");
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /Changed the password of jo .*; 1 other session ended/);
      await measure("audiod passwd", elsewhere.token);
      const tracks = await run(["get", "Tone A", "-o", join(root, "a.wav")]);
      assert.equal(tracks.code, 0, `the session that changed the password still works: ${tracks.stderr}`);

      // A saved session close to its expiry is renewed by the next command that needs it.
      const path = join(listener.AUDIOD_CONFIG_DIR!, "session.json");
      const saved = JSON.parse(await Deno.readTextFile(path)) as Session;
      const nearEnd = { ...saved, issuedAt: saved.expiresAt - 100 * (saved.expiresAt - Date.now()) };
      await Deno.writeTextFile(path, JSON.stringify(nearEnd));
      const renewedGet = await run(["get", "Tone B", "-o", join(root, "b.wav")]);
      assert.equal(renewedGet.code, 0, renewedGet.stderr);
      const after = JSON.parse(await Deno.readTextFile(path)) as Session;
      assert.notEqual(after.token, saved.token, "get renewed the token and saved the new one");
      await measure("renewal by get", saved.token);

      const del = await run(["delete-account", "--password-stdin"], "jo password 2\n");
      assert.equal(del.code, 0, del.stderr);
      assert.match(del.stdout, /Deleted the account jo/);
      await measure("audiod delete-account", after.token);
      const again = await run(
        ["login", "--host", host, "--user", "jo", "--password-stdin"],
        "jo password 2\n",
      );
      assert.equal(again.code, 1);
    });

    assert.equal(await nodeA.stop(), 0);
    assert.equal(await nodeB.stop(), 0);
  },
});

Deno.test({
  name: "sign-in limits hold across auth instances: 429 with Retry-After, shown by the CLI",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using temp = await tempDir();
    const root = temp.path;
    const env = isolatedEnv(root, "servers");

    /** A bootstrap allowing `rate` sign-ins, and two auth instances it lists (auth`n`, auth`n+1`). */
    const signInCluster = async (data: string, rate: string, n: number) => {
      const bootstrap = await startBootstrap(join(root, data), env, ["--sign-in-rate", rate]);
      const started = [bootstrap];
      try {
        for (const name of [`auth${n}`, `auth${n + 1}`]) {
          const authEnv = isolatedEnv(root, name);
          started.push(await startDaemon(["auth", "--bootstrap", bootstrap.url], { env: authEnv }));
        }
        await waitFor(
          "two auth instances",
          async () => (await candidates(bootstrap.url, "auth")).length === 2 || undefined,
        );
      } catch (error) {
        for (const daemon of started.reverse()) await daemon.stop();
        throw error;
      }
      return {
        bootstrap,
        authA: started[1]!,
        authB: started[2]!,
        async [Symbol.asyncDispose]() {
          for (const daemon of started.slice().reverse()) await daemon.stop();
        },
      };
    };

    await t.step("the per-address bucket", async () => {
      await using cluster = await signInCluster("boot-rate", "4/min", 1);
      const { bootstrap, authA, authB } = cluster;
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const via = i % 2 === 0 ? authA.url : authB.url;
        const res = await post(`${via}/v1/login`, { user: `nobody${i}`, password: "whatever it is" });
        statuses.push(res.status);
        await res.body?.cancel();
      }
      assert.deepEqual(statuses, [401, 401, 401, 401]);
      const limited = await post(`${authB.url}/v1/register`, { user: "newcomer", password: "long enough" });
      assert.equal(limited.status, 429);
      const retry = Number(limited.headers.get("retry-after"));
      assert.ok(retry >= 1 && retry <= 15, `Retry-After ${retry}`);
      assert.equal(
        (await errorOf(limited)).message,
        `Cannot register: too many attempts, try again in ${retry} s`,
      );
      const cli = await audiod(["login", "--host", bootstrap.url, "--user", "someone", "--password-stdin"], {
        env: isolatedEnv(root, "listener"),
        stdin: "some password\n",
      });
      assert.equal(cli.code, 1);
      assert.match(cli.stderr, /^audiod: Cannot sign in: too many attempts, try again in \d+ s$/m);
    });

    await t.step("100 failed logins per account per hour, counted over every auth instance", async () => {
      await using cluster = await signInCluster("boot-account", "10000/min", 3);
      const { authA, authB } = cluster;
      const reg = await post(`${authA.url}/v1/register`, { user: "kim", password: "kims password" });
      assert.equal(reg.status, 201);
      await reg.body?.cancel();
      let next = 0;
      const worker = async () => {
        while (next < 100) {
          const i = next++;
          const res = await post(`${i % 2 ? authA.url : authB.url}/v1/login`, {
            user: "kim",
            password: `guess ${i}`,
          });
          assert.equal(res.status, 401);
          await res.body?.cancel();
        }
      };
      await Promise.all([worker(), worker(), worker(), worker()]);
      const locked = await post(`${authB.url}/v1/login`, { user: "kim", password: "kims password" });
      assert.equal(locked.status, 429, "even the right password waits once 100 failures are on record");
      const retry = Number(locked.headers.get("retry-after"));
      assert.ok(retry > 3500 && retry <= 3600, `Retry-After ${retry} s is at most the hour`);
      assert.match(
        (await errorOf(locked)).message,
        /^Cannot sign in: too many attempts, try again in \d+ s$/,
      );
      const other = await post(`${authA.url}/v1/register`, { user: "lee", password: "lees password" });
      assert.equal(other.status, 201, "other accounts are not affected");
      await other.body?.cancel();
    });
  },
});

Deno.test({
  name: "session timeouts come from --session-idle and --session-lifetime",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using temp = await tempDir();
    const root = temp.path;
    const env = isolatedEnv(root, "servers");
    const bad = await audiod(["bootstrap", "--data", join(root, "x"), "--session-idle", "soon"], { env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Cannot use --session-idle "soon": expected a duration/);
    await writeTone(join(root, "lib", "a.wav"), 440, "Tone");
    await using bootstrap = await startBootstrap(join(root, "boot"), env, [
      "--session-idle",
      "2s",
      "--session-lifetime",
      "90m",
    ]);
    await using node = await startContent(bootstrap.url, join(root, "lib"), join(root, "data"), env);
    await waitFor("instances", async () => (await status(bootstrap.url)).tracks === 1 || undefined);
    const [auth] = await candidates(bootstrap.url, "auth");
    const [file] = await candidates(bootstrap.url, "file");
    const res = await post(`${auth}/v1/register`, { user: "nell", password: "nells password" });
    const session = await json<{ token: string; expiresAt: number; issuedAt: number }>(res);
    assert.equal(session.expiresAt - session.issuedAt, 90 * 60_000);
    assert.equal(await probe(file!, session.token), 404, "fresh: accepted");
    await new Promise((r) => setTimeout(r, 2600));
    assert.equal(await probe(file!, session.token), 401, "idle for longer than --session-idle: refused");
    assert.equal(await node.stop(), 0);
  },
});

Deno.test({
  name: "an account registered right before kill -9 of the bootstrap signs in after the restart",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using temp = await tempDir();
    const root = temp.path;
    const env = isolatedEnv(root, "servers");
    const data = join(root, "boot");
    const port = freePort();
    const listen = `127.0.0.1:${port}`;
    let bootstrap = await startDaemon(["bootstrap", "--listen", listen, "--data", data], { env });
    const auth = await startDaemon(["auth", "--bootstrap", bootstrap.url], { env });
    try {
      await waitFor(
        "the auth instance",
        async () => (await candidates(bootstrap.url, "auth")).length === 1 || undefined,
      );
      const users = ["olga", "pete", "quinn"];
      for (const user of users) {
        const res = await post(`${auth.url}/v1/register`, { user, password: `${user} password` });
        assert.equal(res.status, 201);
        await res.body?.cancel();
      }
      assert.equal(await bootstrap.stop("SIGKILL"), 137);
      const secret = await Deno.readTextFile(join(data, "join-secret"));
      bootstrap = await startDaemon(["bootstrap", "--listen", listen, "--data", data], { env });
      assert.equal(await Deno.readTextFile(join(data, "join-secret")), secret, "the secret is kept");
      await waitFor(
        "the auth instance to re-register",
        async () => (await candidates(bootstrap.url, "auth")).length === 1 || undefined,
      );
      for (const user of users) {
        const res = await post(`${auth.url}/v1/login`, { user, password: `${user} password` });
        assert.equal(res.status, 200, `${user} signs in after the crash`);
        await res.body?.cancel();
      }
    } finally {
      await auth.stop();
      await bootstrap.stop();
    }

    await t.step(
      "a store with garbage written over it stops the bootstrap with a clear error, untouched",
      async () => {
        const store = join(data, "users.db");
        const garbage = new TextEncoder().encode("not a database at all; ".repeat(500));
        await Deno.writeFile(store, garbage);
        await Deno.remove(store + "-wal").catch(() => {});
        await Deno.remove(store + "-shm").catch(() => {});
        const result = await audiod(["bootstrap", "--listen", "127.0.0.1:0", "--data", data], { env });
        assert.equal(result.code, 1);
        assert.match(
          result.stderr,
          /^audiod: Cannot open the user store .*users\.db: .*restore it from a backup/m,
        );
        assert.deepEqual(await Deno.readFile(store), garbage, "the corrupt store is left as it was");
      },
    );

    await t.step("so does a store damaged in the middle", async () => {
      const dir = join(root, "boot2");
      const first = await startBootstrap(dir, env);
      const helper = await startDaemon(["auth", "--bootstrap", first.url], { env });
      await waitFor("auth", async () => (await candidates(first.url, "auth")).length === 1 || undefined);
      for (let i = 0; i < 40; i++) {
        const res = await post(`${helper.url}/v1/register`, { user: `user${i}`, password: `password ${i}!` });
        await res.body?.cancel();
      }
      await helper.stop();
      assert.equal(await first.stop(), 0);
      const store = join(dir, "users.db");
      const bytes = await Deno.readFile(store);
      assert.ok(bytes.length >= 3 * 4096, `${bytes.length} bytes`);
      bytes.fill(0x5a, 4096, 8192);
      await Deno.writeFile(store, bytes);
      const result = await audiod(["bootstrap", "--listen", "127.0.0.1:0", "--data", dir], { env });
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /^audiod: Cannot open the user store .*users\.db/m);
    });
  },
});

Deno.test({
  name:
    "a symlink to a file outside the media folder is neither listed nor served, however the path is spelled",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using temp = await tempDir();
    const root = temp.path;
    const env = isolatedEnv(root, "servers");
    const lib = join(root, "lib");
    await writeTone(join(lib, "inside.wav"), 440, "Inside");
    const secret = await writeTone(join(root, "private", "secret.wav"), 990, "Private Recording");
    await Deno.symlink(join(root, "private", "secret.wav"), join(lib, "link-out.wav"));
    await Deno.symlink(join(root, "private"), join(lib, "folder-out"));
    await using bootstrap = await startBootstrap(join(root, "boot"), env);
    await using node = await startDaemon([
      "content",
      "--bootstrap",
      bootstrap.url,
      "--media",
      lib,
      "--data",
      join(root, "data"),
      "--log-format",
      "json",
    ], { env });
    await waitFor("the scan", () => node.events().find((e) => e.event === "tracks.announced"));
    const listed = await json<{ tracks: CatalogTrack[] }>(
      await fetch(`${bootstrap.url}/v1/tracks`, await asMember(bootstrap.url)),
    );
    assert.deepEqual(listed.tracks.map((t) => t.title), ["Inside"]);
    const [auth] = await candidates(bootstrap.url, "auth");
    const [file] = await candidates(bootstrap.url, "file");
    const { token } = await json<{ token: string }>(
      await post(`${auth}/v1/register`, { user: "rita", password: "ritas password" }),
    );
    const secretId = createHash("sha256").update(secret).digest("hex");
    const headers = { authorization: `Bearer ${token}` };
    const paths = [
      `/v1/tracks/${secretId}`,
      `/v1/tracks/${secretId}/manifest`,
      "/v1/tracks/link-out.wav",
      "/v1/tracks/..%2fprivate%2fsecret.wav",
      "/v1/tracks/%2e%2e%2f%2e%2e%2fprivate%2fsecret.wav",
      "/v1/tracks/..%5cprivate%5csecret.wav",
      "/v1/tracks/%252e%252e%252fprivate%252fsecret.wav",
      "/v1/tracks/folder-out%2fsecret.wav",
      "/v1/tracks/%00secret.wav",
      "/v1/../../private/secret.wav",
      "/private/secret.wav",
      "/folder-out/secret.wav",
      "/link-out.wav",
    ];
    for (const path of paths) {
      const res = await fetch(file + path, { headers: { ...headers, range: "bytes=0-" } });
      const body = new Uint8Array(await res.arrayBuffer());
      assert.ok(res.status === 404 || res.status === 400, `${path}: ${res.status}`);
      assert.ok(!new TextDecoder().decode(body).includes("RIFF"), `${path} leaked audio bytes`);
    }
    assert.equal(await node.stop(), 0);
  },
});
