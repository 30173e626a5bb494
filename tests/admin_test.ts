/**
 * Who may join and who manages the accounts (issue 17), with real processes on 127.0.0.1: each registration
 * policy (open; invite, a one-use code then refused, an expired code refused; closed), the first account is the
 * admin, a non-admin gets 403 on every admin command, promote and demote, status shows hosts and pids to admins
 * only, and a disabled account's stream is cut at the file instance and it cannot sign in. Admin actions and
 * sign-ins are event lines in the bootstrap's log.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  audiod,
  type CommandResult,
  type Daemon,
  isolatedEnv,
  joinSecretOf,
  startBootstrap,
  startContent,
  tempDir,
  waitFor,
  withToken,
} from "./_harness.ts";
import { AudiodClient } from "../client/api.ts";
import { synthesizeWav } from "../media/wav.ts";
import type { AccountSummary, Session, StatusReport } from "../protocol/mod.ts";

const PASSWORD = "a long enough password";

/** A bootstrap (with `--registration policy`) and a content node serving one 60 s track. */
async function cluster(root: string, policy: "open" | "invite" | "closed") {
  const env = isolatedEnv(root, "servers");
  const media = join(root, "lib");
  await Deno.mkdir(media, { recursive: true });
  await Deno.writeFile(
    join(media, "long.wav"),
    synthesizeWav({ seconds: 60, frequency: 330, tags: { title: "Admin Tone" } }),
  );
  const bootstrap = await startBootstrap(join(root, "boot"), env, [
    "--log-format",
    "json",
    "--sign-in-rate",
    "500/min",
    "--registration",
    policy,
  ]);
  let node: Daemon | undefined;
  let report: StatusReport;
  try {
    node = await startContent(bootstrap.url, media, join(root, "node"), env);
    const member = new AudiodClient(bootstrap.url, { joinSecret: await joinSecretOf(bootstrap.url) });
    report = await waitFor("an auth and a file instance and the track", async () => {
      const s = await member.status();
      const up = (role: string) => s.nodes.some((n) => n.role === role && n.state === "up");
      return s.tracks === 1 && up("auth") && up("file") ? s : undefined;
    }, 30_000);
  } catch (error) {
    await node?.stop();
    await bootstrap.stop();
    throw error;
  }
  const host = bootstrap.url;
  /** Runs `audiod ARGS` as `user` (its own config dir; its saved session, once it signed in). */
  const as = (user: string, args: string[], stdin?: string): Promise<CommandResult> =>
    audiod(args, { env: isolatedEnv(root, `client-${user}`), ...(stdin !== undefined ? { stdin } : {}) });
  const sessionOf = async (user: string): Promise<Session> =>
    JSON.parse(
      await Deno.readTextFile(join(isolatedEnv(root, `client-${user}`).AUDIOD_CONFIG_DIR!, "session.json")),
    );
  return {
    host,
    bootstrap,
    node: node!,
    file: report.nodes.find((n) => n.role === "file" && n.state === "up")!.url,
    as,
    sessionOf,
    /** `audiod register` as `user` (with `--invite code`). */
    register: (user: string, invite?: string) =>
      as(user, [
        "register",
        "--host",
        host,
        "--user",
        user,
        "--password-stdin",
        ...(invite !== undefined ? ["--invite", invite] : []),
      ], PASSWORD + "\n"),
    login: (user: string, password = PASSWORD) =>
      as(user, ["login", "--host", host, "--user", user, "--password-stdin"], password + "\n"),
    /** The accounts as `admin` lists them (`audiod users --json`). */
    async accounts(admin: string): Promise<AccountSummary[]> {
      const out = await as(admin, ["users", "--json"]);
      assert.equal(out.code, 0, out.stderr);
      return JSON.parse(out.stdout);
    },
    async [Symbol.asyncDispose]() {
      await node!.stop();
      await bootstrap.stop();
    },
  };
}

function ok(result: CommandResult, what: string): CommandResult {
  assert.equal(result.code, 0, `${what}: ${result.stderr}`);
  return result;
}

