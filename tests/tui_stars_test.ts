/**
 * Favourites end to end: `audiod play` in a real terminal (tmux) stars a track with `*`, an OpenSubsonic client
 * (the `/rest` API with an API key) sees it in getStarred2, and a star made there shows in the player.
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

const tools = await Promise.all(["tmux", "ffmpeg"].map(hasCommand));

type Json = Record<string, unknown>;

Deno.test({
  name: "a star made with * in audiod play is a Subsonic favourite, and one made in the app shows as ★",
  ignore: !tools.every(Boolean),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using temp = await tempDir();
    const root = temp.path;
    const lib = join(root, "music");
    await makeLibrary(lib, [
      { file: "x/a.flac", title: "Alpha Song", artist: "Tester", album: "Terminal", seconds: 1 },
      {
        file: "x/b.flac",
        title: "Beta Song",
        artist: "Tester",
        album: "Terminal",
        seconds: 1,
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
    const app = isolatedEnv(root, "app");
    const registered = await audiod(
      ["register", "--host", bootstrap.url, "--user", "fan", "--password-stdin"],
      { env: app, stdin: "long enough password\n" },
    );
    assert.equal(registered.code, 0, registered.stderr);
    const made = await audiod(["apikey", "create", "--json"], { env: app });
    assert.equal(made.code, 0, made.stderr);
    const apiKey = JSON.parse(made.stdout).key as string;
    const rest = async (method: string, params: Record<string, string> = {}) => {
      const url = new URL(`${bootstrap.url}/rest/${method}`);
      for (const [k, v] of Object.entries({ apiKey, f: "json", ...params })) url.searchParams.set(k, v);
      const body = (await (await fetch(url)).json() as { "subsonic-response": Json })["subsonic-response"];
      assert.equal(body.status, "ok", JSON.stringify(body));
      return body;
    };
    const starredTitles = async () =>
      (((await rest("getStarred2")).starred2 as { song?: { title: string }[] }).song ?? []).map((s) =>
        s.title
      )
        .sort();
    const songs =
      ((await rest("search3", { query: "" })).searchResult3 as { song: { id: string; title: string }[] })
        .song;

    const exitFile = join(root, "exit");
    const listener = isolatedEnv(root, "listener");
    const [cmd, args] = audiodCommand(["play", "--host", bootstrap.url, "--player", "null"]);
    const envWords = Object.entries({ ...listener, TERM: "xterm-256color" }).map(([k, v]) =>
      `${k}=${shellQuote(v)}`
    );
    const line = `env -u CI ${envWords.join(" ")} ${[cmd, ...args].map(shellQuote).join(" ")}; echo $? > ${
      shellQuote(exitFile)
    }`;
    const session = `audiod-stars-${crypto.randomUUID().slice(0, 8)}`;
    await sh("tmux", ["new-session", "-d", "-s", session, "-x", "120", "-y", "40", line]);
    const screen = () => sh("tmux", ["capture-pane", "-p", "-t", session]);
    const keys = async (...k: string[]) => {
      await sh("tmux", ["send-keys", "-t", session, ...k]);
      await new Promise((r) => setTimeout(r, 300));
    };
    const rowOf = (text: string, title: string) => text.split("\n").find((l) => l.includes(title)) ?? "";
    try {
      await waitFor(
        "the sign-in screen",
        async () => (await screen()).includes("Sign in to") || undefined,
        30_000,
      );
      await keys("fan", "Enter");
      await keys("long enough password", "Enter");
      await waitFor("the library", async () => (await screen()).includes("2 tracks") || undefined);
      // Sorted by title, the cursor is on Alpha Song.
      await keys("*");
      await waitFor("the star", async () => (await screen()).includes("Starred “Alpha Song”") || undefined);
      assert.match(rowOf(await screen(), "Alpha Song"), /★/);
      assert.deepEqual(await starredTitles(), ["Alpha Song"], "the app sees the player's star");

      await rest("star", { id: songs.find((s) => s.title === "Beta Song")!.id });
      await keys("r");
      await waitFor("the app's star in the player", async () => {
        const text = await screen();
        return rowOf(text, "Beta Song").includes("★") || undefined;
      });
      await keys("*");
      await waitFor(
        "the unstar",
        async () => (await screen()).includes("Unstarred “Alpha Song”") || undefined,
      );
      assert.deepEqual(await starredTitles(), ["Beta Song"]);
      await keys("q");
      const code = await waitFor("the player to exit", async () => {
        try {
          return (await Deno.readTextFile(exitFile)).trim();
        } catch {
          return undefined;
        }
      });
      assert.equal(code, "0");
    } catch (error) {
      throw new Error(`${(error as Error).message}\nThe screen:\n${await screen().catch(() => "")}`);
    } finally {
      await sh("tmux", ["kill-session", "-t", session]).catch(() => {});
    }
  },
});
