import assert from "node:assert/strict";
import { join } from "node:path";
import { type AnnouncedTrack, Catalog } from "../catalog.ts";
import { albumIdOf, Library, NO_MARKS, UNKNOWN_ALBUM, UNKNOWN_ARTIST } from "./library.ts";

let made = 0;
function track(title: string, extra: Partial<AnnouncedTrack> = {}): AnnouncedTrack {
  made++;
  return {
    id: made.toString(16).padStart(64, "a"),
    md5: "0".repeat(32),
    size: 100,
    title,
    artist: "Artist",
    album: "Album",
    trackNo: null,
    duration: 10,
    format: "flac",
    ...extra,
  };
}

Deno.test("Library groups songs into albums by album artist and album, in disc, track and title order", async () => {
  const catalog = new Catalog();
  catalog.announce("i1", [
    track("Two", { trackNo: 2, details: { discNo: 1, genres: ["Rock"], year: 1999, addedAt: 5 } }),
    track("Encore", { trackNo: 1, details: { discNo: 2, genres: ["Live"], year: 2001 } }),
    track("One b", { trackNo: 1, details: { discNo: 1, genres: ["Rock"], cover: "file" } }),
    track("One a", { trackNo: 1, details: { discNo: 1, addedAt: 9 } }),
    // A guest's track on the album: grouped by the album artist.
    track("Guest", { trackNo: 3, artist: "Guest", details: { albumArtist: "Artist", genres: ["Rock"] } }),
    track("Elsewhere", { album: "Other" }),
    track("Untagged", { artist: "", album: "" }),
  ]);
  const lib = await new Library(catalog).snapshot();
  assert.equal(lib.songCount, 7);
  const album = lib.albumById.get(albumIdOf("Artist", "Album"))!;
  assert.deepEqual(catalog.rows(album.songs).map((s) => s.title), [
    "One a",
    "One b",
    "Two",
    "Guest",
    "Encore",
  ]);
  assert.equal(album.duration, 50);
  assert.equal(album.year, 1999);
  assert.equal(album.lastYear, 2001);
  assert.equal(album.created, 9, "the newest file's time");
  assert.deepEqual(album.genres.map((g, i) => [g, album.genreSongs[i]]).sort(), [["Live", 1], ["Rock", 3]]);
  assert.equal(catalog.rows([album.coverRow])[0]!.title, "One b", "the track with cover art");
  assert.deepEqual(lib.genres.get("Rock"), { songs: 3, albums: 1 });
  const guest = catalog.search("guest")[0]!;
  assert.equal(lib.albumOf(guest), album, "a guest's song is on the album artist's album");
  assert.equal(lib.albumOfRow(album.songs[0]!), album);
  assert.deepEqual(lib.artistById.get(album.artistId)!.albums.map((a) => a.name).sort(), ["Album", "Other"]);
  const untagged = lib.albumOf(catalog.search("untagged")[0]!)!;
  assert.equal(untagged.name, UNKNOWN_ALBUM);
  assert.equal(untagged.artist, UNKNOWN_ARTIST);
  assert.equal(lib.albumOfRow(1_000_000), undefined);
});

Deno.test("Library makes one album of spellings that fold alike", async () => {
  const catalog = new Catalog();
  catalog.announce("i1", [
    track("A", { artist: "Beyoncé", album: "Dangerously", trackNo: 1 }),
    track("B", { artist: "Beyonce", album: "dangerously ", trackNo: 2, details: { genres: ["Pop"] } }),
  ]);
  const lib = await new Library(catalog).snapshot();
  assert.equal(lib.albums.length, 1);
  assert.equal(lib.artists.length, 1);
  assert.equal(lib.albums[0]!.songs.length, 2);
  assert.deepEqual(lib.genres.get("Pop"), { songs: 1, albums: 1 });
  for (const song of catalog.search("")) assert.equal(lib.albumOf(song), lib.albums[0]);
});

Deno.test("Library rebuilds after a change, at once when quick to build", async () => {
  const catalog = new Catalog();
  catalog.announce("i1", [track("First")]);
  const library = new Library(catalog);
  const first = await library.snapshot();
  assert.equal(await library.snapshot(), first, "no change: the same view");
  catalog.announce("i1", [track("Second", { album: "New" })]);
  const second = await library.snapshot();
  assert.notEqual(second, first);
  assert.equal(second.albums.length, 2);
  catalog.announce("i1", [], { removed: [catalog.search("second")[0]!.id] });
  assert.equal((await library.snapshot()).albums.length, 1);
});

