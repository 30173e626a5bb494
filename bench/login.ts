/**
 * `login`: successful sign-ins per second against one auth instance, then against two at once (each its own
 * process, loaded by wrk with a few connections). Value: the scaling efficiency, rate(2) / (2 × rate(1)).
 *
 * @module
 */
import { BENCH_PASSWORD, startCluster } from "./_cluster.ts";
import type { BenchCase } from "./_context.ts";
import { median, result } from "./_stats.ts";
import { say, wrk } from "./_tools.ts";

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
    const load = async (urls: string[]) => {
      const runs = await Promise.all(
        urls.map((url) =>
          wrk(`${url}/v1/login`, {
            connections: 4,
            threads: 1,
            seconds,
            script: LOGIN_SCRIPT,
            workDir: ctx.root,
          })
        ),
      );
      return runs.reduce((sum, r) => sum + (r.requests - r.errors) / r.seconds, 0);
    };
    const urls = cluster.auth.map((d) => d.url);
    await load(urls); // warm up both instances
    const one: number[] = [];
    const two: number[] = [];
    for (let i = 0; i < ctx.runs; i++) {
      // Alternate which instance serves alone, and whether one or two go first.
      const alone = [urls[i % 2]!];
      if (i % 2 === 0) {
        one.push(await load(alone));
        two.push(await load(urls));
      } else {
        two.push(await load(urls));
        one.push(await load(alone));
      }
    }
    say(`login: one ${one.map(Math.round)} two ${two.map(Math.round)} per s`);
    const rate1 = median(one);
    const rate2 = median(two);
    const note =
      `Argon2id (19 MiB, 2 passes) per login; ${navigator.hardwareConcurrency} cores; wrk ${seconds} s`;
    return [
      result("login 1 instance", {
        audiod: rate1,
        rawUnit: "logins/s",
        target: null,
        better: "higher",
        runs: ctx.runs,
        note,
      }),
      result("login 2 instances", {
        audiod: rate2,
        rawUnit: "logins/s",
        target: null,
        better: "higher",
        runs: ctx.runs,
        note,
      }),
      result("login scaling", {
        audiod: rate2 / (2 * rate1),
        rawUnit: "×",
        target: 0.8,
        better: "higher",
        runs: ctx.runs,
        note: "logins/s with two auth instances over twice that with one",
      }),
    ];
  },
};
