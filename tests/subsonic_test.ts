/**
 * The OpenSubsonic API end to end: a real cluster (bootstrap and content node on 127.0.0.1:0), npm
 * `subsonic-api` (a client nobody here wrote) as the app, mpv and ffmpeg as real players.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { SubsonicAPI } from "subsonic-api";
import { audiod, isolatedEnv, startBootstrap, startContent, tempDir, waitFor } from "./_harness.ts";
import { hasCommand, makeLibrary, md5OfFile } from "./fixtures.ts";
import { synthesizeWav } from "../media/wav.ts";
import { AudiodClient } from "../client/api.ts";
import { createTuiServices } from "../client/tui_services.ts";

type Json = Record<string, unknown>;

/** `subsonic-response` of a JSON answer. */
async function answer(res: Response): Promise<Json> {
  assert.equal(res.status, 200);
  return (await res.json() as { "subsonic-response": Json })["subsonic-response"];
}

function errorCode(body: Json): number | undefined {
  return (body.error as { code?: number } | undefined)?.code;
}

/** A small XML reader for the answers: elements, attributes and text (what the API writes). */
interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  text: string;
}

function parseXml(text: string): XmlNode {
  const body = text.replace(/^<\?xml[^>]*\?>/, "");
  const root: XmlNode = { name: "#root", attrs: {}, children: [], text: "" };
  const stack = [root];
  const decode = (s: string) =>
    s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&apos;/g, "'")
      .replace(/&amp;/g, "&");
  const tag = /<(\/?)([\w:-]+)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>|([^<]+)/g;
  for (const m of body.matchAll(tag)) {
    if (m[5] !== undefined) {
      stack.at(-1)!.text += decode(m[5]);
      continue;
    }
    if (m[1] === "/") {
      assert.equal(stack.pop()!.name, m[2], "balanced XML");
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of m[3]!.matchAll(/([\w:-]+)="([^"]*)"/g)) attrs[a[1]!] = decode(a[2]!);
    const node: XmlNode = { name: m[2]!, attrs, children: [], text: "" };
    stack.at(-1)!.children.push(node);
    if (m[4] !== "/") stack.push(node);
  }
  assert.equal(stack.length, 1, "every element closed");
  return root.children[0]!;
}

