import assert from "node:assert/strict";
import { FakeServices, KEYS, makeTrack, makeTracks, renderApp } from "./_test_utils.tsx";
import { formatHelpLine, helpLines } from "./components/help_overlay.tsx";
import { helpScopes } from "./keys.ts";
import type { StatusEntry } from "../protocol/mod.ts";

const SESSION = { host: "http://h:7700", user: "alice", token: "t", expiresAt: Date.now() + 3_600_000 };

/** Renders the app signed in, with the library shown. */
async function signedIn(services: FakeServices) {
  const app = renderApp(services, { session: SESSION });
  await app.waitForText("tracks");
  return app;
}

Deno.test("connect, then sign in, then the library lists the tracks", async () => {
  const services = new FakeServices({
    tracks: makeTracks(5),
    settings: { recentServers: ["http://old:7700"], volume: 100 },
  });
  const app = renderApp(services);
  try {
    await app.waitForText("Connect to an audiod server");
    await app.waitForText("http://old:7700");
    await app.press("10.0.0.1:7700", KEYS.enter);
    await app.waitForText("Sign in to http://10.0.0.1:7700");
    await app.press("alice", KEYS.enter, "wrong", KEYS.enter);
    await app.waitForText("Wrong user or password");
    assert.ok(!app.frame().includes("wrong"), "the password is hidden");
    for (let i = 0; i < 5; i++) await app.press(KEYS.backspace);
    await app.press("secret", KEYS.enter);
    await app.waitForText("5 tracks");
    for (const track of services.tracksList) assert.ok(app.frame().includes(track.title), track.title);
    assert.deepEqual(services.calls.slice(0, 4), [
      "probe 10.0.0.1:7700",
      "login http://10.0.0.1:7700 alice",
      "login http://10.0.0.1:7700 alice",
      "tracks alice",
    ]);
  } finally {
    app.unmount();
  }
});

Deno.test("an unreachable server is shown on the connect screen and Enter retries", async () => {
  const services = new FakeServices();
  services.unreachable.add("10.0.0.9");
  const app = renderApp(services, { host: "10.0.0.9" });
  try {
    await app.waitForText("Cannot reach 10.0.0.9: connection refused");
    services.unreachable.clear();
    await app.press(KEYS.enter);
    await app.waitForText("Sign in to http://10.0.0.9");
  } finally {
    app.unmount();
  }
});

Deno.test("typing / then text filters the library as you type", async () => {
  const tracks = [
    makeTrack(0, { title: "Jóga", artist: "Björk", album: "Homogenic" }),
    makeTrack(1, { title: "Halo", artist: "Beyoncé", album: "I Am" }),
    makeTrack(2, { title: "Hoppípolla", artist: "Sigur Rós", album: "Takk" }),
  ];
  const app = await signedIn(new FakeServices({ tracks }));
  try {
    await app.press("/", "b", "j");
    await app.waitForText("1 of 3");
    assert.ok(app.frame().includes("Jóga"));
    assert.ok(!app.frame().includes("Halo"));
    await app.press(KEYS.backspace, KEYS.backspace, "ROS");
    await app.waitForText("Hoppípolla");
    assert.ok(!app.frame().includes("Jóga"));
    await app.press(KEYS.enter);
    await app.waitForText("1 of 3 tracks match “ROS”");
    await app.press(KEYS.escape);
    await app.waitForText("3 tracks");
    assert.ok(app.frame().includes("Halo") && app.frame().includes("Jóga"));
  } finally {
    app.unmount();
  }
});

Deno.test("keys that arrive in one chunk are handled one by one", async () => {
  const tracks = [
    makeTrack(0, { title: "Jóga", artist: "Björk" }),
    makeTrack(1, { title: "Halo", artist: "Beyoncé" }),
    makeTrack(2, { title: "Hoppípolla", artist: "Sigur Rós" }),
  ];
  const app = await signedIn(new FakeServices({ tracks }));
  try {
    await app.press("jj");
    await app.waitForText("› Jóga");
    await app.press("/halo\r");
    await app.waitForText("1 of 3 tracks match “halo”");
    assert.ok(!app.frame().includes("Jóga"));
  } finally {
    app.unmount();
  }
});

Deno.test("o sorts and i shows the details of the selected track", async () => {
  const track = makeTrack(0, { title: "Jóga", artist: "Björk", album: "Homogenic" });
  const app = await signedIn(new FakeServices({ tracks: [track, makeTrack(1)] }));
  try {
    await app.press("o");
    await app.waitForText("sorted by artist");
    await app.press("G", "i");
    await app.waitForText(track.md5);
    const frame = app.frame();
    assert.ok(frame.includes(track.id));
    assert.ok(frame.includes("Homogenic"));
    const replica = track.replicas[0]!;
    assert.match(frame, new RegExp(`up\\s+${replica.host}\\s+${replica.url}\\s+${replica.instance}`));
  } finally {
    app.unmount();
  }
});

