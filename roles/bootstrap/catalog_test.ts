import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { type AnnouncedTrack, Catalog, foldText } from "./catalog.ts";

function track(id: string, title: string, extra: Partial<AnnouncedTrack> = {}): AnnouncedTrack {
  return {
    id: id.padEnd(64, "0"),
    md5: "0".repeat(32),
    size: 100,
    title,
    artist: "Artist",
    album: "Album",
    trackNo: null,
    duration: 1,
    format: "wav",
    ...extra,
  };
}

Deno.test("Catalog merges the same track from two instances into one entry with two replicas", () => {
  const catalog = new Catalog();
  catalog.announce("i1", [track("aa", "Song")]);
  catalog.announce("i2", [track("aa", "Song"), track("bb", "Other")]);
  assert.equal(catalog.size, 2);
  assert.deepEqual([...catalog.get("aa".padEnd(64, "0"))!.replicas].sort(), ["i1", "i2"]);
  assert.equal(catalog.removeInstance("i2"), 1, "only the track no one else holds disappears");
  assert.deepEqual([...catalog.get("aa".padEnd(64, "0"))!.replicas], ["i1"]);
});

Deno.test("Catalog.announce() with replace drops what the instance announced before", () => {
  const catalog = new Catalog();
  catalog.announce("i1", [track("aa", "Old")]);
  catalog.announce("i1", [track("bb", "New")], { replace: true });
  assert.deepEqual(catalog.all().map((e) => e.title), ["New"]);
  catalog.announce("i1", [], { removed: ["bb".padEnd(64, "0")] });
  assert.equal(catalog.size, 0);
});

Deno.test("Catalog.search() matches every word across title, artist and album, ignoring case and accents", () => {
  const catalog = new Catalog();
  catalog.announce("i1", [
    track("a1", "Déjà Vu", { artist: "Beyoncé", album: "B'Day" }),
    track("b2", "Halo", { artist: "Beyoncé", album: "I Am" }),
    track("c3", "Vu", { artist: "Other", album: "X" }),
  ]);
  const titles = (q: string) => catalog.search(q).map((e) => e.title).sort();
  assert.deepEqual(titles("beyonce"), ["Déjà Vu", "Halo"]);
  assert.deepEqual(titles("DEJA beyonce"), ["Déjà Vu"]);
  assert.deepEqual(titles("b2"), ["Halo"], "id prefix");
  assert.deepEqual(titles(""), ["Déjà Vu", "Halo", "Vu"]);
  assert.equal(foldText("Ÿes Ñö"), "yes no");
});

Deno.test("Catalog.resolve() finds by id, unique prefix or title, and reports ambiguity", () => {
  const catalog = new Catalog();
  catalog.announce("i1", [track("abcd1", "Same"), track("abcd2", "Same"), track("ffff", "Unique")]);
  assert.equal(catalog.resolve("unique").kind, "found");
  assert.equal(catalog.resolve("Same").kind, "ambiguous");
  assert.equal(catalog.resolve("abcd").kind, "ambiguous");
  const found = catalog.resolve("abcd1");
  assert.equal(found.kind === "found" && found.entry.title, "Same");
  assert.equal(catalog.resolve("nothing").kind, "none");
});

