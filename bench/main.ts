/**
 * `deno task bench [--quick] [--only serve,get [--readme]] [--runs N]`: measures audiod and its baseline side by
 * side in the same run, several runs each, and writes the medians and ratios to bench/results/latest.{json,md,svg}.
 * A full run also puts the table in the README; `--readme` does it after `--only` (the other cases' last
 * results kept), to finish a full run that was cut short.
 *
 * Every load goes to 127.0.0.1 only and is bounded in count and time. Needs root for apt-get (nginx, wrk, curl
 * when missing) and for resetting a process's peak RSS.
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { printErr, printOut } from "../daemon/runtime/log.ts";
import { type BenchCase, createContext } from "./_context.ts";
import { formatTarget, type Report, toMarkdown, toSvg } from "./_report.ts";
import type { CaseResult } from "./_stats.ts";
import { ensureTools, run, say } from "./_tools.ts";
import { serveCase } from "./serve.ts";
import { getCase } from "./get.ts";
import { firstAudioCase } from "./first_audio.ts";
import { scanCase } from "./scan.ts";
import { catalogCase } from "./catalog.ts";
import { loginCase } from "./login.ts";
import { failoverCase } from "./failover.ts";
import { memoryCase } from "./memory.ts";
import { slowLinkCase } from "./slow_link.ts";
import { listenersCase } from "./listeners.ts";
import { subsonicCase } from "./subsonic.ts";
import { haCase } from "./ha.ts";

const CASES: BenchCase[] = [
  serveCase,
  getCase,
  firstAudioCase,
  scanCase,
  catalogCase,
  loginCase,
  failoverCase,
  memoryCase,
  slowLinkCase,
  listenersCase,
  subsonicCase,
  haCase,
];

const RESULTS = new URL("./results", import.meta.url).pathname;

function machine(): string {
  let cpu = "";
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(Deno.readTextFileSync("/proc/cpuinfo"))?.[1] ?? "";
  } catch { /* not Linux */ }
  // Other work on the machine skews timings: the load average says how busy it was.
  const load = Deno.loadavg().map((n) => n.toFixed(1)).join(" ");
  return `${navigator.hardwareConcurrency} cores${
    cpu ? ` (${cpu.trim()})` : ""
  }, Deno ${Deno.version.deno}, load ${load}`;
}

const README = new URL("../README.md", import.meta.url).pathname;
const TABLE_START = "<!-- bench:table:start -->";
const TABLE_END = "<!-- bench:table:end -->";

/** Puts the table of a full run of every case into the README, between its markers (when it has them). */
async function updateReadme(report: Report): Promise<void> {
  const text = await Deno.readTextFile(README);
  const start = text.indexOf(TABLE_START);
  const end = text.indexOf(TABLE_END);
  if (start < 0 || end < start) return;
  const table = toMarkdown(report).trimEnd();
  await Deno.writeTextFile(
    README,
    `${text.slice(0, start + TABLE_START.length)}\n${table}\n${text.slice(end)}`,
  );
  // Aligned as `deno fmt --check` (part of `deno task ok`) wants it.
  await run(Deno.execPath(), ["fmt", README], 60_000);
  say("README's Performance table updated");
}

async function write(report: Report): Promise<void> {
  await Deno.mkdir(RESULTS, { recursive: true });
  // NaN (a case that failed to measure) is written as null.
  const json = JSON.stringify(report, (_k, v) => typeof v === "number" && !Number.isFinite(v) ? null : v, 2);
  await Deno.writeTextFile(join(RESULTS, "latest.json"), json + "\n");
  await Deno.writeTextFile(join(RESULTS, "latest.md"), toMarkdown(report));
  await Deno.writeTextFile(join(RESULTS, "latest.svg"), toSvg(report));
}

/** Whether a result line belongs to case `id` (its name is the id, or starts with the id and a space). */
function belongsTo(name: string, id: string): boolean {
  return name === id || name.startsWith(`${id} `);
}

/** Position of a result's case in the suite (stable sort keeps the order within a case). */
function caseIndex(name: string): number {
  const i = CASES.findIndex((c) => belongsTo(name, c.id));
  return i < 0 ? CASES.length : i;
}

