/**
 * Who may see what (issue 17), with real processes on 127.0.0.1: the catalog, status and events need a session
 * (or the join secret) and say how to sign in; hosts and process ids are for admins; health and metrics stay
 * public and carry no names; the player keeps its session alive past its lifetime and, once renewal is
 * impossible, goes back to sign-in keeping its queue; secret files others can read are refused.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  audiod,
  type Daemon,
  freePort,
  isolatedEnv,
  joinSecretOf,
  startBootstrap,
  startContent,
  startDaemon,
  tempDir,
  waitFor,
  withToken,
} from "./_harness.ts";
import { AudiodClient } from "../client/api.ts";
import { createTuiServices } from "../client/tui_services.ts";
import { synthesizeWav } from "../media/wav.ts";
import type { CatalogTrack, Session, StatusReport } from "../protocol/mod.ts";
import { appReducer, initialState } from "../tui/state/app.ts";
import { isSessionExpired } from "../tui/services.ts";

const PASSWORD = "a long enough password";

const queuedTrack: CatalogTrack = {
  id: "a".repeat(64),
  md5: "b".repeat(32),
  size: 1,
  title: "Queued",
  artist: "",
  album: "",
  trackNo: null,
  duration: 1,
  format: "wav",
  replicas: [],
};

/** A bootstrap and a content node serving one short track; `register` signs a new account up over the CLI. */
async function cluster(root: string, bootstrapArgs: string[] = []) {
  const env = isolatedEnv(root, "servers");
  const media = join(root, "lib");
  await Deno.mkdir(media, { recursive: true });
  await Deno.writeFile(
    join(media, "tone.wav"),
    synthesizeWav({ seconds: 1, frequency: 440, tags: { title: "Private Tone" } }),
  );
  const bootstrap = await startBootstrap(join(root, "boot"), env, ["--log-format", "json", ...bootstrapArgs]);
  let node: Daemon | undefined;
  try {
    node = await startContent(bootstrap.url, media, join(root, "node"), env);
    const member = new AudiodClient(bootstrap.url, { joinSecret: await joinSecretOf(bootstrap.url) });
    await waitFor("an auth instance and the track", async () => {
      const s = await member.status();
      return s.tracks === 1 && s.nodes.some((n) => n.role === "auth" && n.state === "up") || undefined;
    }, 30_000);
  } catch (error) {
    await node?.stop();
    await bootstrap.stop();
    throw error;
  }
  const register = async (user: string) => {
    const client = isolatedEnv(root, `client-${user}`);
    const result = await audiod(["register", "--host", bootstrap.url, "--user", user, "--password-stdin"], {
      env: client,
      stdin: PASSWORD + "\n",
    });
    assert.equal(result.code, 0, result.stderr);
    const session = JSON.parse(await Deno.readTextFile(join(client.AUDIOD_CONFIG_DIR!, "session.json")));
    return { env: client, session: session as Session };
  };
  return {
    bootstrap,
    node: node!,
    register,
    async [Symbol.asyncDispose]() {
      await node!.stop();
      await bootstrap.stop();
    },
  };
}

Deno.test({
  name:
    "the catalog, status and events answer 401 without a session (saying how to sign in) and 200 with one",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using temp = await tempDir();
    await using c = await cluster(temp.path);
    const host = c.bootstrap.url;
    const { session, env } = await c.register("reader");
    const track = (await new AudiodClient(host, { token: session.token }).tracks())[0]!;
    const routes = ["/v1/tracks", "/v1/tracks?q=tone", `/v1/tracks/${track.id}`, "/v1/status", "/v1/events"];

    await t.step("without a session, or with a made-up token: 401 and how to sign in", async () => {
      for (const path of routes) {
        for (const init of [{}, withToken("a-token-nobody-was-ever-given-0123456789")]) {
          const res = await fetch(`${host}${path}`, init);
          assert.equal(res.status, 401, path);
          const body = await res.json() as { error: { code: string; message: string } };
          assert.match(body.error.message, new RegExp(`audiod login --host ${new URL(host).host}`), path);
        }
      }
    });

    await t.step("with the session: 200", async () => {
      for (const path of routes) {
        const res = await fetch(`${host}${path}`, withToken(session.token));
        assert.equal(res.status, 200, path);
        await res.body?.cancel();
      }
    });

    await t.step("health and metrics stay public and name no account", async () => {
      const health = await fetch(`${host}/v1/health`);
      assert.equal(health.status, 200);
      assert.doesNotMatch(await health.text(), /reader/);
      const metrics = await fetch(`${host}/metrics`);
      assert.equal(metrics.status, 200);
      assert.doesNotMatch(await metrics.text(), /reader/);
    });

    await t.step("the CLI sends its session; signed out, it says how to sign in", async () => {
      const listed = await audiod(["tracks", "--json"], { env });
      assert.equal(listed.code, 0, listed.stderr);
      assert.equal(JSON.parse(listed.stdout)[0].title, "Private Tone");
      const stranger = await audiod(["tracks", "--host", host], { env: isolatedEnv(temp.path, "stranger") });
      assert.equal(stranger.code, 1);
      assert.match(stranger.stderr, /Cannot list the catalog: not signed in \(run audiod login --host/);
    });
  },
});

