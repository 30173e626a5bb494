import assert from "node:assert/strict";
import { parseExposition, sampleOf } from "../../tests/_exposition.ts";
import { countByRoleState, EXPOSITION_TYPE, Metrics } from "./metrics.ts";

Deno.test("Metrics renders counters and gauges in the text exposition format 0.0.4", async () => {
  const metrics = new Metrics();
  const requests = metrics.counter("audiod_http_requests_total", "Requests\nby route");
  requests.inc({ route: "/v1/tracks/:id", status: "200" });
  requests.inc({ status: "200", route: "/v1/tracks/:id" }, 2);
  requests.inc({ route: 'odd "quoted" \\ route\n', status: "404" });
  let streams = 3;
  metrics.gauge("audiod_active_streams", "Streams", () => streams);
  metrics.gauge("audiod_instances", "By role", () => [[{ role: "file", state: "up" }, 2]]);
  metrics.counterOf("audiod_bytes_served_total", "Bytes", () => 1e12);
  const families = parseExposition(metrics.render());
  assert.equal(families.get("audiod_http_requests_total")?.type, "counter");
  assert.equal(families.get("audiod_http_requests_total")?.help, "Requests\nby route");
  assert.equal(sampleOf(families, "audiod_http_requests_total", { route: "/v1/tracks/:id" }), 3);
  assert.equal(sampleOf(families, "audiod_http_requests_total", { route: 'odd "quoted" \\ route\n' }), 1);
  assert.equal(sampleOf(families, "audiod_active_streams"), 3);
  assert.equal(sampleOf(families, "audiod_instances", { role: "file", state: "up" }), 2);
  assert.equal(sampleOf(families, "audiod_bytes_served_total"), 1e12);
  streams = 0;
  assert.equal(
    sampleOf(parseExposition(metrics.render()), "audiod_active_streams"),
    0,
    "read at each scrape",
  );
  const res = metrics.response(new Request("http://x/metrics"));
  assert.equal(res.headers.get("content-type"), EXPOSITION_TYPE);
  assert.ok((await res.text()).includes("# TYPE audiod_active_streams gauge"));
});

Deno.test("countByRoleState() gives every role and state pair, 0 when none, then any other pair", () => {
  const items = [
    { role: "file", state: "up" },
    { role: "auth", state: "up" },
    { role: "file", state: "up" },
    { role: "file", state: "gone" },
  ];
  assert.deepEqual(countByRoleState(items, ["auth", "file"], ["up", "down"]), [
    [{ role: "auth", state: "up" }, 1],
    [{ role: "auth", state: "down" }, 0],
    [{ role: "file", state: "up" }, 2],
    [{ role: "file", state: "down" }, 0],
    [{ role: "file", state: "gone" }, 1],
  ]);
});

Deno.test("Metrics refuses a bad or repeated name", () => {
  const metrics = new Metrics();
  metrics.counter("a_total", "A");
  assert.throws(() => metrics.counter("a_total", "A again"), /twice/);
  assert.throws(() => metrics.gauge("bad-name", "B", () => 1), /Bad metric name/);
});

Deno.test("parseExposition() refuses what Prometheus would", async (t) => {
  const cases: [string, string][] = [
    ["a sample without TYPE", "x 1\n"],
    ["a bad value", "# TYPE x gauge\nx one\n"],
    ["unquoted label", "# TYPE x gauge\nx{a=b} 1\n"],
    ["no final newline", "# TYPE x gauge\nx 1"],
  ];
  for (const [name, text] of cases) {
    await t.step(name, () => assert.throws(() => parseExposition(text)));
  }
});
