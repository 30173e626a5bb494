import assert from "node:assert/strict";
import { makeTrack } from "../_test_utils.tsx";
import { type AppAction, appReducer, type AppState, initialState, settingsOf } from "./app.ts";
import { currentTrack } from "./queue.ts";

const [A, B, C] = [makeTrack(0), makeTrack(1), makeTrack(2)];
const SESSION = { host: "http://h:7700", user: "alice", token: "t", expiresAt: 10_000 };

function reduce(state: AppState, ...actions: AppAction[]): AppState {
  return actions.reduce(appReducer, state);
}

function signedIn(): AppState {
  return initialState({ session: SESSION, now: 1_000 });
}

const ended = (state: AppState): AppAction => ({
  type: "playback/event",
  seq: state.playback.seq,
  event: { type: "ended" },
});

Deno.test("initialState() resumes a valid saved session on the library", () => {
  const state = signedIn();
  assert.equal(state.screen, "library");
  assert.equal(state.session, SESSION);
  assert.equal(state.library.status, "loading");
  assert.deepEqual(state.connect.recent, [SESSION.host]);
  const withHost = initialState({ session: SESSION, host: SESSION.host, now: 1_000 });
  assert.equal(withHost.screen, "library", "a saved session wins over probing the host");
  assert.equal(withHost.connect.busy, false);
});

Deno.test("initialState() sends an expired saved session to sign-in with a message", () => {
  const state = initialState({ session: SESSION, now: 20_000 });
  assert.equal(state.screen, "signIn");
  assert.equal(state.session, null);
  assert.equal(state.signIn.host, SESSION.host);
  assert.equal(state.signIn.user, "alice");
  assert.equal(state.signIn.field, "password");
  assert.match(state.signIn.message ?? "", /expired/);
});

Deno.test("initialState() with a host starts probing it; without, shows the connect screen", () => {
  const probing = initialState({ host: "10.0.0.1", now: 0 });
  assert.equal(probing.screen, "connect");
  assert.equal(probing.connect.busy, true);
  assert.equal(probing.connect.address, "10.0.0.1");
  assert.equal(initialState({ now: 0 }).connect.busy, false);
});

Deno.test("connecting, then signing in, leads to the library and remembers the server and the user", () => {
  let state = reduce(
    initialState({ now: 0 }),
    { type: "app/settingsLoaded", settings: { recentServers: ["http://old:7700"], volume: 70 } },
    { type: "connect/type", text: "h:7700" },
    { type: "connect/started", address: "h:7700" },
    { type: "connect/succeeded", host: "http://h:7700" },
  );
  assert.equal(state.screen, "signIn");
  assert.deepEqual(state.connect.recent, ["http://h:7700", "http://old:7700"]);
  state = reduce(state, { type: "signIn/succeeded", session: SESSION });
  assert.equal(state.screen, "library");
  assert.deepEqual(settingsOf(state), {
    recentServers: ["http://h:7700", "http://old:7700"],
    volume: 70,
    lastUser: "alice",
  });
});

Deno.test("saved settings merge with what happened before they were read", () => {
  const state = reduce(signedIn(), {
    type: "app/settingsLoaded",
    settings: { recentServers: ["http://other:7700", SESSION.host], volume: 30, lastUser: "bob" },
  });
  assert.deepEqual(state.connect.recent, [SESSION.host, "http://other:7700"]);
  assert.equal(state.playback.volume, 30);
  assert.equal(state.lastUser, "alice");
});

Deno.test("session/expired goes back to sign-in with the message, password cleared", () => {
  const state = reduce(signedIn(), { type: "signIn/type", text: "x" }, {
    type: "session/expired",
    message: "Your session expired: sign in again",
  });
  assert.equal(state.screen, "signIn");
  assert.equal(state.session, null);
  assert.equal(state.signIn.password, "");
  assert.equal(state.signIn.message, "Your session expired: sign in again");
});

