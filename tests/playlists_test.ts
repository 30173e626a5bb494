/**
 * Playlists end to end: a playlist made through the OpenSubsonic API (`createPlaylist` with `u`+`p`) is what the
 * player's services seam (`createTuiServices`) lists and opens, its tracks in the playlist's order; the
 * `/v1/playlists` routes refuse a bad token, a bad id and an unknown one clearly; `audiod play` in a real
 * terminal (tmux) lists it and queues it in order.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { createTuiServices } from "../client/tui_services.ts";
import { isSessionExpired } from "../tui/services.ts";
import {
  audiod,
  audiodCommand,
  isolatedEnv,
  startBootstrap,
  startContent,
  tempDir,
  waitFor,
  withToken,
} from "./_harness.ts";
import { hasCommand, makeLibrary, sh } from "./fixtures.ts";
import { shellQuote } from "../roles/bootstrap/ssh_launcher.ts";

const tools = await Promise.all(["ffmpeg"].map(hasCommand));
const hasTmux = await hasCommand("tmux");

type Json = Record<string, unknown>;

Deno.test({
  name: "a playlist made in an OpenSubsonic app is listed and opened through the player's services, in order",
  ignore: !tools.every(Boolean),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using temp = await tempDir();
    const root = temp.path;
    const lib = join(root, "music");
    await makeLibrary(lib, [
      { file: "x/a.flac", title: "Alpha Song", artist: "Tester", album: "Lists", seconds: 1 },
      { file: "x/b.flac", title: "Beta Song", artist: "Tester", album: "Lists", seconds: 1, frequency: 550 },
      { file: "x/c.flac", title: "Gamma Song", artist: "Tester", album: "Lists", seconds: 1, frequency: 660 },
    ]);
    const env = isolatedEnv(root, "servers");
    await using bootstrap = await startBootstrap(join(root, "b"), env);
    await using _content = await startContent(bootstrap.url, lib, join(root, "c"), env);
    const app = isolatedEnv(root, "app");
    const password = "long enough password";
    const registered = await audiod(
      ["register", "--host", bootstrap.url, "--user", "lister", "--password-stdin"],
      { env: app, stdin: `${password}\n` },
    );
    assert.equal(registered.code, 0, registered.stderr);

    const rest = async (method: string, params: [string, string][]) => {
      const url = new URL(`${bootstrap.url}/rest/${method}`);
      for (const [k, v] of [["u", "lister"], ["p", password], ["f", "json"], ...params]) {
        url.searchParams.append(k!, v!);
      }
      const body = (await (await fetch(url)).json() as { "subsonic-response": Json })["subsonic-response"];
      assert.equal(body.status, "ok", JSON.stringify(body));
      return body;
    };
    const songs = await waitFor("three songs in the API", async () => {
      const found = ((await rest("search3", [["query", ""]])).searchResult3 as {
        song?: { id: string; title: string }[];
      }).song ?? [];
      return found.length === 3 ? found : undefined;
    }, 30_000);
    const byTitle = (title: string) => songs.find((s) => s.title === title)!.id;
    // Not in title order, and one track twice.
    const order = [byTitle("Gamma Song"), byTitle("Alpha Song"), byTitle("Beta Song"), byTitle("Gamma Song")];
    const created = (await rest("createPlaylist", [
      ["name", "Road trip"],
      ...order.map((id) => ["songId", id] as [string, string]),
    ]))
      .playlist as { id: string };

    const services = createTuiServices({ player: "auto", playerArgs: [], configDir: join(root, "tui") });
    const session = await services.login(bootstrap.url, "lister", password);

    await t.step("playlists() lists it with its song count and duration", async () => {
      const lists = await services.playlists!(session);
      assert.equal(lists.length, 1);
      assert.equal(lists[0]!.id, created.id);
      assert.equal(lists[0]!.name, "Road trip");
      assert.equal(lists[0]!.songCount, 4);
      assert.ok(lists[0]!.duration >= 3 && lists[0]!.duration <= 5, String(lists[0]!.duration));
    });

    await t.step("playlist() gives its tracks as catalog tracks, in the playlist's order", async () => {
      const opened = await services.playlist!(session, created.id);
      assert.equal(opened.name, "Road trip");
      assert.deepEqual(
        opened.tracks.map((track) => track.id),
        order,
      );
      assert.deepEqual(opened.tracks.map((track) => track.title), [
        "Gamma Song",
        "Alpha Song",
        "Beta Song",
        "Gamma Song",
      ]);
      assert.ok(opened.tracks.every((track) => track.replicas.length > 0));
    });

    await t.step("a change made in the app shows through the seam", async () => {
      await rest("updatePlaylist", [["playlistId", created.id], ["songIndexToRemove", "3"], [
        "name",
        "Short trip",
      ]]);
      const opened = await services.playlist!(session, created.id);
      assert.equal(opened.name, "Short trip");
      assert.deepEqual(opened.tracks.map((track) => track.id), order.slice(0, 3));
    });

    await t.step("the routes refuse a bad token (401), a bad id (400) and an unknown one (404)", async () => {
      const get = async (path: string, token: string) => {
        const res = await fetch(`${bootstrap.url}${path}`, withToken(token));
        return { status: res.status, body: await res.json() as { error?: { message?: string } } };
      };
      const noToken = await fetch(`${bootstrap.url}/v1/playlists`);
      assert.equal(noToken.status, 401);
      await noToken.body?.cancel();
      const bad = await get("/v1/playlists", "not-a-token");
      assert.equal(bad.status, 401);
      const badId = await get("/v1/playlists/road-trip", session.token);
      assert.equal(badId.status, 400);
      assert.match(JSON.stringify(badId.body), /Cannot open the playlist: road-trip is not a playlist id/);
      const unknown = await get("/v1/playlists/999999", session.token);
      assert.equal(unknown.status, 404);
      assert.match(JSON.stringify(unknown.body), /Cannot open playlist 999999/);
      await assert.rejects(
        () => services.playlists!({ ...session, token: "not-a-token" }),
        (error) => isSessionExpired(error),
      );
    });

    await t.step({
      name: "audiod play (tmux) lists it on the playlists screen, and Enter, Enter queues it in order",
      ignore: !hasTmux,
      fn: async () => {
        const exitFile = join(root, "exit");
        const listener = isolatedEnv(root, "listener");
        const [cmd, args] = audiodCommand(["play", "--host", bootstrap.url, "--player", "null"]);
        const envWords = Object.entries({ ...listener, TERM: "xterm-256color" }).map(([k, v]) =>
          `${k}=${shellQuote(v)}`
        );
        const line = `env -u CI ${envWords.join(" ")} ${
          [cmd, ...args].map(shellQuote).join(" ")
        }; echo $? > ${shellQuote(exitFile)}`;
        const tmux = `audiod-playlists-${crypto.randomUUID().slice(0, 8)}`;
        await sh("tmux", ["new-session", "-d", "-s", tmux, "-x", "120", "-y", "40", line]);
        const screen = () => sh("tmux", ["capture-pane", "-p", "-t", tmux]);
        const keys = async (...k: string[]) => {
          await sh("tmux", ["send-keys", "-t", tmux, ...k]);
          await new Promise((r) => setTimeout(r, 300));
        };
        const shows = (what: string, text: string) =>
          waitFor(what, async () => (await screen()).includes(text) || undefined, 30_000);
        try {
          await shows("the sign-in screen", "Sign in to");
          await keys("lister", "Enter");
          await keys(password, "Enter");
          await shows("the library", "3 tracks");
          await keys("Tab", "Tab");
          await shows("the playlist made in the app", "Short trip");
          await keys("Enter");
          await shows("its tracks", "Playlist “Short trip”: 3 tracks");
          await keys("Enter");
          await shows("it queued", "Playing “Short trip”: 3 tracks queued");
          await keys("BTab");
          await shows("the queue", "Queue: 3 tracks");
          const lines = (await screen()).split("\n");
          const rows = lines.slice(0, lines.findIndex((l) => l.startsWith("────")));
          const titles = rows.flatMap((l) =>
            ["Alpha Song", "Beta Song", "Gamma Song"].filter((t) => l.includes(t))
          );
          assert.deepEqual(titles, ["Gamma Song", "Alpha Song", "Beta Song"]);
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
          await sh("tmux", ["kill-session", "-t", tmux]).catch(() => {});
        }
      },
    });

    await t.step("another user sees none of them", async () => {
      const other = isolatedEnv(root, "other");
      const reg = await audiod(
        ["register", "--host", bootstrap.url, "--user", "stranger", "--password-stdin"],
        { env: other, stdin: "another long password\n" },
      );
      assert.equal(reg.code, 0, reg.stderr);
      const theirs = await services.login(bootstrap.url, "stranger", "another long password");
      assert.deepEqual(await services.playlists!(theirs), []);
      const res = await fetch(`${bootstrap.url}/v1/playlists/${created.id}`, withToken(theirs.token));
      assert.equal(res.status, 404);
      await res.body?.cancel();
    });
  },
});
