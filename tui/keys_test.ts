import assert from "node:assert/strict";
import type { Key } from "ink";
import {
  actionFor,
  ACTIVE_SCOPES,
  bindingLabel,
  bindingsIn,
  KEY_BINDINGS,
  keyLabel,
  type KeyScope,
  typedText,
} from "./keys.ts";
import { NO_KEY as NONE, splitKeys } from "./use_keys.ts";

const key = (fields: Partial<Key>): Key => ({ ...NONE, ...fields });

Deno.test("every action is bound once and has help text", () => {
  const actions = KEY_BINDINGS.map((b) => `${b.scope}:${b.action}`);
  assert.equal(new Set(actions).size, actions.length);
  for (const binding of KEY_BINDINGS) {
    assert.ok(binding.keys.length > 0, binding.action);
    assert.ok(binding.help.length > 0 && binding.help.length <= 40, binding.action);
  }
});

Deno.test("no key is bound twice among the scopes active together", async (t) => {
  for (const [situation, scopes] of Object.entries(ACTIVE_SCOPES)) {
    await t.step(situation, () => {
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

Deno.test("fields that take typing bind no printable character", () => {
  for (const binding of bindingsIn(["form", "search", "always"])) {
    for (const spec of binding.keys) {
      assert.ok(!("char" in spec), `${binding.action} takes ${keyLabel(spec)}`);
    }
  }
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
    ["Ctrl+R", ["form"], "r", { ctrl: true }, "toggleMode"],
    ["q in a form", ["form"], "q", {}, null],
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
