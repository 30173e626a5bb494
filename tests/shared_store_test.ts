/**
 * Two bootstraps on one PostgreSQL (`--store postgres://…`, each with its own --data dir) are one account
 * system: an account registered through one signs in through the other, a logout through one is refused
 * through the other, the sign-in limits count attempts made through both, and both have the same join secret.
 * While the database is down they answer 503 and carry on; they recover by themselves when it is back.
 * Skipped, with the reason in its name, where PostgreSQL is not installed.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type Daemon,
  isolatedEnv,
  joinSecretFileOf,
  startBootstrap,
  startContent,
  startDaemon,
  tempDir,
  waitFor,
} from "./_harness.ts";
import { POSTGRES_MISSING, skippedSuffix, startPostgres } from "./_postgres.ts";
import { makeLibrary } from "./fixtures.ts";
import type { CatalogTrack } from "../protocol/mod.ts";

function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

async function statusOf(res: Response): Promise<number> {
  await res.body?.cancel();
  return res.status;
}

/** An auth instance joined to `bootstrap`, once the bootstrap lists it. */
async function authFor(
  bootstrap: Daemon,
  env: Record<string, string>,
  extra: string[] = [],
): Promise<Daemon> {
  const auth = await startDaemon(["auth", "--bootstrap", bootstrap.url, ...extra], { env });
  await waitFor(`the auth instance on ${bootstrap.url}`, async () => {
    const res = await fetch(`${bootstrap.url}/v1/services/auth`);
    const body = await res.json() as { candidates?: { url: string }[] };
    return body.candidates?.some((c) => c.url === auth.url) || undefined;
  });
  return auth;
}

Deno.test({
  name: "two bootstraps on one PostgreSQL share accounts, sessions, sign-in limits and the join secret" +
    skippedSuffix(),
  ignore: !!POSTGRES_MISSING,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using pg = await startPostgres();
    await using temp = await tempDir();
    const root = temp.path;
    const url = await pg.createDatabase("audiod");
    const env = isolatedEnv(root, "servers");
    // Six attempts per address per hour, counted over both bootstraps (none refills during the test).
    const args = ["--store", url, "--sign-in-rate", "6/h"];
    await using a = await startBootstrap(join(root, "boot-a"), env, args);
    await using b = await startBootstrap(join(root, "boot-b"), env, args);

    await t.step("the join secret is the same, and a member of B may join with A's", async () => {
      const secretA = (await Deno.readTextFile(joinSecretFileOf(a.url))).trim();
      const secretB = (await Deno.readTextFile(joinSecretFileOf(b.url))).trim();
      assert.notEqual(joinSecretFileOf(a.url), joinSecretFileOf(b.url), "each in its own data dir");
      assert.equal(secretA, secretB);
    });

    await using authA = await authFor(a, isolatedEnv(root, "auth-a"));
    await using authB = await authFor(b, isolatedEnv(root, "auth-b"), [
      "--join-secret-file",
      joinSecretFileOf(a.url),
    ]);
    // A file instance that knows only B: it checks tokens with B, which reads the shared store.
    const lib = join(root, "music");
    await makeLibrary(lib, [{ file: "a.wav", title: "Shared", artist: "Store", album: "Tests", seconds: 1 }]);
    await using _node = await startContent(b.url, lib, join(root, "node-b"), env);
    /** Where B's file instance serves the track (the catalog wants a signed-in viewer). */
    const trackUrl = (bearer: string) =>
      waitFor("the track in B's catalog", async () => {
        const res = await fetch(`${b.url}/v1/tracks/Shared`, {
          headers: { authorization: `Bearer ${bearer}` },
        });
        if (!res.ok) return void await res.body?.cancel();
        const track = await res.json() as CatalogTrack;
        return `${track.replicas[0]!.url}/v1/tracks/${track.id}`;
      });
    const read = async (url: string, bearer: string) =>
      await statusOf(
        await fetch(url, { headers: { authorization: `Bearer ${bearer}`, range: "bytes=0-99" } }),
      );

    let token = "";
    await t.step("registered through A, signed in through B", async () => {
      assert.equal(
        await statusOf(await post(`${authA.url}/v1/register`, { user: "ada", password: "ada's password" })),
        201,
      );
      const login = await post(`${authB.url}/v1/login`, { user: "ada", password: "ada's password" });
      assert.equal(login.status, 200, await login.clone().text());
      token = (await login.json() as { token: string }).token;
      const seen = await fetch(`${a.url}/v1/session`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(seen.status, 200, "the session B's auth instance started is known to A");
      assert.equal((await seen.json() as { user: string }).user, "ada");
    });

    await t.step("a logout through A is refused through B and by B's file instance", async () => {
      const url = await trackUrl(token);
      assert.equal(await read(url, token), 206, "B's file instance takes the token");
      const out = await post(`${authA.url}/v1/logout`, {}, { authorization: `Bearer ${token}` });
      assert.equal(await statusOf(out), 204);
      const after = await fetch(`${b.url}/v1/session`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(await statusOf(after), 401);
      await waitFor(
        "B's file instance to refuse the token",
        async () => (await read(url, token)) === 401 || undefined,
      );
    });

    await t.step("the per-address limit counts attempts through both bootstraps", async () => {
      // Two attempts so far (register, login); four more fail on the password, through A and B in turn.
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const via = i % 2 === 0 ? authA.url : authB.url;
        statuses.push(await statusOf(await post(`${via}/v1/login`, { user: "ada", password: `wrong ${i}` })));
      }
      assert.deepEqual(statuses, [401, 401, 401, 401]);
      for (const via of [authA.url, authB.url]) {
        const limited = await post(`${via}/v1/login`, { user: "ada", password: "ada's password" });
        assert.equal(
          await statusOf(limited),
          429,
          `the seventh attempt, through ${via === authA.url ? "A" : "B"}`,
        );
      }
    });

    await t.step(
      "while PostgreSQL is down the bootstraps answer 503 store_unavailable, and recover",
      async () => {
        await pg.stop("immediate");
        const ask = () => fetch(`${b.url}/v1/session`, { headers: { authorization: `Bearer ${token}` } });
        const down = await ask();
        assert.equal(down.status, 503);
        const body = await down.json() as { error: { code: string; message: string } };
        assert.equal(body.error.code, "store_unavailable");
        assert.match(body.error.message, /Cannot reach the bootstrap's store \(PostgreSQL at /);
        const health = await fetch(`${a.url}/v1/health`);
        assert.equal(await statusOf(health), 200, "what needs no store is still served");
        await pg.start();
        await waitFor(
          "the store to answer again",
          async () => (await statusOf(await ask())) === 401 || undefined,
        );
        assert.match(b.logs(), /store\.unavailable[\s\S]*store\.recovered/);
      },
    );
  },
});
