/**
 * `login`: successful sign-ins per second against one auth instance, then against two at once (each its own
 * process, loaded by wrk with a few connections). Value: the scaling efficiency, rate(2) / (2 × rate(1)).
 *
 * @module
 */
import { BENCH_PASSWORD, startCluster } from "./_cluster.ts";
import type { BenchCase } from "./_context.ts";
import { median, result } from "./_stats.ts";
import { cpuSeconds, procMemory, say, wrk } from "./_tools.ts";

const LOGIN_SCRIPT = `
wrk.method = "POST"
wrk.body = '{"user":"bench","password":"${BENCH_PASSWORD}"}'
wrk.headers["Content-Type"] = "application/json"
`;

export const loginCase: BenchCase = {
  id: "login",
  async run(ctx) {
    const seconds = ctx.quick ? 3 : 6;
    await using cluster = await startCluster({ root: `${ctx.root}/login`, media: [], auth: 2, tracks: 0 });
    const pids = cluster.auth.map((d) => d.process.pid);
    /** CPU cores the auth instances kept busy during the last load. */
    let coresUsed: number[] = [];
    // The same offered load either way: one client per core signing in back to back, split over the instances
    // (more concurrent 19 MiB hashes than cores thrash the caches: each login then costs twice the CPU).
    const clients = Math.max(2, navigator.hardwareConcurrency);
    const load = async (urls: string[]) => {
      const before = pids.map(cpuSeconds);
      const started = performance.now();
      const runs = await Promise.all(
        urls.map((url) =>
          wrk(`${url}/v1/login`, {
            connections: Math.max(1, Math.round(clients / urls.length)),
            threads: 1,
            seconds,
            script: LOGIN_SCRIPT,
            workDir: ctx.root,
          })
        ),
      );
      const elapsed = (performance.now() - started) / 1000;
      coresUsed = pids.map((pid, i) => (cpuSeconds(pid) - before[i]!) / elapsed);
      const failed = runs.reduce((n, r) => n + r.errors, 0);
      if (failed > 0) say(`login: ${failed} sign-ins failed or were refused`);
      return runs.reduce((sum, r) => sum + (r.requests - r.errors) / r.seconds, 0);
    };
    const urls = cluster.auth.map((d) => d.url);
    await load(urls); // warm up both instances
    const one: number[] = [];
    const two: number[] = [];
    const cores = { one: [] as number[], two: [] as number[] };
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    for (let i = 0; i < ctx.runs; i++) {
      // Alternate which instance serves alone, and whether one or two go first.
      const alone = [urls[i % 2]!];
      const measureOne = async () => {
        one.push(await load(alone));
        cores.one.push(sum(coresUsed));
      };
      const measureTwo = async () => {
        two.push(await load(urls));
        cores.two.push(sum(coresUsed));
      };
      if (i % 2 === 0) {
        await measureOne();
        await measureTwo();
      } else {
        await measureTwo();
        await measureOne();
      }
    }
    // Each login allocates Argon2id's 19 MiB: what the instances hold afterwards tells whether it is returned.
    const rss = pids.map((pid) => procMemory(pid, "VmRSS") / 1e6);
    say(`login: auth instances' RSS afterwards ${rss.map(Math.round).join(", ")} MB`);
    say(`login: one ${one.map(Math.round)} two ${two.map(Math.round)} per s`);
    const rate1 = median(one);
    const rate2 = median(two);
    const note = `Argon2id (19 MiB, 2 passes) per login; ${clients} wrk connections for ${seconds} s`;
    return [
      result("login 1 instance", {
        audiod: rate1,
        rawUnit: "logins/s",
        target: null,
        better: "higher",
        runs: ctx.runs,
        note: `${note}; the instance kept ${median(cores.one).toFixed(1)} cores busy`,
      }),
      result("login 2 instances", {
        audiod: rate2,
        rawUnit: "logins/s",
        target: null,
        better: "higher",
        runs: ctx.runs,
        note: `${note}; together they kept ${median(cores.two).toFixed(1)} cores busy`,
      }),
      result("login scaling", {
        audiod: rate2 / (2 * rate1),
        rawUnit: "×",
        target: 0.8,
        better: "higher",
        runs: ctx.runs,
        note: `logins/s with two auth instances over twice that with one; their RSS afterwards ${
          rss.map(Math.round).join(" and ")
        } MB`,
      }),
    ];
  },
};