/** Decoded 16-bit PCM of `input` from `seconds` for `length` seconds (ffmpeg). */
async function pcm(input: string, seconds: number, length: number): Promise<Uint8Array> {
  const out = await new Deno.Command("ffmpeg", {
    args: [
      "-hide_banner",
      "-loglevel",
      "error",
      "-nostdin",
      "-ss",
      String(seconds),
      "-i",
      input,
      "-t",
      String(length),
      "-f",
      "s16le",
      "-ac",
      "2",
      "-ar",
      "44100",
      "-",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return out.stdout;
}

function md5(bytes: Uint8Array): string {
  return createHash("md5").update(bytes).digest("hex");
}

Deno.test({
  name: "OpenSubsonic clients browse, play, seek, star, list and queue through the bootstrap's /rest API",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using temp = await tempDir();
    const root = temp.path;
    const media = join(root, "media");
    const sources = await makeLibrary(media, [
      {
        file: "moon/1.flac",
        title: "Moon Rise",
        artist: "The Orbiters",
        album: "Moon",
        track: 1,
        seconds: 40,
      },
      {
        file: "moon/2.mp3",
        title: "Moon Set",
        artist: "The Orbiters",
        album: "Moon",
        track: 2,
        frequency: 550,
      },
      { file: "sun/1.ogg", title: "Sun Up", artist: "The Orbiters", album: "Sun", track: 1, frequency: 660 },
      {
        file: "x/1.flac",
        title: "Xylo",
        artist: "Björk Tones",
        album: "Keys",
        track: 1,
        frequency: 770,
        genre: "Ambient",
        date: "1999",
        disc: 1,
        albumArtist: "Björk Tones",
        tags: { REPLAYGAIN_TRACK_GAIN: "-6.50 dB", REPLAYGAIN_TRACK_PEAK: "0.891250" },
      },
      {
        file: "x/2.flac",
        title: "Yodel",
        artist: "Björk Tones",
        album: "Keys",
        track: 2,
        frequency: 880,
        genre: "Ambient",
        date: "1999",
        disc: 2,
      },
    ]);
    // The Keys files were added last (their mtime is the added time clients see in `newest`).
    const later = new Date(Date.now() + 86_400_000);
    for (const path of sources.slice(3)) await Deno.utime(path, later, later);
    // A long one, so a stream is still flowing when its API key is revoked.
    await Deno.mkdir(join(media, "long"), { recursive: true });
    const longPath = join(media, "long", "long.wav");
    await Deno.writeFile(
      longPath,
      synthesizeWav({
        seconds: 180,
        frequency: 300,
        tags: { title: "Long Tone", artist: "Drone", album: "Hours" },
      }),
    );
    const total = sources.length + 1;
    // A cover beside the Moon album's files, and synced lyrics beside one track.
    const cover = crypto.getRandomValues(new Uint8Array(3000));
    await Deno.writeFile(join(media, "moon", "Folder.jpg"), cover);
    await Deno.writeTextFile(
      join(media, "sun", "1.lrc"),
      "[ar:The Orbiters]\n[00:01.50]Here comes\n[00:03.25]the sun\n",
    );
    const env = isolatedEnv(root, "alice");
    await using bootstrap = await startBootstrap(join(root, "boot"), env);
    await using _content = await startContent(bootstrap.url, media, join(root, "content"), env);
    const host = bootstrap.url;
    const reg = await audiod(["register", "--host", host, "--user", "alice", "--password-stdin"], {
      env,
      stdin: "alice's password\n",
    });
    assert.equal(reg.code, 0, reg.stderr);
    const made = await audiod(["apikey", "create", "--name", "test app", "--json"], { env });
    assert.equal(made.code, 0, made.stderr);
    const apiKey = JSON.parse(made.stdout).key as string;
    assert.ok(apiKey.length >= 43);

    const rest = (method: string, params: Record<string, string | string[]> = {}) => {
      const url = new URL(`${host}/rest/${method}`);
      for (const [k, v] of Object.entries(params)) {
        for (const one of [v].flat()) url.searchParams.append(k, one);
      }
      return url;
    };
    const withKey = (method: string, params: Record<string, string | string[]> = {}) =>
      rest(method, { apiKey, f: "json", ...params });
    await waitFor("the whole library in the API", async () => {
      const body = await answer(await fetch(withKey("search3", { query: "", songCount: "100" })));
      const songs = (body.searchResult3 as { song?: unknown[] }).song ?? [];
      return songs.length === total ? true : undefined;
    }, 30_000);

    for (const post of [false, true]) {
      await t.step(
        `ping → getArtists → getArtist → getAlbum → getSong → stream (${post ? "POST" : "GET"})`,
        async () => {
          const api = new SubsonicAPI({ url: host, auth: { apiKey }, post });
          const ping = await api.ping();
          assert.equal(ping.status, "ok");
          assert.equal(ping.version, "1.16.1");
          assert.equal((ping as unknown as Json).type, "audiod");
          assert.equal((ping as unknown as Json).openSubsonic, true);
          const artists = await api.getArtists();
          const all = artists.artists.index!.flatMap((i) => i.artist ?? []);
          const orbiters = all.find((a) => a.name === "The Orbiters")!;
          assert.ok(orbiters, "indexed under O (the article ignored)");
          assert.equal(artists.artists.index!.find((i) => i.artist?.includes(orbiters))!.name, "O");
          const artist = await api.getArtist({ id: orbiters.id });
          assert.deepEqual(artist.artist.album!.map((a) => a.name).sort(), ["Moon", "Sun"]);
          const moonId = artist.artist.album!.find((a) => a.name === "Moon")!.id;
          const album = await api.getAlbum({ id: moonId });
          assert.deepEqual(album.album.song!.map((s) => s.title), ["Moon Rise", "Moon Set"]);
          const first = album.album.song![0]!;
          const song = await api.getSong({ id: first.id });
          assert.equal(song.song.title, "Moon Rise");
          assert.equal(song.song.suffix, "flac");
          assert.equal(song.song.contentType, "audio/flac");
          assert.match(song.song.id, /^[0-9a-f]{64}$/, "songs keep the track id");
          const res = await api.stream({ id: first.id });
          assert.equal(res.status, 200);
          assert.ok(res.redirected, "the bytes come from a file instance, not the bootstrap");
          assert.notEqual(new URL(res.url).port, new URL(host).port);
          const bytes = new Uint8Array(await res.arrayBuffer());
          assert.equal(md5(bytes), await md5OfFile(sources[0]!));
          assert.equal(res.headers.get("x-audiod-md5"), md5(bytes), "the catalog's MD5");
        },
      );
    }

    await t.step(
      "the files' tags show: getGenres, byYear, byGenre, newest, getSongsByGenre and the song's details",
      async () => {
        const genres = await answer(await fetch(withKey("getGenres")));
        assert.deepEqual((genres.genres as Json).genre, [{ value: "Ambient", songCount: 2, albumCount: 1 }]);
        const albums = async (params: Record<string, string>) =>
          ((await answer(await fetch(withKey("getAlbumList2", params)))).albumList2 as {
            album: { name: string; year?: number; genre?: string }[];
          }).album;
        const nineties = await albums({ type: "byYear", fromYear: "1990", toYear: "2000" });
        assert.deepEqual(nineties.map((a) => [a.name, a.year, a.genre]), [["Keys", 1999, "Ambient"]]);
        assert.deepEqual(await albums({ type: "byYear", fromYear: "2000", toYear: "2100" }), []);
        assert.deepEqual((await albums({ type: "byGenre", genre: "Ambient" })).map((a) => a.name), ["Keys"]);
        assert.deepEqual(await albums({ type: "byGenre", genre: "Polka" }), []);
        assert.equal((await albums({ type: "newest" }))[0]?.name, "Keys");
        const byGenre = await answer(await fetch(withKey("getSongsByGenre", { genre: "Ambient" })));
        const genreSongs = (byGenre.songsByGenre as { song: Json[] }).song;
        assert.deepEqual(genreSongs.map((s) => s.title).sort(), ["Xylo", "Yodel"]);
        const paged = await answer(
          await fetch(withKey("getSongsByGenre", { genre: "Ambient", offset: "1" })),
        );
        assert.deepEqual((paged.songsByGenre as { song: Json[] }).song.map((s) => s.title), [
          genreSongs[1]!.title,
        ]);
        const random = async (params: Record<string, string>) =>
          ((await answer(await fetch(withKey("getRandomSongs", { size: "10", ...params })))).randomSongs as {
            song?: Json[];
          }).song?.map((s) => s.title).sort() ?? [];
        assert.deepEqual(await random({ genre: "Ambient" }), ["Xylo", "Yodel"]);
        assert.deepEqual(await random({ genre: "Polka" }), []);
        assert.deepEqual(await random({ fromYear: "1990", toYear: "2000" }), ["Xylo", "Yodel"]);
        assert.deepEqual(await random({ genre: "Ambient", fromYear: "2000", toYear: "2100" }), []);
        const xylo = genreSongs.find((s) => s.title === "Xylo")!;
        const got = await answer(await fetch(withKey("getSong", { id: String(xylo.id) })));
        const song = got.song as Json;
        assert.equal(song.year, 1999);
        assert.equal(song.genre, "Ambient");
        assert.deepEqual(song.genres, [{ name: "Ambient" }]);
        assert.equal(song.discNumber, 1);
        assert.equal(song.contentType, "audio/flac");
        assert.equal(song.samplingRate, 44_100);
        assert.equal(song.channelCount, 2);
        assert.equal(song.bitDepth, 16);
        assert.ok(typeof song.bitRate === "number" && song.bitRate > 0, `bitRate ${song.bitRate}`);
        assert.deepEqual(song.replayGain, { trackGain: -6.5, trackPeak: 0.89125 });
        assert.equal(genreSongs.find((s) => s.title === "Yodel")!.discNumber, 2);
        // The Moon files carry no year or genre: none is made up.
        const moon = (await albums({ type: "alphabeticalByName" })).find((a) => a.name === "Moon") as Json;
        const moonSongs = (await answer(await fetch(withKey("getAlbum", { id: String(moon.id) })))).album as {
          song: Json[];
        };
        assert.ok(moonSongs.song.every((s) => s.year === undefined && s.genre === undefined));
      },
    );

    await t.step(
      "ids of artists and albums are derived from names, the same after a restart-free re-ask",
      async () => {
        const a = await answer(
          await fetch(withKey("getAlbumList2", { type: "alphabeticalByName", size: "10" })),
        );
        const b = await answer(
          await fetch(withKey("getAlbumList2", { type: "alphabeticalByName", size: "10" })),
        );
        const ids = (x: Json) =>
          (x.albumList2 as { album: { id: string; name: string }[] }).album.map((al) => al.id);
        assert.deepEqual(ids(a), ids(b));
        assert.deepEqual(
          (a.albumList2 as { album: { name: string }[] }).album.map((al) => al.name),
          ["Hours", "Keys", "Moon", "Sun"],
        );
        for (const id of ids(a)) assert.match(id, /^al-[0-9a-f]{24}$/);
      },
    );

    await t.step(
      "search3 with an empty query pages through the whole library; words find songs",
      async () => {
        const api = new SubsonicAPI({ url: host, auth: { apiKey } });
        const seen = new Set<string>();
        for (let offset = 0;; offset += 2) {
          const page = await api.search3({
            query: '""',
            songCount: 2,
            songOffset: offset,
            artistCount: 0,
            albumCount: 0,
          });
          const songs = page.searchResult3.song ?? [];
          for (const s of songs) seen.add(s.id);
          if (songs.length < 2) break;
        }
        assert.equal(seen.size, total);
        const bjork = await api.search3({ query: "bjork yodel" });
        assert.deepEqual(bjork.searchResult3.song?.map((s) => s.title), ["Yodel"]);
        const everything = await answer(await fetch(withKey("search2", { query: "" })));
        assert.equal(((everything.searchResult2 as Json).song as unknown[]).length, total);
      },
    );

    const api = new SubsonicAPI({ url: host, auth: { apiKey } });
    const songs = (await api.search3({ query: "", songCount: 100 })).searchResult3.song!;
    const byTitle = (title: string) => songs.find((s) => s.title === title)!;

    await t.step("star → getStarred2, unstar; setRating shows on the song", async () => {
      const moonRise = byTitle("Moon Rise");
      await api.star({ id: moonRise.id, albumId: moonRise.albumId! });
      const starred = await api.getStarred2();
      assert.deepEqual(starred.starred2.song?.map((s) => s.id), [moonRise.id]);
      assert.deepEqual(starred.starred2.album?.map((a) => a.id), [moonRise.albumId]);
      await api.setRating({ id: moonRise.id, rating: 4 });
      const again = await api.getSong({ id: moonRise.id });
      assert.equal(again.song.userRating, 4);
      assert.ok(again.song.starred);
      await api.unstar({ albumId: moonRise.albumId! });
      assert.equal((await api.getStarred2()).starred2.album?.length ?? 0, 0);
      const listed = await api.getAlbumList2({ type: "starred" });
      assert.equal(listed.albumList2.album?.length ?? 0, 0);
    });

    await t.step("the terminal player's stars are the Subsonic app's favourites, both ways", async () => {
      const moonRise = byTitle("Moon Rise");
      const sunUp = byTitle("Sun Up");
      const player = createTuiServices({ player: "auto", playerArgs: [], configDir: join(root, "player") });
      const session = await new AudiodClient(host).login("alice", "alice's password");
      try {
        assert.deepEqual(
          await player.stars!(session),
          [moonRise.id],
          "starred in the app, seen by the player",
        );
        await player.setStar!(session, sunUp.id, true);
        await player.setStar!(session, moonRise.id, false);
        assert.deepEqual((await api.getStarred2()).starred2.song?.map((s) => s.id), [sunUp.id]);
        assert.deepEqual(await player.stars!(session), [sunUp.id]);
        await api.star({ id: moonRise.id });
        assert.deepEqual(await player.stars!(session), [moonRise.id, sunUp.id], "newest first");
        await player.setStar!(session, sunUp.id, false);
        const stars = (id: string, method: string, token?: string) =>
          fetch(`${host}/v1/stars/${id}`, {
            method,
            ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
          });
        const notHex = await stars("not-a-track", "PUT", session.token);
        assert.equal(notHex.status, 400);
        assert.match((await notHex.json()).error.message, /not a track id/);
        const unknown = await stars("ab".repeat(32), "PUT", session.token);
        assert.equal(unknown.status, 404);
        await unknown.body?.cancel();
        const anonymous = await stars(sunUp.id, "PUT");
        assert.equal(anonymous.status, 401);
        await anonymous.body?.cancel();
        assert.deepEqual((await api.getStarred2()).starred2.song?.map((s) => s.id), [moonRise.id]);
      } finally {
        await player.logout(session);
      }
    });

    await t.step("a playlist round trip (POST)", async () => {
      const poster = new SubsonicAPI({ url: host, auth: { apiKey }, post: true });
      const [a, b, c] = [byTitle("Xylo"), byTitle("Yodel"), byTitle("Sun Up")];
      const created = await poster.createPlaylist({ name: "Road trip", songId: [a.id, b.id] });
      const id = (created as unknown as { playlist: { id: string } }).playlist.id;
      assert.equal(typeof id, "string");
      const lists = await poster.getPlaylists();
      assert.deepEqual(lists.playlists.playlist?.map((p) => [p.name, p.songCount]), [["Road trip", 2]]);
      await poster.updatePlaylist({
        playlistId: id,
        songIdToAdd: [c.id],
        songIndexToRemove: [0],
        name: "Trip",
      });
      const got = await poster.getPlaylist({ id });
      assert.equal(got.playlist.name, "Trip");
      assert.deepEqual(got.playlist.entry?.map((s) => s.title), ["Yodel", "Sun Up"]);
      await poster.deletePlaylist({ id });
      assert.equal((await poster.getPlaylists()).playlists.playlist?.length ?? 0, 0);
    });

    await t.step(
      "scrobble counts a play: the album shows in frequent and recent; now-playing does not count",
      async () => {
        const sunUp = byTitle("Sun Up");
        await api.scrobble({ id: sunUp.id, submission: false });
        assert.equal((await api.getAlbumList2({ type: "frequent" })).albumList2.album?.length ?? 0, 0);
        await api.scrobble({ id: sunUp.id });
        await api.scrobble({ id: sunUp.id, time: Date.now() });
        const frequent = await api.getAlbumList2({ type: "frequent" });
        assert.deepEqual(frequent.albumList2.album?.map((a) => a.name), ["Sun"]);
        assert.equal((frequent.albumList2.album![0] as unknown as Json).playCount, 2);
        const recent = await api.getAlbumList2({ type: "recent" });
        assert.deepEqual(recent.albumList2.album?.map((a) => a.name), ["Sun"]);
        assert.equal((await api.getSong({ id: sunUp.id })).song.playCount, 2);
      },
    );

    await t.step("the saved play queue reads back", async () => {
      const ids = [byTitle("Yodel").id, byTitle("Moon Set").id];
      await api.savePlayQueue({ id: ids, current: ids[1]!, position: 1234 });
      const queue = (await api.getPlayQueue()) as {
        playQueue: NonNullable<Awaited<ReturnType<typeof api.getPlayQueue>>["playQueue"]>;
      };
      assert.deepEqual(queue.playQueue.entry?.map((s) => s.id), ids);
      assert.equal(queue.playQueue.current, ids[1]);
      assert.equal(queue.playQueue.position, 1234);
      assert.equal(queue.playQueue.username, "alice");
    });

    await t.step("every album list type answers; byYear and byGenre need their parameters", async () => {
      for (const type of ["random", "newest", "alphabeticalByArtist", "alphabeticalByName"]) {
        const body = await answer(await fetch(withKey("getAlbumList2", { type })));
        assert.equal(((body.albumList2 as Json).album as unknown[]).length, 4, type);
        const old = await answer(await fetch(withKey("getAlbumList", { type })));
        assert.equal(((old.albumList as Json).album as unknown[]).length, 4, type);
      }
      const byYear = await answer(await fetch(withKey("getAlbumList2", { type: "byYear" })));
      assert.equal(errorCode(byYear), 10);
      const byYear2 = await answer(
        await fetch(withKey("getAlbumList2", { type: "byYear", fromYear: "1900", toYear: "2100" })),
      );
      assert.equal(byYear2.status, "ok");
      assert.equal(errorCode(await answer(await fetch(withKey("getAlbumList2", { type: "byGenre" })))), 10);
      const random = await answer(await fetch(withKey("getRandomSongs", { size: "3" })));
      assert.equal(((random.randomSongs as Json).song as unknown[]).length, 3);
      const genres = await answer(await fetch(withKey("getGenres")));
      assert.equal(genres.status, "ok");
      const folders = await answer(await fetch(withKey("getMusicFolders")));
      assert.equal(((folders.musicFolders as Json).musicFolder as unknown[]).length, 1);
      const indexes = await answer(await fetch(withKey("getIndexes")));
      const artistId = (indexes.indexes as { index: { artist: { id: string; name: string }[] }[] }).index
        .flatMap((i) => i.artist).find((a) => a.name === "Björk Tones")!.id;
      const dir = await answer(await fetch(withKey("getMusicDirectory", { id: artistId })));
      const albumDir = ((dir.directory as Json).child as { id: string; isDir: boolean }[])[0]!;
      assert.equal(albumDir.isDir, true);
      const songsDir = await answer(await fetch(withKey("getMusicDirectory", { id: albumDir.id })));
      assert.deepEqual(((songsDir.directory as Json).child as { title: string }[]).map((c) => c.title), [
        "Xylo",
        "Yodel",
      ]);
      const user = await answer(await fetch(withKey("getUser", { username: "alice" })));
      assert.equal((user.user as Json).username, "alice");
      const info = await answer(await fetch(withKey("tokenInfo")));
      assert.equal((info.tokenInfo as Json).username, "alice");
    });

    await t.step(
      "XML answers parse, in the Subsonic namespace, and carry the same data as JSON",
      async () => {
        const albumId = byTitle("Moon Rise").albumId!;
        const xml = parseXml(await (await fetch(rest("getAlbum", { apiKey, id: albumId }))).text());
        const json = await answer(await fetch(withKey("getAlbum", { id: albumId })));
        assert.equal(xml.name, "subsonic-response");
        assert.equal(xml.attrs.xmlns, "http://subsonic.org/restapi");
        for (const key of ["status", "version", "type", "serverVersion", "openSubsonic"]) {
          assert.equal(xml.attrs[key], String(json[key]), key);
        }
        const xmlAlbum = xml.children.find((c) => c.name === "album")!;
        const jsonAlbum = json.album as Json;
        for (const [key, value] of Object.entries(jsonAlbum)) {
          if (typeof value !== "object") assert.equal(xmlAlbum.attrs[key], String(value), `album.${key}`);
        }
        const xmlSongs = xmlAlbum.children.filter((c) => c.name === "song");
        const jsonSongs = jsonAlbum.song as Json[];
        assert.equal(xmlSongs.length, jsonSongs.length);
        xmlSongs.forEach((s, i) => {
          for (const [key, value] of Object.entries(jsonSongs[i]!)) {
            if (typeof value !== "object") assert.equal(s.attrs[key], String(value), `song.${key}`);
          }
        });
        const jsonp = await (await fetch(rest("ping", { apiKey, f: "jsonp", callback: "cb" }))).text();
        assert.match(jsonp, /^cb\(\{"subsonic-response":\{"status":"ok".*\}\);$/);
        const failed = parseXml(await (await fetch(rest("getAlbum", { apiKey, id: "al-nothing" }))).text());
        assert.equal(failed.attrs.status, "failed");
        assert.equal(failed.children[0]!.name, "error");
        assert.equal(failed.children[0]!.attrs.code, "70");
      },
    );

    await t.step(
      "getCoverArt serves the folder's cover; getLyricsBySongId the .lrc beside the file",
      async () => {
        const moon = byTitle("Moon Set");
        assert.equal(moon.coverArt, moon.albumId, "songs point at their album's cover");
        const res = await fetch(withKey("getCoverArt", { id: moon.coverArt!, size: "300" }));
        assert.equal(res.headers.get("content-type"), "image/jpeg");
        assert.deepEqual(new Uint8Array(await res.arrayBuffer()), cover, "served as it is");
        const none = await answer(await fetch(withKey("getCoverArt", { id: byTitle("Xylo").albumId! })));
        assert.equal(errorCode(none), 70);
        const lyrics = await answer(await fetch(withKey("getLyricsBySongId", { id: byTitle("Sun Up").id })));
        const structured = (lyrics.lyricsList as { structuredLyrics: Json[] }).structuredLyrics;
        assert.equal(structured.length, 1);
        assert.equal(structured[0]!.synced, true);
        assert.deepEqual(structured[0]!.line, [{ start: 1500, value: "Here comes" }, {
          start: 3250,
          value: "the sun",
        }]);
        const without = await answer(await fetch(withKey("getLyricsBySongId", { id: byTitle("Xylo").id })));
        assert.deepEqual((without.lyricsList as Json).structuredLyrics, []);
      },
    );

    await t.step(
      "mpv plays a stream URL from the API, ffmpeg -ss 30 seeks through the redirect",
      async (t) => {
        const flac = byTitle("Moon Rise");
        const url = withKey("stream", { id: flac.id }).toString();
        await t.step({
          name: "ffmpeg",
          ignore: !await hasCommand("ffmpeg"),
          fn: async () => {
            const remote = await pcm(url, 30, 2);
            const local = await pcm(sources[0]!, 30, 2);
            assert.equal(remote.length, 2 * 44100 * 4);
            assert.equal(md5(remote), md5(local), "the same samples as the source from 30 s on");
          },
        });
        await t.step({
          name: "mpv",
          ignore: !await hasCommand("mpv"),
          fn: async () => {
            const wav = join(root, "mpv.wav");
            const out = await new Deno.Command("mpv", {
              args: ["--no-config", "--no-video", "--really-quiet", "--ao=pcm", `--ao-pcm-file=${wav}`, url],
              stdout: "null",
              stderr: "piped",
            }).output();
            assert.ok(out.success, new TextDecoder().decode(out.stderr));
            const played = await pcm(wav, 0, 60);
            const local = await pcm(sources[0]!, 0, 60);
            assert.equal(played.length, local.length, "all 40 s played");
            assert.equal(md5(played), md5(local), "what mpv played is the source's audio");
          },
        });
      },
    );

    await t.step("each error code, as HTTP 200 with a Subsonic error", async (t) => {
      const cases: [string, URL, number][] = [
        ["10 missing parameter", withKey("getAlbum"), 10],
        ["10 no user", rest("getArtists", { f: "json", p: "x" }), 10],
        ["40 wrong password", rest("getArtists", { f: "json", u: "alice", p: "wrong password" }), 40],
        ["40 unknown user", rest("getArtists", { f: "json", u: "nobody", p: "wrong password" }), 40],
        ["41 token authentication", rest("getArtists", { f: "json", u: "alice", t: "abc", s: "salt" }), 41],
        ["43 conflicting authentication", rest("getArtists", { f: "json", apiKey, u: "alice" }), 43],
        ["44 invalid API key", rest("getArtists", { f: "json", apiKey: "not-a-key" }), 44],
        ["50 not authorised", withKey("getUser", { username: "someone-else" }), 50],
        ["70 not found", withKey("getAlbum", { id: "al-000000000000000000000000" }), 70],
        ["70 unknown method", withKey("getPodcasts"), 70],
      ];
      for (const [name, url, code] of cases) {
        await t.step(name, async () => {
          const body = await answer(await fetch(url));
          assert.equal(body.status, "failed");
          assert.equal(errorCode(body), code, JSON.stringify(body.error));
          assert.match(String((body.error as Json).message), /^Cannot /);
        });
      }
      await t.step("41 carries a helpUrl about API keys; the npm client's t+s login gets it", async () => {
        const tokenClient = new SubsonicAPI({
          url: host,
          auth: { username: "alice", password: "alice's password" },
        });
        const ping = await tokenClient.ping();
        assert.equal(ping.status, "failed");
        const error =
          (ping as unknown as { error: { code: number; helpUrl: string; message: string } }).error;
        assert.equal(error.code, 41);
        assert.equal(error.helpUrl, `${host}/v1/help/api-keys`, "the page is on the bootstrap that answered");
        assert.match(error.message, /API key/);
        const help = await fetch(error.helpUrl);
        assert.equal(help.status, 200);
        assert.match(await help.text(), /audiod apikey create/);
      });
      await t.step(
        "u+p (plain and enc:) sign in; getOpenSubsonicExtensions is public; CORS on /rest",
        async () => {
          const plain = await answer(
            await fetch(rest("ping", { f: "json", u: "alice", p: "alice's password" })),
          );
          assert.equal(plain.status, "ok");
          const hex = [...new TextEncoder().encode("alice's password")].map((b) =>
            b.toString(16).padStart(2, "0")
          )
            .join("");
          const enc = await answer(
            await fetch(rest("getArtists", { f: "json", u: "ALICE", p: `enc:${hex}` })),
          );
          assert.equal(enc.status, "ok");
          const ext = await fetch(rest("getOpenSubsonicExtensions.view", { f: "json" }));
          assert.equal(ext.headers.get("access-control-allow-origin"), "*");
          const names = ((await answer(ext)).openSubsonicExtensions as { name: string }[]).map((e) => e.name);
          assert.ok(names.includes("apiKeyAuthentication") && names.includes("formPost"));
          const preflight = await fetch(rest("ping"), { method: "OPTIONS" });
          await preflight.body?.cancel();
          assert.equal(preflight.status, 204);
          assert.match(preflight.headers.get("access-control-allow-methods") ?? "", /POST/);
        },
      );
    });

    await t.step("a revoked API key is refused within 1 s everywhere, and its stream is cut", async () => {
      const second = await audiod(["apikey", "create", "--name", "doomed", "--json"], { env });
      assert.equal(second.code, 0, second.stderr);
      const doomed = JSON.parse(second.stdout) as { id: string; key: string };
      const listed = await audiod(["apikey", "list"], { env });
      assert.match(listed.stdout, /doomed/);
      assert.ok(!listed.stdout.includes(doomed.key), "the list never shows a key");
      const long = byTitle("Long Tone");
      const url = rest("stream", { apiKey: doomed.key, id: long.id });
      const redirect = await fetch(url, { redirect: "manual" });
      await redirect.body?.cancel();
      assert.equal(redirect.status, 307);
      const location = redirect.headers.get("location")!;
      const stream = await fetch(location);
      assert.equal(stream.status, 200);
      const reader = stream.body!.getReader();
      let received = (await reader.read()).value?.length ?? 0;
      const revoked = await audiod(["apikey", "revoke", doomed.id], { env });
      assert.equal(revoked.code, 0, revoked.stderr);
      const deadline = Date.now() + 1000;
      let refusedApi = false;
      let refusedFile = false;
      while (Date.now() < deadline && !(refusedApi && refusedFile)) {
        refusedApi ||=
          errorCode(await answer(await fetch(rest("ping", { f: "json", apiKey: doomed.key })))) === 44;
        const again = await fetch(location);
        await again.body?.cancel();
        refusedFile ||= again.status === 401;
      }
      assert.ok(refusedApi, "the API refuses the key within 1 s");
      assert.ok(refusedFile, "the file instance refuses its access within 1 s");
      let cut = false;
      try {
        while (true) {
          const { done, value } = await reader.read();
          if (done) break;
          received += value.length;
        }
      } catch {
        cut = true;
      }
      assert.ok(cut || received < (await Deno.stat(longPath)).size, "the stream in flight was cut short");
      const still = await answer(await fetch(withKey("ping")));
      assert.equal(still.status, "ok", "the other key still works");
    });
  },
});

Deno.test({
  name: "with --subsonic-relay the bootstrap relays stream bytes itself, Range included",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using temp = await tempDir();
    const root = temp.path;
    const media = join(root, "media");
    const [source] = await makeLibrary(media, [
      { file: "a.flac", title: "Relayed", artist: "Proxy", album: "Hop", track: 1, seconds: 5 },
    ]);
    const env = isolatedEnv(root, "bo");
    await using bootstrap = await startBootstrap(join(root, "boot"), env, ["--subsonic-relay"]);
    await using _content = await startContent(bootstrap.url, media, join(root, "content"), env);
    const reg = await audiod(["register", "--host", bootstrap.url, "--user", "bo", "--password-stdin"], {
      env,
      stdin: "bos password\n",
    });
    assert.equal(reg.code, 0, reg.stderr);
    const auth = { u: "bo", p: "bos password", f: "json" };
    const url = (method: string, params: Record<string, string>) =>
      `${bootstrap.url}/rest/${method}?${new URLSearchParams({ ...auth, ...params })}`;
    const id = await waitFor("the track in the API", async () => {
      const body = await answer(await fetch(url("search3", { query: "" })));
      return ((body.searchResult3 as Json).song as { id: string }[] | undefined)?.[0]?.id;
    }, 30_000);
    const whole = await fetch(url("stream", { id }), { redirect: "manual" });
    assert.equal(whole.status, 200, "no redirect");
    assert.equal(md5(new Uint8Array(await whole.arrayBuffer())), await md5OfFile(source!));
    const part = await fetch(url("download", { id }), { headers: { range: "bytes=10-19" } });
    assert.equal(part.status, 206);
    assert.equal((await part.arrayBuffer()).byteLength, 10);
    assert.match(part.headers.get("content-range") ?? "", /^bytes 10-19\//);
  },
});
