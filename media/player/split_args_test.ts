import assert from "node:assert/strict";
import { splitArgs } from "./split_args.ts";

Deno.test("splitArgs splits like sh does", async (t) => {
  const cases: [string, string[]][] = [
    ["", []],
    ["   ", []],
    ["--ao=pcm  --ao-pcm-file=/tmp/out.wav", ["--ao=pcm", "--ao-pcm-file=/tmp/out.wav"]],
    ["\t--volume=50\n-v ", ["--volume=50", "-v"]],
    [`--title='my song'`, ["--title=my song"]],
    [`--title="my song"`, ["--title=my song"]],
    [`'it''s'`, ["its"]],
    [`"it's"`, ["it's"]],
    [`'a "quoted" word'`, [`a "quoted" word`]],
    [`"a \\"quoted\\" word"`, [`a "quoted" word`]],
    [`"keep \\n as is"`, ["keep \\n as is"]],
    [`'no \\escapes'`, ["no \\escapes"]],
    [`a\\ b c`, ["a b", "c"]],
    [`'' "" x`, ["", "", "x"]],
    ["a\\\nb", ["ab"]],
  ];
  for (const [line, expected] of cases) {
    await t.step(JSON.stringify(line), () => assert.deepEqual(splitArgs(line), expected));
  }
});

Deno.test("splitArgs rejects unclosed quotes and a trailing backslash", async (t) => {
  for (const line of [`--title='open`, `--title="open`, `--title=x\\`]) {
    await t.step(JSON.stringify(line), () => {
      assert.throws(() => splitArgs(line), /^Error: Cannot split player arguments: /);
    });
  }
});
