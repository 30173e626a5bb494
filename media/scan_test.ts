import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { MediaIndex } from "./media_index.ts";
import { scanMedia, type ScanProgress } from "./scan.ts";
import { synthesizeWav } from "./wav.ts";
import { md5OfFile } from "../tests/fixtures.ts";
import { computeChainStates } from "./chain_states.ts";

/** Writes `count` short tagged WAVs as `<dir>/<folder>/<nn>.wav` and returns their paths. */
async function writeTracks(dir: string, count: number, folder = "album"): Promise<string[]> {
  await Deno.mkdir(join(dir, folder), { recursive: true });
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const path = join(dir, folder, `${String(i).padStart(2, "0")}.wav`);
    const tags = { title: `Track ${i}`, artist: "Scanner", album: folder, track: i + 1 };
    await Deno.writeFile(path, synthesizeWav({ seconds: 0.1, frequency: 200 + 10 * i, tags }));
    paths.push(path);
  }
  return paths;
}

/** Sets a file's mtime to a fixed past time, so a later write with the same size can be made invisible. */
async function setMtime(path: string, ms: number): Promise<void> {
  await Deno.utime(path, new Date(ms), new Date(ms));
}

Deno.test("scanMedia() hashes and tags every file on the first scan and reuses all of them on the second", async () => {
  const dir = await Deno.makeTempDir();
  const index = new MediaIndex(join(dir, "state", "index.db"));
  try {
    const root = join(dir, "music");
    const paths = await writeTracks(root, 5);
    await Deno.writeTextFile(join(root, "album", "cover.jpg"), "not audio");

    const progress: ScanProgress[] = [];
    const first = await scanMedia(root, index, { onProgress: (p) => progress.push(p) });
    assert.equal(first.hashed, 5);
    assert.equal(first.reused, 0);
    assert.equal(first.removed, 0);
    assert.deepEqual(first.failed, []);
    assert.deepEqual(first.tracks.map((track) => track.path), paths);
    for (const [i, track] of first.tracks.entries()) {
      assert.equal(track.md5, await md5OfFile(paths[i]!));
      assert.equal(track.id, track.sha256);
      assert.equal(track.relPath, `album/0${i}.wav`);
      assert.equal(track.title, `Track ${i}`);
      assert.equal(track.trackNo, i + 1);
      assert.equal(track.duration, 0.1);
    }
    const sizes = (await Promise.all(paths.map((path) => Deno.stat(path)))).map((info) => info.size);
    assert.deepEqual(progress.map((p) => p.done), [1, 2, 3, 4, 5]);
    assert.ok(progress.every((p) => p.total === 5));
    assert.equal(progress.at(-1)!.bytesHashed, sizes.reduce((a, b) => a + b));
    assert.deepEqual(index.all(), first.tracks);
    // The chunk states are recorded by the scan's own pass, so a manifest needs no pass of its own.
    for (const track of first.tracks) {
      assert.deepEqual(index.getChainStates(track), (await computeChainStates(track.path)).states);
    }

    const again: ScanProgress[] = [];
    const second = await scanMedia(root, index, { onProgress: (p) => again.push(p) });
    assert.equal(second.hashed, 0);
    assert.equal(second.reused, 5);
    assert.equal(second.removed, 0);
    assert.deepEqual(second.tracks, first.tracks);
    assert.deepEqual(
      again.map((p) => [p.done, p.total, p.bytesHashed]),
      [1, 2, 3, 4, 5].map((n) => [n, 5, 0]),
    );
  } finally {
    index.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("scanMedia() does not read a file whose size and mtime are unchanged", async () => {
  const dir = await Deno.makeTempDir();
  const index = new MediaIndex(join(dir, "index.db"));
  try {
    const [path] = await writeTracks(dir, 1);
    await setMtime(path!, 1_600_000_000_000);
    const first = await scanMedia(dir, index);
    // Same size, same mtime, different content: only a scan that reads the file could notice.
    const bytes = await Deno.readFile(path!);
    bytes[bytes.length - 1] = bytes.at(-1)! ^ 0xff;
    await Deno.writeFile(path!, bytes);
    await setMtime(path!, 1_600_000_000_000);
    assert.notEqual(await md5OfFile(path!), first.tracks[0]!.md5);

    const second = await scanMedia(dir, index);
    assert.equal(second.reused, 1);
    assert.equal(second.tracks[0]!.md5, first.tracks[0]!.md5);
  } finally {
    index.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("scanMedia() re-hashes a file whose mtime changed and removes files that vanished", async () => {
  const dir = await Deno.makeTempDir();
  const index = new MediaIndex(join(dir, "index.db"));
  try {
    const root = join(dir, "music");
    const paths = await writeTracks(root, 4);
    await scanMedia(root, index);

    await Deno.writeFile(
      paths[1]!,
      synthesizeWav({ seconds: 0.1, frequency: 999, tags: { title: "Retitled", artist: "Scanner" } }),
    );
    await setMtime(paths[1]!, 1_700_000_000_000);
    await Deno.remove(paths[3]!);

    const result = await scanMedia(root, index);
    assert.equal(result.hashed, 1);
    assert.equal(result.reused, 2);
    assert.equal(result.removed, 1);
    assert.deepEqual(result.failed, []);
    const retitled = index.byPath().get(paths[1]!);
    assert.equal(retitled?.mtimeMs, 1_700_000_000_000);
    assert.equal(retitled?.title, "Retitled");
    assert.equal(retitled?.md5, await md5OfFile(paths[1]!));
    assert.deepEqual(index.all().map((track) => track.path), paths.slice(0, 3));
  } finally {
    index.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("scanMedia() reports a file that vanishes before it is hashed as failed, without throwing", async () => {
  const dir = await Deno.makeTempDir();
  const index = new MediaIndex(join(dir, "index.db"));
  try {
    const [kept] = await writeTracks(dir, 1, "a");
    await scanMedia(dir, index);
    const [doomed, survivor] = await writeTracks(dir, 2, "b");

    // The reused file is reported before any hashing starts: delete a new file at that moment.
    const result = await scanMedia(dir, index, {
      concurrency: 1,
      onProgress: ({ path }) => {
        if (path === kept) Deno.removeSync(doomed!);
      },
    });
    assert.equal(result.failed.length, 1);
    assert.equal(result.failed[0]!.path, doomed);
    assert.match(result.failed[0]!.reason, /No such file or directory/);
    assert.equal(result.hashed, 1);
    assert.equal(result.reused, 1);
    assert.deepEqual(result.tracks.map((track) => track.path), [kept, survivor]);
    assert.deepEqual(index.all().map((track) => track.path), [kept, survivor]);
  } finally {
    index.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("scanMedia() hashes large scans in worker threads with the same results", async () => {
  const dir = await Deno.makeTempDir();
  const index = new MediaIndex(join(dir, "index.db"));
  try {
    const root = join(dir, "music");
    // More files than the worker threshold, one of which vanishes while the scan runs.
    const paths = [...await writeTracks(root, 40, "one"), ...await writeTracks(root, 10, "two")];
    const [kept] = await writeTracks(root, 1, "zero");
    await scanMedia(join(root, "zero"), index);
    // The reused file is reported when the walk ends, long before the lanes reach the last file to hash.
    const doomed = paths[49]!;
    let last: ScanProgress | undefined;
    const result = await scanMedia(root, index, {
      concurrency: 2,
      onProgress: (progress) => {
        if (progress.path === kept) Deno.removeSync(doomed);
        last = progress;
      },
    });
    assert.equal(result.hashed, 49);
    assert.equal(result.reused, 1);
    assert.deepEqual(result.failed.map((failure) => failure.path), [doomed]);
    assert.deepEqual(last && [last.done, last.total], [51, 51]);
    const byPath = new Map(result.tracks.map((track) => [track.path, track]));
    for (const path of [paths[0]!, paths[39]!, paths[48]!]) {
      assert.equal(byPath.get(path)?.md5, await md5OfFile(path));
      const states = index.getChainStates(byPath.get(path)!);
      assert.ok(states !== undefined && states.length > 0, "the workers' chunk states are stored");
      assert.deepEqual(states, (await computeChainStates(path)).states);
    }
    assert.equal(byPath.get(paths[41]!)?.title, "Track 1");
    assert.equal(byPath.get(paths[41]!)?.album, "two");
    assert.equal(index.all().length, 50);
  } finally {
    index.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("scanMedia() updates relPath when the same files are scanned from another root", async () => {
  const dir = await Deno.makeTempDir();
  const index = new MediaIndex(join(dir, "index.db"));
  try {
    const [path] = await writeTracks(join(dir, "music"), 1);
    await scanMedia(join(dir, "music"), index);
    const result = await scanMedia(join(dir, "music", "album"), index);
    assert.equal(result.reused, 1);
    assert.equal(result.tracks[0]!.relPath, "00.wav");
    assert.equal(index.byPath().get(path!)?.relPath, "00.wav");
  } finally {
    index.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("scanMedia() throws a clear error when the root is missing or not a folder", async () => {
  const dir = await Deno.makeTempDir();
  const index = new MediaIndex(join(dir, "index.db"));
  try {
    const missing = join(dir, "missing");
    await assert.rejects(scanMedia(missing, index), new RegExp(`^Error: Cannot scan ${missing}: `));
    const file = join(dir, "file.wav");
    await Deno.writeFile(file, synthesizeWav({ seconds: 0.1, frequency: 300 }));
    await assert.rejects(scanMedia(file, index), new RegExp(`^Error: Cannot scan ${file}: not a directory`));
    await assert.rejects(scanMedia(dir, index, { concurrency: 0 }), RangeError);
  } finally {
    index.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("scanMedia() stops with the signal's reason when aborted, keeping what it hashed", async (t) => {
  for (const { count, concurrency } of [{ count: 10, concurrency: 1 }, { count: 40, concurrency: 2 }]) {
    await t.step(count < 32 ? "hashing on this thread" : "hashing in workers", async () => {
      const dir = await Deno.makeTempDir();
      const index = new MediaIndex(join(dir, "index.db"));
      try {
        await writeTracks(join(dir, "music"), count);
        const controller = new AbortController();
        const reason = new Error("user pressed stop");
        await assert.rejects(
          scanMedia(join(dir, "music"), index, {
            concurrency,
            onProgress: ({ done }) => {
              if (done === 2) controller.abort(reason);
            },
            signal: controller.signal,
          }),
          (error) => error === reason,
        );
        const kept = index.all().length;
        if (concurrency === 1) assert.equal(kept, 2);
        else assert.ok(kept >= 2 && kept < count, `kept ${kept}`);
      } finally {
        index.close();
        await Deno.remove(dir, { recursive: true });
      }
    });
  }
});

Deno.test("scanMedia() hashes on its own thread, quietly, when workers may not read their module", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = join(dir, "scan_without_workers.ts");
    await Deno.writeTextFile(
      script,
      `
      import { MediaIndex } from ${JSON.stringify(import.meta.resolve("./media_index.ts"))};
      import { scanMedia } from ${JSON.stringify(import.meta.resolve("./scan.ts"))};
      import { synthesizeWav } from ${JSON.stringify(import.meta.resolve("./wav.ts"))};
      const dir = ${JSON.stringify(dir)};
      await Deno.mkdir(dir + "/music");
      for (let i = 0; i < 40; i++) {
        await Deno.writeFile(dir + "/music/" + i + ".wav", synthesizeWav({ seconds: 0.05, frequency: 300 + i }));
      }
      const index = new MediaIndex(dir + "/index.db");
      const { hashed, failed } = await scanMedia(dir + "/music", index);
      index.close();
      Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify({ hashed, failed })));
      `,
    );
    const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        `--config=${new URL("../deno.json", import.meta.url).pathname}`,
        "--allow-env",
        `--allow-read=${dir}`,
        `--allow-write=${dir}`,
        script,
      ],
    }).output();
    const errors = new TextDecoder().decode(stderr);
    assert.ok(success, errors);
    assert.equal(errors, "");
    assert.deepEqual(JSON.parse(new TextDecoder().decode(stdout)), { hashed: 40, failed: [] });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("scanMedia() reads the tags of records indexed without details, without hashing them again", async () => {
  const dir = await Deno.makeTempDir();
  const dbPath = join(dir, "index.db");
  const index = new MediaIndex(dbPath);
  try {
    const root = join(dir, "music");
    await writeTracks(root, 3);
    await Deno.writeFile(join(root, "album", "cover.jpg"), new Uint8Array([0xff, 0xd8]));
    const first = await scanMedia(root, index);
    assert.ok(
      first.tracks.every((track) => track.details?.cover === "file" && track.details.sampleRate === 44_100),
    );
    // As an index of version 1 holds them: no details.
    const db = new DatabaseSync(dbPath);
    db.exec("PRAGMA busy_timeout = 5000");
    db.exec("UPDATE tracks SET details = NULL");
    db.close();
    assert.ok(index.all().every((track) => track.details === undefined));

    let bytesHashed = 0;
    const second = await scanMedia(root, index, { onProgress: (p) => (bytesHashed = p.bytesHashed) });
    assert.equal(second.hashed, 0);
    assert.equal(second.reused, 3);
    assert.equal(bytesHashed, 0);
    assert.deepEqual(second.tracks, first.tracks);
    assert.deepEqual(index.all(), first.tracks);
  } finally {
    index.close();
    await Deno.remove(dir, { recursive: true });
  }
});
