import assert from "node:assert/strict";
import { join } from "node:path";
import { createPlayer } from "./mod.ts";
import { MpvPlayer } from "./mpv.ts";
import type { PlayerBackend, PlayerOptions } from "./types.ts";

async function run(command: string, args: string[]): Promise<string> {
  const { success, stdout, stderr } = await new Deno.Command(command, {
    args,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  if (!success) throw new Error(`${command} ${args.join(" ")} failed: ${text}`);
  return text;
}

/** Seconds of audio in a WAV file, as sox measures it. */
async function wavSeconds(path: string): Promise<number> {
  const stat = await run("sox", [path, "-n", "stat"]);
  const match = stat.match(/Length \(seconds\):\s+([\d.]+)/);
  assert.ok(match, `sox stat printed no length: ${stat}`);
  return Number(match[1]);
}

async function feed(player: PlayerBackend, bytes: Uint8Array, chunkSize = 64 * 1024): Promise<void> {
  for (let at = 0; at < bytes.length; at += chunkSize) await player.write(bytes.subarray(at, at + chunkSize));
}

async function waitFor<T>(what: string, probe: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  while (true) {
    const value = await probe();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what} (last: ${value})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function options(bytes: Uint8Array, format: string, duration: number, out: string): PlayerOptions {
  return {
    format,
    size: bytes.length,
    duration,
    volume: 80,
    extraArgs: ["--ao=pcm", `--ao-pcm-file=${out}`],
  };
}

Deno.test("mpv plays a WAV fed on stdin to the end and answers pause, volume and position while playing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await run("sox", ["-n", "-r", "44100", "-c", "2", join(dir, "x.wav"), "synth", "2", "sine", "440"]);
    const wav = await Deno.readFile(join(dir, "x.wav"));
    const out = join(dir, "out.wav");
    const { player, chosen } = await createPlayer("mpv", options(wav, "wav", 2, out));
    assert.equal(chosen, "mpv");
    assert.ok(player instanceof MpvPlayer);
    try {
      await feed(player, wav);
      const position = await waitFor("mpv to play", () => player.position(), (s) => s !== null && s >= 1.5);
      assert.ok(position! <= 2.01, `position ${position} beyond the track`);
      await player.setPaused(true);
      assert.equal(await player.getProperty("pause"), true);
      await player.setVolume(55);
      assert.equal(await player.getProperty("volume"), 55);
      await player.setPaused(false);
      assert.equal(await player.getProperty("pause"), false);
      await player.end();
      assert.deepEqual(await player.done, { reason: "ended" });
    } finally {
      await player.stop();
    }
    const seconds = await wavSeconds(out);
    assert.ok(Math.abs(seconds - 2) < 0.05, `out.wav has ${seconds} s, expected 2 s`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mpv seeks back within data fed on stdin", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await run("sox", ["-n", "-r", "44100", "-c", "2", join(dir, "x.wav"), "synth", "2", "sine", "440"]);
    const mp3 = join(dir, "x.mp3");
    await run("ffmpeg", ["-loglevel", "error", "-i", join(dir, "x.wav"), mp3]);
    const bytes = await Deno.readFile(mp3);
    const out = join(dir, "out.wav");
    const player = await MpvPlayer.create(options(bytes, "mp3", 2, out));
    try {
      await feed(player, bytes);
      await waitFor("mpv to play", () => player.position(), (s) => s !== null && s >= 1.8);
      await player.seekBy(-1);
      const back = await waitFor("the seek", () => player.position(), (s) => s !== null && s < 1.5);
      assert.ok(back! >= 0.5, `seeked to ${back}`);
      await player.end();
      assert.deepEqual(await player.done, { reason: "ended" });
    } finally {
      await player.stop();
    }
    // Played 2 s once plus the last second again.
    const seconds = await wavSeconds(out);
    assert.ok(seconds > 2.6 && seconds < 3.4, `out.wav has ${seconds} s, expected about 3 s`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mpv plays an m4a whose index comes after the audio once the whole file is written", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const m4a = join(dir, "x.m4a");
    await run("ffmpeg", ["-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=1", m4a]);
    const bytes = await Deno.readFile(m4a);
    const out = join(dir, "out.wav");
    const player = await MpvPlayer.create(options(bytes, "m4a", 1, out));
    try {
      await feed(player, bytes, 4096);
      assert.equal(player.pid, null, "mpv started before the m4a index arrived");
      await player.end();
      assert.deepEqual(await player.done, { reason: "ended" });
    } finally {
      await player.stop();
    }
    const seconds = await wavSeconds(out);
    assert.ok(Math.abs(seconds - 1) < 0.1, `out.wav has ${seconds} s, expected 1 s`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mpv done reports a failure with mpv's own message when the bytes are not audio", async () => {
  const player = await MpvPlayer.create({
    format: "mp3",
    size: 65536,
    duration: null,
    volume: 100,
    extraArgs: [],
  });
  try {
    await player.write(new TextEncoder().encode("this is not audio\n".repeat(1000)));
    await player.end();
    const outcome = await player.done;
    assert.equal(outcome.reason, "failed");
    assert.match(outcome.message ?? "", /^mpv exited with code 2: .*(recognize|no audio)/);
  } finally {
    await player.stop();
  }
});

Deno.test("mpv stop kills mpv while it waits for bytes and resolves done as stopped", async () => {
  const player = await MpvPlayer.create({
    format: "wav",
    size: 1 << 20,
    duration: null,
    volume: 100,
    extraArgs: ["--ao=null"],
  });
  const pid = player.pid;
  assert.ok(pid !== null);
  await player.stop();
  await player.stop();
  assert.deepEqual(await player.done, { reason: "stopped" });
  const alive = await Deno.stat(`/proc/${pid}`).then(() => true, () => false);
  assert.equal(alive, false);
});