Deno.test({
  name: "open registration: the first account is admin, a second is not; promote, demote; non-admins get 403",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using temp = await tempDir();
    await using c = await cluster(temp.path, "open");
    ok(await c.register("alice"), "alice registers");
    ok(await c.register("bob"), "bob registers");

    await t.step("alice, the first, is admin; bob is not; both listed with their sign-in", async () => {
      const accounts = await c.accounts("alice");
      assert.deepEqual(accounts.map((a) => [a.user, a.admin, a.disabled]), [
        ["alice", true, false],
        ["bob", false, false],
      ]);
      for (const a of accounts) {
        assert.equal(a.sessions, 1, `${a.user}'s session`);
        assert.ok(a.lastSignIn !== null && a.lastSignIn >= a.createdAt, `${a.user}'s last sign-in`);
      }
      const table = ok(await c.as("alice", ["users"]), "the table");
      assert.match(table.stdout, /alice\s+admin\s+active/);
      assert.match(table.stdout, /2 accounts/);
    });

    await t.step("bob gets 403 on every admin command", async () => {
      const commands = [
        ["users"],
        ["users", "--json"],
        ["invite"],
        ["users", "disable", "alice"],
        ["users", "enable", "alice"],
        ["users", "sign-out", "alice"],
        ["users", "promote", "bob"],
        ["users", "demote", "alice"],
        ["users", "remove", "alice"],
      ];
      for (const args of commands) {
        const out = await c.as("bob", args);
        assert.equal(out.code, 1, args.join(" "));
        assert.match(out.stderr, /only an admin of this cluster may/, args.join(" "));
      }
      for (
        const args of [["users", "add", "mallory", "--password-stdin"], [
          "users",
          "reset-password",
          "alice",
          "--password-stdin",
        ]]
      ) {
        const out = await c.as("bob", args, "another long password\n");
        assert.equal(out.code, 1, args.join(" "));
        assert.match(out.stderr, /only an admin of this cluster may/, args.join(" "));
      }
      // And on the wire, every admin route answers 403.
      const token = (await c.sessionOf("bob")).token;
      const routes: [string, string][] = [
        ["GET", "/v1/admin/users"],
        ["POST", "/v1/admin/invites"],
        ["DELETE", "/v1/admin/users/alice"],
        ...["disable", "enable", "sign-out", "promote", "demote"].map((a) =>
          ["POST", `/v1/admin/users/alice/${a}`] as [string, string]
        ),
      ];
      for (const [method, path] of routes) {
        const res = await fetch(
          `${c.host}${path}`,
          withToken(token, { method, body: method === "POST" ? "{}" : null }),
        );
        assert.equal(res.status, 403, `${method} ${path}`);
        assert.equal((await res.json()).error.code, "not_admin");
      }
      const none = await fetch(`${c.host}/v1/admin/users`);
      assert.equal(none.status, 401, "no session: 401");
      await none.body?.cancel();
      assert.equal((await c.accounts("alice")).length, 2, "nothing changed");
    });

    await t.step("status shows hosts and pids to the admin only", async () => {
      const asUser = async (user: string) => {
        const res = await fetch(`${c.host}/v1/status`, withToken((await c.sessionOf(user)).token));
        return await res.json() as StatusReport;
      };
      const admin = await asUser("alice");
      assert.ok(admin.nodes.length >= 4);
      for (const n of admin.nodes) {
        assert.equal(typeof n.pid, "number", `${n.role} pid for the admin`);
        assert.equal(n.host, "127.0.0.1", `${n.role} host for the admin`);
      }
      for (const n of (await asUser("bob")).nodes) {
        assert.equal(n.pid, undefined, `${n.role} pid hidden from bob`);
        assert.equal(n.host, undefined, `${n.role} host hidden from bob`);
      }
      const table = ok(await c.as("alice", ["status"]), "alice's status");
      assert.match(table.stdout, new RegExp(`\\b${c.node.process.pid}\\b`));
    });

    await t.step(
      "promote makes bob an admin; demote undoes it; the last admin cannot be demoted",
      async () => {
        ok(await c.as("alice", ["users", "promote", "bob"]), "promote");
        assert.equal(
          (await c.accounts("bob")).find((a) => a.user === "bob")?.admin,
          true,
          "bob lists as admin",
        );
        ok(await c.as("bob", ["users", "demote", "bob"]), "bob demotes himself");
        const refused = await c.as("bob", ["users"]);
        assert.equal(refused.code, 1);
        assert.match(refused.stderr, /only an admin/);
        const last = await c.as("alice", ["users", "demote", "alice"]);
        assert.equal(last.code, 1);
        assert.match(last.stderr, /last admin/);
      },
    );

    await t.step("admin actions and sign-ins are event lines, with the client's address", () => {
      const events = c.bootstrap.events();
      const has = (event: string, fields: Record<string, unknown>) =>
        events.some((e) => e.event === event && Object.entries(fields).every(([k, v]) => e[k] === v));
      assert.ok(has("user.registered", { user: "alice", admin: true, via: "first", address: "127.0.0.1" }));
      assert.ok(has("user.registered", { user: "bob", admin: false, via: "open" }));
      assert.ok(has("sign_in.ok", { user: "bob", address: "127.0.0.1" }));
      assert.ok(has("admin.promote", { by: "alice", user: "bob" }));
      assert.ok(has("admin.demote", { by: "bob", user: "bob" }));
      assert.ok(has("admin.users_listed", { by: "alice" }));
      assert.ok(has("admin.refused", { user: "bob" }));
    });

    await t.step("a wrong password is a logged failure with the address", async () => {
      const out = await c.login("bob", "not the password at all");
      assert.equal(out.code, 1);
      assert.ok(
        c.bootstrap.events().some((e) =>
          e.event === "sign_in.failed" && e.user === "bob" && e.address === "127.0.0.1"
        ),
      );
    });
  },
});

