import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { CatalogTrack } from "../protocol/mod.ts";
import { FakeClock } from "./player/_test_fakes.ts";
import { createPlayer, PlayerMissingError } from "./player/mod.ts";
import { MpvPlayer } from "./player/mpv.ts";
import { NullPlayer } from "./player/null_player.ts";
import type { PlayerOptions } from "./player/types.ts";
import { bufferVerdict, type PlaybackEvent, playbackEventOf, startPlayback } from "./playback.ts";
import { TrackCache } from "./track_cache.ts";

function trackOf(bytes: Uint8Array, format = "mp3", duration: number | null = 10): CatalogTrack {
  return {
    id: createHash("sha256").update(bytes).digest("hex"),
    title: "Test tone",
    artist: "sox",
    album: "Fixtures",
    trackNo: null,
    duration,
    size: bytes.length,
    md5: createHash("md5").update(bytes).digest("hex"),
    format,
    replicas: [],
  };
}

/** A NullPlayer on a fake clock that remembers what it was fed. */
class RecordingPlayer extends NullPlayer {
  written: number[] = [];
  override write(bytes: Uint8Array): Promise<void> {
    this.written.push(bytes.length);
    return super.write(bytes);
  }
}

function nullPlayerOn(clock: FakeClock, made: RecordingPlayer[] = []) {
  return (_name: unknown, options: PlayerOptions) => {
    const player = new RecordingPlayer(options, clock);
    made.push(player);
    return Promise.resolve({ player, chosen: "null" as const, note: "test: silent" });
  };
}

/** A source the test feeds by hand. */
class ManualSource implements AsyncIterable<Uint8Array> {
  #queue: (Uint8Array | Error | null)[] = [];
  #wake: (() => void) | null = null;
  push(item: Uint8Array | Error | null): void {
    this.#queue.push(item);
    this.#wake?.();
  }
  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    while (true) {
      const item = this.#queue.shift();
      if (item === undefined) {
        await new Promise<void>((resolve) => this.#wake = resolve);
        continue;
      }
      if (item === null) return;
      if (item instanceof Error) throw item;
      yield item;
    }
  }
}

