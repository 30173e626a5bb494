import assert from "node:assert/strict";
import { join } from "node:path";
import { loadSession, saveSession, writeTextAtomic } from "./session_store.ts";

const names = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();

Deno.test("writeTextAtomic replaces the file whole, makes the folder, and leaves no temporary file", async () => {
  const root = await Deno.makeTempDir();
  try {
    const path = join(root, "nested", "settings.json");
    await writeTextAtomic(path, "one\n");
    await writeTextAtomic(path, "two\n", { mode: 0o600 });
    assert.equal(await Deno.readTextFile(path), "two\n");
    assert.deepEqual(names(join(root, "nested")), ["settings.json"]);
    assert.equal((await Deno.stat(join(root, "nested"))).mode! & 0o777, 0o700);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a failed writeTextAtomic keeps the old contents and removes its temporary file", async () => {
  const root = await Deno.makeTempDir();
  try {
    // The rename fails: a non-empty folder holds the name.
    const path = join(root, "taken");
    await Deno.mkdir(path);
    await Deno.writeTextFile(join(path, "inside"), "kept");
    await assert.rejects(writeTextAtomic(path, "new"));
    assert.deepEqual(names(root), ["taken"]);
    assert.equal(await Deno.readTextFile(join(path, "inside")), "kept");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("saveSession writes a session only its owner can read, and loadSession reads it back", async () => {
  const root = await Deno.makeTempDir();
  try {
    const session = { host: "http://127.0.0.1:1", user: "ann", token: "t", expiresAt: 5 };
    await saveSession(session, root);
    assert.deepEqual(await loadSession(root), session);
    assert.equal((await Deno.stat(join(root, "session.json"))).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("loadSession refuses a session file others can read, saying how to fix its mode", async () => {
  const root = await Deno.makeTempDir();
  try {
    await saveSession({ host: "http://127.0.0.1:1", user: "ann", token: "t", expiresAt: 5 }, root);
    const path = join(root, "session.json");
    await Deno.chmod(path, 0o644);
    await assert.rejects(
      loadSession(root),
      new RegExp(`others can read it \\(mode 0644\\); run chmod 600 ${path}`),
    );
    await Deno.chmod(path, 0o600);
    assert.equal((await loadSession(root))?.user, "ann");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
