/**
 * A small metrics registry and its Prometheus text exposition (format 0.0.4), which every daemon serves at
 * `GET /metrics`. Counters are counted as things happen; gauges are read when scraped. Label values are
 * bounded sets (routes as patterns, roles, states, outcomes), never user names, tokens or paths.
 *
 * @module
 */

import type { LoadMeter } from "../cluster/load_meter.ts";

/** Label names to values. */
export type Labels = Record<string, string>;

/** The content type of the exposition. */
export const EXPOSITION_TYPE = "text/plain; version=0.0.4; charset=utf-8";

interface Family {
  name: string;
  help: string;
  type: "counter" | "gauge";
  samples: () => Iterable<[Labels, number]>;
}

/** A value per label set that only goes up. */
export class Counter {
  #values = new Map<string, [Labels, number]>();

  /** Adds `n` (default 1) to the series with `labels`. */
  inc(labels: Labels = {}, n = 1): void {
    const key = labelText(labels);
    const entry = this.#values.get(key);
    if (entry) entry[1] += n;
    else this.#values.set(key, [{ ...labels }, n]);
  }

  /** The value of the series with `labels` (0 when never counted). */
  get(labels: Labels = {}): number {
    return this.#values.get(labelText(labels))?.[1] ?? 0;
  }

  /** @internal */
  samples(): Iterable<[Labels, number]> {
    return this.#values.values();
  }
}

/** Metrics of one daemon. */
export class Metrics {
  #families = new Map<string, Family>();

  /** A counter named `name` (by convention ending in `_total`). */
  counter(name: string, help: string): Counter {
    const counter = new Counter();
    this.#add({ name, help, type: "counter", samples: () => counter.samples() });
    return counter;
  }

  /** A gauge read at every scrape: one number, or one per label set. */
  gauge(name: string, help: string, read: () => number | Iterable<[Labels, number]>): void {
    this.#add({
      name,
      help,
      type: "gauge",
      samples: () => {
        const value = read();
        return typeof value === "number" ? [[{}, value]] : value;
      },
    });
  }

  /** A counter whose total is kept elsewhere, read at every scrape. */
  counterOf(name: string, help: string, read: () => number): void {
    this.#add({ name, help, type: "counter", samples: () => [[{}, read()]] });
  }

  /** The text exposition of every metric. */
  render(): string {
    const lines: string[] = [];
    for (const family of this.#families.values()) {
      lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
      lines.push(`# TYPE ${family.name} ${family.type}`);
      for (const [labels, value] of family.samples()) {
        lines.push(`${family.name}${labelText(labels)} ${formatValue(value)}`);
      }
    }
    return lines.join("\n") + "\n";
  }

  /** `GET /metrics`. */
  response(req: Request): Response {
    const headers = { "content-type": EXPOSITION_TYPE, "cache-control": "no-store" };
    return new Response(req.method === "HEAD" ? null : this.render(), { headers });
  }

  #add(family: Family): void {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(family.name)) throw new Error(`Bad metric name ${family.name}`);
    if (this.#families.has(family.name)) throw new Error(`Metric ${family.name} registered twice`);
    this.#families.set(family.name, family);
  }
}

/**
 * Counts `items` by role and state, for a gauge labelled `role` and `state`: every pair of `roles` and `states`
 * (in that order, 0 when none), then any other pair found.
 */
export function countByRoleState(
  items: Iterable<{ role: string; state: string }>,
  roles: readonly string[],
  states: readonly string[],
): [Labels, number][] {
  const counts = new Map<string, number>();
  for (const role of roles) {
    for (const state of states) counts.set(`${role} ${state}`, 0);
  }
  for (const item of items) {
    const key = `${item.role} ${item.state}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, n]) => {
    const [role, state] = key.split(" ");
    return [{ role: role!, state: state! }, n];
  });
}

/** What every daemon reports: its role and version, its load and its memory. */
export function standardMetrics(
  metrics: Metrics,
  options: { role: string; version: string; meter: LoadMeter },
): void {
  const { meter } = options;
  metrics.gauge("audiod_info", "Always 1; the labels say which daemon this is", () => [[
    { role: options.role, version: options.version },
    1,
  ]]);
  metrics.gauge("audiod_requests_in_flight", "HTTP requests in progress", () => meter.inFlight);
  metrics.gauge("audiod_active_streams", "Track byte streams in progress", () => meter.activeStreams);
  metrics.counterOf("audiod_bytes_served_total", "Track bytes sent to listeners", () => meter.bytesServed);
  metrics.gauge(
    "audiod_process_resident_memory_bytes",
    "Resident memory of the whole process (instances on a content node share theirs)",
    () => Deno.memoryUsage().rss,
  );
  metrics.gauge(
    "audiod_process_heap_used_bytes",
    "JavaScript heap in use (the rest of the resident memory is the runtime, buffers and SQLite's)",
    () => Deno.memoryUsage().heapUsed,
  );
  metrics.gauge(
    "audiod_process_heap_total_bytes",
    "JavaScript heap reserved, used or not",
    () => Deno.memoryUsage().heapTotal,
  );
}

function labelText(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return "";
  return `{${keys.map((k) => `${k}="${escapeLabel(labels[k]!)}"`).join(",")}}`;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}
