import assert from "node:assert/strict";
import { join } from "node:path";
import { AUDIO_EXTENSIONS, type MediaFile, walkMedia } from "./walk.ts";

async function collect(root: string, options: { signal?: AbortSignal } = {}): Promise<MediaFile[]> {
  const files: MediaFile[] = [];
  for await (const file of walkMedia(root, options)) files.push(file);
  return files;
}

async function touch(path: string, content = "x"): Promise<void> {
  await Deno.mkdir(join(path, ".."), { recursive: true });
  await Deno.writeTextFile(path, content);
}

Deno.test("walkMedia() lists audio files recursively, sorted, with sizes, mtimes and / relPaths", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const root = join(dir, "music");
    await touch(join(root, "b", "2.flac"), "22");
    await touch(join(root, "b", "1.mp3"), "1");
    await touch(join(root, "a", "deep", "x.ogg"), "xxx");
    await touch(join(root, "top.wav"), "wave");
    const mtime = new Date("2024-01-02T03:04:05.678Z");
    await Deno.utime(join(root, "top.wav"), mtime, mtime);
    const files = await collect(root);
    assert.deepEqual(files.map((file) => file.relPath), ["a/deep/x.ogg", "b/1.mp3", "b/2.flac", "top.wav"]);
    assert.deepEqual(
      files.map((file) => file.path),
      files.map((file) => join(root, ...file.relPath.split("/"))),
    );
    assert.deepEqual(files.map((file) => file.size), [3, 1, 2, 4]);
    assert.equal(files[3]!.mtimeMs, mtime.getTime());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("walkMedia() ignores non-audio extensions, matches case-insensitively and skips non-regular files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const ext of AUDIO_EXTENSIONS) await touch(join(dir, `song${ext}`));
    await touch(join(dir, "LOUD.MP3"));
    await touch(join(dir, "Mixed.FlAc"));
    await touch(join(dir, "cover.jpg"));
    await touch(join(dir, "notes.txt"));
    await touch(join(dir, "mp3"));
    await touch(join(dir, "archive.wav.bak"));
    await Deno.mkdir(join(dir, "folder.mp3"));
    await touch(join(dir, "folder.mp3", "inner.opus"));
    const fifo = await new Deno.Command("mkfifo", { args: [join(dir, "pipe.wav")] }).output();
    assert.ok(fifo.success);
    const relPaths = (await collect(dir)).map((file) => file.relPath);
    assert.deepEqual(relPaths, [
      "LOUD.MP3",
      "Mixed.FlAc",
      "folder.mp3/inner.opus",
      ...AUDIO_EXTENSIONS.map((ext) => `song${ext}`).sort(),
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("walkMedia() follows symlinks that stay inside the root and ignores those leading outside", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const root = join(dir, "root");
    const outside = join(dir, "outside");
    await touch(join(outside, "secret.mp3"));
    await touch(join(outside, "album", "hidden.flac"));
    await touch(join(root, "real", "song.mp3"), "song");
    await Deno.symlink(join(outside, "secret.mp3"), join(root, "outside-file.mp3"));
    await Deno.symlink(join(outside, "album"), join(root, "outside-dir"));
    await Deno.symlink("../outside/secret.mp3", join(root, "relative-outside.mp3"));
    await Deno.symlink(join(root, "real", "song.mp3"), join(root, "inside-link.mp3"));
    await Deno.symlink(join(root, "missing.mp3"), join(root, "dangling.mp3"));
    const files = await collect(root);
    assert.deepEqual(files.map((file) => file.relPath), ["inside-link.mp3", "real/song.mp3"]);
    assert.equal(files[0]!.size, 4);
    assert.equal(files[0]!.path, join(root, "inside-link.mp3"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("walkMedia() survives symlink cycles and walks each real folder once", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await touch(join(dir, "a", "one.wav"));
    await touch(join(dir, "a", "b", "two.wav"));
    await Deno.symlink(join(dir, "a"), join(dir, "a", "b", "back-to-a"));
    await Deno.symlink(dir, join(dir, "a", "root-again"));
    await Deno.symlink(join(dir, "loop2"), join(dir, "loop1"));
    await Deno.symlink(join(dir, "loop1"), join(dir, "loop2"));
    await touch(join(dir, "z", "three.wav"));
    await Deno.symlink(join(dir, "z"), join(dir, "0-alias-of-z"));
    const relPaths = (await collect(dir)).map((file) => file.relPath);
    // Real names win over the alias that sorts first.
    assert.deepEqual(relPaths, ["a/b/two.wav", "a/one.wav", "z/three.wav"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("walkMedia() walks a root that is itself a symlink and reports paths under the given root", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await touch(join(dir, "real-root", "x.mp3"));
    await Deno.symlink(join(dir, "real-root"), join(dir, "link-root"));
    const files = await collect(join(dir, "link-root"));
    assert.deepEqual(files.map((file) => file.path), [join(dir, "link-root", "x.mp3")]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("walkMedia() throws a clear error for a missing root and stops when aborted", async () => {
  await assert.rejects(
    collect("/nonexistent/audiod/root"),
    /^Error: Cannot walk \/nonexistent\/audiod\/root: /,
  );
  const dir = await Deno.makeTempDir();
  try {
    await touch(join(dir, "file.mp3"));
    await assert.rejects(collect(join(dir, "file.mp3")), /Cannot walk .*: not a directory/);
    const controller = new AbortController();
    controller.abort(new Error("stop"));
    await assert.rejects(collect(dir, { signal: controller.signal }), /stop/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
