import assert from "node:assert/strict";
import { parseEventStream } from "./event_stream.ts";

function streamOf(pieces: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return ReadableStream.from(pieces.map((p) => encoder.encode(p)));
}

Deno.test("parseEventStream() reads events split anywhere, skipping comments and retry", async () => {
  const text = 'retry: 1000\n: connected\n\nid: a-1\nevent: instance\ndata: {"state":"down"}\n\n' +
    ": heartbeat\n\ndata: line one\ndata: line two\r\n\r\nid: a-3\r\nevent: tracks\r\ndata:{}\r\n\r\n";
  for (const size of [1, 2, 7, text.length]) {
    const pieces: string[] = [];
    for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
    const events = await Array.fromAsync(parseEventStream(streamOf(pieces)));
    assert.deepEqual(events, [
      { type: "instance", data: '{"state":"down"}', id: "a-1" },
      { type: "message", data: "line one\nline two", id: "a-1" },
      { type: "tracks", data: "{}", id: "a-3" },
    ], `in pieces of ${size}`);
  }
});

Deno.test("parseEventStream() drops an event cut off by the end of the stream", async () => {
  const events = await Array.fromAsync(parseEventStream(streamOf(["event: tracks\ndata: {}\n"])));
  assert.deepEqual(events, []);
});
