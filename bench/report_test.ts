import assert from "node:assert/strict";
import { formatNumber, formatTarget, type Report, score, toMarkdown, toSvg } from "./_report.ts";
import { type CaseResult, median, meets, percentile, ratio, result, round } from "./_stats.ts";

Deno.test("median() takes the middle value, or the mean of the two middle ones", async (t) => {
  await t.step("odd count", () => assert.equal(median([5, 1, 3]), 3));
  await t.step("even count", () => assert.equal(median([4, 1, 3, 2]), 2.5));
  await t.step("no values", () => assert.ok(Number.isNaN(median([]))));
  await t.step("does not reorder its input", () => {
    const values = [3, 1, 2];
    median(values);
    assert.deepEqual(values, [3, 1, 2]);
  });
});

Deno.test("percentile() is the nearest-rank percentile", () => {
  const values = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(values, 95), 95);
  assert.equal(percentile(values, 100), 100);
  assert.equal(percentile([7], 95), 7);
  assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 1000], 95), 1000);
  assert.throws(() => percentile(values, 0), RangeError);
});

Deno.test("ratio() is above 1 when audiod does better, whichever direction is better", () => {
  assert.equal(ratio(200, 100, "higher"), 2);
  assert.equal(ratio(50, 100, "lower"), 2);
  assert.ok(Number.isNaN(ratio(0, 100, "higher")));
  assert.ok(Number.isNaN(ratio(100, NaN, "lower")));
});

Deno.test("meets() compares in the better direction and never passes NaN", () => {
  assert.ok(meets(1, 1, "higher"));
  assert.ok(!meets(0.99, 1, "higher"));
  assert.ok(meets(100, 100, "lower"));
  assert.ok(!meets(101, 100, "lower"));
  assert.ok(!meets(NaN, 1, "higher"));
});

Deno.test("result() turns a baseline into a ratio and a missing one into audiod's own figure", async (t) => {
  await t.step("throughput against a baseline", () => {
    const r = result("serve 1 stream", {
      audiod: 900,
      baseline: 1000,
      rawUnit: "MiB/s",
      target: 1,
      better: "higher",
      runs: 5,
    });
    assert.equal(r.value, 0.9);
    assert.equal(r.unit, "×");
    assert.equal(r.baseline, 1000);
    assert.equal(r.met, false);
  });
  await t.step("time against a baseline is inverted, so higher stays better", () => {
    const r = result("scan", {
      audiod: 2,
      baseline: 1.8,
      rawUnit: "s",
      target: 0.8,
      better: "lower",
      runs: 3,
    });
    assert.equal(r.value, 0.9);
    assert.equal(r.better, "higher");
    assert.equal(r.met, true);
  });
  await t.step("no baseline", () => {
    const r = result("rescan", { audiod: 420, rawUnit: "ms", target: 1000, better: "lower", runs: 3 });
    assert.equal(r.value, 420);
    assert.equal(r.unit, "ms");
    assert.equal(r.baseline, null);
    assert.equal(r.met, true);
  });
});

Deno.test("round() keeps three significant digits", () => {
  assert.equal(round(1234.5678), 1230);
  assert.equal(round(0.0123456), 0.0123);
  assert.equal(round(0), 0);
});

const sample: CaseResult[] = [
  result("serve 1 stream", {
    audiod: 900,
    baseline: 1000,
    rawUnit: "MiB/s",
    target: 1,
    better: "higher",
    runs: 3,
  }),
  result("first-audio 5 MiB", {
    audiod: 12,
    baseline: 80,
    rawUnit: "ms",
    value: 12,
    unit: "ms",
    target: 100,
    better: "lower",
    runs: 3,
  }),
  result("memory <100>", { audiod: 90, rawUnit: "MB", target: 150, better: "lower", runs: 1, note: "a | b" }),
];
const report: Report = { cases: sample, date: "2026-01-01T00:00:00Z", quick: true, machine: "2 cores" };

Deno.test("toMarkdown() writes one row per case with its target and whether it is met", () => {
  const md = toMarkdown(report);
  const rows = md.split("\n").filter((l) =>
    l.startsWith("| ") && !l.startsWith("| case") && !l.startsWith("| ---")
  );
  assert.equal(rows.length, 3);
  assert.match(
    rows[0]!,
    /\| serve 1 stream \| 900 MiB\/s \| 1,000 MiB\/s \| 0\.9× \| ≥ 1× \| \*\*no\*\* \| 3 \|/,
  );
  assert.match(rows[1]!, /\| 12 ms \| ≤ 100 ms \| yes \|/);
  assert.match(rows[2]!, /a \\\| b/, "pipes in cells are escaped");
  assert.match(md, /2 of 3 targets met \(quick run/);
});

Deno.test("score() is 1 on target and grows the better a case does", () => {
  assert.equal(score({ value: 2, target: 1, better: "higher" }), 2);
  assert.equal(score({ value: 50, target: 100, better: "lower" }), 2);
  assert.equal(score({ value: NaN, target: 100, better: "lower" }), 0);
});

Deno.test("toSvg() draws a bar and a label per case, escapes text, and parses as XML-ish markup", () => {
  const svg = toSvg(report);
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.ok(svg.trimEnd().endsWith("</svg>"));
  assert.equal((svg.match(/<rect x=/g) ?? []).length, 3);
  assert.ok(svg.includes("memory &lt;100&gt;"));
  assert.ok(!svg.includes("memory <100>"));
  // Met cases are green, the rest red.
  assert.equal((svg.match(/fill="#2e8b57"/g) ?? []).length, 2);
  assert.equal((svg.match(/fill="#c0392b"/g) ?? []).length, 1);
});

Deno.test("formatNumber() and formatTarget() print for people", () => {
  assert.equal(formatNumber(1234.4), "1,234");
  assert.equal(formatNumber(12.34), "12.3");
  assert.equal(formatNumber(1.5), "1.5");
  assert.equal(formatNumber(0.0123), "0.012");
  assert.equal(formatNumber(null), "—");
  assert.equal(formatTarget({ target: 0.9, better: "higher", unit: "×" }), "≥ 0.9×");
  assert.equal(formatTarget({ target: 50, better: "lower", unit: "ms" }), "≤ 50 ms");
});
