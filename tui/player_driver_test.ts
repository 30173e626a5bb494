import assert from "node:assert/strict";
import type { Session } from "../protocol/mod.ts";
import { FakeServices, makeTracks, TEST_DRIVER, waitFor } from "./_test_utils.tsx";
import { PlayerDriver } from "./player_driver.ts";
import { SessionExpiredError } from "./services.ts";
import { initialState } from "./state/app.ts";
import { Store } from "./store.ts";

const SESSION: Session = {
  host: "http://h:7700",
  user: "alice",
  token: "t",
  expiresAt: Date.now() + 3_600_000,
};

/** A store signed in as alice, with a driver following it. */
function setup(services: FakeServices) {
  const store = new Store(initialState({ session: SESSION, now: Date.now() }));
  const driver = new PlayerDriver(services, store, TEST_DRIVER);
  return { store, driver, [Symbol.dispose]: () => driver.dispose() };
}

Deno.test("the driver plays what the state says: volume, events, auto-advance, and stopping the previous track", async () => {
  const tracks = makeTracks(3);
  const services = new FakeServices({ tracks });
  using app = setup(services);
  app.store.dispatch({ type: "playback/volume", to: 60 });
  app.store.dispatch({ type: "queue/add", track: tracks[1]! });
  app.store.dispatch({ type: "player/playNow", track: tracks[0]! });
  await waitFor(() => services.plays.length === 1, "play()");
  const first = services.plays[0]!;
  assert.equal(first.options.volume, 60);
  first.emit({ type: "started", player: "mpv", note: "" });
  first.emit({ type: "progress", verifiedBytes: 10, size: 100 });
  first.emit({ type: "progress", verifiedBytes: 50, size: 100 });
  first.emit({ type: "verified", md5: tracks[0]!.md5 });
  let state = app.store.getState();
  assert.equal(state.playback.status, "playing");
  assert.equal(state.playback.verifiedBytes, 50, "pending progress is delivered before the next event");
  assert.equal(state.playback.verification.state, "verified");

  app.store.dispatch({ type: "playback/volume", by: -10 });
  await waitFor(() => first.volume === 50, "setVolume(50)");

  assert.equal(app.driver.playing, true);
  await app.driver.togglePause();
  assert.equal(first.paused, true);
  assert.equal(app.store.getState().playback.status, "paused");
  await app.driver.seekBy(5);
  assert.deepEqual(first.seeks, [5]);

  first.emit({ type: "ended" });
  await waitFor(() => services.plays.length === 2, "the next track to start");
  assert.equal(services.plays[1]?.track, tracks[1]);
  assert.equal(services.plays[1]?.options.volume, 50);

  app.store.dispatch({ type: "player/playNow", track: tracks[2]! });
  await waitFor(() => services.plays.length === 3, "the chosen track to start");
  assert.equal(services.plays[1]?.stopped, true, "the previous track was stopped first");
  state = app.store.getState();
  assert.equal(state.playback.track, tracks[2]);
});

Deno.test("a player that cannot pause or change volume says so instead of failing", async () => {
  const services = new FakeServices({
    capabilities: { pause: false, seek: false, volume: false, position: false },
  });
  using app = setup(services);
  app.store.dispatch({ type: "player/playNow", track: services.tracksList[0]! });
  await waitFor(() => services.plays.length === 1, "play()");
  services.playing!.emit({ type: "started", player: "aplay", note: "WAV only" });
  await app.driver.togglePause();
  assert.equal(app.store.getState().notice?.text, "aplay cannot pause");
  app.store.dispatch({ type: "playback/volume", by: -5 });
  assert.match(app.store.getState().notice?.text ?? "", /aplay cannot change the volume/);
});

Deno.test("a play() that throws becomes a playback error, not a crash", async () => {
  const services = new FakeServices();
  services.play = () => {
    throw new Error("No player found: install mpv");
  };
  using app = setup(services);
  app.store.dispatch({ type: "player/playNow", track: services.tracksList[0]! });
  await waitFor(() => app.store.getState().playback.status === "error", "the error");
  assert.equal(app.store.getState().playback.error, "No player found: install mpv");
});

Deno.test("a playback that fails because the session expired goes back to sign-in", async () => {
  const services = new FakeServices();
  using app = setup(services);
  app.store.dispatch({ type: "player/playNow", track: services.tracksList[0]! });
  await waitFor(() => services.plays.length === 1, "play()");
  services.plays[0]!.fail(new SessionExpiredError());
  await waitFor(() => app.store.getState().screen === "signIn", "the sign-in screen");
  assert.equal(app.store.getState().playback.status, "error");
  assert.match(app.store.getState().signIn.message ?? "", /expired/);
});

Deno.test("stop() after the state said stop waits until the player is gone", async () => {
  const services = new FakeServices();
  using app = setup(services);
  app.store.dispatch({ type: "player/playNow", track: services.tracksList[0]! });
  await waitFor(() => services.plays.length === 1, "play()");
  assert.equal(app.driver.playing, true);
  app.store.dispatch({ type: "playback/stop" });
  await app.driver.stop();
  assert.equal(services.plays[0]?.stopped, true);
  assert.equal(app.driver.playing, false);
});

Deno.test("the driver fetches the next queued track once the one playing is downloaded whole, none at the end", async () => {
  const tracks = makeTracks(2);
  const services = new FakeServices({ tracks });
  using app = setup(services);
  app.store.dispatch({ type: "queue/add", track: tracks[1]! });
  app.store.dispatch({ type: "player/playNow", track: tracks[0]! });
  await waitFor(() => services.plays.length === 1, "play()");
  const first = services.plays[0]!;
  first.emit({ type: "started", player: "mpv", note: "" });
  first.emit({ type: "progress", verifiedBytes: 50, size: 100 });
  assert.deepEqual(services.prefetched, [], "nothing competes with the download under way");
  first.emit({ type: "verified", md5: tracks[0]!.md5 });
  assert.deepEqual(services.prefetched, [tracks[1]!.title]);
  first.emit({ type: "ended" });
  await waitFor(() => services.plays.length === 2, "the next track to start");
  services.plays[1]!.emit({ type: "verified", md5: tracks[1]!.md5 });
  assert.deepEqual(services.prefetched, [tracks[1]!.title], "no track after the last");
});
