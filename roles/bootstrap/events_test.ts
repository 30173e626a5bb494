import assert from "node:assert/strict";
import { parseEventStream, type ServerSentEvent } from "../../daemon/cluster/event_stream.ts";
import { EventHub } from "./events.ts";

/** Reads events from a subscription until `count` arrived. */
async function take(res: Response, count: number): Promise<ServerSentEvent[]> {
  const out: ServerSentEvent[] = [];
  for await (const event of parseEventStream(res.body!)) {
    out.push(event);
    if (out.length === count) break;
  }
  return out;
}

const down = (id: string) => ({
  type: "instance" as const,
  data: {
    state: "down" as const,
    id,
    role: "file" as const,
    url: "http://127.0.0.1:1",
    host: "127.0.0.1",
    node: null,
    reason: "lease expired",
    at: 0,
  },
});

Deno.test("EventHub sends revocations to members only", async () => {
  const hub = new EventHub();
  try {
    const member = hub.subscribe({ member: true });
    const visitor = hub.subscribe({ member: false });
    assert.equal(member.headers.get("content-type"), "text/event-stream; charset=utf-8");
    hub.publish({ type: "revoked", data: { tokenHashes: ["a".repeat(64)] } });
    hub.publish(down("inst-1"));
    const [m1, m2] = await take(member, 2);
    assert.equal(m1!.type, "revoked");
    assert.equal(m2!.type, "instance");
    const [v1] = await take(visitor, 1);
    assert.equal(v1!.type, "instance", "the visitor never sees the revocation");
    assert.equal(JSON.parse(v1!.data).id, "inst-1");
  } finally {
    hub.close();
  }
});

Deno.test("EventHub replays what a subscriber missed after Last-Event-ID, from this run only", async () => {
  const hub = new EventHub();
  try {
    const first = hub.subscribe({ member: false });
    hub.publish(down("inst-1"));
    const [seen] = await take(first, 1);
    hub.publish(down("inst-2"));
    hub.publish(down("inst-3"));
    const again = hub.subscribe({ member: false, lastEventId: seen!.id });
    const missed = await take(again, 2);
    assert.deepEqual(missed.map((e) => JSON.parse(e.data).id), ["inst-2", "inst-3"]);
    const stale = hub.subscribe({ member: false, lastEventId: "otherrun-1" });
    hub.publish(down("inst-4"));
    const [next] = await take(stale, 1);
    assert.equal(JSON.parse(next!.data).id, "inst-4", "an id from another run replays nothing");
  } finally {
    hub.close();
  }
});

Deno.test("EventHub keeps no more events for replay than a subscriber's backlog holds", async () => {
  const hub = new EventHub({ maxBacklog: 2000 });
  try {
    const first = hub.subscribe({ member: false });
    hub.publish(down("inst-0"));
    const [seen] = await take(first, 1);
    // Each event is under 200 bytes: 30 of them are well over 2000.
    for (let i = 1; i <= 30; i++) hub.publish(down(`inst-${i}`));
    const again = hub.subscribe({ member: false, lastEventId: seen!.id });
    hub.publish(down("inst-last"));
    const ids: string[] = [];
    for await (const event of parseEventStream(again.body!)) {
      ids.push(JSON.parse(event.data).id);
      if (ids.at(-1) === "inst-last") break;
    }
    assert.ok(ids.length > 2 && ids.length <= 16, `replayed ${ids.length - 1} of 30`);
    assert.deepEqual(ids.slice(-3), ["inst-29", "inst-30", "inst-last"], "the newest are kept, in order");
  } finally {
    hub.close();
  }
});

Deno.test("EventHub sends a keep-alive comment while idle and ends streams on close", async () => {
  const hub = new EventHub({ heartbeatMs: 20 });
  const res = hub.subscribe({ member: false });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes(": heartbeat")) text += (await reader.read()).value ?? "";
  hub.close();
  while (!(await reader.read()).done) { /* drain */ }
  assert.equal(hub.size, 0);
});
