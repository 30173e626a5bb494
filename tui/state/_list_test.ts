import assert from "node:assert/strict";
import { listMove } from "./_list.ts";

Deno.test("listMove() maps the list actions to moves, and nothing else", () => {
  assert.deepEqual(listMove("down"), { type: "by", rows: 1 });
  assert.deepEqual(listMove("up"), { type: "by", rows: -1 });
  assert.deepEqual(listMove("pageDown"), { type: "page", pages: 1 });
  assert.deepEqual(listMove("pageUp"), { type: "page", pages: -1 });
  assert.deepEqual(listMove("top"), { type: "top" });
  assert.deepEqual(listMove("bottom"), { type: "bottom" });
  assert.equal(listMove("play"), null);
  assert.equal(listMove(null), null);
});