Deno.test({
  name: "invite registration: no code is refused, a one-use code works once, an expired code is refused",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using temp = await tempDir();
    await using c = await cluster(temp.path, "invite");
    ok(await c.register("root"), "the first account needs no invite");
    assert.equal((await c.accounts("root"))[0]?.admin, true);

    await t.step("without a code: refused, saying an invite is needed", async () => {
      const out = await c.register("walkin");
      assert.equal(out.code, 1);
      assert.match(out.stderr, /needs an invite code/);
    });

    await t.step("a one-use code lets one account in, then is refused", async () => {
      const made = JSON.parse(ok(await c.as("root", ["invite", "--json"]), "invite").stdout);
      assert.equal(made.uses, 1);
      assert.equal(typeof made.code, "string");
      ok(await c.register("guest", made.code), "guest registers with the code");
      const again = await c.register("second", made.code);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /unknown, used up or expired/);
      const bogus = await c.register("third", "x".repeat(43));
      assert.equal(bogus.code, 1);
      assert.match(bogus.stderr, /unknown, used up or expired/);
      assert.deepEqual((await c.accounts("root")).map((a) => [a.user, a.admin]), [["guest", false], [
        "root",
        true,
      ]]);
    });

    await t.step("an expired code is refused", async () => {
      const made = JSON.parse(
        ok(await c.as("root", ["invite", "--expires", "1s", "--json"]), "invite").stdout,
      );
      await waitFor("the code to expire", () => Date.now() > made.expiresAt + 200 || undefined, 5000);
      const late = await c.register("late", made.code);
      assert.equal(late.code, 1);
      assert.match(late.stderr, /unknown, used up or expired/);
    });

    await t.step("bad --uses and --expires are usage errors", async () => {
      for (const args of [["invite", "--uses", "0"], ["invite", "--expires", "soon"]]) {
        const out = await c.as("root", args);
        assert.equal(out.code, 2, args.join(" "));
        assert.match(out.stderr, /Cannot use --/);
      }
    });
  },
});

Deno.test({
  name: "closed registration: only the first account signs up, an admin adds the rest and resets passwords",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using temp = await tempDir();
    await using c = await cluster(temp.path, "closed");
    ok(await c.register("root"), "the first account");

    await t.step("a sign-up is refused, even with an invite", async () => {
      const out = await c.register("walkin");
      assert.equal(out.code, 1);
      assert.match(out.stderr, /closed to sign-ups/);
      const made = JSON.parse(ok(await c.as("root", ["invite", "--json"]), "invite").stdout);
      const withCode = await c.register("walkin", made.code);
      assert.equal(withCode.code, 1);
      assert.match(withCode.stderr, /closed to sign-ups/);
    });

    await t.step("users add: the new account signs in with the password the admin set", async () => {
      const added = ok(
        await c.as("root", ["users", "add", "carol", "--password-stdin"], "carol's first password\n"),
        "add",
      );
      assert.match(added.stdout, /Added the account carol/);
      ok(await c.login("carol", "carol's first password"), "carol signs in");
      assert.deepEqual((await c.accounts("root")).map((a) => [a.user, a.admin]), [["carol", false], [
        "root",
        true,
      ]]);
    });

    await t.step("users reset-password: the old password and carol's sessions end", async () => {
      const carol = (await c.sessionOf("carol")).token;
      const reset = ok(
        await c.as(
          "root",
          ["users", "reset-password", "carol", "--password-stdin"],
          "carol's second password\n",
        ),
        "reset",
      );
      assert.match(reset.stdout, /1 session ended/);
      const probe = await fetch(`${c.host}/v1/session`, withToken(carol));
      assert.equal(probe.status, 401, "carol's old session ended");
      await probe.body?.cancel();
      assert.equal((await c.login("carol", "carol's first password")).code, 1, "the old password is refused");
      ok(await c.login("carol", "carol's second password"), "the new one works");
      assert.ok(c.bootstrap.events().some((e) => e.event === "admin.password_reset" && e.by === "root"));
    });
  },
});