Deno.test({
  name: "status shows hosts and process ids to admins (and members) only",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using temp = await tempDir();
    await using c = await cluster(temp.path);
    const host = c.bootstrap.url;
    const member = await new AudiodClient(host, { joinSecret: await joinSecretOf(host) }).status();
    for (const n of member.nodes) {
      assert.equal(typeof n.pid, "number", `${n.role} pid for a member`);
      assert.equal(n.host, "127.0.0.1");
    }
    await c.register("first");
    const second = await c.register("second");
    const asUser = (token: string) =>
      fetch(`${host}/v1/status`, withToken(token)).then((r) => r.json() as Promise<StatusReport>);
    const plain = await asUser(second.session.token);
    assert.ok(plain.nodes.length >= 4);
    for (const n of plain.nodes) {
      assert.equal(n.pid, undefined, `${n.role} pid hidden`);
      assert.equal(n.host, undefined, `${n.role} host hidden`);
      assert.equal(typeof n.load.activeStreams, "number");
    }
    assert.equal(plain.tracks, 1);
    // The CLI prints the table with the columns empty.
    const table = await audiod(["status"], { env: second.env });
    assert.equal(table.code, 0, table.stderr);
    assert.doesNotMatch(table.stdout, new RegExp(`\\b${c.node.process.pid}\\b`));
  },
});

Deno.test({
  name: "the player renews its token before the session's lifetime ends, and back at sign-in keeps its queue",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using temp = await tempDir();
    // Sessions end after 3 s unused and 6 s after sign-in at the latest.
    await using c = await cluster(temp.path, ["--session-idle", "3s", "--session-lifetime", "6s"]);
    const host = c.bootstrap.url;
    const configDir = join(temp.path, "player");
    const services = createTuiServices({ player: "null", playerArgs: [], configDir });
    const session = await services.register(host, "listener", PASSWORD);
    const saved = async () => JSON.parse(await Deno.readTextFile(join(configDir, "session.json"))) as Session;

    await t.step(
      "15 s idle (five idle timeouts, over two lifetimes): still signed in, renewed and saved",
      async () => {
        await new Promise((r) => setTimeout(r, 15_000));
        const tracks = await services.tracks(session);
        assert.equal(tracks[0]?.title, "Private Tone");
        const now = await saved();
        assert.notEqual(now.token, session.token, "the saved session holds a renewed token");
        assert.ok(now.issuedAt! > session.issuedAt!, "issued later");
        assert.ok(now.expiresAt > Date.now());
        const old = await fetch(`${host}/v1/status`, withToken(session.token));
        assert.equal(old.status, 401, "the first token was traded in");
        await old.body?.cancel();
      },
    );

    await t.step("renewal impossible (the account ended): SessionExpiredError", async () => {
      const current = await saved();
      await new AudiodClient(host).deleteAccount(current.token, PASSWORD);
      const error = await waitFor("the services to say the session ended", async () => {
        try {
          await services.tracks(session);
          return undefined;
        } catch (error) {
          return error;
        }
      }, 10_000);
      assert.ok(isSessionExpired(error), String(error));
    });

    await t.step("the TUI goes back to sign-in keeping its queue", () => {
      let state = initialState({ session, now: Date.now() });
      state = appReducer(state, { type: "library/loaded", tracks: [] });
      state = appReducer(state, { type: "player/playNow", track: queuedTrack });
      const queued = state.queue;
      state = appReducer(state, { type: "session/expired", message: "Your session expired: sign in again" });
      assert.equal(state.screen, "signIn");
      assert.equal(state.queue, queued, "the queue is kept");
    });
  },
});

