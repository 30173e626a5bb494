import assert from "node:assert/strict";
import { FakeServices, KEYS, makeTrack, renderApp, waitFor } from "./_test_utils.tsx";
import type { TrackPageRequest } from "./services.ts";
import type { CatalogTrack, Session } from "../protocol/mod.ts";

const SESSION = { host: "http://h:7700", user: "alice", token: "t", expiresAt: Date.now() + 3_600_000 };

/** A server with `total` tracks that answers pages and searches, and remembers what it was asked. */
class PagedServices extends FakeServices {
  readonly total: number;
  asked: TrackPageRequest[] = [];

  constructor(total: number) {
    super({ tracks: [] });
    this.total = total;
  }

  override tracks(session: Session): Promise<CatalogTrack[]> {
    this.calls.push(`tracks ${session.user}`);
    return Promise.reject(new Error("a large library is never fetched whole"));
  }

  trackPage(
    _session: Session,
    request: TrackPageRequest,
  ): Promise<{ total: number; tracks: CatalogTrack[] }> {
    this.asked.push(request);
    // A search for "n" + a number finds that one track.
    const found = /^n(\d+)$/.exec(request.query);
    if (found) {
      const tracks = request.offset === 0
        ? [makeTrack(Number(found[1]), { title: `Found ${found[1]}` })]
        : [];
      return Promise.resolve({ total: 1, tracks });
    }
    const end = Math.min(this.total, request.offset + request.limit);
    const tracks = Array.from({ length: Math.max(0, end - request.offset) }, (_, i) => {
      const n = request.offset + i;
      return makeTrack(n, { title: `Row ${n}` });
    });
    return Promise.resolve({ total: this.total, tracks });
  }
}

Deno.test("a large library opens on its first page, fetches pages as they come into view, and searches on the server", async () => {
  const services = new PagedServices(1_000_000);
  const app = renderApp(services, { session: SESSION });
  try {
    await app.waitForText("1,000,000 tracks");
    assert.ok(app.frame().includes("Row 0"));
    assert.ok(!services.calls.includes("tracks alice"), "the whole library was not asked for");
    await app.press("G");
    await app.waitForText("Row 999999");
    // Only the pages around the screen were fetched, never the million rows.
    const fetched = services.asked.filter((r) => r.query === "").reduce((n, r) => n + r.limit, 0);
    assert.ok(fetched <= 2000, `${fetched} rows fetched`);
    // Typing searches on the server once typing pauses (debounced), not once per letter.
    await app.press("/", "n", "4", "2");
    await app.waitForText("Found 42");
    await waitFor(
      () => app.frame().includes("1 tracks match") || app.frame().includes("1 match"),
      "the count",
    );
    const searches = services.asked.filter((r) => r.query !== "").map((r) => r.query);
    assert.equal(searches.at(-1), "n42");
    assert.ok(searches.length < 3, `one search per pause in typing, not per key: ${searches}`);
    // Esc: back to the whole list, from the server.
    await app.press(KEYS.escape);
    await app.waitForText("1,000,000 tracks");
  } finally {
    app.unmount();
  }
});