Deno.test("Catalog.search() finds exactly what checking every entry finds, in catalog order", () => {
  const catalog = new Catalog();
  const words = ["love", "lovely", "Blue", "Café", "naïve", "road", "42", "a", "über"];
  const tracks: AnnouncedTrack[] = [];
  for (let i = 0; i < 600; i++) {
    const w = (n: number) => words[n % words.length]!;
    tracks.push(track(i.toString(16).padStart(4, "0"), `${w(i)} ${w(i * 7)} ${i}`, {
      artist: `${w(i * 3)} Artist`,
      album: i % 5 === 0 ? "" : `${w(i * 11)} ${i % 17}`,
    }));
  }
  catalog.announce("i1", tracks);
  const naive = (query: string) => {
    const q = query.trim();
    const lower = q.toLowerCase();
    const folded = foldText(q).split(/\s+/).filter(Boolean);
    const isHex = /^[0-9a-f]+$/.test(lower);
    return catalog.all().filter((e) =>
      (isHex && lower.length >= 2 && e.id.startsWith(lower)) ||
      folded.every((w) => foldText(`${e.title}\n${e.artist}\n${e.album}`).includes(w))
    ).map((e) => e.id);
  };
  const queries = [
    "love",
    "LOVE blue",
    "cafe",
    "naive road",
    "42",
    "a",
    "00a",
    "0",
    "ff",
    "uber artist",
    "x y",
    "lovely love",
  ];
  for (const q of queries) assert.deepEqual(catalog.search(q).map((e) => e.id), naive(q), q);
  // The index follows changes.
  catalog.announce("i2", [track("feed", "Brand New Love", { artist: "Zed" })]);
  assert.deepEqual(catalog.search("brand love").map((e) => e.title), ["Brand New Love"]);
  catalog.removeInstance("i2");
  assert.deepEqual(catalog.search("brand"), []);
});

Deno.test("Catalog takes a replica's details when the entry has none, and keeps them against one without", () => {
  const catalog = new Catalog();
  const id = "aa".padEnd(64, "0");
  catalog.announce("old", [track("aa", "Song")]);
  assert.equal(catalog.get(id)!.details, undefined);
  const before = catalog.all();
  catalog.announce("new", [track("aa", "Song", { details: { genres: ["Ambient"], year: 1999 } })]);
  assert.deepEqual(catalog.get(id)!.details, { genres: ["Ambient"], year: 1999 });
  assert.notEqual(catalog.all(), before, "the sorted list is rebuilt, so views over it see the details");
  // A member that sends none (an older one) does not hide them, nor does a second replica's differing ones.
  catalog.announce("old", [track("aa", "Song")]);
  catalog.announce("third", [track("aa", "Song", { details: { year: 2001 } })]);
  assert.deepEqual(catalog.get(id)!.details, { genres: ["Ambient"], year: 1999 });
  // An untagged first copy gives way to a tagged one, details included.
  catalog.announce("i1", [track("bb", "bb", { artist: "" })]);
  catalog.announce("i2", [track("bb", "Real", { details: { discNo: 2 } })]);
  assert.equal(catalog.get("bb".padEnd(64, "0"))!.title, "Real");
  assert.deepEqual(catalog.get("bb".padEnd(64, "0"))!.details, { discNo: 2 });
  // The only replica's new announcement brings its current details.
  catalog.announce("i3", [track("cc", "Solo", { details: { year: 1 } })]);
  catalog.announce("i3", [track("cc", "Solo", { details: { year: 2, cover: "file" } })]);
  assert.deepEqual(catalog.get("cc".padEnd(64, "0"))!.details, { year: 2, cover: "file" });
});

