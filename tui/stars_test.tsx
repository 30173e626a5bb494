import assert from "node:assert/strict";
import type { Session } from "../protocol/mod.ts";
import { FakeServices, KEYS, makeTracks, renderApp, waitFor } from "./_test_utils.tsx";

const SESSION: Session = {
  host: "http://h:7700",
  user: "alice",
  token: "t",
  expiresAt: Date.now() + 3_600_000,
};

/** FakeServices keeping favourites, as the bootstrap's `/v1/stars` does. */
class StarringServices extends FakeServices {
  starred = new Set<string>();
  /** When set, setStar() throws this. */
  starError: Error | null = null;

  stars(): Promise<string[]> {
    this.calls.push("stars");
    return Promise.resolve([...this.starred]);
  }

  setStar(_session: Session, trackId: string, starred: boolean): Promise<void> {
    this.calls.push(`setStar ${trackId.slice(0, 8)} ${starred}`);
    if (this.starError) return Promise.reject(this.starError);
    if (starred) this.starred.add(trackId);
    else this.starred.delete(trackId);
    return Promise.resolve();
  }
}

/** The library row showing `title`. */
function rowOf(frame: string, title: string): string {
  return frame.split("\n").find((line) => line.includes(title)) ?? "";
}

Deno.test("the library shows the user's stars, and * stars and unstars the selected track", async () => {
  const tracks = makeTracks(3);
  const services = new StarringServices({ tracks });
  services.starred.add(tracks[1]!.id);
  const app = renderApp(services, { session: SESSION });
  try {
    await app.waitForText("3 tracks");
    await waitFor(() => rowOf(app.frame(), tracks[1]!.title).includes("★"), "the saved star", app.frame);
    // Sorted by title, the cursor is on the first row.
    const firstTitle = [...tracks].sort((a, b) => a.title.toLowerCase() < b.title.toLowerCase() ? -1 : 1)[0]!;
    const first = tracks.find((t) => t.title === firstTitle.title)!;
    const starredBefore = services.starred.has(first.id);
    await app.press("*");
    await app.waitForText(starredBefore ? "Unstarred" : `Starred “${first.title}”`);
    assert.equal(services.starred.has(first.id), !starredBefore);
    assert.equal(rowOf(app.frame(), first.title).includes("★"), !starredBefore);
    await app.press("*");
    await waitFor(() => services.starred.has(first.id) === starredBefore, "the second toggle", app.frame);

    // A refusal puts the star back as it was, and says why.
    services.starError = new Error("the server is read-only");
    const before = rowOf(app.frame(), first.title).includes("★");
    await app.press("*");
    await app.waitForText("the server is read-only");
    assert.equal(rowOf(app.frame(), first.title).includes("★"), before);
    assert.ok(services.calls.includes("stars"));
  } finally {
    app.unmount();
  }
});

Deno.test("the help lists * for stars, and the library works with services that keep none", async () => {
  const services = new FakeServices({ tracks: makeTracks(2) });
  const app = renderApp(services, { session: SESSION });
  try {
    await app.waitForText("2 tracks");
    await app.press("*");
    await app.waitForText("Cannot star tracks");
    await app.press("?");
    await app.waitForText("star / unstar the selected track");
    await app.press(KEYS.escape);
  } finally {
    app.unmount();
  }
});
