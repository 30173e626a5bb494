/**
 * Streaming MD5 + SHA-256 of a file in one pass, one file at a time or four at once.
 *
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import { chunkEnd, DOUBLING_LAYOUT } from "../protocol/chunk_layout.ts";
import { ChainRecorder, packStates, stateBytes } from "./chain_states.ts";
import { md5Blocks, md5Finish, md5Lanes, md5LaneWindows, md5Start, type Md5State } from "./md5.ts";

/** Digests and size of a file's content; digests are lowercase hex. */
export interface FileDigest {
  /** MD5 of the content, 32 lowercase hex digits. */
  md5: string;
  /** SHA-256 of the content, 64 lowercase hex digits. */
  sha256: string;
  /** Bytes read. */
  size: number;
  /**
   * The MD5 chaining state at each chunk end of {@linkcode DOUBLING_LAYOUT} that another chunk follows, 16 bytes
   * each: what a chunk manifest lists, recorded by the same MD5 pass.
   */
  states: Uint8Array;
}

/** Options for {@linkcode hashFile}. */
export interface HashFileOptions {
  /** Called after each block with the number of bytes just hashed. */
  onBytes?: (n: number) => void;
  /** Aborts the read between blocks; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Bytes read per `read` call. */
const BLOCK_SIZE = 1 << 20;
/** Buffers not in use, so that hashing many small files does not allocate 1 MiB per file. */
const idleBuffers: Uint8Array[] = [];
const MAX_IDLE_BUFFERS = 8;

/**
 * Computes the MD5 (with its chaining states at the chunk ends) and SHA-256 of a file in one streaming pass
 * through a single reused 1 MiB buffer.
 *
 * Rejects with the underlying `Deno.errors.*` error when the file cannot be opened or read.
 */
export async function hashFile(path: string, options: HashFileOptions = {}): Promise<FileDigest> {
  const { onBytes, signal } = options;
  signal?.throwIfAborted();
  const buffer = idleBuffers.pop() ?? new Uint8Array(BLOCK_SIZE);
  const md5 = new ChainRecorder(DOUBLING_LAYOUT);
  const sha256 = createHash("sha256");
  let size = 0;
  try {
    const file = await Deno.open(path, { read: true });
    try {
      for (let n = await file.read(buffer); n !== null; n = await file.read(buffer)) {
        const block = n === buffer.length ? buffer : buffer.subarray(0, n);
        md5.update(block);
        sha256.update(block);
        size += n;
        onBytes?.(n);
        signal?.throwIfAborted();
      }
    } finally {
      file.close();
    }
  } finally {
    if (idleBuffers.length < MAX_IDLE_BUFFERS) idleBuffers.push(buffer);
  }
  const chain = md5.finish();
  return { md5: chain.md5, sha256: sha256.digest("hex"), size, states: chain.states };
}

/** Bytes each lane reads per round: four of them stay in the core's cache while MD5 and SHA-256 run over them. */
const LANE_READ = 256 << 10;

/** A file in one of {@linkcode HashLanes}' lanes. */
interface Lane<T> {
  job: T;
  file: Deno.FsFile;
  md5: Md5State;
  /** The states at the chunk ends passed so far, and the index and offset of the next chunk end. */
  states: Uint8Array[];
  chunk: number;
  nextEnd: number;
  sha256: Hash;
  size: number;
  /** The size when the file was opened: once read up to it, the same round looks for the end. */
  expected: number;
  /** What the last round read into this lane's buffer, and whether the file ended there. */
  filled: number;
  ended: boolean;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** A file finished by {@linkcode HashLanes.round}: its digest, or why it could not be read. */
export type LaneResult<T> = { job: T; digest: FileDigest } | { job: T; error: Error };

/**
 * Hashes up to four files at once with blocking reads, for the scan's worker threads: each round reads the next
 * 256 KiB of every file in a lane, runs MD5 over the four in the SIMD lanes of {@linkcode md5Lanes} (about 2.5 times
 * node:crypto's speed on one stream) and SHA-256 over each with node:crypto. A lane freed by a finished file takes
 * the next one, so files of any sizes keep the lanes full.
 */
export class HashLanes<T> {
  static readonly LANES = 4;
  #lanes: (Lane<T> | undefined)[] = new Array(HashLanes.LANES).fill(undefined);
  /**
   * Each lane reads into its window of the MD5 module's memory, hashed there with no copy. A round uses them
   * from its first read to its last hash without yielding, so they hold nothing between rounds and other users
   * of the module on this thread never disturb a round.
   */
  #buffers = md5LaneWindows().slice(0, HashLanes.LANES).map((window) => window.subarray(0, LANE_READ));
  #probe = new Uint8Array(64);
  #onBytes: (job: T, n: number) => void;
  /** Files that could not be opened, reported by the next round. */
  #failed: LaneResult<T>[] = [];

