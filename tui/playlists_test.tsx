import assert from "node:assert/strict";
import type { CatalogTrack, PlaylistSummary, PlaylistTracks, Session } from "../protocol/mod.ts";
import { FakeServices, KEYS, makeTracks, renderApp, waitFor } from "./_test_utils.tsx";

const SESSION: Session = {
  host: "http://h:7700",
  user: "alice",
  token: "t",
  expiresAt: Date.now() + 3_600_000,
};

/** FakeServices keeping playlists, as the bootstrap's `/v1/playlists` does. */
class PlaylistServices extends FakeServices {
  lists = new Map<string, { name: string; tracks: CatalogTrack[] }>();

  playlists(): Promise<PlaylistSummary[]> {
    this.calls.push("playlists");
    return Promise.resolve(
      [...this.lists].map(([id, { name, tracks }]) => ({ id, name, songCount: tracks.length, duration: 0 })),
    );
  }

  playlist(_session: Session, id: string): Promise<PlaylistTracks> {
    this.calls.push(`playlist ${id}`);
    const found = this.lists.get(id);
    if (!found) return Promise.reject(new Error(`Cannot open playlist ${id}: there is none you may see`));
    return Promise.resolve({ id, songCount: found.tracks.length, duration: 0, ...found });
  }
}

/** The rows of a track list showing one of `titles`, in order (the now-playing bar below left out). */
function titlesIn(frame: string, titles: string[]): string[] {
  const lines = frame.split("\n");
  const bar = lines.findIndex((line) => line.startsWith("────"));
  return lines.slice(0, bar >= 0 ? bar : lines.length)
    .flatMap((line) => titles.filter((title) => line.includes(title)));
}

Deno.test("the playlists screen lists the playlists, Enter opens one and Enter plays it in order", async () => {
  const tracks = makeTracks(4);
  const services = new PlaylistServices({ tracks });
  const order = [tracks[2]!, tracks[0]!, tracks[3]!];
  services.lists.set("7", { name: "Road trip", tracks: order });
  services.lists.set("8", { name: "Quiet", tracks: [tracks[1]!] });
  const app = renderApp(services, { session: SESSION });
  try {
    await app.waitForText("4 tracks");
    await app.press(KEYS.tab, KEYS.tab);
    await app.waitForText("Road trip");
    assert.ok(app.frame().includes("Playlists: 2"));
    assert.ok(app.frame().includes("Quiet"));
    // The cursor is on the first one (the services' order): Road trip.
    await app.press(KEYS.enter);
    await app.waitForText("Playlist “Road trip”: 3 tracks");
    assert.deepEqual(titlesIn(app.frame(), order.map((t) => t.title)), order.map((t) => t.title));
    await app.press(KEYS.enter);
    await app.waitForText("Playing “Road trip”: 3 tracks queued");
    await waitFor(
      () => services.calls.includes(`play ${order[0]!.title}`),
      "the first track to play",
      app.frame,
    );
    // The queue holds the playlist, in order.
    await app.press(KEYS.shiftTab);
    await app.waitForText("Queue: 3 tracks");
    assert.deepEqual(titlesIn(app.frame(), order.map((t) => t.title)), order.map((t) => t.title));
    // Esc goes back to the list, where P plays the one under the cursor.
    await app.press(KEYS.tab, KEYS.escape);
    await app.waitForText("Playlists: 2");
    await app.press("j", "P");
    await app.waitForText("Playing “Quiet”: 1 tracks queued");
    await waitFor(
      () => services.calls.includes(`play ${tracks[1]!.title}`),
      "the Quiet playlist to play",
      app.frame,
    );
  } finally {
    app.unmount();
  }
});

Deno.test("the help of the playlists screen lists its keys, and services without playlists offer no screen", async () => {
  const services = new PlaylistServices({ tracks: makeTracks(2) });
  const app = renderApp(services, { session: SESSION });
  try {
    await app.waitForText("2 tracks");
    assert.ok(app.frame().includes("Playlists"));
    await app.press(KEYS.tab, KEYS.tab);
    await app.waitForText("No playlists yet");
    await app.press("?");
    await app.waitForText("play the whole playlist");
    assert.ok(app.frame().includes("back to the playlists"));
    await app.press(KEYS.escape);
  } finally {
    app.unmount();
  }
  const plain = renderApp(new FakeServices({ tracks: makeTracks(2) }), { session: SESSION });
  try {
    await plain.waitForText("2 tracks");
    assert.ok(!plain.frame().includes("Playlists"));
    await plain.press(KEYS.tab, KEYS.tab);
    await plain.waitForText("Cluster");
    assert.ok(!plain.frame().includes("No playlists yet"));
  } finally {
    plain.unmount();
  }
});
