import assert from "node:assert/strict";
import {
  ANNOUNCE_MAX_BYTES,
  ANNOUNCE_MAX_TRACKS,
  announceBatches,
  type AnnouncedTrack,
  announcement,
} from "./catalog.ts";

const track = (i: number, title = `track ${i}`): AnnouncedTrack => ({
  id: i.toString(16).padStart(64, "0"),
  md5: "0".repeat(32),
  size: 1000,
  title,
  artist: "artist",
  album: "album",
  trackNo: 1,
  duration: 60,
  format: "flac",
});

Deno.test("announceBatches cuts a library by count and by size, in order, and each batch is a valid announcement", () => {
  assert.deepEqual(announceBatches([]), [[]], "one empty batch for no tracks");
  const many = Array.from({ length: ANNOUNCE_MAX_TRACKS * 2 + 1 }, (_, i) => track(i));
  const counted = announceBatches(many);
  assert.deepEqual(counted.map((b) => b.length), [ANNOUNCE_MAX_TRACKS, ANNOUNCE_MAX_TRACKS, 1]);
  assert.deepEqual(counted.flat(), many, "every track once, in order");
  // Tags of 1024 non-ASCII characters (escaped, several bytes each): fewer per request.
  const long = Array.from({ length: 600 }, (_, i) => track(i, "é".repeat(1020) + i));
  const sized = announceBatches(long);
  assert.ok(sized.length > 1, "long tags take more requests");
  assert.deepEqual(sized.flat(), long);
  for (const batch of [...counted, ...sized]) {
    const body = JSON.stringify({
      instance: "file-1",
      tracks: batch,
      removed: Array(10_000).fill("a".repeat(64)),
    });
    assert.ok(
      new TextEncoder().encode(body).length <= ANNOUNCE_MAX_BYTES,
      "fits the body limit with 10,000 removed ids",
    );
    assert.equal(announcement(JSON.parse(body), "body").tracks.length, batch.length);
  }
});
