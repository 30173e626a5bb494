import assert from "node:assert/strict";
import type { Key } from "ink";
import {
  actionFor,
  bindingLabel,
  bindingsIn,
  helpScopes,
  KEY_BINDINGS,
  KEY_MODES,
  keyLabel,
  type KeyMode,
  keyModeOf,
  type KeyScope,
  listensIn,
  SCOPE_TITLES,
  SCREEN_MODES,
  typedText,
} from "./keys.ts";
import { initialState } from "./state/app.ts";
import { KeyRouter, NO_KEY as NONE, splitKeys } from "./key_router.ts";

const key = (fields: Partial<Key>): Key => ({ ...NONE, ...fields });

Deno.test("every action is bound once and has help text", () => {
  const actions = KEY_BINDINGS.map((b) => `${b.scope}:${b.action}`);
  assert.equal(new Set(actions).size, actions.length);
  for (const binding of KEY_BINDINGS) {
    assert.ok(binding.keys.length > 0, binding.action);
    assert.ok(binding.help.length > 0 && binding.help.length <= 40, binding.action);
  }
});

Deno.test("no key is bound twice among the scopes of a mode", async (t) => {
  for (const [mode, scopes] of Object.entries(KEY_MODES)) {
    await t.step(mode, () => {
      const seen = new Map<string, string>();
      for (const binding of bindingsIn(scopes as readonly KeyScope[])) {
        for (const spec of binding.keys) {
          const id = JSON.stringify(spec);
          assert.equal(
            seen.get(id),
            undefined,
            `${keyLabel(spec)} is bound to ${seen.get(id)} and ${binding.action}`,
          );
          seen.set(id, binding.action);
        }
      }
    });
  }
});

Deno.test("modes with a text field bind no printable character", () => {
  for (const mode of ["connect", "signIn", "search"] as const) {
    for (const binding of bindingsIn(KEY_MODES[mode])) {
      for (const spec of binding.keys) {
        assert.ok(!("char" in spec), `${binding.action} takes ${keyLabel(spec)} in ${mode}`);
      }
    }
  }
});

Deno.test("keyModeOf() says which mode takes the keys", async (t) => {
  const base = initialState();
  const library = { ...base, screen: "library" as const };
  const cases: Array<[string, Parameters<typeof keyModeOf>[0], KeyMode]> = [
    ["the connect screen", base, "connect"],
    ["the sign-in screen", { ...base, screen: "signIn" }, "signIn"],
    ["the library", library, "library"],
    ["the library while searching", { ...library, library: { ...base.library, searching: true } }, "search"],
    ["the queue", { ...base, screen: "queue" }, "queue"],
    ["the help over the cluster", { ...base, screen: "cluster", help: true }, "help"],
    ["quitting with the help open", { ...library, help: true, quitting: true }, "quitting"],
  ];
  for (const [name, state, mode] of cases) await t.step(name, () => assert.equal(keyModeOf(state), mode));
});

Deno.test("listensIn() holds when the mode lists every scope of the listener", () => {
  assert.equal(listensIn("library", ["list", "library"]), true);
  assert.equal(listensIn("queue", ["list", "library"]), false);
  assert.equal(listensIn("search", ["player"]), false);
  assert.equal(listensIn("quitting", ["always"]), true);
  for (const mode of Object.keys(KEY_MODES) as KeyMode[]) {
    assert.equal(listensIn(mode, ["always"]), true, mode);
  }
});

Deno.test("helpScopes() lists the scopes of every mode of a screen, Anywhere and Help last", () => {
  assert.deepEqual(helpScopes("library"), ["player", "list", "library", "search", "always", "help"]);
  assert.deepEqual(helpScopes("queue"), ["player", "list", "queue", "always", "help"]);
  assert.deepEqual(helpScopes("cluster"), ["player", "cluster", "always", "help"]);
  assert.deepEqual(helpScopes("connect"), ["connect", "always"]);
  assert.deepEqual(helpScopes("signIn"), ["signIn", "always"]);
});

Deno.test("every binding works in some mode and shows in some screen's help", () => {
  const shown = new Set(
    Object.keys(SCREEN_MODES).flatMap((screen) => helpScopes(screen as keyof typeof SCREEN_MODES)),
  );
  for (const scope of Object.keys(SCOPE_TITLES) as KeyScope[]) {
    assert.ok(
      Object.values(KEY_MODES).some((scopes) => (scopes as readonly KeyScope[]).includes(scope)),
      scope,
    );
    assert.ok(shown.has(scope), scope);
  }
  for (const binding of KEY_BINDINGS) assert.ok(binding.scope in SCOPE_TITLES, binding.action);
});

