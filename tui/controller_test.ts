import assert from "node:assert/strict";
import type { Session } from "../protocol/mod.ts";
import { FakeServices, makeTracks, TEST_CONTROLLER, waitFor } from "./_test_utils.tsx";
import { TuiController } from "./controller.ts";
import { initialState, type StartOptions } from "./state/app.ts";
import { Store } from "./store.ts";

const SESSION: Session = {
  host: "http://h:7700",
  user: "alice",
  token: "t",
  expiresAt: Date.now() + 3_600_000,
};

function setup(services: FakeServices, start: Omit<StartOptions, "now"> = {}) {
  const store = new Store(initialState({ ...start, now: Date.now() }));
  const controller = new TuiController(services, store, TEST_CONTROLLER);
  let exited = 0;
  controller.setExit(() => exited++);
  return {
    store,
    controller,
    exited: () => exited,
    [Symbol.dispose]: () => controller.dispose(),
  };
}

Deno.test("start() resumes a saved session and loads the library", async () => {
  const services = new FakeServices({ tracks: makeTracks(12), settings: { recentServers: [], volume: 35 } });
  using app = setup(services, { session: SESSION });
  await app.controller.start();
  const state = app.store.getState();
  assert.equal(state.library.status, "ready");
  assert.equal(state.library.tracks.length, 12);
  assert.equal(state.playback.volume, 35);
});

Deno.test("start() probes the host given; when it does not answer the connect screen says why", async () => {
  const services = new FakeServices();
  services.unreachable.add("10.9.9.9");
  using app = setup(services, { host: "10.9.9.9" });
  await app.controller.start();
  const state = app.store.getState();
  assert.equal(state.screen, "connect");
  assert.equal(state.connect.busy, false);
  assert.match(state.connect.error ?? "", /Cannot reach 10\.9\.9\.9/);
  services.unreachable.clear();
  await app.controller.connect("10.9.9.9");
  assert.equal(app.store.getState().screen, "signIn");
  assert.deepEqual(services.saved.at(-1)?.recentServers, ["http://10.9.9.9"]);
});

Deno.test("submitSignIn() shows the server's message when signing in fails", async () => {
  const services = new FakeServices();
  using app = setup(services, { host: "h" });
  await app.controller.start();
  app.store.dispatch({ type: "signIn/type", text: "alice" });
  app.store.dispatch({ type: "signIn/field", by: 1 });
  app.store.dispatch({ type: "signIn/type", text: "wrong" });
  await app.controller.submitSignIn();
  assert.equal(app.store.getState().signIn.error, "Wrong user or password");
  services.loginError = new Error("Too many attempts: try again in 30 s");
  await app.controller.submitSignIn();
  assert.equal(app.store.getState().signIn.error, "Too many attempts: try again in 30 s");
  services.loginError = null;
  app.store.dispatch({ type: "signIn/erase" });
  app.store.dispatch({ type: "signIn/erase" });
  app.store.dispatch({ type: "signIn/erase" });
  app.store.dispatch({ type: "signIn/erase" });
  app.store.dispatch({ type: "signIn/erase" });
  app.store.dispatch({ type: "signIn/type", text: "secret" });
  await app.controller.submitSignIn();
  assert.equal(app.store.getState().screen, "library");
  assert.equal(app.store.getState().library.status, "ready");
  assert.equal(services.saved.at(-1)?.lastUser, "alice");
});

Deno.test("an expired session while loading the library goes back to sign-in with a message", async () => {
  const services = new FakeServices();
  services.expired = true;
  using app = setup(services, { session: SESSION });
  await app.controller.start();
  const state = app.store.getState();
  assert.equal(state.screen, "signIn");
  assert.match(state.signIn.message ?? "", /expired/);
});

Deno.test("an unreachable server while loading the library is shown, and r-style reload retries", async () => {
  const services = new FakeServices();
  services.tracksError = new Error("connection refused");
  using app = setup(services, { session: SESSION });
  await app.controller.start();
  assert.equal(app.store.getState().library.error, "Cannot load the library: connection refused");
  services.tracksError = null;
  await app.controller.loadLibrary();
  assert.equal(app.store.getState().library.status, "ready");
});

Deno.test("a volume change while playing is saved with the settings", async () => {
  const services = new FakeServices({ settings: { recentServers: [], volume: 60 } });
  using app = setup(services, { session: SESSION });
  await app.controller.start();
  app.store.dispatch({ type: "player/playNow", track: services.tracksList[0]! });
  await waitFor(() => services.plays.length === 1, "play()");
  assert.equal(services.plays[0]!.options.volume, 60);
  app.store.dispatch({ type: "playback/volume", by: -10 });
  await waitFor(() => services.plays[0]!.volume === 50, "setVolume(50)");
  await waitFor(() => services.saved.at(-1)?.volume === 50, "volume saved");
});

Deno.test("Space with nothing playing replays the queue's current track, or says there is none", async () => {
  const tracks = makeTracks(2);
  const services = new FakeServices({ tracks });
  using app = setup(services, { session: SESSION });
  await app.controller.start();
  await app.controller.togglePause();
  assert.equal(app.store.getState().notice?.text, "Nothing to play: press Enter on a track");
  app.store.dispatch({ type: "player/playNow", track: tracks[1]! });
  await waitFor(() => services.plays.length === 1, "play()");
  app.store.dispatch({ type: "playback/stop" });
  await waitFor(() => services.plays[0]!.stopped, "the stop");
  await app.controller.togglePause();
  await waitFor(() => services.plays.length === 2, "the replay");
  assert.equal(services.plays[1]?.track, tracks[1]);
});

Deno.test("the cluster is polled while its screen is in front, and only then", async () => {
  const services = new FakeServices();
  using app = setup(services, { session: SESSION });
  await app.controller.start();
  app.store.dispatch({ type: "app/screen", screen: "cluster" });
  const polls = () => services.calls.filter((c) => c.startsWith("status")).length;
  await waitFor(() => polls() >= 3, "three polls");
  assert.notEqual(app.store.getState().cluster.updatedAt, null);
  app.store.dispatch({ type: "app/screen", screen: "library" });
  const after = polls();
  await new Promise((resolve) => setTimeout(resolve, 150));
  assert.ok(polls() <= after + 1, "polling stopped");
});

Deno.test("quit() stops the player before exiting", async () => {
  const services = new FakeServices();
  using app = setup(services, { session: SESSION });
  await app.controller.start();
  app.store.dispatch({ type: "player/playNow", track: services.tracksList[0]! });
  await waitFor(() => services.plays.length === 1, "play()");
  await app.controller.quit();
  assert.equal(services.plays[0]?.stopped, true);
  assert.equal(app.exited(), 1);
  assert.equal(app.store.getState().quitting, true);
});
