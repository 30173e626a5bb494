/**
 * The player end to end in a real terminal (tmux) against a real local cluster: sign in, search, play a track
 * with mpv writing what it would play to a WAV file, check that audio against the source, and quit with q.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  asMember,
  audiod,
  audiodCommand,
  isolatedEnv,
  startBootstrap,
  startContent,
  tempDir,
  waitFor,
} from "./_harness.ts";
import { hasCommand, makeLibrary, sh } from "./fixtures.ts";
import { shellQuote } from "../roles/bootstrap/ssh_launcher.ts";

const tools = await Promise.all(["tmux", "mpv", "sox", "ffmpeg"].map(hasCommand));

/** Length in seconds and RMS amplitude of a WAV file, as sox measures them. */
async function soxStat(wav: string): Promise<{ length: number; rms: number }> {
  const text = await sh("sox", [wav, "-n", "stat"]);
  const length = Number(/Length \(seconds\):\s+([\d.]+)/.exec(text)?.[1]);
  const rms = Number(/RMS\s+amplitude:\s+([\d.]+)/.exec(text)?.[1]);
  return { length, rms };
}

Deno.test({
  name: "audiod play signs in, finds a track by search, plays verified audio through mpv and quits with q",
  ignore: !tools.every(Boolean),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using temp = await tempDir();
    const root = temp.path;
    const lib = join(root, "music");
    const [source] = await makeLibrary(lib, [
      {
        file: "x/tuned.mp3",
        title: "Tuned Tone",
        artist: "Tester",
        album: "Terminal",
        seconds: 3,
        frequency: 440,
      },
      {
        file: "x/other.wav",
        title: "Other Thing",
        artist: "Tester",
        album: "Terminal",
        seconds: 2,
        frequency: 660,
      },
    ]);
    const env = isolatedEnv(root, "servers");
    await using bootstrap = await startBootstrap(join(root, "b"), env);
    await using _content = await startContent(bootstrap.url, lib, join(root, "c"), env);
    await waitFor("two tracks", async () => {
      const s = await (await fetch(`${bootstrap.url}/v1/status`, await asMember(bootstrap.url))).json() as {
        tracks: number;
      };
      return s.tracks === 2 || undefined;
    });
    const registered = await audiod([
      "register",
      "--host",
      bootstrap.url,
      "--user",
      "fan",
      "--password-stdin",
    ], {
      env: isolatedEnv(root, "elsewhere"),
      stdin: "long enough password\n",
    });
    assert.equal(registered.code, 0, registered.stderr);

    const out = join(root, "played.wav");
    const exitFile = join(root, "exit");
    const listener = isolatedEnv(root, "listener");
    const [cmd, args] = audiodCommand([
      "play",
      "--host",
      bootstrap.url,
      "--player",
      "mpv",
      "--player-args",
      `--ao=pcm --ao-pcm-file=${out}`,
    ]);
    const envWords = Object.entries({ ...listener, TERM: "xterm-256color" }).map(([k, v]) =>
      `${k}=${shellQuote(v)}`
    );
    const line = `env -u CI ${envWords.join(" ")} ${[cmd, ...args].map(shellQuote).join(" ")}; echo $? > ${
      shellQuote(exitFile)
    }`;
    const session = `audiod-test-${crypto.randomUUID().slice(0, 8)}`;
    await sh("tmux", ["new-session", "-d", "-s", session, "-x", "120", "-y", "40", line]);
    const screen = () => sh("tmux", ["capture-pane", "-p", "-t", session]);
    // A pause after each key group lets ink apply a mode change (like "/" focusing search) before the next.
    const keys = async (...k: string[]) => {
      await sh("tmux", ["send-keys", "-t", session, ...k]);
      await new Promise((r) => setTimeout(r, 300));
    };
    try {
      await waitFor(
        "the sign-in screen",
        async () => (await screen()).includes("Sign in to") || undefined,
        30_000,
      );
      await keys("fan", "Enter");
      await keys("long enough password", "Enter");
      await waitFor("the library", async () => (await screen()).includes("2 tracks") || undefined);
      await keys("/");
      await keys("tuned");
      await waitFor("the filtered list", async () => (await screen()).includes("1 of 2") || undefined);
      await keys("Enter");
      await waitFor(
        "the filter kept",
        async () => (await screen()).includes("1 of 2 tracks match") || undefined,
      );
      await keys("Enter");
      const playing = await waitFor("verified playback", async () => {
        const text = await screen();
        return text.includes("verified") && text.includes("ended") ? text : undefined;
      });
      assert.match(playing, /Tuned Tone/);
      assert.match(playing, /✔ verified/);
      await keys("q");
      const code = await waitFor("the player to exit", async () => {
        try {
          return (await Deno.readTextFile(exitFile)).trim();
        } catch {
          return undefined;
        }
      });
      assert.equal(code, "0", "q exits with status 0");
    } catch (error) {
      throw new Error(`${(error as Error).message}\nThe screen:\n${await screen().catch(() => "")}`);
    } finally {
      await sh("tmux", ["kill-session", "-t", session]).catch(() => {});
    }

    // What mpv played matches the source: same length and signal level.
    const reference = join(root, "reference.wav");
    await sh("ffmpeg", ["-v", "error", "-y", "-i", source!, reference]);
    const [played, expected] = [await soxStat(out), await soxStat(reference)];
    assert.ok(
      Math.abs(played.length - expected.length) < 0.15,
      `length ${played.length} vs ${expected.length}`,
    );
    assert.ok(expected.rms > 0.05, "the reference is not silence");
    assert.ok(
      Math.abs(played.rms - expected.rms) / expected.rms < 0.05,
      `RMS ${played.rms} vs ${expected.rms}`,
    );
    const mpvLeft = await new Deno.Command("pgrep", { args: ["-f", out] }).output();
    assert.equal(mpvLeft.code, 1, "no player process left behind");
  },
});
