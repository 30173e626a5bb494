/**
 * `ha`: several bootstraps on one PostgreSQL.
 * - failover: three bootstraps and two content nodes; kill -9 the leader (at least five times, restarting it
 *   each time) and time the first successful sign-in through another bootstrap, and how long until scheduling
 *   resumed: at the kill one auth instance is told to stop, and the time runs until the new leader's
 *   replacement is registered;
 * - login: sign-ins per second through three bootstraps on PostgreSQL against one on SQLite, with the same two
 *   auth instances' worth of Argon2id either way (wrk, like `login`).
 *
 * Skipped (a failed case says why) where PostgreSQL is not installed.
 *
 * @module
 */
import { join } from "node:path";
import { AudiodClient } from "../client/api.ts";
import { JOIN_SECRET_HEADER } from "../daemon/cluster/join_secret.ts";
import type { BootstrapList } from "../protocol/mod.ts";
import { type Daemon, freePort, isolatedEnv, startDaemon, waitFor } from "../tests/_harness.ts";
import { POSTGRES_MISSING, startPostgres, type TestPostgres } from "../tests/_postgres.ts";
import type { BenchCase, BenchContext } from "./_context.ts";
import { median, result } from "./_stats.ts";
import { say, wrk } from "./_tools.ts";

const PASSWORD = "benchmark password";

const LOGIN_SCRIPT = `
wrk.method = "POST"
wrk.body = '{"user":"bench","password":"${PASSWORD}"}'
wrk.headers["Content-Type"] = "application/json"
`;

/** Bootstraps on fixed ports (a killed one comes back at the same address). */
interface Bootstraps extends AsyncDisposable {
  slots: { port: number; dir: string; daemon: Daemon | null }[];
  list: string;
  secretFile: string;
  start(i: number): Promise<void>;
}

async function bootstraps(root: string, store: string | null, count: number): Promise<Bootstraps> {
  const env = isolatedEnv(root, "servers");
  const slots = Array.from({ length: count }, (_, i) => ({
    port: freePort(),
    dir: join(root, `boot-${i}`),
    daemon: null as Daemon | null,
  }));
  const start = async (i: number) => {
    const slot = slots[i]!;
    slot.daemon = await startDaemon([
      "bootstrap",
      "--listen",
      `127.0.0.1:${slot.port}`,
      "--data",
      slot.dir,
      ...(store ? ["--store", store] : []),
      "--sign-in-rate",
      "999999/min",
      "--log-format",
      "json",
    ], { env });
  };
  await Promise.all(slots.map((_, i) => start(i)));
  return {
    slots,
    list: slots.map((s) => `http://127.0.0.1:${s.port}`).join(","),
    secretFile: join(slots[0]!.dir, "join-secret"),
    start,
    async [Symbol.asyncDispose]() {
      await Promise.allSettled(slots.map((s) => s.daemon?.stop()));
    },
  };
}

async function leaderOf(boots: Bootstraps): Promise<{ index: number; epoch: number } | undefined> {
  for (const s of boots.slots) {
    if (!s.daemon) continue;
    try {
      const res = await fetch(`${s.daemon.url}/v1/bootstraps`, { signal: AbortSignal.timeout(500) });
      const list = await res.json() as BootstrapList;
      const leader = list.bootstraps.find((b) => b.leader);
      const index = boots.slots.findIndex((x) => x.daemon && x.daemon.url === leader?.url);
      if (index >= 0) return { index, epoch: list.epoch };
    } catch { /* the next */ }
  }
  return undefined;
}

async function authUrls(bootstrap: string, count: number): Promise<{ id: string; url: string }[]> {
  return await waitFor(`${count} auth instances`, async () => {
    const res = await fetch(`${bootstrap}/v1/services/auth`);
    const body = await res.json() as { candidates: { id: string; url: string }[] };
    return body.candidates.length >= count ? body.candidates : undefined;
  }, 60_000);
}