async function until(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function* inChunks(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

const BYTES = new Uint8Array(100_000).map((_, i) => i % 251); // 10 s at 10,000 B/s

Deno.test("startPlayback gives the first verified chunk to the player before the source has finished", async () => {
  const clock = new FakeClock();
  const made: RecordingPlayer[] = [];
  const events: PlaybackEvent[] = [];
  const source = new ManualSource();
  const handle = startPlayback(trackOf(BYTES), {
    source,
    player: "null",
    playerArgs: [],
    volume: 100,
    onEvent: (e) => events.push(e),
    createPlayer: nullPlayerOn(clock, made),
  });
  try {
    source.push(BYTES.subarray(0, 10_000));
    await until("started", () => events.some((e) => e.type === "started"));
    assert.deepEqual(made[0]!.written, [10_000]);
    assert.deepEqual(events, [
      { type: "started", player: "null", note: "test: silent" },
      { type: "progress", verifiedBytes: 10_000, size: 100_000 },
    ]);
    assert.deepEqual(handle.capabilities, { pause: true, seek: true, volume: true, position: true });
  } finally {
    await handle.stop();
  }
});

Deno.test("startPlayback reports verified, caches the track and ends after the player played it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const clock = new FakeClock();
    const cache = new TrackCache(dir);
    const track = trackOf(BYTES);
    const events: PlaybackEvent[] = [];
    const source = new ManualSource();
    const handle = startPlayback(track, {
      source,
      player: "null",
      playerArgs: [],
      volume: 100,
      onEvent: (e) => events.push(e),
      cache,
      createPlayer: nullPlayerOn(clock),
    });
    for (let at = 0; at < BYTES.length; at += 30_000) source.push(BYTES.subarray(at, at + 30_000));
    source.push(null);
    await until("verified", () => events.some((e) => e.type === "verified"));
    await clock.advance(9_000);
    assert.equal(events.some((e) => e.type === "ended"), false, "ended before the last byte was played");
    await clock.advance(1_000);
    await handle.done;
    const kinds = events.map((e) => e.type).filter((type) => type !== "position");
    assert.deepEqual(kinds, ["started", "progress", "progress", "progress", "progress", "verified", "ended"]);
    assert.deepEqual(events.find((e) => e.type === "verified"), { type: "verified", md5: track.md5 });
    assert.equal(await cache.has(track.id, track.md5), true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startPlayback reports a checksum failure as an error, caches nothing and stops the player", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const made: RecordingPlayer[] = [];
    const cache = new TrackCache(dir);
    const track = trackOf(BYTES);
    const events: PlaybackEvent[] = [];
    const source = new ManualSource();
    const handle = startPlayback(track, {
      source,
      player: "null",
      playerArgs: [],
      volume: 100,
      onEvent: (e) => events.push(e),
      cache,
      createPlayer: nullPlayerOn(new FakeClock(), made),
    });
    source.push(BYTES.subarray(0, 50_000));
    source.push(new Error("Cannot verify track: chunk 3 failed its MD5 on every replica"));
    await handle.done;
    assert.deepEqual(events.at(-1), {
      type: "error",
      message: "Cannot verify track: chunk 3 failed its MD5 on every replica",
    });
    assert.equal(events.some((e) => e.type === "verified"), false);
    assert.deepEqual(await made[0]!.done, { reason: "stopped" });
    assert.equal(await cache.has(track.id, track.md5), false);
    assert.deepEqual(await Array.fromAsync(Deno.readDir(dir)), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startPlayback stop() aborts a source that is waiting for the network and stops the player", async () => {
  const made: RecordingPlayer[] = [];
  const events: PlaybackEvent[] = [];
  let signal: AbortSignal | null = null;
  const handle = startPlayback(trackOf(BYTES), {
    source: (s) => {
      signal = s;
      return (async function* () {
        yield BYTES.subarray(0, 1_000);
        await new Promise(() => {}); // a download that never answers
      })();
    },
    player: "null",
    playerArgs: [],
    volume: 100,
    onEvent: (e) => events.push(e),
    createPlayer: nullPlayerOn(new FakeClock(), made),
  });
  await until("started", () => events.some((e) => e.type === "started"));
  await handle.stop();
  assert.equal(signal!.aborted, true);
  assert.deepEqual(await made[0]!.done, { reason: "stopped" });
  assert.equal(events.some((e) => e.type === "error" || e.type === "ended"), false);
});

Deno.test("startPlayback controls reach the player and position events say when it is paused", async () => {
  const clock = new FakeClock();
  const made: RecordingPlayer[] = [];
  const events: PlaybackEvent[] = [];
  const handle = startPlayback(trackOf(BYTES), {
    source: (async function* () {
      yield BYTES;
    })(),
    player: "null",
    playerArgs: [],
    volume: 100,
    onEvent: (e) => events.push(e),
    createPlayer: nullPlayerOn(clock, made),
  });
  try {
    await until("verified", () => events.some((e) => e.type === "verified"));
    await clock.advance(4_000);
    await handle.togglePause();
    assert.equal(made[0]!.paused, true);
    assert.deepEqual(events.at(-1), { type: "position", seconds: 4, duration: 10, paused: true });
    await handle.seekBy(-3);
    assert.deepEqual(events.at(-1), { type: "position", seconds: 1, duration: 10, paused: true });
    await handle.setVolume(42);
    assert.equal(made[0]!.volume, 42);
    await handle.togglePause();
    await clock.advance(1_000);
    await until("a position tick", () => {
      const last = events.at(-1);
      return last?.type === "position" && last.seconds === 2 && !last.paused;
    });
  } finally {
    await handle.stop();
  }
});

Deno.test("a volume change while the player starts reaches the player once it is up", async () => {
  const made: RecordingPlayer[] = [];
  let started!: () => void;
  const starting = new Promise<void>((resolve) => started = resolve);
  const slow = nullPlayerOn(new FakeClock(), made);
  const handle = startPlayback(trackOf(BYTES), {
    source: (async function* () {
      yield BYTES;
    })(),
    player: "null",
    playerArgs: [],
    volume: 100,
    onEvent: () => {},
    createPlayer: async (name, options) => {
      await starting;
      return slow(name, options);
    },
  });
  try {
    await handle.setVolume(30);
    started();
    await until("the player", () => made.length === 1);
    await until("the volume", () => made[0]!.volume === 30);
    assert.equal(made[0]!.volume, 30);
  } finally {
    await handle.stop();
  }
});

Deno.test("startPlayback reports a missing player as an error without touching the source", async () => {
  const events: PlaybackEvent[] = [];
  let pulled = false;
  const handle = startPlayback(trackOf(BYTES), {
    source: (async function* () {
      pulled = true;
      yield BYTES;
    })(),
    player: "mpv",
    playerArgs: [],
    volume: 100,
    onEvent: (e) => events.push(e),
    createPlayer: () =>
      Promise.reject(new PlayerMissingError("mpv", "Cannot start mpv: it is not installed (x)")),
  });
  await handle.done;
  assert.deepEqual(events, [{ type: "error", message: "Cannot start mpv: it is not installed (x)" }]);
  assert.equal(pulled, false);
});

Deno.test("playbackEventOf turns a failed replica into a warning and leaves progress to playback", () => {
  assert.deepEqual(
    playbackEventOf({ type: "replica-failed", replica: "file-2", reason: "chunk 4 MD5 mismatch" }),
    {
      type: "warning",
      message: "Replica file-2 failed (chunk 4 MD5 mismatch); using the next one",
    },
  );
  assert.equal(playbackEventOf({ type: "progress", verifiedBytes: 1, size: 2 }), null);
});

Deno.test("startPlayback plays a WAV through mpv to the end; stop() leaves no mpv behind", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const wavPath = join(dir, "x.wav");
    const sox = await new Deno.Command("sox", {
      args: ["-n", "-r", "44100", "-c", "2", wavPath, "synth", "2", "sine", "440"],
    }).output();
    assert.ok(sox.success);
    const wav = await Deno.readFile(wavPath);
    const track = trackOf(wav, "wav", 2);
    const players: MpvPlayer[] = [];
    const spy: typeof createPlayer = async (name, options) => {
      const made = await createPlayer(name, options);
      if (made.player instanceof MpvPlayer) players.push(made.player);
      return made;
    };

    const out = join(dir, "out.wav");
    const events: PlaybackEvent[] = [];
    const played = startPlayback(track, {
      source: inChunks(wav, 65_536),
      player: "mpv",
      playerArgs: ["--ao=pcm", `--ao-pcm-file=${out}`],
      volume: 100,
      onEvent: (e) => events.push(e),
      createPlayer: spy,
    });
    await played.done;
    assert.deepEqual(events.filter((e) => e.type !== "progress" && e.type !== "position"), [
      { type: "started", player: "mpv", note: "using mpv" },
      { type: "verified", md5: track.md5 },
      { type: "ended" },
    ]);
    assert.ok((await Deno.stat(out)).size > wav.length * 0.9);

    const stopped = startPlayback(track, {
      source: (async function* () {
        yield wav.subarray(0, 65_536);
        await new Promise(() => {});
      })(),
      player: "mpv",
      playerArgs: ["--ao=null"],
      volume: 100,
      onEvent: () => {},
      createPlayer: spy,
    });
    await until("mpv to start", () => players.length === 2 && players[1]!.pid !== null);
    const pid = players[1]!.pid;
    await stopped.stop();
    assert.equal(await Deno.stat(`/proc/${pid}`).then(() => true, () => false), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startPlayback warns when auto found no player for the format and plays silently", async () => {
  const events: PlaybackEvent[] = [];
  const handle = startPlayback(trackOf(BYTES), {
    source: new ManualSource(),
    player: "auto",
    playerArgs: [],
    volume: 100,
    onEvent: (e) => events.push(e),
    createPlayer: nullPlayerOn(new FakeClock()),
  });
  await until("a warning", () => events.length > 0);
  await handle.stop();
  assert.deepEqual(events, [{ type: "warning", message: "test: silent" }]);
});

Deno.test("bufferVerdict() pauses when the buffer runs low and resumes once the rest will arrive in time", async (t) => {
  const base = { complete: false, remainingBytes: 1_000_000, trackRate: 32_000 };
  await t.step("playing with plenty ahead goes on", () => {
    assert.equal(bufferVerdict({ ...base, buffering: false, aheadSeconds: 5, linkRate: 250_000 }), false);
  });
  await t.step("playing with under a second ahead waits", () => {
    assert.equal(bufferVerdict({ ...base, buffering: false, aheadSeconds: 0.5, linkRate: 250_000 }), true);
  });
  await t.step("a fast link resumes after a few seconds", () => {
    assert.equal(bufferVerdict({ ...base, buffering: true, aheadSeconds: 3, linkRate: 250_000 }), false);
  });
  await t.step("a link at half the track's rate waits until the rest arrives before it is needed", () => {
    // 1 MB takes 62.5 s at 16 kB/s and plays in 31.25 s: 31.25 s must be buffered first.
    assert.equal(bufferVerdict({ ...base, buffering: true, aheadSeconds: 30, linkRate: 16_000 }), true);
    assert.equal(bufferVerdict({ ...base, buffering: true, aheadSeconds: 32, linkRate: 16_000 }), false);
  });
  await t.step("once everything arrived nothing waits", () => {
    assert.equal(
      bufferVerdict({ ...base, complete: true, buffering: true, aheadSeconds: 0, linkRate: 1 }),
      false,
    );
  });
});

Deno.test("playback pauses to buffer when the verified bytes run out before the download ends, and says so", async () => {
  const bytes = new Uint8Array(100_000); // 10 s: 10,000 bytes a second
  const track = trackOf(bytes);
  const clock = new FakeClock();
  const made: RecordingPlayer[] = [];
  const source = new ManualSource();
  const events: PlaybackEvent[] = [];
  const handle = startPlayback(track, {
    source,
    player: "null",
    playerArgs: [],
    volume: 100,
    onEvent: (e) => events.push(e),
    createPlayer: nullPlayerOn(clock, made),
  });
  try {
    source.push(bytes.subarray(0, 10_000));
    await until("started", () => events.some((e) => e.type === "started"));
    await clock.advance(1500); // past the one second fed
    await until("buffering", () => events.some((e) => e.type === "buffer" && e.buffering));
    assert.equal(made[0]!.paused, true, "the player waits rather than stalling silently");
    source.push(bytes.subarray(10_000, 60_000));
    await until("resumed", () => {
      const last = events.findLast((e) => e.type === "buffer");
      return last?.type === "buffer" && !last.buffering;
    });
    assert.equal(made[0]!.paused, false);
    source.push(bytes.subarray(60_000));
    source.push(null);
    await until("verified", () => events.some((e) => e.type === "verified"));
  } finally {
    await handle.stop();
  }
});
