/**
 * A strict reader of the Prometheus text exposition format 0.0.4, for tests: throws on any line a Prometheus
 * server would refuse.
 *
 * @module
 */

/** One metric family as read. */
export interface Family {
  type: string;
  help: string;
  samples: { labels: Record<string, string>; value: number }[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

/** Parses an exposition; throws an Error naming the line when it is not valid. */
export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  if (!text.endsWith("\n")) throw new Error("the exposition must end with a newline");
  text.slice(0, -1).split("\n").forEach((line, i) => {
    const fail = (why: string): never => {
      throw new Error(`line ${i + 1} (${JSON.stringify(line)}): ${why}`);
    };
    if (line === "") return;
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) return; // a plain comment
      const [, kind, name, rest] = m;
      if (!NAME.test(name!)) fail("bad metric name");
      const family = families.get(name!) ?? { type: "untyped", help: "", samples: [] };
      if (kind === "TYPE") {
        if (!TYPES.has(rest!)) fail("unknown type");
        if (families.has(name!) && (families.get(name!)!.type !== "untyped" || family.samples.length > 0)) {
          fail("TYPE after samples or twice");
        }
        family.type = rest!;
      } else {
        family.help = rest!.replace(/\\n/g, "\n").replace(/\\\\/g, "\\");
      }
      families.set(name!, family);
      return;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)( -?\d+)?$/.exec(line);
    if (!m) return fail("not a sample");
    const [, name, labelText, valueText] = m;
    const labels: Record<string, string> = {};
    if (labelText) {
      let rest = labelText.slice(1, -1);
      while (rest.length > 0) {
        const l = /^([^=]+)="((?:[^"\\]|\\[\\"n])*)"(,|$)/.exec(rest);
        if (!l || !LABEL.test(l[1]!)) return fail("bad labels");
        if (l[1]! in labels) fail("a label twice");
        labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c));
        rest = rest.slice(l[0].length);
      }
    }
    const value = valueText === "+Inf"
      ? Infinity
      : valueText === "-Inf"
      ? -Infinity
      : valueText === "NaN"
      ? NaN
      : Number(valueText);
    if (Number.isNaN(value) && valueText !== "NaN") fail("bad value");
    const family = families.get(name!);
    if (!family) return fail("a sample before its TYPE");
    family.samples.push({ labels, value });
  });
  return families;
}

/** The value of the sample of `name` whose labels include `labels`, or undefined. */
export function sampleOf(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return families.get(name)?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    ?.value;
}
