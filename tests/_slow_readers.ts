/**
 * Many listeners on one URL, each reading its response over its own socket at a listening rate (a paced raw
 * reader: no HTTP client, no decoding, so that a thousand of them fit in one process and the readers are not
 * what limits the server). Used by the `listeners` benchmark (as a process of its own:
 * `deno run -A tests/_slow_readers.ts '<job as JSON>'` prints its result as one JSON line) and by the http1
 * tests (imported).
 *
 * @module
 */

/** What {@linkcode slowReaders} does. */
export interface SlowReadersJob {
  /** An http:// URL. */
  url: string;
  /** Sent as `authorization: Bearer …` when given. */
  token?: string;
  /** Concurrent listeners. */
  readers: number;
  /** Bytes per second each reads at (320 kbit/s: 40,000). */
  rate: number;
  /** How long each reads, from its first byte, ms. */
  durationMs: number;
  /** Opening all the connections is spread over this long, ms (default 1000). */
  rampMs?: number;
}

/** What the listeners saw. */
export interface SlowReadersResult {
  /** Listeners that got a 200 and read for the whole duration. */
  completed: number;
  /** Listeners that failed: refused, a status other than 200, or the connection ended early. */
  failed: number;
  /** The first problems, one line each. */
  errors: string[];
  /** Bytes each listener received (head included), in the order they started. */
  bytes: number[];
  /** The longest wait of a read for bytes the listener was ready for, over all listeners, ms (first bytes included). */
  longestStallMs: number;
  /** The same once streams began: the longest wait of a read after a listener's first byte, ms. */
  longestStreamingStallMs: number;
  /** The longest wait from a listener's request to its first byte, ms. */
  longestFirstByteMs: number;
  /** Each listener's wait for its first byte, ms (NaN for one that got none), in the order they started. */
  firstByteMs: number[];
}

/** Bytes one read takes at most: about a tenth of a second of a listener's stream. */
const READ_SIZE = 4096;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `job.readers` paced listeners at once until each has read for `job.durationMs`. */
export async function slowReaders(job: SlowReadersJob): Promise<SlowReadersResult> {
  const url = new URL(job.url);
  if (url.protocol !== "http:") throw new Error(`Cannot read ${job.url}: only http:// is spoken here`);
  const port = Number(url.port || 80);
  const request = new TextEncoder().encode(
    `GET ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\n` +
      (job.token ? `authorization: Bearer ${job.token}\r\n` : "") + "\r\n",
  );
  const bytes = new Array<number>(job.readers).fill(0);
  const firstByteMs = new Array<number>(job.readers).fill(NaN);
  const errors: string[] = [];
  let completed = 0;
  let longestStallMs = 0;
  let longestFirstByteMs = 0;
  const rampMs = job.rampMs ?? 1000;

  const listen = async (index: number) => {
    await sleep((rampMs * index) / job.readers);
    const conn = await Deno.connect({ hostname: url.hostname, port });
    const buffer = new Uint8Array(READ_SIZE);
    try {
      for (let at = 0; at < request.length;) at += await conn.write(request.subarray(at));
      const asked = performance.now();
      const first = await conn.read(buffer);
      const firstByte = performance.now();
      longestFirstByteMs = Math.max(longestFirstByteMs, firstByte - asked);
      firstByteMs[index] = firstByte - asked;
      if (first === null) throw new Error("the connection closed before an answer");
      const head = new TextDecoder().decode(buffer.subarray(0, Math.min(first, 16)));
      if (!head.startsWith("HTTP/1.1 200")) throw new Error(`answered ${head.split("\r\n")[0]}`);
      bytes[index] = first;
      for (;;) {
        const elapsed = performance.now() - firstByte;
        if (elapsed >= job.durationMs) break;
        // Ahead of the listening rate: wait until the stream would have played what was read.
        const ahead = bytes[index]! - (job.rate * elapsed) / 1000;
        if (ahead > 0) await sleep(Math.min((ahead / job.rate) * 1000, job.durationMs - elapsed));
        if (performance.now() - firstByte >= job.durationMs) break;
        const wanted = performance.now();
        const n = await conn.read(buffer);
        longestStallMs = Math.max(longestStallMs, performance.now() - wanted);
        if (n === null) throw new Error(`the connection ended after ${bytes[index]} bytes`);
        bytes[index]! += n;
      }
      completed++;
    } catch (error) {
      if (errors.length < 10) {
        errors.push(`listener ${index}: ${error instanceof Error ? error.message : error}`);
      }
    } finally {
      try {
        conn.close();
      } catch { /* closed */ }
    }
  };

  const outcomes = await Promise.allSettled(Array.from({ length: job.readers }, (_, i) => listen(i)));
  for (const [i, o] of outcomes.entries()) {
    if (o.status === "rejected" && errors.length < 10) errors.push(`listener ${i}: ${o.reason}`);
  }
  return {
    completed,
    failed: job.readers - completed,
    errors,
    bytes,
    longestStallMs: Math.max(longestStallMs, longestFirstByteMs),
    longestStreamingStallMs: longestStallMs,
    longestFirstByteMs,
    firstByteMs,
  };
}

if (import.meta.main) {
  const result = await slowReaders(JSON.parse(Deno.args[0]!) as SlowReadersJob);
  await Deno.stdout.write(new TextEncoder().encode(JSON.stringify(result) + "\n"));
  Deno.exit(0);
}
