import assert from "node:assert/strict";
import { canPlay, createPlayer, detectPlayers, PlayerMissingError, whichInPath } from "./mod.ts";
import type { PlayerName, PlayerOptions } from "./types.ts";

const MP3: PlayerOptions = { format: "mp3", size: 1000, duration: 1, volume: 100, extraArgs: [] };

/** A PATH lookup that finds only `installed`. */
function only(...installed: string[]): (command: string) => Promise<string | null> {
  return (command) => Promise.resolve(installed.includes(command) ? `/usr/bin/${command}` : null);
}

Deno.test("detectPlayers finds the mpv installed here, ranks it first and lists null last", async () => {
  assert.ok(await whichInPath("mpv"), "mpv is not in PATH on this machine");
  const players = await detectPlayers();
  assert.equal(players[0], "mpv");
  assert.equal(players.at(-1), "null");
});

Deno.test("detectPlayers ranks mpv > ffplay > afplay > paplay > aplay and offers afplay on macOS only", async () => {
  const all = only("aplay", "paplay", "afplay", "ffplay", "mpv");
  assert.deepEqual(await detectPlayers({ which: all, os: "darwin" }), [
    "mpv",
    "ffplay",
    "afplay",
    "paplay",
    "aplay",
    "null",
  ]);
  assert.deepEqual(await detectPlayers({ which: all, os: "linux" }), [
    "mpv",
    "ffplay",
    "paplay",
    "aplay",
    "null",
  ]);
  assert.deepEqual(await detectPlayers({ which: only(), os: "linux" }), ["null"]);
});

Deno.test("createPlayer says which package to install when the named player is missing", async (t) => {
  const cases: [PlayerName, RegExp][] = [
    ["mpv", /^Cannot start mpv: it is not installed \(apt-get install mpv, brew install mpv\)$/],
    ["ffplay", /^Cannot start ffplay: it is not installed \(apt-get install ffmpeg, brew install ffmpeg\)$/],
    ["aplay", /^Cannot start aplay: it is not installed \(apt-get install alsa-utils\)$/],
    ["paplay", /^Cannot start paplay: it is not installed \(apt-get install pulseaudio-utils\)$/],
    ["afplay", /^Cannot start afplay: it comes with macOS only/],
  ];
  for (const [name, message] of cases) {
    await t.step(name, async () => {
      const error = await createPlayer(name, { ...MP3, format: "wav" }, { which: only(), os: "linux" }).then(
        () => null,
        (e) => e,
      );
      assert.ok(error instanceof PlayerMissingError);
      assert.equal(error.player, name);
      assert.match(error.message, message);
    });
  }
});

Deno.test("createPlayer refuses mp3 for the WAV-only aplay and says mpv or ffplay is needed", async () => {
  await assert.rejects(
    createPlayer("aplay", MP3, { which: only("aplay"), os: "linux" }),
    (error) =>
      error instanceof PlayerMissingError &&
      /^Cannot play mp3 with aplay: it plays only WAV; mpv or ffplay is needed for mp3/.test(error.message),
  );
});

Deno.test("createPlayer auto skips players that cannot play the format", async () => {
  const { player, chosen, note } = await createPlayer("auto", MP3, { which: only("aplay"), os: "linux" });
  try {
    assert.equal(chosen, "null");
    assert.match(note, /^auto: no installed player plays mp3 \(apt-get install mpv/);
  } finally {
    await player.stop();
  }
});

Deno.test("createPlayer auto uses mpv here and says so", async () => {
  const { player, chosen, note } = await createPlayer("auto", MP3);
  try {
    assert.equal(chosen, "mpv");
    assert.equal(note, "auto: using mpv");
    assert.equal(player.name, "mpv");
    assert.deepEqual(player.capabilities, { pause: true, seek: true, volume: true, position: true });
  } finally {
    await player.stop();
  }
  assert.equal((await player.done).reason, "stopped");
});

Deno.test("canPlay lets aplay and paplay play WAV only and afplay no Ogg", () => {
  assert.equal(canPlay("aplay", "WAV"), true);
  assert.equal(canPlay("paplay", "flac"), false);
  assert.equal(canPlay("afplay", "m4a"), true);
  assert.equal(canPlay("afplay", "ogg"), false);
  assert.equal(canPlay("mpv", "opus"), true);
});
