/**
 * Three bootstraps on one PostgreSQL and two content nodes, under a running workload (register, login,
 * browse, verified get, renew, password change, logout) through clients that know all three bootstraps:
 * the leader is killed (-9) five times in a row and restarted each time, then stopped (SIGSTOP) for 5 s, then
 * PostgreSQL is restarted (a crash). Nothing acknowledged is lost, no token is accepted after its logout was
 * acknowledged, every download verifies, the instances never exceed --max-*, no member is marked down because
 * a bootstrap died (up to the database crash: after it a member may be taken for dead once and re-register),
 * the paused leader schedules nothing once resumed, and an SSE subscriber moving between bootstraps sees every
 * event once. Skipped, with the reason in its name, where PostgreSQL is not installed.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import postgres from "postgres";
import { type Daemon, freePort, isolatedEnv, startDaemon, tempDir, waitFor } from "./_harness.ts";
import { POSTGRES_MISSING, skippedSuffix, startPostgres } from "./_postgres.ts";
import { makeLibrary } from "./fixtures.ts";
import { AudiodClient } from "../client/api.ts";
import { parseEventStream } from "../daemon/cluster/event_stream.ts";
import { JOIN_SECRET_HEADER } from "../daemon/cluster/join_secret.ts";
import type { BootstrapList, CatalogTrack, StatusReport } from "../protocol/mod.ts";

const MAX_FILE = 3;
const MAX_AUTH = 3;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One bootstrap slot: a fixed port, so a restarted bootstrap comes back at the same address. */
interface Slot {
  port: number;
  dir: string;
  daemon: Daemon | null;
}