async function previousCases(keep: (name: string) => boolean): Promise<CaseResult[]> {
  try {
    const old = JSON.parse(await Deno.readTextFile(join(RESULTS, "latest.json"))) as Report;
    return old.cases.filter((c) => keep(c.name));
  } catch {
    return [];
  }
}

const USAGE = `Usage: deno task bench [--quick] [--only CASE,...] [--readme] [--runs N]

Measures audiod and its baseline side by side and writes bench/results/latest.{json,md,svg}; a full run (no
--only, no --quick) also updates the README's table.

  --quick        smaller sizes and 3 runs (results are not put in the README)
  --only CASES   run only these cases (comma-separated); the other cases' last results are kept
  --readme       with --only: put the table in the README as well
  --runs N       runs per case, 1 to 50 (default 5, or 3 with --quick)
  -h, --help     show this help

Cases: ${CASES.map((c) => c.id).join(", ")}`;

/** Reads the options; a bad one is reported with the usage (exit 2), --help shows it (exit 0). */
function options() {
  try {
    const { values } = parseArgs({
      args: Deno.args,
      options: {
        quick: { type: "boolean", default: false },
        only: { type: "string" },
        runs: { type: "string" },
        readme: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
    if (values.help) {
      printOut(USAGE);
      Deno.exit(0);
    }
    return values;
  } catch (error) {
    printErr(`bench: ${error instanceof Error ? error.message : error}\n\n${USAGE}`);
    Deno.exit(2);
  }
}

async function main(): Promise<void> {
  const values = options();
  const quick = values.quick ?? false;
  const runs = values.runs ? Number(values.runs) : quick ? 3 : 5;
  if (!Number.isSafeInteger(runs) || runs < 1 || runs > 50) {
    printErr(`bench: Cannot run ${values.runs} times: give --runs 1 to 50`);
    Deno.exit(2);
  }
  const only = values.only?.split(",").map((s) => s.trim()).filter(Boolean);
  const chosen = only ? CASES.filter((c) => only.includes(c.id)) : CASES;
  if (only && chosen.length !== only.length) {
    const unknown = only.filter((id) => !CASES.some((c) => c.id === id));
    printErr(
      `bench: Cannot find case(s) ${unknown.join(", ")}: known are ${CASES.map((c) => c.id).join(", ")}`,
    );
    Deno.exit(2);
  }
  await ensureTools();
  const root = await Deno.makeTempDir({ prefix: "audiod-bench-" });
  const ctx = createContext({ quick, runs, root });
  const report: Report = { cases: [], date: new Date().toISOString(), quick, machine: machine() };
  // With --only, the other cases' last results are kept.
  const kept = only ? await previousCases((name) => !chosen.some((c) => belongsTo(name, c.id))) : [];
  const fresh: CaseResult[] = [];
  const started = performance.now();
  try {
    for (const c of chosen) {
      say(`case ${c.id}${quick ? " (quick)" : ""}`);
      const caseStarted = performance.now();
      let results: CaseResult[];
      try {
        results = await c.run(ctx);
      } catch (error) {
        say(`case ${c.id} failed: ${error instanceof Error ? error.stack : error}`);
        results = [{
          name: c.id,
          value: NaN,
          baseline: null,
          unit: "",
          target: null,
          better: "higher",
          runs: 0,
          audiod: NaN,
          rawUnit: "",
          met: false,
          note: `failed: ${error instanceof Error ? error.message : String(error)}`.slice(0, 200),
        }];
      }
      for (const r of results) {
        const verdict = r.met === null ? "" : r.met ? " met" : " NOT MET";
        say(`  ${r.name}: ${r.value} ${r.unit} (target ${formatTarget(r)})${verdict}`);
      }
      say(`case ${c.id} took ${((performance.now() - caseStarted) / 1000).toFixed(1)} s`);
      fresh.push(...results);
      report.cases = [...kept, ...fresh].sort((a, b) => caseIndex(a.name) - caseIndex(b.name));
      report.date = new Date().toISOString();
      await write(report);
    }
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
  say(`done in ${((performance.now() - started) / 1000).toFixed(0)} s; results in ${RESULTS}`);
  if (!quick && (!only || values.readme)) await updateReadme(report);
  printOut(toMarkdown(report));
}

await main();
Deno.exit(0);
