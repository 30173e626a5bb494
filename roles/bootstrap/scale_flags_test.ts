import assert from "node:assert/strict";
import { UsageError } from "../../cli/usage_error.ts";
import { parseScaleFlags } from "./scale_flags.ts";
import { schedulePolicy } from "./scheduler.ts";

Deno.test("parseScaleFlags() turns the scaling flags into the scheduler's policy", () => {
  const options = parseScaleFlags({
    minFile: "1",
    maxFile: "6",
    fileTargetStreams: "2",
    minAuth: "2",
    authTargetLogins: "0.5",
    scaleDownWindow: "2m",
  });
  assert.deepEqual(options, {
    minFile: 1,
    maxFile: 6,
    fileTargetStreams: 2,
    minAuth: 2,
    authTargetLogins: 0.5,
    scaleDownWindowMs: 120_000,
  });
  const policy = schedulePolicy(options);
  assert.equal(policy.scale.file.target, 2);
  assert.equal(policy.scale.file.max, 6);
  assert.equal(policy.scale.auth.min, 2);
  assert.equal(policy.minPerNode.auth, 0, "--min-auth counts the whole cluster");
  assert.equal(policy.minPerNode.file, 1, "every node keeps a file instance");
  assert.equal(policy.scale.auth.downWindowMs, 120_000);
  assert.equal(schedulePolicy({}).minPerNode.auth, 1, "without --min-auth, one auth instance per node");
});

Deno.test("parseScaleFlags() refuses what is not a count, a target or a duration", async (t) => {
  const cases: [string, Parameters<typeof parseScaleFlags>[0], RegExp][] = [
    ["min above max", { minFile: "4", maxFile: "2" }, /--min-file 4 with --max-file 2/],
    ["zero file instances", { minFile: "0" }, /--min-file "0"/],
    ["a fraction of an instance", { maxAuth: "1.5" }, /--max-auth/],
    ["a negative target", { fileTargetStreams: "-2" }, /--file-target-streams/],
    ["a window without unit", { scaleDownWindow: "60" }, /--scale-down-window/],
  ];
  for (const [name, flags, message] of cases) {
    await t.step(
      name,
      () =>
        assert.throws(
          () => parseScaleFlags(flags),
          (e) => e instanceof UsageError && message.test(e.message),
        ),
    );
  }
});
