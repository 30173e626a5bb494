import assert from "node:assert/strict";
import { failed, formatOf, ok, SubsonicError, toXml } from "./response.ts";

Deno.test("toXml() writes scalars as attributes, objects and arrays as elements, value as text, escaped", () => {
  const xml = toXml({
    status: "ok",
    album: { id: "al-1", name: 'A & B <"x">', song: [{ id: "s1" }, { id: "s2" }] },
    genres: { genre: [{ value: "Rock & Roll", songCount: 2 }] },
    skipped: undefined,
  });
  assert.equal(
    xml,
    '<?xml version="1.0" encoding="UTF-8"?><subsonic-response xmlns="http://subsonic.org/restapi" status="ok">' +
      '<album id="al-1" name="A &amp; B &lt;&quot;x&quot;&gt;"><song id="s1"/><song id="s2"/></album>' +
      '<genres><genre songCount="2">Rock &amp; Roll</genre></genres></subsonic-response>',
  );
  assert.ok(
    !toXml({ name: "bad\u0001char" }).includes("\u0001"),
    "control characters XML cannot hold are dropped",
  );
});

Deno.test("formatOf() picks XML by default, JSON, and JSONP only with a plain callback name", () => {
  assert.equal(formatOf(new URLSearchParams("")).kind, "xml");
  assert.equal(formatOf(new URLSearchParams("f=json")).kind, "json");
  assert.deepEqual(formatOf(new URLSearchParams("f=jsonp&callback=cb.x")), {
    kind: "jsonp",
    callback: "cb.x",
  });
  assert.equal(
    formatOf(new URLSearchParams("f=jsonp&callback=alert(1)")).kind,
    "json",
    "no script injection",
  );
});

Deno.test("ok() and failed() answer HTTP 200 with the envelope, CORS, and the error's code and helpUrl", async () => {
  const good = ok({ ping: {} }, { kind: "json" });
  assert.equal(good.status, 200);
  assert.equal(good.headers.get("access-control-allow-origin"), "*");
  const body = (await good.json())["subsonic-response"];
  assert.deepEqual(
    [body.status, body.version, body.type, body.openSubsonic],
    ["ok", "1.16.1", "audiod", true],
  );
  const bad = failed(new SubsonicError(41, "Cannot sign in", { helpUrl: "https://x" }), { kind: "json" });
  assert.equal(bad.status, 200);
  assert.deepEqual((await bad.json())["subsonic-response"].error, {
    code: 41,
    message: "Cannot sign in",
    helpUrl: "https://x",
  });
});