Deno.test("Library keeps a slow build's view through changes for ten times the build's length", async () => {
  const catalog = new Catalog();
  catalog.announce("i1", [track("First")]);
  let now = 0;
  // Every build counts as slow here.
  const library = new Library(catalog, { now: () => now, slowMs: 0 });
  const first = await library.snapshot();
  catalog.announce("i1", [track("Second", { album: "New" })]);
  assert.equal(await library.snapshot(), first, "changed, but the view is younger than ten builds");
  now = 60_000;
  const second = await library.snapshot();
  assert.notEqual(second, first);
  assert.equal(second.albums.length, 2);
});

Deno.test("Library.withAlbumPlays() sums an album's song plays and keeps the latest", async () => {
  const catalog = new Catalog();
  const a = track("A");
  const b = track("B");
  const c = track("C", { album: "Other" });
  catalog.announce("i1", [a, b, c]);
  const library = new Library(catalog);
  const marks = await library.withAlbumPlays({
    ...NO_MARKS,
    plays: new Map([
      [a.id, { count: 2, lastPlayed: 10 }],
      [b.id, { count: 3, lastPlayed: 5 }],
      ["f".repeat(64), { count: 7, lastPlayed: 99 }],
    ]),
  });
  assert.deepEqual(marks.albums?.get(albumIdOf("Artist", "Album")), { count: 5, lastPlayed: 10 });
  assert.equal(marks.albums?.get(albumIdOf("Artist", "Other")), undefined);
  assert.equal(marks.albums?.size, 1, "a song the catalog does not hold counts for no album");
});

Deno.test("Library sees the details a second replica brings to a track announced without them", async () => {
  const catalog = new Catalog();
  const bare = track("Song");
  catalog.announce("old-member", [bare]);
  const library = new Library(catalog);
  assert.deepEqual((await library.snapshot()).albums[0]!.genres, []);
  catalog.announce("new-member", [{
    ...bare,
    details: { genres: ["Jazz"], year: 1959, albumArtist: "Band" },
  }]);
  const lib = await library.snapshot();
  assert.equal(lib.albums.length, 1);
  const album = lib.albums[0]!;
  assert.deepEqual([album.genres, album.year, album.artist], [["Jazz"], 1959, "Band"]);
  assert.equal(lib.albumOf(catalog.get(bare.id)!), album);
});

Deno.test("a large catalog's albums are summed up by a worker; the view before is served meanwhile", async () => {
  const dir = await Deno.makeTempDir({ prefix: "audiod-library-" });
  const catalog = new Catalog(join(dir, "catalog.sqlite"));
  try {
    catalog.announce("i1", [
      track("One", { trackNo: 1 }),
      track("Two", { trackNo: 2, details: { genres: ["Dub"], year: 1977, cover: "embedded" } }),
      track("Elsewhere", { album: "Other", artist: "Somebody" }),
    ]);
    const library = new Library(catalog, { workerFrom: 0, now: () => 1000 });
    const first = await library.snapshot();
    assert.equal(library.builtBy, "worker");
    const here = await new Library(catalog, { workerFrom: Infinity, now: () => 1000 }).snapshot();
    const shape = (lib: typeof first) =>
      lib.albums.map((a) => ({ ...a, songs: [...a.songs] })).sort((a, b) => a.id < b.id ? -1 : 1);
    assert.deepEqual(shape(first), shape(here), "the worker's albums are the ones built here");
    // Announced a moment ago, so not yet committed: the worker's build must still see it.
    catalog.announce("i1", [track("New", { album: "Fresh" })]);
    assert.equal(await library.snapshot(), first, "the view before, while the worker sums up again");
    const next = await waitForView(library, (lib) => lib.albums.length === 3);
    assert.ok(next.albums.some((a) => a.name === "Fresh"));
    assert.equal(library.builtBy, "worker");
  } finally {
    catalog.close();
    await Deno.remove(dir, { recursive: true });
  }
});

/** The library's view once `ok` holds of it (asked every 20 ms, for at most 10 s). */
async function waitForView(
  library: Library,
  ok: (lib: Awaited<ReturnType<Library["snapshot"]>>) => boolean,
): Promise<Awaited<ReturnType<Library["snapshot"]>>> {
  for (const started = Date.now(); Date.now() - started < 10_000;) {
    const lib = await library.snapshot();
    if (ok(lib)) return lib;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("Cannot see the view change within 10 s");
}
