/**
 * The foundation end to end, with real processes on 127.0.0.1:0: a bootstrap and two content nodes whose media
 * directories share one track.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { createHash } from "node:crypto";
import {
  asMember,
  audiod,
  audiodCommand,
  isolatedEnv,
  startBootstrap,
  startDaemon,
  tempDir,
  waitFor,
} from "./_harness.ts";
import { makeLibrary, md5OfFile } from "./fixtures.ts";
import { synthesizeWav } from "../media/wav.ts";
import { streamVerified, type TransferEvent } from "../media/transfer.ts";
import type { CatalogTrack, StatusReport } from "../protocol/mod.ts";

/** Flips bytes in the middle of a file without changing its size or mtime. */
async function corruptInPlace(path: string, at: number): Promise<void> {
  const info = await Deno.stat(path);
  const file = await Deno.open(path, { read: true, write: true });
  try {
    await file.seek(at, Deno.SeekMode.Start);
    const bytes = new Uint8Array(64);
    await file.read(bytes);
    await file.seek(at, Deno.SeekMode.Start);
    await file.write(bytes.map((b) => b ^ 0xff));
  } finally {
    file.close();
  }
  await Deno.utime(path, info.atime ?? new Date(), info.mtime!);
}

async function json<T>(res: Response): Promise<T> {
  return await res.json() as T;
}