Deno.test("Enter on a track plays it and the bar shows progress, then verified", async () => {
  const services = new FakeServices({ tracks: makeTracks(4) });
  const app = await signedIn(services);
  try {
    await app.press("j", KEYS.enter);
    await app.waitForText("Starting");
    const playing = services.playing;
    assert.ok(playing !== undefined);
    assert.equal(services.calls.at(-1), `play ${playing.track.title}`);
    assert.equal(playing.options.volume, 100, "100% the first time");
    playing.emit({ type: "started", player: "mpv", note: "IPC" });
    playing.emit({ type: "progress", verifiedBytes: playing.track.size / 2, size: playing.track.size });
    playing.emit({ type: "position", seconds: 65, duration: playing.track.duration, paused: false });
    await app.waitForText("1:05");
    await app.waitForText("50%");
    assert.ok(app.frame().includes("not verified yet"));
    playing.emit({ type: "warning", message: "chunk 3 failed on file-1, fetched from file-2" });
    await app.waitForText("⚠ chunk 3 failed on file-1");
    playing.emit({ type: "verified", md5: playing.track.md5 });
    await app.waitForText("✔ verified");
    await app.press("-");
    await app.waitForText("vol 95%");
    assert.equal(playing.volume, 95);
    await app.press(" ");
    assert.equal(playing.paused, true);
  } finally {
    app.unmount();
  }
});

Deno.test("? shows the help generated from the key table", async () => {
  const app = await signedIn(new FakeServices());
  try {
    await app.press("?");
    await app.waitForText("Keys");
    const expected = helpLines(helpScopes("library")).map((line) =>
      "title" in line ? line.title : formatHelpLine(line)
    );
    const seen = new Set<string>();
    for (let page = 0; page < 5; page++) {
      for (const line of expected) if (app.frame().includes(line)) seen.add(line);
      await app.press("j");
    }
    assert.deepEqual(expected.filter((line) => !seen.has(line)), [], "every line of the help is shown");
    await app.press(KEYS.escape);
    await app.waitForText("tracks");
    assert.ok(!app.frame().includes("Keys"));
  } finally {
    app.unmount();
  }
});

Deno.test("an expired session returns to sign-in with a message", async () => {
  const services = new FakeServices();
  const app = await signedIn(services);
  try {
    services.expired = true;
    await app.press("r");
    await app.waitForText("Your session expired: sign in again");
    assert.ok(app.frame().includes("Sign in to http://h:7700"));
    services.expired = false;
    await app.press("secret", KEYS.enter);
    await app.waitForText("30 tracks");
  } finally {
    app.unmount();
  }
});

Deno.test("Tab shows the queue, then the cluster with its nodes", async () => {
  const entry = (
    id: string,
    role: StatusEntry["role"],
    node: string | null,
    tracks?: number,
  ): StatusEntry => ({
    id,
    role,
    url: `http://127.0.0.1/${id}`,
    state: "up",
    host: "host1",
    pid: 1,
    node,
    load: { activeStreams: 2, inFlight: 1, bytesPerSecond: 2048, requests: 9 },
    ...(tracks === undefined ? {} : { tracks }),
    lastSeenMs: 300,
    since: 0,
  });
  const services = new FakeServices({
    status: {
      tracks: 30,
      nodes: [
        entry("boot", "bootstrap", null),
        entry("content-1", "content", null),
        entry("file-1", "file", "content-1", 30),
      ],
    },
  });
  const app = await signedIn(services);
  try {
    await app.press("a", KEYS.tab);
    await app.waitForText("Queue: 1 tracks");
    await app.press(KEYS.tab);
    await app.waitForText("└ file-1");
    assert.ok(app.frame().includes("content-1"));
    assert.match(app.frame(), /file-1\s+file\s+host1\s+up\s+2\s+1\s+2\.0 KiB\/s\s+30/);
  } finally {
    app.unmount();
  }
});

Deno.test("q stops playback and unmounts the app", async () => {
  const services = new FakeServices();
  const app = await signedIn(services);
  await app.press(KEYS.enter);
  await app.waitForText("Starting");
  await app.press("q");
  await app.waitForText("Stopping playback");
  const playing = services.playing;
  for (let i = 0; i < 100 && playing?.stopped !== true; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(playing?.stopped, true);
  app.unmount();
});
