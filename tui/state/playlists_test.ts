import assert from "node:assert/strict";
import type { PlaylistSummary } from "../../protocol/mod.ts";
import { makeTrack } from "../_test_utils.tsx";
import { type AppAction, appReducer, type AppState, initialState } from "./app.ts";
import { keyModeOf } from "../keys.ts";
import { currentTrack } from "./queue.ts";
import {
  INITIAL_PLAYLISTS,
  type PlaylistsAction,
  playlistsReducer,
  type PlaylistsState,
  selectedPlaylist,
} from "./playlists.ts";

const [A, B, C] = [makeTrack(0), makeTrack(1), makeTrack(2)];
const SESSION = { host: "http://h:7700", user: "alice", token: "t", expiresAt: 10_000 };
const list = (id: string, name: string, songCount = 2): PlaylistSummary => ({
  id,
  name,
  songCount,
  duration: 60,
});

function reduce(state: PlaylistsState, ...actions: PlaylistsAction[]): PlaylistsState {
  return actions.reduce(playlistsReducer, state);
}

function app(state: AppState, ...actions: AppAction[]): AppState {
  return actions.reduce(appReducer, state);
}

function signedIn(available: boolean): AppState {
  return app(
    initialState({ now: 0 }),
    { type: "playlists/available", available },
    { type: "connect/succeeded", host: SESSION.host },
    { type: "signIn/succeeded", session: SESSION },
  );
}

Deno.test("playlistsReducer() loads the list and keeps the cursor on the same playlist across reloads", () => {
  let state = reduce(INITIAL_PLAYLISTS, { type: "playlists/loading" });
  assert.equal(state.status, "loading");
  state = reduce(state, {
    type: "playlists/loaded",
    lists: [list("1", "A"), list("2", "B"), list("3", "C")],
  });
  assert.equal(state.status, "loaded");
  state = reduce(state, { type: "playlists/move", move: { type: "by", rows: 2 } });
  assert.equal(selectedPlaylist(state)?.name, "C");
  // A playlist made elsewhere comes before it: the cursor follows C.
  state = reduce(state, {
    type: "playlists/loaded",
    lists: [list("0", "0"), list("1", "A"), list("2", "B"), list("3", "C")],
  });
  assert.equal(selectedPlaylist(state)?.name, "C");
  // C was deleted: the cursor stays within the list.
  state = reduce(state, { type: "playlists/loaded", lists: [list("1", "A")] });
  assert.equal(selectedPlaylist(state)?.name, "A");
  state = reduce(state, { type: "playlists/failed", message: "Cannot load the playlists: down" });
  assert.equal(state.status, "failed");
  assert.equal(state.error, "Cannot load the playlists: down");
});

Deno.test("playlistsReducer() opens a playlist, moves over its tracks, drops stale answers and goes back", () => {
  let state = reduce(
    INITIAL_PLAYLISTS,
    { type: "playlists/loaded", lists: [list("1", "A"), list("2", "B")] },
    { type: "playlists/move", move: { type: "by", rows: 1 } },
    { type: "playlists/opening", id: "2", name: "B" },
  );
  assert.equal(state.open?.status, "loading");
  // An answer for another playlist is dropped.
  assert.equal(reduce(state, { type: "playlists/opened", id: "1", tracks: [A] }), state);
  state = reduce(state, { type: "playlists/opened", id: "2", tracks: [C, A, B] });
  assert.equal(state.open?.status, "loaded");
  assert.deepEqual(state.open?.tracks.map((t) => t.id), [C.id, A.id, B.id]);
  state = reduce(state, { type: "playlists/move", move: { type: "bottom" } });
  assert.equal(state.open?.cursor, 2);
  // The list of playlists' own cursor did not move.
  assert.equal(state.cursor, 1);
  state = reduce(state, { type: "playlists/back" });
  assert.equal(state.open, null);
  assert.equal(selectedPlaylist(state)?.name, "B");
  const failed = reduce(
    state,
    { type: "playlists/opening", id: "1", name: "A" },
    { type: "playlists/openFailed", id: "1", message: "gone" },
  );
  assert.equal(failed.open?.status, "failed");
  assert.equal(failed.open?.error, "gone");
});

Deno.test("player/playList replaces the queue with the playlist and plays its first track", () => {
  let state = app(signedIn(true), { type: "queue/add", track: B }, { type: "player/playNow", track: B });
  assert.equal(state.queue.entries.length, 2);
  state = app(state, { type: "player/playList", name: "Road trip", tracks: [C, A, C] });
  assert.deepEqual(state.queue.entries.map((e) => e.track.id), [C.id, A.id, C.id]);
  assert.equal(new Set(state.queue.entries.map((e) => e.key)).size, 3);
  assert.equal(currentTrack(state.queue)?.id, C.id);
  assert.equal(state.queue.current, 0);
  assert.equal(state.playback.track?.id, C.id);
  assert.equal(state.playback.status, "loading");
  assert.match(state.notice?.text ?? "", /Playing “Road trip”: 3 tracks queued/);
  // From a chosen track.
  const from = app(state, { type: "player/playList", name: "Road trip", tracks: [C, A, B], index: 2 });
  assert.equal(from.queue.current, 2);
  assert.equal(from.playback.track?.id, B.id);
  // An empty one changes nothing but says why.
  const empty = app(state, { type: "player/playList", name: "Gone", tracks: [] });
  assert.equal(empty.queue, state.queue);
  assert.match(empty.notice?.text ?? "", /Cannot play “Gone”/);
});

Deno.test("Tab reaches the playlists screen only when the services keep playlists", () => {
  const cycle = (state: AppState) => {
    const screens = [];
    for (let i = 0; i < 4; i++) {
      state = app(state, { type: "app/cycleScreen", by: 1 });
      screens.push(state.screen);
    }
    return screens;
  };
  assert.deepEqual(cycle(signedIn(true)), ["queue", "playlists", "cluster", "library"]);
  assert.deepEqual(cycle(signedIn(false)), ["queue", "cluster", "library", "queue"]);
  const onPlaylists = app(signedIn(true), { type: "app/screen", screen: "playlists" });
  assert.equal(keyModeOf(onPlaylists), "playlists");
  assert.equal(app(onPlaylists, { type: "app/cycleScreen", by: -1 }).screen, "queue");
});

Deno.test("signing in again forgets the last user's playlists but not that the services keep them", () => {
  const state = app(signedIn(true), { type: "playlists/loaded", lists: [list("1", "A")] });
  const again = app(state, { type: "signIn/succeeded", session: { ...SESSION, user: "bob" } });
  assert.equal(again.playlists.lists.length, 0);
  assert.equal(again.playlists.status, "idle");
  assert.equal(again.playlists.available, true);
});