Deno.test({
  name: "a join secret file others can read is refused, with the chmod that fixes it",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using temp = await tempDir();
    const env = isolatedEnv(temp.path, "servers");
    await using bootstrap = await startBootstrap(join(temp.path, "boot"), env);
    const exposed = join(temp.path, "exposed-secret");
    await Deno.writeTextFile(exposed, await joinSecretOf(bootstrap.url) + "\n");
    await Deno.chmod(exposed, 0o644);
    const node = await startDaemon([
      "content",
      "--bootstrap",
      bootstrap.url,
      "--media",
      temp.path,
      "--data",
      join(temp.path, "node"),
      "--join-secret-file",
      exposed,
    ], { env }).catch((error: Error) => error);
    assert.ok(node instanceof Error, "the node did not start");
    assert.match(node.message, new RegExp(`others can read it \\(mode 0644\\); run chmod 600 ${exposed}`));
  },
});

Deno.test({
  name: "the bootstrap refuses a store or join secret others can read; its data dir is 0700, both files 0600",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using temp = await tempDir();
    const env = isolatedEnv(temp.path, "servers");
    const data = join(temp.path, "boot");
    const first = await startBootstrap(data, env);
    assert.equal(await first.stop(), 0);
    const mode = async (path: string) => (await Deno.stat(path)).mode! & 0o777;
    assert.equal(await mode(data), 0o700);
    for (const name of ["users.db", "join-secret"]) assert.equal(await mode(join(data, name)), 0o600, name);
    for (const [name, what] of [["join-secret", "the join secret"], ["users.db", "the store"]] as const) {
      await t.step(`${name} at 0644: refused, saying chmod 600`, async () => {
        const path = join(data, name);
        await Deno.chmod(path, 0o644);
        const error = await startBootstrap(data, env).then(
          async (d) => {
            await d.stop();
            return null;
          },
          (e: Error) => e,
        );
        assert.ok(error, "the bootstrap started");
        assert.match(
          error.message,
          new RegExp(`Cannot use ${what} ${path}: others can read it .*chmod 600 ${path}`),
        );
        await Deno.chmod(path, 0o600);
      });
    }
    await using again = await startBootstrap(data, env);
    assert.match(again.url, /^http:/, "fixed modes: it starts");
  },
});

Deno.test({
  name:
    "100 failed sign-ins, a bootstrap restart, and the 101st is still refused (the store keeps the counters)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using temp = await tempDir();
    const env = isolatedEnv(temp.path, "servers");
    const media = join(temp.path, "lib");
    await Deno.mkdir(media);
    const data = join(temp.path, "boot");
    const port = freePort();
    // The per-address limit is lifted so that only the per-account one (100 per hour) applies.
    const args = [
      "bootstrap",
      "--listen",
      `127.0.0.1:${port}`,
      "--data",
      data,
      "--sign-in-rate",
      "100000/min",
    ];
    const auth = async (url: string) => {
      const member = new AudiodClient(url, { joinSecret: await joinSecretOf(url) });
      return await waitFor("an auth instance", async () => (await member.candidates("auth"))[0]?.url, 30_000);
    };
    const login = async (authUrl: string, password: string) => {
      const res = await fetch(`${authUrl}/v1/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ user: "target", password }),
      });
      const body = await res.json();
      return { status: res.status, message: body.error?.message as string | undefined };
    };
    let bootstrap = await startDaemon(args, { env });
    let node = await startContent(bootstrap.url, media, join(temp.path, "node"), env);
    try {
      let authUrl = await auth(bootstrap.url);
      const reg = await fetch(`${authUrl}/v1/register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ user: "target", password: PASSWORD }),
      });
      assert.equal(reg.status, 201);
      await reg.body?.cancel();
      for (let i = 0; i < 100; i++) assert.equal((await login(authUrl, `wrong password ${i}`)).status, 401);
      assert.equal((await login(authUrl, PASSWORD)).status, 429, "the 101st, before the restart");

      await node.stop();
      assert.equal(await bootstrap.stop(), 0);
      bootstrap = await startDaemon(args, { env });
      node = await startContent(bootstrap.url, media, join(temp.path, "node"), env);
      authUrl = await auth(bootstrap.url);
      const after = await login(authUrl, PASSWORD);
      assert.equal(after.status, 429, "the 101st, after the restart");
      assert.match(after.message ?? "", /too many attempts, try again in \d+ s/);
    } finally {
      await node.stop();
      await bootstrap.stop();
    }
  },
});