async function failover(
  ctx: BenchContext,
  pg: TestPostgres,
): Promise<{ signIn: number[]; scheduling: number[] }> {
  const root = join(ctx.root, "ha-failover");
  await using boots = await bootstraps(root, await pg.createDatabase("failover"), 3);
  const env = isolatedEnv(root, "servers");
  const nodes: Daemon[] = [];
  const out = { signIn: [] as number[], scheduling: [] as number[] };
  try {
    for (const n of [0, 1]) {
      const media = await ctx.trackFolder(`ha ${n}`, 1);
      nodes.push(
        await startDaemon([
          "content",
          "--bootstrap",
          boots.list,
          "--media",
          media,
          "--data",
          join(root, `node-${n}`),
          "--join-secret-file",
          boots.secretFile,
        ], { env }),
      );
    }
    const secret = (await Deno.readTextFile(boots.secretFile)).trim();
    await authUrls(boots.slots[0]!.daemon!.url, 2);
    const client = new AudiodClient(boots.list);
    await waitFor(
      "the listener's account",
      () => client.register("bench", PASSWORD).then(() => true),
      30_000,
    );
    const kills = Math.max(5, ctx.runs);
    for (let k = 0; k < kills; k++) {
      const leader = await waitFor("a leader", () => leaderOf(boots), 30_000);
      const slot = boots.slots[leader.index]!;
      const survivor = boots.slots.find((s) => s !== slot && s.daemon)!.daemon!.url;
      await authUrls(survivor, 2);
      const hosting = nodes[0]!;
      // The auth instance node 0 runs: only a leader replaces it once it stops.
      const hosted = await (await fetch(`${hosting.url}/v1/internal/instances`, {
        headers: { [JOIN_SECRET_HEADER]: secret },
      })).json() as { instances: { role: string; id: string | null; state: string }[] };
      const victim = { id: hosted.instances.find((h) => h.role === "auth" && h.state === "up" && h.id)!.id! };
      const killedAt = performance.now();
      slot.daemon!.process.kill("SIGKILL");
      // One auth instance leaves at the same moment: only a leader replaces it.
      const stopped = fetch(`${hosting.url}/v1/internal/stop`, {
        method: "POST",
        headers: { "content-type": "application/json", [JOIN_SECRET_HEADER]: secret },
        body: JSON.stringify({ instance: victim.id }),
      }).then((r) => r.body?.cancel()).catch(() => {});
      // A fresh client each time, as a listener arriving then would be (no bootstrap known to be dead).
      const fresh = new AudiodClient(boots.list);
      await waitFor("a sign-in", () => fresh.login("bench", PASSWORD).then(() => true), 30_000);
      out.signIn.push(performance.now() - killedAt);
      await stopped;
      await waitFor("the stopped auth instance replaced", async () => {
        const res = await fetch(`${survivor}/v1/services/auth`);
        const body = await res.json() as { candidates: { id: string }[] };
        return body.candidates.length >= 2 && !body.candidates.some((c) => c.id === victim.id) || undefined;
      }, 30_000);
      out.scheduling.push(performance.now() - killedAt);
      await slot.daemon!.stop();
      await boots.start(leader.index);
      say(
        `ha failover ${k + 1}: sign-in after ${Math.round(out.signIn.at(-1)!)} ms, scheduling after ${
          Math.round(out.scheduling.at(-1)!)
        } ms`,
      );
    }
  } finally {
    await Promise.allSettled(nodes.map((n) => n.stop()));
  }
  return out;
}

/** Sign-ins per second through two auth instances joined to `boots` (spread over its bootstraps). */
async function loginRate(
  ctx: BenchContext,
  root: string,
  store: string | null,
  count: number,
): Promise<{ measure: () => Promise<number>; [Symbol.asyncDispose](): Promise<void> }> {
  const boots = await bootstraps(root, store, count);
  const env = isolatedEnv(root, "servers");
  const auth: Daemon[] = [];
  const urls = boots.slots.map((s) => s.daemon!.url);
  for (let i = 0; i < 2; i++) {
    // Each auth instance talks to its own bootstrap first.
    const order = [...urls.slice(i % urls.length), ...urls.slice(0, i % urls.length)].join(",");
    auth.push(
      await startDaemon(
        ["auth", "--bootstrap", order, "--listen", "127.0.0.1:0", "--join-secret-file", boots.secretFile],
        { env },
      ),
    );
  }
  await authUrls(urls[0]!, 2);
  await waitFor(
    "the listener's account",
    () => new AudiodClient(boots.list).register("bench", PASSWORD).then(() => true),
  );
  const seconds = ctx.quick ? 3 : 6;
  const clients = Math.max(2, navigator.hardwareConcurrency);
  const measure = async () => {
    const runs = await Promise.all(auth.map((a) =>
      wrk(`${a.url}/v1/login`, {
        connections: Math.max(1, Math.round(clients / auth.length)),
        threads: 1,
        seconds,
        script: LOGIN_SCRIPT,
        workDir: ctx.root,
      })
    ));
    return runs.reduce((sum, r) => sum + (r.requests - r.errors) / r.seconds, 0);
  };
  await measure(); // warm up
  return {
    measure,
    async [Symbol.asyncDispose]() {
      await Promise.allSettled(auth.map((a) => a.stop()));
      await boots[Symbol.asyncDispose]();
    },
  };
}

export const haCase: BenchCase = {
  id: "ha",
  async run(ctx) {
    if (POSTGRES_MISSING) throw new Error(`Cannot run the ha case: ${POSTGRES_MISSING}`);
    await using pg = await startPostgres();
    const times = await failover(ctx, pg);
    const rates = { pg: [] as number[], sqlite: [] as number[] };
    {
      await using shared = await loginRate(
        ctx,
        join(ctx.root, "ha-login-pg"),
        await pg.createDatabase("login"),
        3,
      );
      await using alone = await loginRate(ctx, join(ctx.root, "ha-login-sqlite"), null, 1);
      for (let i = 0; i < ctx.runs; i++) {
        const order = i % 2 === 0 ? ["pg", "sqlite"] as const : ["sqlite", "pg"] as const;
        for (const side of order) rates[side].push(await (side === "pg" ? shared : alone).measure());
      }
    }
    say(`ha login: PostgreSQL ${rates.pg.map(Math.round)} SQLite ${rates.sqlite.map(Math.round)} per s`);
    return [
      result("ha failover sign-in", {
        audiod: median(times.signIn),
        rawUnit: "ms",
        target: 3000,
        better: "lower",
        runs: times.signIn.length,
        note: "kill -9 of the leader → first successful sign-in through another bootstrap (3 bootstraps)",
      }),
      result("ha failover scheduling", {
        audiod: median(times.scheduling),
        rawUnit: "ms",
        target: 5000,
        better: "lower",
        runs: times.scheduling.length,
        note:
          "kill -9 of the leader (and a stop of one auth instance) → the new leader's replacement registered",
      }),
      result("ha login", {
        audiod: median(rates.pg),
        baseline: median(rates.sqlite),
        rawUnit: "logins/s",
        target: 0.8,
        better: "higher",
        runs: ctx.runs,
        note: "sign-ins/s through 3 bootstraps on PostgreSQL against 1 on SQLite, 2 auth instances each",
      }),
    ];
  },
};