Deno.test({
  name: "a bootstrap and two content nodes serve, verify and protect a shared library end to end",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using temp = await tempDir();
    const root = temp.path;
    const libA = join(root, "lib-a");
    const libB = join(root, "lib-b");
    const shared = synthesizeWav({
      seconds: 8,
      frequency: 330,
      tags: { title: "Shared Tone", artist: "Both Nodes", album: "Replicas", track: 1 },
    });
    for (const lib of [libA, libB]) {
      await Deno.mkdir(join(lib, "shared"), { recursive: true });
      await Deno.writeFile(join(lib, "shared", "shared.wav"), shared);
    }
    const sourcesA = await makeLibrary(libA, [
      {
        file: "a/one.mp3",
        title: "Alpha Song",
        artist: "Aardvark",
        album: "First",
        track: 1,
        frequency: 440,
      },
      {
        file: "a/two.flac",
        title: "Beta Song",
        artist: "Aardvark",
        album: "First",
        track: 2,
        frequency: 550,
      },
    ]);
    const sourcesB = await makeLibrary(libB, [
      { file: "b/three.ogg", title: "Gamma Song", artist: "Café Owls", album: "Second", frequency: 660 },
      { file: "b/four.wav", title: "Delta Song", artist: "Café Owls", album: "Second", frequency: 770 },
    ]);
    const sourceOf: Record<string, string> = {
      "Shared Tone": join(libB, "shared", "shared.wav"),
      "Alpha Song": sourcesA[0]!,
      "Beta Song": sourcesA[1]!,
      "Gamma Song": sourcesB[0]!,
      "Delta Song": sourcesB[1]!,
    };
    const sourceMd5: Record<string, string> = {};
    for (const [title, path] of Object.entries(sourceOf)) sourceMd5[title] = await md5OfFile(path);

    const env = isolatedEnv(root, "servers");
    await using bootstrap = await startBootstrap(join(root, "boot"), env, ["--log-format", "json"]);
    const host = bootstrap.url;
    const contentArgs = (lib: string, data: string) => [
      "content",
      "--bootstrap",
      host,
      "--media",
      lib,
      "--data",
      join(root, data),
      "--log-format",
      "json",
      // The secret the bootstrap wrote on its first start: without it no node may join.
      "--join-secret-file",
      join(root, "boot", "join-secret"),
    ];
    await using contentA = await startDaemon(contentArgs(libA, "data-a"), { env });
    let contentB = await startDaemon(contentArgs(libB, "data-b"), { env });
    try {
      const status = async () =>
        await json<StatusReport>(await fetch(`${host}/v1/status`, await asMember(host)));
      const count = (s: StatusReport, role: string) =>
        s.nodes.filter((n) => n.role === role && n.state === "up").length;
      await waitFor("two auth and two file instances and five tracks", async () => {
        const s = await status();
        return count(s, "auth") === 2 && count(s, "file") === 2 && s.tracks === 5 ? s : undefined;
      });

      const client = isolatedEnv(root, "listener");
      const run = (args: string[], stdin?: string) =>
        audiod(args, { env: client, ...(stdin === undefined ? {} : { stdin }) });

      await t.step("status --json lists every node and instance with its pid and load", async () => {
        // Status is private, and pids are for admins and members: the operator asks with the join secret.
        const secretFile = join(root, "boot", "join-secret");
        const result = await run(["status", "--host", host, "--json", "--join-secret-file", secretFile]);
        assert.equal(result.code, 0, result.stderr);
        const report = JSON.parse(result.stdout) as StatusReport;
        const roles = report.nodes.map((n) => n.role).sort();
        assert.deepEqual(roles, ["auth", "auth", "bootstrap", "content", "content", "file", "file"]);
        for (const n of report.nodes) {
          assert.equal(n.state, "up");
          assert.ok((n.pid ?? 0) > 0);
          assert.match(n.url, /^http:\/\/127\.0\.0\.1:\d+$/);
          assert.equal(typeof n.load.activeStreams, "number");
        }
        const pids = new Set(report.nodes.filter((n) => n.role === "content").map((n) => n.pid));
        assert.equal(pids.size, 2, "each content node is its own process");
      });

      let token = "";
      await t.step("an account registered through one auth instance signs in through another", async () => {
        const { candidates } = await json<{ candidates: { url: string }[] }>(
          await fetch(`${host}/v1/services/auth`),
        );
        assert.equal(candidates.length, 2);
        const [first, second] = [candidates[0]!.url, candidates[1]!.url];
        assert.notEqual(first, second);
        const post = (url: string, path: string, body: unknown) =>
          fetch(url + path, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(body),
          });
        const registered = await post(first, "/v1/register", { user: "Alice", password: "correct horse 1" });
        assert.equal(registered.status, 201);
        await registered.body?.cancel();
        const loggedIn = await post(second, "/v1/login", { user: "alice", password: "correct horse 1" });
        assert.equal(loggedIn.status, 200);
        const session = await json<{ token: string; user: string; expiresAt: number }>(loggedIn);
        assert.equal(session.user, "Alice");
        assert.ok(session.token.length >= 43, "at least 256 bits");
        assert.ok(session.expiresAt > Date.now());
        token = session.token;

        const taken = await post(second, "/v1/register", { user: "ALICE", password: "another pass" });
        assert.equal(taken.status, 409);
        await taken.body?.cancel();
        const wrong = await json<{ error: { message: string } }>(
          await post(first, "/v1/login", { user: "alice", password: "wrong password" }),
        );
        const unknown = await json<{ error: { message: string } }>(
          await post(first, "/v1/login", { user: "nobody", password: "wrong password" }),
        );
        assert.equal(
          wrong.error.message,
          unknown.error.message,
          "one message for unknown user and wrong password",
        );
      });

      await t.step("login saves the session; the password comes from stdin or AUDIOD_PASSWORD", async () => {
        const bad = await run(
          ["login", "--host", host, "--user", "alice", "--password-stdin"],
          "nope nope\n",
        );
        assert.notEqual(bad.code, 0);
        assert.match(bad.stderr, /^audiod: Cannot sign in: wrong user name or password/m);
        const viaEnv = await audiod(["login", "--host", host, "--user", "alice"], {
          env: { ...client, AUDIOD_PASSWORD: "correct horse 1" },
        });
        assert.equal(viaEnv.code, 0, viaEnv.stderr);
        const good = await run(
          ["login", "--host", host, "--user", "alice", "--password-stdin"],
          "correct horse 1\n",
        );
        assert.equal(good.code, 0, good.stderr);
        assert.match(good.stdout, /Signed in as Alice/);
      });

      let catalog: CatalogTrack[] = [];
      await t.step("tracks --json lists every track once, the shared one with two replicas", async () => {
        const result = await run(["tracks", "--json"]);
        assert.equal(result.code, 0, result.stderr);
        catalog = JSON.parse(result.stdout) as CatalogTrack[];
        assert.deepEqual(catalog.map((c) => c.title).sort(), Object.keys(sourceOf).sort());
        for (const track of catalog) {
          for (const key of ["id", "title", "artist", "album", "duration", "size", "md5", "replicas"]) {
            assert.ok(key in track, `${key} in ${track.title}`);
          }
          assert.equal(track.md5, sourceMd5[track.title], `catalog MD5 of ${track.title}`);
          assert.ok(
            track.duration !== null && track.duration > 1.5 && track.duration < 10,
            `${track.duration}`,
          );
          assert.equal(track.replicas.length, track.title === "Shared Tone" ? 2 : 1);
        }
        const sharedTrack = catalog.find((c) => c.title === "Shared Tone")!;
        const sha = createHash("sha256").update(shared).digest("hex");
        assert.equal(sharedTrack.id, sha, "the id is the SHA-256 of the bytes");
      });

      await t.step(
        "tracks --search matches title, artist, album (accent-insensitive) and id prefix",
        async () => {
          const titles = async (q: string) =>
            (JSON.parse((await run(["tracks", "--search", q, "--json"])).stdout) as CatalogTrack[]).map((c) =>
              c.title
            )
              .sort();
          assert.deepEqual(await titles("gamma"), ["Gamma Song"]);
          assert.deepEqual(await titles("aardvark"), ["Alpha Song", "Beta Song"]);
          assert.deepEqual(await titles("second"), ["Delta Song", "Gamma Song"]);
          assert.deepEqual(await titles("cafe owls"), ["Delta Song", "Gamma Song"]);
          const delta = catalog.find((c) => c.title === "Delta Song")!;
          assert.deepEqual(await titles(delta.id.slice(0, 10)), ["Delta Song"]);
          const none = await run(["tracks", "--search", "zzzz-no-such"]);
          assert.equal(none.code, 0);
          assert.match(none.stdout, /No track matches/);
        },
      );

      await t.step("get downloads every track; each file's MD5 equals md5sum of its source", async () => {
        for (const track of catalog) {
          const out = join(root, `got-${track.id.slice(0, 8)}.${track.format}`);
          const ref = track.title === "Beta Song" ? track.id.slice(0, 8) : track.title;
          const result = await run(["get", ref, "-o", out]);
          assert.equal(result.code, 0, result.stderr);
          assert.equal(await md5OfFile(out), sourceMd5[track.title], track.title);
        }
      });

      await t.step(
        "get -o - and get into a FIFO pass the verified bytes on and leave the FIFO a FIFO",
        async () => {
          const track = catalog.find((c) => c.title === "Delta Song")!;
          const md5 = async (stream: ReadableStream<Uint8Array>) => {
            const hash = createHash("md5");
            for await (const piece of stream) hash.update(piece);
            return hash.digest("hex");
          };
          const [cmd, args] = audiodCommand(["get", track.id, "-o", "-"]);
          const child = new Deno.Command(cmd, {
            args,
            cwd: root,
            env: client,
            stdout: "piped",
            stderr: "piped",
          })
            .spawn();
          const [piped, stderr, code] = await Promise.all([
            md5(child.stdout),
            new Response(child.stderr).text(),
            child.status.then((s) => s.code),
          ]);
          assert.equal(code, 0, stderr);
          assert.equal(piped, sourceMd5["Delta Song"]);
          assert.match(stderr, /^stdout: .* verified$/m);

          const fifo = join(root, "delta.fifo");
          assert.equal((await new Deno.Command("mkfifo", { args: [fifo] }).output()).code, 0);
          // A second name for the FIFO lets the test end the reader's wait should get fail or replace the FIFO.
          await Deno.link(fifo, `${fifo}.link`);
          const reader = Deno.open(fifo, { read: true }).then((f) => md5(f.readable));
          const result = await run(["get", track.id, "-o", fifo]);
          const kept = (await Deno.stat(fifo)).isFifo;
          if (result.code !== 0 || !kept) (await Deno.open(`${fifo}.link`, { write: true })).close();
          assert.equal(result.code, 0, result.stderr);
          assert.ok(kept, "the FIFO was replaced by a file");
          assert.equal(await reader, sourceMd5["Delta Song"]);
          assert.deepEqual(
            [...Deno.readDirSync(root)].filter((e) => e.name.endsWith(".part")),
            [],
            "no temporary file is left",
          );

          // Through a symbolic link, the link stays a link and its target gets the track.
          const real = join(root, "real.wav");
          await Deno.writeTextFile(real, "old");
          await Deno.symlink(real, join(root, "link.wav"));
          const linked = await run(["get", track.id, "-o", join(root, "link.wav")]);
          assert.equal(linked.code, 0, linked.stderr);
          assert.ok((await Deno.lstat(join(root, "link.wav"))).isSymlink);
          assert.equal(await md5OfFile(real), sourceMd5["Delta Song"]);

          // Binary on a terminal is refused before anything is fetched (`script` gives the command a terminal).
          const quoted = [cmd, ...audiodCommand(["get", track.id, "-o", "-"])[1]]
            .map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
          const onTerminal = await new Deno.Command("script", {
            args: ["-qec", quoted, "/dev/null"],
            env: client,
            stdin: "null",
          }).output();
          assert.equal(onTerminal.code, 1);
          assert.match(new TextDecoder().decode(onTerminal.stdout), /Cannot write a track to the terminal/);

          const folder = join(root, "a-folder");
          await Deno.mkdir(folder);
          const refused = await run(["get", track.id, "-o", folder]);
          assert.equal(refused.code, 1);
          assert.match(refused.stderr, /Cannot write .*a-folder: it is a directory/);
          assert.deepEqual([...Deno.readDirSync(folder)], []);
        },
      );

      await t.step(
        "Ctrl-C stops get with status 130 and leaves neither the file nor its temporary",
        async () => {
          const track = catalog.find((c) => c.title === "Delta Song")!;
          const dir = join(root, "interrupted");
          await Deno.mkdir(dir);
          const [cmd, args] = audiodCommand([
            "get",
            track.id,
            "-o",
            join(dir, "delta.wav"),
            "--limit-rate",
            "16k",
          ]);
          const child = new Deno.Command(cmd, { args, env: client, stdout: "piped", stderr: "piped" })
            .spawn();
          await waitFor(
            "the temporary file",
            () => [...Deno.readDirSync(dir)].some((e) => e.name.endsWith(".part")) || undefined,
          );
          child.kill("SIGINT");
          const out = await child.output();
          const stderr = new TextDecoder().decode(out.stderr);
          assert.equal(out.code, 130, stderr);
          assert.match(stderr, /Interrupted: "Delta Song" was not downloaded whole/);
          assert.deepEqual([...Deno.readDirSync(dir)], []);
        },
      );

      await t.step("Range reads stitched together equal the file; bad ranges get 416", async () => {
        const track = catalog.find((c) => c.title === "Delta Song")!;
        const url = `${track.replicas[0]!.url}/v1/tracks/${track.id}`;
        const auth = { authorization: `Bearer ${token}` };
        const parts: Uint8Array[] = [];
        const third = Math.floor(track.size / 3);
        for (
          const range of [`bytes=0-${third - 1}`, `bytes=${third}-${2 * third - 1}`, `bytes=${2 * third}-`]
        ) {
          const res = await fetch(url, { headers: { ...auth, range } });
          assert.equal(res.status, 206, range);
          assert.equal(res.headers.get("x-audiod-md5"), track.md5);
          parts.push(new Uint8Array(await res.arrayBuffer()));
        }
        const suffix = await fetch(url, { headers: { ...auth, range: "bytes=-10" } });
        assert.equal(suffix.status, 206);
        assert.equal((await suffix.arrayBuffer()).byteLength, 10);
        const stitched = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        let at = 0;
        for (const p of parts) {
          stitched.set(p, at);
          at += p.length;
        }
        assert.deepEqual(stitched, await Deno.readFile(sourceOf["Delta Song"]!));
        const past = await fetch(url, { headers: { ...auth, range: `bytes=${track.size}-` } });
        assert.equal(past.status, 416);
        assert.equal(past.headers.get("content-range"), `bytes */${track.size}`);
        await past.body?.cancel();
        const noToken = await fetch(url);
        assert.equal(noToken.status, 401);
        assert.match((await json<{ error: { message: string } }>(noToken)).error.message, /sign in/);
      });

      await t.step("bad input gets a clear 4xx JSON error, never a 500", async () => {
        const auth = (await json<{ candidates: { url: string }[] }>(await fetch(`${host}/v1/services/auth`)))
          .candidates[0]!.url;
        const cases: [string, RequestInit, number][] = [
          [`${auth}/v1/login`, { method: "POST", body: "{not json" }, 400],
          [`${auth}/v1/login`, { method: "POST", body: JSON.stringify({ user: 5 }) }, 400],
          [`${auth}/v1/login`, { method: "GET" }, 405],
          [`${host}/v1/nothing-here`, {}, 404],
          [`${host}/v1/tracks/${"f".repeat(64)}`, { headers: { authorization: `Bearer ${token}` } }, 404],
          [`${host}/v1/tracks?limit=abc`, { headers: { authorization: `Bearer ${token}` } }, 400],
          [`${catalog[0]!.replicas[0]!.url}/v1/tracks/..%2f..%2fetc%2fpasswd`, {
            headers: { authorization: `Bearer ${token}` },
          }, 404],
          [`${catalog[0]!.replicas[0]!.url}/v1/tracks/${catalog[0]!.id}`, {
            headers: { authorization: "Bearer not-a-real-token-at-all" },
          }, 401],
        ];
        for (const [url, init, want] of cases) {
          const res = await fetch(url, init);
          assert.equal(res.status, want, `${init.method ?? "GET"} ${url}`);
          const body = await json<{ error: { code: string; message: string } }>(res);
          assert.equal(typeof body.error.message, "string");
          assert.doesNotMatch(body.error.message, /at .*\.ts:\d+|\/work\/|\/tmp\//);
        }
      });

      const sharedTrack = () => catalog.find((c) => c.title === "Shared Tone")!;
      await t.step(
        "a replica corrupted in place after scanning is detected and the other replica used",
        async () => {
          const track = sharedTrack();
          const corruptPath = join(libA, "shared", "shared.wav");
          await corruptInPlace(corruptPath, 1_200_000); // inside the second 1 MiB chunk
          const fresh = await json<CatalogTrack>(
            await fetch(`${host}/v1/tracks/${track.id}`, await asMember(host)),
          );
          const replicaA = fresh.replicas.find((r) =>
            r.node !== null && contentA.logs().includes(r.instance)
          )!;
          assert.ok(replicaA, "replica on node A");
          const ordered = { ...fresh, replicas: [replicaA, ...fresh.replicas.filter((r) => r !== replicaA)] };
          const events: TransferEvent[] = [];
          const hash = createHash("md5");
          for await (const bytes of streamVerified(ordered, { token, onEvent: (e) => events.push(e) })) {
            hash.update(bytes);
          }
          assert.equal(hash.digest("hex"), sourceMd5["Shared Tone"]);
          const failed = events.filter((e) => e.type === "replica-failed");
          assert.equal(failed.length, 1);
          assert.equal(failed[0]!.type === "replica-failed" && failed[0]!.replica, replicaA.url);

          const out = join(root, "shared-after-corruption.wav");
          const result = await run(["get", "Shared Tone", "-o", out]);
          assert.equal(result.code, 0, result.stderr);
          assert.equal(await md5OfFile(out), sourceMd5["Shared Tone"]);
        },
      );

      await t.step("with every replica corrupt, get fails clearly and writes nothing", async () => {
        // The same chunk as on node A, so no replica can supply it.
        await corruptInPlace(join(libB, "shared", "shared.wav"), 1_300_000);
        const dir = join(root, "nothing-here");
        await Deno.mkdir(dir);
        const out = join(dir, "shared.wav");
        const result = await run(["get", sharedTrack().id, "-o", out]);
        assert.notEqual(result.code, 0);
        assert.match(
          result.stderr,
          /^audiod: Cannot download "Shared Tone": no replica delivered verified bytes/m,
        );
        assert.deepEqual([...Deno.readDirSync(dir)], [], "no file and no partial file left behind");
      });

      await t.step("a restarted content node does not re-hash unchanged files", async () => {
        assert.equal(await contentB.stop(), 0, "SIGTERM stops the content node with status 0");
        await waitFor("node B's tracks to leave the catalog", async () => {
          const s = await status();
          return s.tracks === 3 ? true : undefined;
        });
        contentB = await startDaemon(contentArgs(libB, "data-b"), { env });
        const scan = await waitFor(
          "node B's first scan",
          () => contentB.events().find((e) => e.event === "scan.done" && e.role === "file"),
        );
        assert.equal(scan.hashed, 0);
        assert.equal(scan.reused, 3);
        await waitFor("five tracks again", async () => ((await status()).tracks === 5 ? true : undefined));
      });

      await t.step("a token saved before logout is refused after it", async () => {
        const session = JSON.parse(
          await Deno.readTextFile(join(client.AUDIOD_CONFIG_DIR!, "session.json")),
        ) as {
          token: string;
        };
        const track = catalog.find((c) => c.title === "Alpha Song")!;
        const url = `${track.replicas[0]!.url}/v1/tracks/${track.id}`;
        const before = await fetch(url, {
          headers: { authorization: `Bearer ${session.token}`, range: "bytes=0-0" },
        });
        assert.equal(before.status, 206);
        await before.body?.cancel();
        const out = await run(["logout"]);
        assert.equal(out.code, 0, out.stderr);
        const after = await fetch(url, {
          headers: { authorization: `Bearer ${session.token}`, range: "bytes=0-0" },
        });
        assert.equal(after.status, 401);
        await after.body?.cancel();
        const get = await run(["get", "Alpha Song", "-o", join(root, "after-logout.mp3")]);
        assert.notEqual(get.code, 0);
        assert.match(get.stderr, /not signed in|sign in/i);
      });

      await t.step("SIGTERM stops every daemon cleanly with exit status 0", async () => {
        assert.equal(await contentB.stop(), 0);
        assert.equal(await contentA.stop(), 0);
        assert.equal(await bootstrap.stop(), 0);
        assert.match(contentA.logs(), /"event":"stopped"/);
      });
    } finally {
      await contentB.stop();
    }
  },
});
