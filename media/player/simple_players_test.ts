import assert from "node:assert/strict";
import { join } from "node:path";
import { createSimplePlayer, type SimplePlayerName } from "./simple_players.ts";
import type { PlayerOptions } from "./types.ts";

/** A stand-in player program: records its arguments and the bytes it got (from stdin, or from the file named last). */
const FAKE_PLAYER = `#!/bin/sh
here=$(dirname "$0")
printf '%s\\n' "$@" > "$here/args.txt"
last=""
for a in "$@"; do last="$a"; done
if [ -f "$last" ]; then cat "$last" > "$here/got.bin"; else cat > "$here/got.bin"; fi
`;

const WAV: PlayerOptions = { format: "wav", size: 6, duration: 1, volume: 50, extraArgs: ["--extra", "x y"] };

async function withFakePlayer(test: (dir: string, command: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    const command = join(dir, "player.sh");
    await Deno.writeTextFile(command, FAKE_PLAYER, { mode: 0o755 });
    await test(dir, command);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("simple players get their arguments and the bytes in order", async (t) => {
  const cases: [SimplePlayerName, string, string[]][] = [
    ["aplay", "wav", ["-q", "--extra", "x y", "-"]],
    ["paplay", "wav", ["--volume=32768", "--extra", "x y"]],
    ["ffplay", "mp3", [
      "-nodisp",
      "-autoexit",
      "-loglevel",
      "error",
      "-volume",
      "50",
      "--extra",
      "x y",
      "-i",
      "pipe:0",
    ]],
  ];
  for (const [name, format, expectedArgs] of cases) {
    await t.step(name, () =>
      withFakePlayer(async (dir, command) => {
        const player = createSimplePlayer(name, { ...WAV, format }, { command });
        await player.write(new Uint8Array([1, 2, 3]));
        await player.write(new Uint8Array([4, 5, 6]));
        await player.end();
        assert.deepEqual(await player.done, { reason: "ended" });
        assert.deepEqual(
          (await Deno.readTextFile(join(dir, "args.txt"))).trimEnd().split("\n"),
          expectedArgs,
        );
        assert.deepEqual(await Deno.readFile(join(dir, "got.bin")), new Uint8Array([1, 2, 3, 4, 5, 6]));
      }));
  }
});

Deno.test("afplay gets a complete temp file once all bytes are written, and the file is removed after", async () => {
  await withFakePlayer(async (dir, command) => {
    const player = createSimplePlayer("afplay", { ...WAV, format: "mp3", extraArgs: [] }, { command });
    await player.write(new Uint8Array([1, 2, 3]));
    await player.write(new Uint8Array([4, 5, 6]));
    assert.equal(await Deno.stat(join(dir, "args.txt")).then(() => true, () => false), false);
    await player.end();
    assert.deepEqual(await player.done, { reason: "ended" });
    const args = (await Deno.readTextFile(join(dir, "args.txt"))).trimEnd().split("\n");
    assert.deepEqual(args.slice(0, 2), ["-v", "0.5"]);
    assert.match(args[2]!, /track\.mp3$/);
    assert.deepEqual(await Deno.readFile(join(dir, "got.bin")), new Uint8Array([1, 2, 3, 4, 5, 6]));
    assert.equal(await Deno.stat(args[2]!).then(() => true, () => false), false);
  });
});

Deno.test("a player that exits with an error fails done with its exit code and last words", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const command = join(dir, "broken.sh");
    await Deno.writeTextFile(command, "#!/bin/sh\ncat >/dev/null\necho 'no such device' >&2\nexit 3\n", {
      mode: 0o755,
    });
    const player = createSimplePlayer("aplay", WAV, { command });
    await player.write(new Uint8Array(10));
    await player.end();
    assert.deepEqual(await player.done, {
      reason: "failed",
      message: "aplay exited with code 3: no such device",
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("simple players cannot pause, seek or report a position", async () => {
  const player = createSimplePlayer("aplay", WAV, { command: "true" });
  try {
    assert.deepEqual(player.capabilities, { pause: false, seek: false, volume: false, position: false });
    assert.equal(await player.position(), null);
  } finally {
    await player.stop();
  }
});

Deno.test("ffplay plays a WAV from its stdin into SDL's disk audio driver", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const wavPath = join(dir, "x.wav");
    const sox = await new Deno.Command("sox", {
      args: ["-n", "-r", "44100", "-c", "2", wavPath, "synth", "0.3", "sine", "440"],
    }).output();
    assert.ok(sox.success);
    const wav = await Deno.readFile(wavPath);
    const raw = join(dir, "sdl.raw");
    const env = { SDL_AUDIODRIVER: "disk", SDL_DISKAUDIOFILE: raw };
    const player = createSimplePlayer("ffplay", { ...WAV, size: wav.length, extraArgs: [] }, { env });
    await player.write(wav);
    await player.end();
    assert.deepEqual(await player.done, { reason: "ended" });
    assert.ok((await Deno.stat(raw)).size > 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ffplay fails done when the bytes are not audio although it exits 0", async () => {
  const player = createSimplePlayer("ffplay", { ...WAV, extraArgs: [] }, {
    env: { SDL_AUDIODRIVER: "dummy" },
  });
  await player.write(new TextEncoder().encode("this is not audio\n".repeat(1000)));
  await player.end();
  const outcome = await player.done;
  assert.equal(outcome.reason, "failed");
  assert.match(outcome.message ?? "", /^ffplay exited with code 0: .*Invalid data/);
});