Deno.test("player/playNow queues the track and starts it", () => {
  const state = reduce(signedIn(), { type: "player/playNow", track: A });
  assert.equal(currentTrack(state.queue), A);
  assert.equal(state.playback.status, "loading");
  assert.equal(state.playback.track, A);
});

Deno.test("when a track ends the next in the queue starts; at the end playback stays ended", () => {
  let state = reduce(
    signedIn(),
    { type: "queue/add", track: B },
    { type: "queue/add", track: C },
    { type: "player/playNow", track: A },
  );
  assert.deepEqual(
    state.queue.entries.map((e) => e.track),
    [A, B, C],
    "played first, the queued tracks follow",
  );
  assert.equal(state.playback.track, A);
  const seq = state.playback.seq;
  state = reduce(state, ended(state));
  assert.equal(state.playback.track, B, "auto-advanced");
  assert.equal(state.playback.status, "loading");
  assert.equal(state.playback.seq, seq + 1);
  state = reduce(state, ended(state));
  assert.equal(state.playback.track, C);
  state = reduce(state, ended(state));
  assert.equal(state.playback.status, "ended");
  assert.equal(state.playback.track, C);
});

Deno.test("an error does not advance the queue", () => {
  let state = reduce(signedIn(), { type: "queue/add", track: A }, { type: "queue/add", track: B }, {
    type: "player/jump",
    index: 0,
  });
  state = reduce(state, {
    type: "playback/event",
    seq: state.playback.seq,
    event: { type: "error", message: "x" },
  });
  assert.equal(state.playback.status, "error");
  assert.equal(state.playback.track, A);
});

Deno.test("player/next and player/previous play the neighbour, or say there is none", () => {
  let state = reduce(signedIn(), { type: "queue/add", track: A }, { type: "queue/add", track: B });
  state = reduce(state, { type: "player/next" });
  assert.equal(state.playback.track, A);
  state = reduce(state, { type: "player/next" });
  assert.equal(state.playback.track, B);
  const seq = state.playback.seq;
  state = reduce(state, { type: "player/next" });
  assert.equal(state.playback.seq, seq, "nothing restarted at the end");
  assert.equal(state.notice?.text, "End of the queue");
  state = reduce(state, { type: "player/previous" });
  assert.equal(state.playback.track, A);
});

Deno.test("signing out stops playback and returns to sign-in", () => {
  let state = reduce(signedIn(), { type: "player/playNow", track: A });
  state = reduce(state, { type: "session/signedOut" });
  assert.equal(state.screen, "signIn");
  assert.equal(state.playback.status, "stopped");
});

Deno.test("Tab cycles the main screens only once signed in", () => {
  let state = signedIn();
  const screens = [];
  for (let i = 0; i < 3; i++) {
    state = reduce(state, { type: "app/cycleScreen", by: 1 });
    screens.push(state.screen);
  }
  assert.deepEqual(screens, ["queue", "cluster", "library"]);
  assert.equal(reduce(state, { type: "app/cycleScreen", by: -1 }).screen, "cluster");
  const connect = initialState({ now: 0 });
  assert.equal(appReducer(connect, { type: "app/cycleScreen", by: 1 }), connect);
});

Deno.test("the help pages stay within range", () => {
  let state = reduce(signedIn(), { type: "app/help", open: true });
  state = reduce(state, { type: "app/helpPage", by: 1, pages: 2 }, { type: "app/helpPage", by: 1, pages: 2 });
  assert.equal(state.helpPage, 1);
  state = reduce(state, { type: "app/helpPage", by: -5, pages: 2 });
  assert.equal(state.helpPage, 0);
});

Deno.test("appReducer() returns the same state when nothing changed", () => {
  const state = signedIn();
  assert.equal(appReducer(state, { type: "playback/stop" }), state);
  assert.equal(appReducer(state, { type: "app/clearNotice", id: 99 }), state);
});