Deno.test("Catalog kept in a file comes back whole when opened again, replicas, counts and digests included", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/catalog.sqlite`;
    const first = new Catalog(path);
    first.announce("i1", [track("aa", "Kept", { details: { year: 1999 } }), track("bb", "Both")], {
      replace: true,
      digest: "d".repeat(64),
    });
    first.announce("i2", [track("bb", "Both")]);
    first.close();
    const again = new Catalog(path);
    assert.equal(again.size, 2);
    assert.deepEqual(again.all().map((e) => e.title), ["Both", "Kept"]);
    assert.deepEqual([...again.get("bb".padEnd(64, "0"))!.replicas].sort(), ["i1", "i2"]);
    assert.deepEqual(again.get("aa".padEnd(64, "0"))!.details, { year: 1999 });
    assert.equal(again.countFor("i1"), 2);
    assert.deepEqual(again.instances().sort(), ["i1", "i2"]);
    assert.equal(again.digestOf("i1"), "d".repeat(64));
    assert.equal(again.digestOf("i2"), undefined, "an announcement without a digest leaves none");
    // An announcement without a digest, or the instance's departure, forgets it.
    again.announce("i1", [], { removed: ["aa".padEnd(64, "0")] });
    assert.equal(again.digestOf("i1"), undefined);
    again.announce("i1", [], { digest: "e".repeat(64) });
    assert.equal(again.removeInstance("i1"), 0, "bb is still held by i2");
    assert.equal(again.digestOf("i1"), undefined);
    assert.deepEqual(again.search("both").map((e) => e.title), ["Both"]);
    again.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Catalog starts afresh from a damaged file rather than failing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/catalog.sqlite`;
    await Deno.writeTextFile(path, "not a database at all, just some text ".repeat(100));
    const catalog = new Catalog(path);
    assert.equal(catalog.size, 0);
    assert.match(catalog.reset ?? "", /could not be read/, "it says why it started afresh");
    catalog.announce("i1", [track("aa", "New")]);
    assert.deepEqual(catalog.all().map((e) => e.title), ["New"]);
    catalog.close();
    assert.equal(new Catalog(path).reset, undefined, "its own file is kept");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Catalog starts afresh from another version's file and says so", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/catalog.sqlite`;
    const old = new DatabaseSync(path);
    old.exec("CREATE TABLE tracks (n INTEGER PRIMARY KEY, id TEXT UNIQUE); PRAGMA user_version = 2");
    old.close();
    const catalog = new Catalog(path);
    assert.match(catalog.reset ?? "", /version 2/);
    catalog.announce("i1", [track("aa", "New")]);
    assert.equal(catalog.size, 1);
    catalog.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Catalog keeps ids that share their first 13 hex digits apart", () => {
  const catalog = new Catalog();
  const [a, b] = ["abcdef0123456a", "abcdef0123456b"];
  catalog.announce("i1", [track(a, "One"), track(b, "Two")]);
  catalog.announce("i2", [track(b, "Two")]);
  assert.equal(catalog.size, 2);
  assert.equal(catalog.get(a.padEnd(64, "0"))?.title, "One");
  assert.deepEqual([...catalog.get(b.padEnd(64, "0"))!.replicas].sort(), ["i1", "i2"]);
  assert.equal(catalog.resolve("abcdef0123456a").kind, "found");
  assert.equal(catalog.resolve("abcdef0123456").kind, "ambiguous");
  assert.deepEqual(catalog.search("abcdef012345").map((e) => e.title), ["One", "Two"]);
  catalog.announce("i1", [], { removed: [a.padEnd(64, "0")] });
  assert.equal(catalog.get(a.padEnd(64, "0")), undefined);
  assert.equal(catalog.get(b.padEnd(64, "0"))?.title, "Two");
});

Deno.test("Catalog.page() answers a page and the count of all matches, in catalog order", () => {
  const catalog = new Catalog();
  const tracks = Array.from({ length: 50 }, (_, i) =>
    track(i.toString(16).padStart(4, "0"), `Song ${i}`, {
      artist: ["Ann", "Bob", "Cid", "Dan", "Eve"][i % 5]!,
      trackNo: i,
    }));
  catalog.announce("i1", tracks);
  const all = catalog.search("");
  const page = catalog.page("", 10, 5);
  assert.equal(page.total, 50);
  assert.deepEqual(page.entries.map((e) => e.id), all.slice(10, 15).map((e) => e.id));
  const some = catalog.page("bob", 2, 100);
  assert.equal(some.total, 10);
  assert.deepEqual(some.entries.map((e) => e.id), catalog.search("bob").slice(2).map((e) => e.id));
  assert.deepEqual(catalog.page("zzz", 0, 10), { total: 0, entries: [] });
  assert.deepEqual(catalog.page("", 60, 10).entries, [], "past the end");
});