Deno.test({
  name: "a disabled account's stream is cut at the file instance and it cannot sign in; enable lets it back",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using temp = await tempDir();
    await using c = await cluster(temp.path, "open");
    ok(await c.register("admin"), "the admin");
    ok(await c.register("dave"), "dave");
    const token = (await c.sessionOf("dave")).token;
    const track = (await new AudiodClient(c.host, { token }).tracks())[0]!;
    const apiKey =
      JSON.parse(ok(await c.as("dave", ["apikey", "create", "--json"]), "an API key").stdout).key;
    /** The OpenSubsonic API's answer to a ping with dave's API key. */
    const ping = async () => {
      const res = await fetch(`${c.host}/rest/ping?apiKey=${apiKey}&f=json&v=1.16.1&c=admin-test`);
      return (await res.json())["subsonic-response"] as { status: string; error?: { message: string } };
    };
    assert.equal((await ping()).status, "ok", "the API key works");

    await t.step("disable: dave's stream ends within a bounded wait and sign-in is refused", async () => {
      const res = await fetch(`${c.file}/v1/tracks/${track.id}`, withToken(token));
      assert.equal(res.status, 200);
      // Read slowly (the whole track would take about 20 s), so only a cut can end the stream soon.
      let received = 0;
      let ended = false;
      let fast = false;
      const reading = (async () => {
        const reader = res.body!.getReader();
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            received += value.length;
            if (!fast) await new Promise((r) => setTimeout(r, 100));
          }
        } catch { /* cut */ }
        ended = true;
      })();
      await waitFor("the stream to flow", () => received > 64 * 1024 || undefined, 10_000);
      const out = ok(await c.as("admin", ["users", "disable", "dave"]), "disable");
      assert.match(out.stdout, /Disabled dave; 1 session ended/);
      // Read what the sockets still hold as fast as it comes: a stream still flowing would now arrive whole.
      fast = true;
      await waitFor("dave's stream to end", () => ended || undefined, 3000);
      await reading;
      assert.ok(received < track.size, `the stream ended short (${received} of ${track.size} bytes)`);
      const probe = await fetch(
        `${c.file}/v1/tracks/${track.id}`,
        withToken(token, { headers: { range: "bytes=0-0" } }),
      );
      assert.equal(probe.status, 401, "the file instance refuses the token");
      await probe.body?.cancel();
      const login = await c.login("dave");
      assert.equal(login.code, 1);
      assert.match(login.stderr, /the account is disabled/);
      assert.ok(
        c.bootstrap.events().some((e) =>
          e.event === "sign_in.refused" && e.user === "dave" && e.address === "127.0.0.1"
        ),
        "the refused sign-in is an event line with the address",
      );
      const refused = await ping();
      assert.equal(refused.status, "failed", "the API key signs nothing in");
      assert.match(refused.error?.message ?? "", /disabled/);
      const dave = (await c.accounts("admin")).find((a) => a.user === "dave")!;
      assert.deepEqual([dave.disabled, dave.sessions], [true, 0]);
      assert.ok(
        c.bootstrap.events().some((e) =>
          e.event === "admin.disable" && e.by === "admin" && e.user === "dave"
        ),
      );
    });

    await t.step("enable: dave signs in again", async () => {
      ok(await c.as("admin", ["users", "enable", "dave"]), "enable");
      ok(await c.login("dave"), "dave signs in");
    });

    await t.step("sign-out and remove end dave's sessions; a removed account is gone", async () => {
      assert.match(
        ok(await c.as("admin", ["users", "sign-out", "dave"]), "sign-out").stdout,
        /1 session ended/,
      );
      ok(await c.login("dave"), "dave signs in again");
      ok(await c.as("admin", ["users", "remove", "dave"]), "remove");
      assert.deepEqual((await c.accounts("admin")).map((a) => a.user), ["admin"]);
      const unknown = await c.as("admin", ["users", "disable", "dave"]);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /Cannot find the account "dave"/);
    });
  },
});
