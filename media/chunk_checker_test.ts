import assert from "node:assert/strict";
import { CheckerLost, CheckerThread, checkHere } from "./chunk_checker.ts";
import { ManifestBuilder } from "./chunk_manifest.ts";

const CHUNK = 64 * 1024;

/** A file of `count` chunks of noise (the last one short) and its manifest. */
function noise(count: number) {
  const size = (count - 1) * CHUNK + 1000;
  const bytes = new Uint8Array(size);
  for (let at = 0; at < size; at += 65536) {
    crypto.getRandomValues(bytes.subarray(at, Math.min(size, at + 65536)));
  }
  const builder = new ManifestBuilder(CHUNK);
  builder.update(bytes);
  const manifest = builder.finish();
  /** Chunk `i` in a buffer of its own. */
  const chunk = (i: number) => bytes.slice(i * CHUNK, Math.min(size, (i + 1) * CHUNK));
  return { bytes, manifest, chunk };
}

async function ready(checker: CheckerThread): Promise<void> {
  for (let i = 0; i < 200 && !checker.ready; i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(checker.ready, "the checker thread started within 2 s");
}

Deno.test("a checker thread answers as checking here does, and hands the chunks back whole", async () => {
  const { manifest, chunk } = noise(10);
  using checker = new CheckerThread();
  await ready(checker);
  const sent = [4, 5, 6, 7].map(chunk);
  const copies = sent.map((c) => c.slice());
  const checked = await checker.check(manifest, 4, sent);
  assert.equal(checked.passed, 4);
  assert.equal(checker.checkedThere, 4, "the worker checked them");
  assert.equal(sent[0]!.length, 0, "the chunks moved to the worker (no copy)");
  assert.deepEqual(checked.chunks, copies, "and came back as they were");

  // A flipped bit in chunk 6: 4 and 5 pass; the last chunk alone is checked against the file's MD5.
  const bad = [4, 5, 6, 7].map(chunk);
  bad[2]![77]! ^= 1;
  const badCopies = bad.map((c) => c.slice());
  assert.equal((await checker.check(manifest, 4, badCopies)).passed, 2);
  assert.equal((await checkHere.check(manifest, 4, bad)).passed, 2);
  assert.equal((await checker.check(manifest, 9, [chunk(9)])).passed, 1);
  assert.equal((await checker.check(manifest, 8, [chunk(9)])).passed, 0, "a chunk in the wrong place fails");

  // Several in flight at once answer each its own.
  const answers = await Promise.all(
    [0, 4].map((first) => checker.check(manifest, first, [0, 1, 2, 3].map((i) => chunk(first + i)))),
  );
  assert.deepEqual(answers.map((a) => a.passed), [4, 4]);
  assert.deepEqual(answers[1]!.chunks[0], chunk(4));
});

Deno.test("a checker thread checks here what cannot move, and everything once stopped", async () => {
  const { bytes, manifest, chunk } = noise(6);
  const checker = new CheckerThread();
  await ready(checker);
  const before = checker.checkedThere;
  // Views into one buffer cannot move without taking the whole buffer along.
  const views = [0, 1].map((i) => bytes.subarray(i * CHUNK, (i + 1) * CHUNK));
  assert.equal((await checker.check(manifest, 0, views)).passed, 2);
  assert.equal(bytes.length, manifest.size, "the file's buffer stayed here");
  assert.equal(checker.checkedThere, before);
  // Stopped with a check in flight: it rejects, and its chunks are gone with the thread.
  const lost = checker.check(manifest, 0, [0, 1].map(chunk));
  checker[Symbol.dispose]();
  await assert.rejects(lost, CheckerLost);
  assert.equal(checker.ready, false);
  const after = [2, 3].map(chunk);
  assert.equal((await checker.check(manifest, 2, after)).passed, 2);
  assert.equal(after[0]!.length, CHUNK, "checked here once stopped");
});
