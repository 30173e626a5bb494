import assert from "node:assert/strict";
import { INITIAL_STARS, isStarred, starsReducer } from "./stars.ts";

Deno.test("starsReducer() loads the server's stars, then sets and clears one", () => {
  assert.equal(INITIAL_STARS.loaded, false);
  const loaded = starsReducer(INITIAL_STARS, { type: "stars/loaded", ids: ["a", "b"] });
  assert.equal(loaded.loaded, true);
  assert.ok(isStarred(loaded, "a") && isStarred(loaded, "b") && !isStarred(loaded, "c"));
  const added = starsReducer(loaded, { type: "stars/set", id: "c", starred: true });
  assert.deepEqual([...added.ids].sort(), ["a", "b", "c"]);
  assert.deepEqual([...loaded.ids].sort(), ["a", "b"], "the earlier state is not changed");
  const removed = starsReducer(added, { type: "stars/set", id: "a", starred: false });
  assert.deepEqual([...removed.ids].sort(), ["b", "c"]);
  assert.equal(starsReducer(removed, { type: "stars/set", id: "a", starred: false }), removed, "no change");
});
