import assert from "node:assert/strict";
import { join } from "node:path";
import { TrackCache } from "../media/track_cache.ts";
import { type PlaybackEvent, SessionExpiredError } from "../tui/services.ts";
import { createTuiServices } from "./tui_services.ts";
import type { CatalogTrack, Session } from "../protocol/mod.ts";

/** A bootstrap and file instance in one that refuses every token. */
function refusingServer(): Deno.HttpServer<Deno.NetAddr> & { url: string } {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.body?.cancel();
    return Response.json({ error: "bad_token", message: "Cannot accept the token" }, { status: 401 });
  });
  return Object.assign(server, { url: `http://127.0.0.1:${server.addr.port}` });
}

Deno.test("play(): a token refused during playback reports an error, then rejects done with SessionExpiredError", async () => {
  await using server = refusingServer();
  const dir = await Deno.makeTempDir();
  try {
    const services = createTuiServices({
      player: "null",
      playerArgs: [],
      configDir: join(dir, "config"),
      cache: new TrackCache(join(dir, "cache")),
    });
    const session: Session = {
      host: server.url,
      user: "alice",
      token: "t".repeat(32),
      expiresAt: Date.now() + 60_000,
    };
    const track: CatalogTrack = {
      id: "ab".repeat(32),
      title: "Expired",
      artist: "Test",
      album: "Test",
      trackNo: null,
      duration: 10,
      size: 1000,
      md5: "cd".repeat(16),
      format: "mp3",
      replicas: [{ instance: "file-1", url: server.url, host: "h", node: "content-1", state: "up" }],
    };
    const events: PlaybackEvent[] = [];
    const handle = services.play(session, track, { volume: 50, onEvent: (event) => events.push(event) });
    await assert.rejects(handle.done, SessionExpiredError);
    assert.deepEqual(events.filter((e) => e.type === "error").map((e) => e.message), [
      new SessionExpiredError().message,
    ]);
    await handle.stop(); // safe after the end
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
