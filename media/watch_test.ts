import assert from "node:assert/strict";
import { join } from "node:path";
import { isChange, watchChanges } from "./watch.ts";

/** Watches a fresh directory, counting the settled changes. */
async function watching(debounceMs: number) {
  const dir = await Deno.makeTempDir({ prefix: "audiod-watch-" });
  const stop = new AbortController();
  let changes = 0;
  let waiter: (() => void) | null = null;
  const done = watchChanges(dir, {
    signal: stop.signal,
    debounceMs,
    onChange: () => {
      changes++;
      waiter?.();
    },
  });
  // inotify watches are in place once watchFs returned, but give the iterator a turn.
  await new Promise((r) => setTimeout(r, 50));
  return {
    dir,
    get changes() {
      return changes;
    },
    /** Resolves at the next change, or rejects after `ms`. */
    next(ms: number): Promise<void> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no change within ${ms} ms`)), ms);
        waiter = () => {
          clearTimeout(timer);
          waiter = null;
          resolve();
        };
      });
    },
    [Symbol.asyncDispose]: async () => {
      stop.abort();
      await done;
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("watchChanges() turns a burst of writes into one call after the quiet time", async () => {
  await using w = await watching(200);
  const next = w.next(3000);
  const started = Date.now();
  await Deno.mkdir(join(w.dir, "album"));
  for (let i = 0; i < 5; i++) await Deno.writeTextFile(join(w.dir, "album", `${i}.wav`), "x".repeat(i));
  await next;
  assert.ok(Date.now() - started >= 150, "after the quiet time");
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(w.changes, 1, "one call for the burst");
  const removed = w.next(3000);
  await Deno.remove(join(w.dir, "album", "3.wav"));
  await removed;
  assert.equal(w.changes, 2);
});

Deno.test("isChange() ignores access events and keeps every other kind", () => {
  // Every kind Deno.FsEvent has: a new one fails type-checking here until it is sorted.
  const expected: Record<Deno.FsEvent["kind"], boolean> = {
    access: false,
    any: true,
    create: true,
    modify: true,
    rename: true,
    remove: true,
    other: true,
  };
  for (const [kind, change] of Object.entries(expected)) {
    assert.equal(isChange(kind as Deno.FsEvent["kind"]), change, kind);
  }
});