Deno.test({
  name: "three bootstraps on one PostgreSQL survive leader kills, a paused leader and a database crash" +
    skippedSuffix(),
  ignore: !!POSTGRES_MISSING,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using pg = await startPostgres();
    await using temp = await tempDir();
    const root = temp.path;
    const storeUrl = await pg.createDatabase("audiod");
    const env = isolatedEnv(root, "servers");
    const slots: Slot[] = [0, 1, 2].map((i) => ({
      port: freePort(),
      dir: join(root, `boot-${i}`),
      daemon: null,
    }));
    const start = async (slot: Slot) => {
      slot.daemon = await startDaemon([
        "bootstrap",
        "--listen",
        `127.0.0.1:${slot.port}`,
        "--data",
        slot.dir,
        "--store",
        storeUrl,
        "--log-format",
        "json",
        "--max-file",
        String(MAX_FILE),
        "--max-auth",
        String(MAX_AUTH),
        // The workload signs in from one address far more often than a person would.
        "--sign-in-rate",
        "100000/m",
      ], { env });
    };
    const all: Daemon[] = [];
    const nodes: Daemon[] = [];
    try {
      await Promise.all(slots.map(start));
      all.push(...slots.map((s) => s.daemon!));
      const list = slots.map((s) => `http://127.0.0.1:${s.port}`).join(",");
      const secretFile = join(slots[0]!.dir, "join-secret");
      const secret = (await Deno.readTextFile(secretFile)).trim();
      const member = { [JOIN_SECRET_HEADER]: secret };
      const live = () => slots.filter((s) => s.daemon !== null);

      // Two content nodes with a track each and one in common.
      for (const n of [0, 1]) {
        const media = join(root, `music-${n}`);
        await makeLibrary(media, [
          { file: "common.wav", title: "Common", artist: "Both", album: "HA", seconds: 1 },
          { file: `own-${n}.wav`, title: `Own ${n}`, artist: `Node ${n}`, album: "HA", seconds: 1 },
        ]);
        const node = await startDaemon([
          "content",
          "--bootstrap",
          list,
          "--media",
          media,
          "--data",
          join(root, `node-${n}`),
          "--join-secret-file",
          secretFile,
          "--log-format",
          "json",
        ], { env });
        nodes.push(node);
      }

      const askJson = async <T>(url: string, path: string): Promise<T | undefined> => {
        try {
          const res = await fetch(`${url}${path}`, { headers: member, signal: AbortSignal.timeout(1500) });
          if (!res.ok) return void await res.body?.cancel();
          return await res.json() as T;
        } catch {
          return undefined;
        }
      };
      /** The leader as every live bootstrap lists it, once they agree. */
      const agreedLeader = async (): Promise<{ slot: Slot; epoch: number }> => {
        let seen: { url: string; epoch: number } | undefined;
        for (const s of live()) {
          const answer = await askJson<BootstrapList>(s.daemon!.url, "/v1/bootstraps");
          const leader = answer?.bootstraps.find((b) => b.leader);
          if (!answer || !leader) throw new Error(`${s.daemon!.url} knows no leader`);
          if (seen && seen.url !== leader.url) throw new Error("the bootstraps disagree on the leader");
          seen = { url: leader.url, epoch: answer.epoch };
        }
        const slot = live().find((s) => s.daemon!.url === seen!.url);
        if (!slot) throw new Error(`the leader ${seen!.url} is not one of the live bootstraps`);
        return { slot, epoch: seen!.epoch };
      };

      await t.step(
        "one bootstrap leads, and every bootstrap lists the same members and catalog",
        async () => {
          await waitFor("a leader all three agree on", agreedLeader);
          for (const s of slots) {
            await waitFor(`the whole cluster in ${s.daemon!.url}'s status`, async () => {
              const report = await askJson<StatusReport>(s.daemon!.url, "/v1/status");
              if (!report) return undefined;
              const count = (role: string) =>
                report.nodes.filter((n) => n.role === role && n.state === "up").length;
              const leaders = report.nodes.filter((n) => n.role === "bootstrap" && n.leader).length;
              return count("bootstrap") === 3 && count("content") === 2 && count("file") === 2 &&
                  count("auth") === 2 && report.tracks === 3 && leaders === 1 || undefined;
            }, 30_000);
          }
        },
      );

      // --- The workload -------------------------------------------------------------------------------
      const stats = {
        registered: new Map<string, string[]>(), // user -> passwords it may have (acknowledged last)
        verified: 0,
        mismatched: 0,
        acceptedAfterLogout: [] as string[],
        logouts: 0,
        changes: 0,
        errors: 0,
        maxFile: 0,
        maxAuth: 0,
      };
      let running = true;
      const client = new AudiodClient(list);
      const retry = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
        for (let attempt = 0;; attempt++) {
          try {
            return await fn();
          } catch (error) {
            stats.errors++;
            if (attempt >= 60 || !running) throw new Error(`Cannot ${what}: ${error}`);
            await sleep(250);
          }
        }
      };
      const md5Of = (bytes: Uint8Array) => createHash("md5").update(bytes).digest("hex");
      const download = async (token: string) => {
        const tracks = await retry("list the catalog", async () => {
          const page = await new AudiodClient(list, { token }).listTracks();
          if (page.tracks.length === 0) throw new Error("an empty catalog");
          return page.tracks;
        });
        const track: CatalogTrack = tracks[Math.floor(Math.random() * tracks.length)]!;
        await retry("download a track", async () => {
          const fresh = await new AudiodClient(list, { token }).track(track.id);
          const replica = fresh.replicas[0];
          if (!replica) throw new Error("no replica");
          const res = await fetch(`${replica.url}/v1/tracks/${track.id}`, {
            headers: { authorization: `Bearer ${token}` },
            signal: AbortSignal.timeout(5000),
          });
          if (!res.ok) throw new Error(`the file instance answered ${res.status}: ${await res.text()}`);
          const bytes = new Uint8Array(await res.arrayBuffer());
          if (md5Of(bytes) === track.md5) stats.verified++;
          else stats.mismatched++;
          return replica.url;
        });
        return track;
      };
      const refusedEverywhere = async (token: string, track: CatalogTrack) => {
        for (const s of live()) {
          try {
            const res = await fetch(`${s.daemon!.url}/v1/session`, {
              headers: { authorization: `Bearer ${token}` },
              signal: AbortSignal.timeout(1000),
            });
            await res.body?.cancel();
            if (res.ok) stats.acceptedAfterLogout.push(`${s.daemon!.url} /v1/session`);
          } catch { /* unreachable: refuses nothing, accepts nothing */ }
        }
        for (const replica of track.replicas) {
          try {
            const res = await fetch(`${replica.url}/v1/tracks/${track.id}`, {
              headers: { authorization: `Bearer ${token}`, range: "bytes=0-99" },
              signal: AbortSignal.timeout(1000),
            });
            await res.body?.cancel();
            if (res.ok) stats.acceptedAfterLogout.push(`${replica.url} track at ${new Date().toISOString()}`);
          } catch { /* gone */ }
        }
      };
      const worker = async (w: number) => {
        for (let i = 0; running; i++) {
          const user = `u${w}x${i}`;
          const first = `first password ${i}`;
          try {
            const registered = await retry("register", async () => {
              try {
                return await client.register(user, first);
              } catch (error) {
                // Asked again after an answer that got lost: the account is there (not acknowledged).
                if (error instanceof Error && /taken/.test(error.message)) return null;
                throw error;
              }
            });
            if (registered) stats.registered.set(user, [first]);
            const session = await retry("sign in", () => client.login(user, first));
            if (!registered) stats.registered.set(user, [first]);
            const track = await download(session.token);
            const renewed = await retry("renew", () => client.renew(session.token));
            const second = `second password ${i}`;
            stats.registered.set(user, [first, second]); // while the change is in flight, either
            await retry("change the password", () => client.changePassword(renewed.token, first, second));
            stats.registered.set(user, [second]);
            stats.changes++;
            await download(renewed.token);
            await retry("sign out", () => client.logout(renewed.token));
            stats.logouts++;
            await refusedEverywhere(renewed.token, track);
          } catch (error) {
            if (running) throw error;
          }
        }
      };
      const monitor = async () => {
        while (running) {
          const counts = { auth: 0, file: 0 };
          for (const node of nodes) {
            const hosted = await askJson<{ instances: { role: "auth" | "file"; state: string }[] }>(
              node.url,
              "/v1/internal/instances",
            );
            for (const h of hosted?.instances ?? []) if (h.state !== "stopping") counts[h.role]++;
          }
          stats.maxAuth = Math.max(stats.maxAuth, counts.auth);
          stats.maxFile = Math.max(stats.maxFile, counts.file);
          await sleep(200);
        }
      };
      const untilDatabaseCrash = {
        bootstraps: new Map<Daemon, number>(),
        nodes: new Map<Daemon, number>(),
      };
      /** What `d` logged before the database crash (all of it when the test did not get that far). */
      const logsBeforeCrash = (d: Daemon, of: Map<Daemon, number>) =>
        d.logs().slice(0, of.get(d) ?? Infinity);
      let failure: unknown = null;
      const workers = [worker(0), worker(1), monitor()].map((p) => p.catch((error) => failure ??= error));
      const progress = async (what: string) => {
        const before = stats.logouts;
        await waitFor(`the workload to go on (${what})`, () => {
          if (failure) throw failure;
          return stats.logouts > before + 1 || undefined;
        }, 30_000);
      };

      try {
        await progress("at first");

        await t.step("kill -9 of the leader, five times: another takes over each time", async () => {
          for (let k = 0; k < 5; k++) {
            const { slot, epoch } = await waitFor("an agreed leader", agreedLeader, 15_000);
            const killed = slot.daemon!;
            killed.process.kill("SIGKILL");
            await killed.stop();
            slot.daemon = null;
            const next = await waitFor("a new leader", async () => {
              const l = await agreedLeader();
              return l.epoch > epoch ? l : undefined;
            }, 15_000);
            assert.notEqual(next.slot, slot);
            await start(slot);
            all.push(slot.daemon!);
            await progress(`after kill ${k + 1}`);
          }
        });

        await t.step("a leader paused for 5 s is replaced and, resumed, schedules nothing", async () => {
          const { slot, epoch } = await waitFor("an agreed leader", agreedLeader, 15_000);
          const paused = slot.daemon!;
          Deno.kill(paused.process.pid, "SIGSTOP");
          const started = Date.now();
          try {
            await waitFor("another leader", async () => {
              const others = live().filter((s) => s !== slot);
              for (const s of others) {
                const answer = await askJson<BootstrapList>(s.daemon!.url, "/v1/bootstraps");
                const leader = answer?.bootstraps.find((b) => b.leader);
                if (answer && leader && leader.url !== paused.url && answer.epoch > epoch) return true;
              }
              return undefined;
            }, 15_000);
            await sleep(Math.max(0, 5000 - (Date.now() - started)));
          } finally {
            Deno.kill(paused.process.pid, "SIGCONT");
          }
          const resumedAt = paused.logs().length;
          await progress("after the pause");
          await sleep(1500);
          const after = paused.logs().slice(resumedAt);
          for (const event of ["instance.spawn", "scale.up", "scale.down", "member.down", "leader.elected"]) {
            assert.ok(
              !after.includes(`"event":"${event}"`),
              `the resumed bootstrap logged ${event}:\n${after}`,
            );
          }
          assert.match(paused.logs(), /"event":"leader\.stepped_down"/);
          const leader = await waitFor("an agreed leader", agreedLeader, 15_000);
          assert.notEqual(leader.slot, slot, "the paused bootstrap did not take the lease back");
        });

        await t.step("PostgreSQL restarted (a crash): everything recovers unaided", async () => {
          // What the bootstraps and nodes logged while only bootstraps died: no member may be marked down
          // then. After the database crash the leader may take a member's silence for its death once (it
          // re-registers, and this step checks the cluster comes back whole).
          untilDatabaseCrash.bootstraps = new Map(all.map((d) => [d, d.logs().length]));
          untilDatabaseCrash.nodes = new Map(nodes.map((n) => [n, n.logs().length]));
          await pg.stop("immediate");
          await sleep(1500);
          await pg.start();
          await progress("after the database restart");
          for (const s of live()) {
            await waitFor(`${s.daemon!.url} to list the whole cluster again`, async () => {
              const report = await askJson<StatusReport>(s.daemon!.url, "/v1/status");
              const up = (role: string) =>
                report?.nodes.filter((n) => n.role === role && n.state === "up").length;
              return report?.tracks === 3 && up("content") === 2 && up("bootstrap") === 3 || undefined;
            }, 30_000);
          }
        });

        await t.step("an SSE subscriber moving between bootstraps sees every event once", async () => {
          const seqs: number[] = [];
          let lastId = "";
          for (const s of [...live(), ...live()]) {
            const abort = new AbortController();
            const headers: Record<string, string> = {
              ...member,
              ...(lastId ? { "last-event-id": lastId } : {}),
            };
            const res = await fetch(`${s.daemon!.url}/v1/events`, { headers, signal: abort.signal });
            const until = Date.now() + 700;
            const timer = setTimeout(() => abort.abort(), 700);
            try {
              for await (const e of parseEventStream(res.body!)) {
                seqs.push(Number(e.id));
                lastId = e.id;
                if (Date.now() > until) break;
              }
            } catch {
              /* aborted */
            } finally {
              clearTimeout(timer);
            }
          }
          assert.ok(seqs.length >= 5, `only ${seqs.length} events arrived`);
          assert.equal(new Set(seqs).size, seqs.length, "no event twice");
          const sql = postgres(storeUrl, { max: 1, onnotice: () => {} });
          try {
            const rows = await sql`SELECT seq FROM events WHERE seq >= ${seqs[0]!} AND seq <= ${seqs.at(-1)!}
              ORDER BY seq`;
            assert.deepEqual(seqs, rows.map((r) => Number(r.seq)), "every event, in order");
          } finally {
            await sql.end();
          }
        });
      } finally {
        running = false;
        await Promise.allSettled(workers);
      }
      if (failure) throw failure; // a worker that gave up fails the test with its reason

      await t.step("nothing acknowledged was lost, nothing was accepted after a logout", async () => {
        const interesting =
          /"event":"(member\.down|instance\.spawn|scale\.[a-z]+|leader\.[a-z_]+|cluster\.sync_[a-z]+)"/;
        const timeline = all.flatMap((d) => d.logs().split("\n").filter((l) => interesting.test(l)))
          .sort().join("\n");
        assert.equal(stats.mismatched, 0, "every download verifies");
        assert.ok(stats.verified > 10, `only ${stats.verified} downloads`);
        const pushes = all.flatMap((d) =>
          d.logs().split("\n").filter((l) => l.includes("revocation.push_failed"))
        );
        assert.deepEqual(stats.acceptedAfterLogout, [], pushes.join("\n"));
        assert.ok(stats.maxFile <= MAX_FILE, `${stats.maxFile} file instances ran at once:\n${timeline}`);
        assert.ok(stats.maxAuth <= MAX_AUTH, `${stats.maxAuth} auth instances ran at once`);
        // Four at a time: each sign-in is an Argon2id hash.
        const accounts = [...stats.registered];
        const check = async () => {
          for (let entry = accounts.pop(); entry; entry = accounts.pop()) {
            const [user, passwords] = entry;
            let signedIn = false;
            for (const password of passwords) {
              try {
                await client.login(user, password);
                signedIn = true;
                break;
              } catch { /* the other one */ }
            }
            assert.ok(signedIn, `${user} cannot sign in with ${passwords.join(" or ")}`);
          }
        };
        await Promise.all([check(), check(), check(), check()]);

        for (const d of all) {
          assert.ok(
            !logsBeforeCrash(d, untilDatabaseCrash.bootstraps).includes('"event":"member.down"'),
            `${d.url} marked a member down:\n${timeline}`,
          );
        }
        for (const node of nodes) {
          // A member whose bootstrap died carried on with another: it never had to register again.
          assert.ok(
            !logsBeforeCrash(node, untilDatabaseCrash.nodes).includes('"event":"bootstrap.forgot"'),
            `a member re-registered:\n${node.logs()}`,
          );
        }
      });
    } finally {
      await Promise.allSettled(nodes.map((n) => n.stop()));
      await Promise.allSettled(slots.map((s) => s.daemon?.stop()));
    }
  },
});