  /** `onBytes` is told the bytes read of each file, after each round. */
  constructor(onBytes: (job: T, n: number) => void = () => {}) {
    this.#onBytes = onBytes;
  }

  /** Lanes without a file. */
  get free(): number {
    return this.#lanes.filter((lane) => lane === undefined).length;
  }

  /** Whether a round has anything to do. */
  get busy(): boolean {
    return this.#failed.length > 0 || this.#lanes.some((lane) => lane !== undefined);
  }

  /** Puts `path` in a free lane; throws when there is none. A file that cannot be opened fails in the next round. */
  add(job: T, path: string): void {
    const at = this.#lanes.indexOf(undefined);
    if (at < 0) throw new RangeError("Cannot add a file: every lane is busy");
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(path, { read: true });
    } catch (error) {
      this.#failed.push({ job, error: asError(error) });
      return;
    }
    const lane: Lane<T> = {
      job,
      file,
      md5: md5Start(),
      states: [],
      chunk: 0,
      nextEnd: chunkEnd(DOUBLING_LAYOUT, 0),
      sha256: createHash("sha256"),
      size: 0,
      expected: 0,
      filled: 0,
      ended: false,
    };
    this.#lanes[at] = lane;
    try {
      lane.expected = file.statSync().size;
    } catch (error) {
      this.#close(at);
      this.#failed.push({ job, error: asError(error) });
    }
  }

  /** Reads and hashes the next block of every file in a lane; returns the files that finished or failed. */
  round(): LaneResult<T>[] {
    const finished = this.#failed.splice(0);
    const reading: { lane: Lane<T>; buffer: Uint8Array }[] = [];
    this.#lanes.forEach((lane, i) => {
      if (lane === undefined) return;
      const buffer = this.#buffers[i]!;
      try {
        this.#read(lane, buffer);
        reading.push({ lane, buffer });
      } catch (error) {
        finished.push({ job: lane.job, error: asError(error) });
        this.#close(i);
      }
    });
    // MD5 of the whole blocks in SIMD lanes: up to the shortest lane's end or the next chunk end of any lane
    // (where its state is recorded), then on with the longer ones.
    const whole = ({ lane }: { lane: Lane<T> }) => lane.filled - (lane.filled % 64);
    const stop = (entry: { lane: Lane<T> }) => Math.min(whole(entry), entry.lane.nextEnd - entry.lane.size);
    for (let from = 0;;) {
      const longer = reading.filter((entry) => whole(entry) > from);
      if (longer.length === 0) break;
      const to = Math.min(...longer.map(stop));
      const pieces = longer.map(({ buffer }) => buffer.subarray(from, to));
      if (longer.length === 1) md5Blocks(longer[0]!.lane.md5, pieces[0]!);
      else md5Lanes(longer.map(({ lane }) => lane.md5), pieces);
      for (const { lane } of longer) {
        if (lane.size + to !== lane.nextEnd) continue;
        lane.states.push(stateBytes(lane.md5));
        lane.nextEnd = chunkEnd(DOUBLING_LAYOUT, ++lane.chunk);
      }
      from = to;
    }
    for (const entry of reading) {
      const { lane, buffer } = entry;
      const end = whole(entry);
      lane.sha256.update(buffer.subarray(0, lane.filled));
      lane.size += lane.filled;
      if (lane.filled > 0) this.#onBytes(lane.job, lane.filled);
      if (lane.ended) {
        const md5 = md5Finish(lane.md5, buffer.subarray(end, lane.filled), lane.size);
        const states = packStates(lane.states, lane.size, DOUBLING_LAYOUT);
        const sha256 = lane.sha256.digest("hex");
        finished.push({ job: lane.job, digest: { md5, sha256, size: lane.size, states } });
        this.#close(this.#lanes.indexOf(lane));
      }
    }
    return finished;
  }

  /** Fills `buffer` from the lane's file, or up to its end. */
  #read(lane: Lane<T>, buffer: Uint8Array): void {
    let filled = 0;
    while (filled < buffer.length) {
      const n = lane.file.readSync(buffer.subarray(filled));
      if (n === null) {
        lane.ended = true;
        break;
      }
      filled += n;
    }
    lane.filled = filled;
    // At the size the file had when opened, look for its end now rather than in a round of its own, in which
    // the other lanes would hash alone. Bytes found past it (the file grew) are left for the next round.
    if (!lane.ended && lane.size + filled >= lane.expected) {
      const n = lane.file.readSync(this.#probe);
      if (n === null) lane.ended = true;
      else lane.file.seekSync(-n, Deno.SeekMode.Current);
    }
  }

  #close(i: number): void {
    this.#lanes[i]?.file.close();
    this.#lanes[i] = undefined;
  }
}