Deno.test("actionFor() maps ink key presses to actions of the given scopes only", async (t) => {
  const cases: Array<[string, KeyScope[], string, Partial<Key>, string | null]> = [
    ["space", ["player"], " ", {}, "togglePause"],
    ["left arrow", ["player"], "", { leftArrow: true }, "seekBack"],
    ["+", ["player"], "+", {}, "volumeUp"],
    ["j", ["list"], "j", {}, "down"],
    ["down arrow", ["list"], "", { downArrow: true }, "down"],
    ["G", ["list"], "G", { shift: true }, "bottom"],
    ["Enter in a list", ["list"], "", { return: true }, "play"],
    ["Enter while searching", ["search"], "", { return: true }, "keepFilter"],
    ["Tab", ["player"], "", { tab: true }, "nextScreen"],
    ["Shift+Tab", ["player"], "", { tab: true, shift: true }, "previousScreen"],
    ["Ctrl+C", ["always"], "c", { ctrl: true }, "forceQuit"],
    ["Ctrl+R on the sign-in screen", ["signIn"], "r", { ctrl: true }, "toggleMode"],
    ["Ctrl+R on the connect screen", ["connect"], "r", { ctrl: true }, null],
    ["Enter on the connect screen", ["connect"], "", { return: true }, "connect"],
    ["q in a form", ["signIn"], "q", {}, null],
    ["Alt+j is not j", ["list"], "j", { meta: true }, null],
    ["j outside its scope", ["player"], "j", {}, null],
  ];
  for (const [name, scopes, input, fields, action] of cases) {
    await t.step(name, () => assert.equal(actionFor(scopes, input, key(fields)), action));
  }
});

Deno.test("help labels read like the keys", () => {
  const label = (action: string) => bindingLabel(KEY_BINDINGS.find((b) => b.action === action)!);
  assert.equal(label("down"), "j/↓");
  assert.equal(label("forceQuit"), "Ctrl+C");
  assert.equal(label("togglePause"), "Space");
});

Deno.test("typedText() keeps printable text only", () => {
  assert.equal(typedText("abc", NONE), "abc");
  assert.equal(typedText("a\tb\u0007", NONE), "ab");
  assert.equal(typedText("c", key({ ctrl: true })), "");
  assert.equal(typedText("", key({ return: true })), "");
});

Deno.test("splitKeys() splits a chunk of keys read at once into single key presses", () => {
  assert.deepEqual(splitKeys("j", NONE), [["j", NONE]]);
  assert.deepEqual(splitKeys("\x1b[A", key({ upArrow: true })), [["\x1b[A", key({ upArrow: true })]]);
  const keys = splitKeys("jG\r\x7f\x03 ", NONE);
  assert.deepEqual(keys.map(([input]) => input), ["j", "G", "", "", "c", " "]);
  assert.equal(keys[1]?.[1].shift, true);
  assert.equal(keys[2]?.[1].return, true);
  assert.equal(keys[3]?.[1].delete, true);
  assert.equal(keys[4]?.[1].ctrl, true);
  assert.deepEqual(splitKeys("é✓", NONE).map(([input]) => input), ["é", "✓"]);
});

Deno.test("KeyRouter hands each key of a chunk to the listeners of the mode it arrives in", () => {
  let state = { ...initialState(), screen: "library" as const };
  const router = new KeyRouter(() => state);
  const got: string[] = [];
  router.listen(["player"], (action) => action !== null && got.push(`player:${action}`));
  router.listen(["list", "library"], (action) => {
    if (action !== null) got.push(`library:${action}`);
    if (action === "search") state = { ...state, library: { ...state.library, searching: true } };
  });
  router.listen(["search"], (action, input) => got.push(`search:${action ?? input}`));
  router.listen(["list", "queue"], (action) => got.push(`queue:${action}`));
  router.press("n/n\r", NONE);
  assert.deepEqual(got, ["player:next", "library:search", "search:n", "search:keepFilter"]);
});

Deno.test("KeyRouter stops handing keys to a listener once it is removed", () => {
  const state = initialState();
  const router = new KeyRouter(() => state);
  const got: string[] = [];
  const stop = router.listen(["connect"], (_action, input) => got.push(input));
  router.press("a", NONE);
  stop();
  router.press("b", NONE);
  assert.deepEqual(got, ["a"]);
});
