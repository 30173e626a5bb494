/**
 * The wire shapes: requests are checked strictly, answers leniently (fields a newer version adds are dropped),
 * and event payloads by their type.
 */

import assert from "node:assert/strict";
import {
  catalogTrack,
  chunkManifest,
  eventOf,
  heartbeat,
  lenient,
  manifestAnswer,
  memberInfo,
  SchemaError,
  sessionAnswer,
  statusReport,
} from "./mod.ts";

function refusal(run: () => unknown): SchemaError {
  try {
    run();
  } catch (error) {
    if (error instanceof SchemaError) return error;
    throw error;
  }
  assert.fail("it was accepted");
}

const LOAD = { activeStreams: 1, inFlight: 2, bytesPerSecond: 3.5, requests: 4 };

Deno.test("a request with a field the server does not know is refused, naming it, at any depth", () => {
  const body = { load: { ...LOAD, temperature: 40 } };
  const error = refusal(() => heartbeat(body, "body"));
  assert.equal(error.path, "body.load.temperature");
  assert.equal(error.message, "Cannot accept body.load.temperature: is not a known field");
});

Deno.test("lenient() drops the fields it does not know at any depth, and still checks the known ones", () => {
  const entry = {
    id: "bootstrap",
    role: "bootstrap",
    url: "http://127.0.0.1:7700",
    state: "up",
    host: "127.0.0.1",
    pid: 1,
    node: null,
    load: { ...LOAD, gpu: 0.5 },
    lastSeenMs: 0,
    since: 10,
    zone: "eu",
  };
  const report = lenient(statusReport)({ nodes: [entry], tracks: 0, version: "9" }, "body");
  const { zone: _zone, ...known } = entry;
  assert.deepEqual(report, { nodes: [{ ...known, load: LOAD }], tracks: 0 });
  const error = refusal(() => lenient(statusReport)({ nodes: [{ ...entry, pid: -1 }], tracks: 0 }, "body"));
  assert.equal(error.path, "body.nodes[0].pid");
  // Strictness is back once the lenient check is over, also after it threw.
  assert.equal(refusal(() => memberInfo({ extra: 1 }, "body")).path, "body.extra");
});

Deno.test("an optional field is left out, not set to undefined, so the JSON stays the same", () => {
  const info = memberInfo(
    { id: "content-node-1", role: "content", url: "http://127.0.0.1:1", host: "h", pid: 1 },
    "body",
  );
  assert.equal(Object.hasOwn(info, "node"), false);
  assert.equal(
    JSON.stringify(info),
    '{"id":"content-node-1","role":"content","url":"http://127.0.0.1:1","host":"h","pid":1}',
  );
});

Deno.test("a catalog track keeps the order of its fields on the wire", () => {
  const wire = {
    id: "a".repeat(64),
    title: "T",
    artist: "A",
    album: "B",
    trackNo: null,
    duration: null,
    size: 1,
    md5: "b".repeat(32),
    format: "mp3",
    replicas: [],
  };
  assert.equal(JSON.stringify(catalogTrack(wire, "body")), JSON.stringify(wire));
});

Deno.test("a session answer needs issuedAt", () => {
  const error = refusal(() => sessionAnswer({ user: "a", token: "t".repeat(43), expiresAt: 5 }, "body"));
  assert.equal(error.path, "body.issuedAt");
});

Deno.test("a manifest answer is the manifest with the track's id and, for a head, partial", () => {
  const manifest = {
    size: 0,
    md5: "d41d8cd98f00b204e9800998ecf8427e",
    chunkSize: 1 << 20,
    chunks: [],
    states: [],
  };
  assert.deepEqual(chunkManifest(manifest, "body"), manifest);
  const answer = { id: "c".repeat(64), ...manifest, partial: true };
  assert.deepEqual(manifestAnswer(answer, "body"), answer);
  const error = refusal(() => manifestAnswer({ ...answer, chunks: ["nothex"] }, "body"));
  assert.equal(error.message, "Cannot accept body.chunks[0]: must be 32 lowercase hex digits (an MD5)");
});

Deno.test("eventOf() checks a payload by its type, skips unknown types and tolerates new fields", async (t) => {
  const hash = "e".repeat(64);
  await t.step("revoked", () => {
    assert.deepEqual(eventOf("revoked", { tokenHashes: [hash], by: "admin" }), {
      type: "revoked",
      data: { tokenHashes: [hash] },
    });
  });
  await t.step("a type this version does not know", () => {
    assert.equal(eventOf("weather", { sunny: true }), undefined);
  });
  await t.step("a malformed tracks event names the field", () => {
    const data = { instance: "f", added: 1, removed: 0, addedIds: ["x"], removedIds: [], total: 1 };
    assert.equal(refusal(() => eventOf("tracks", data)).path, "data.addedIds[0]");
  });
  await t.step("an instance event of the bootstrap itself is refused", () => {
    const data = {
      state: "up",
      id: "bootstrap",
      role: "bootstrap",
      url: "http://h:1",
      host: "h",
      node: null,
      reason: "joined",
      at: 1,
    };
    assert.equal(refusal(() => eventOf("instance", data)).path, "data.role");
  });
});
