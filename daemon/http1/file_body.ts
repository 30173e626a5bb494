/**
 * A file as a response body ({@linkcode fileBody}), which {@linkcode serveHttp1} recognises and sends from a
 * reused buffer instead of reading it as a stream.
 *
 * @module
 */

/** Counts streams and bytes sent (a {@linkcode LoadMeter}). */
export interface StreamMeter {
  streamStarted(): () => void;
  addBytes(n: number): void;
}

/** What a {@linkcode fileBody} sends. */
export interface FileSource {
  file: Deno.FsFile;
  start: number;
  length: number;
  meter: StreamMeter;
  /** The file's path, by which another serving thread opens it (see `serveHttp1`'s `threads`). */
  path: string;
  /** Aborted when the body must stop where it is: the server ends the response short and closes the connection. */
  signal?: AbortSignal;
  /** Tells the body's owner, once, that it is no longer sent: it ended, failed, was dropped or cut. */
  settle: () => void;
}

/** Options of {@linkcode fileBody}. */
export interface FileBodyOptions {
  /** The file's path, by which another serving thread opens it (see `serveHttp1`'s `threads`). */
  path: string;
  start: number;
  length: number;
  meter: StreamMeter;
  /**
   * Stops the body where it is (e.g. its session ended): the response ends short and the connection is closed,
   * so that the client sees the body end early rather than a hang.
   */
  signal?: AbortSignal;
  /** Called once when the body is no longer sent: it ended, failed, was never sent, or was cut by `signal`. */
  onSettled?: () => void;
}

const fileSources = new WeakMap<ReadableStream<Uint8Array>, FileSource>();

/** Bytes read per step when a file body is sent by another server (`Deno.serve`). */
const FALLBACK_READ = 256 * 1024;

/**
 * `length` bytes of `file` from `start` as a response body, counted as one stream of `meter` while it is sent.
 * The body owns the file and closes it. {@linkcode serveHttp1} sends it from a reused buffer; any other server
 * reads it as an ordinary stream (which then fails at its next read once `signal` aborted).
 */
export function fileBody(file: Deno.FsFile, options: FileBodyOptions): ReadableStream<Uint8Array> {
  const { start, meter, signal } = options;
  let remaining = options.length;
  let ended: (() => void) | null = null;
  let settled = false;
  const settle = () => {
    if (settled) return;
    settled = true;
    options.onSettled?.();
  };
  const finish = () => {
    ended?.();
    ended = null;
    try {
      file.close();
    } catch { /* closed */ }
    settle();
  };
  // Nothing happens until the first pull: the fast path never reads this stream.
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        signal?.throwIfAborted();
        if (!ended) {
          ended = meter.streamStarted();
          if (start > 0) await file.seek(start, Deno.SeekMode.Start);
        }
        const buffer = new Uint8Array(Math.min(FALLBACK_READ, remaining));
        const n = await file.read(buffer);
        if (n === null || n === 0) throw new Error("Cannot send the file: it ended early");
        remaining -= n;
        meter.addBytes(n);
        controller.enqueue(n === buffer.length ? buffer : buffer.subarray(0, n));
        if (remaining <= 0) {
          finish();
          controller.close();
        }
      } catch (error) {
        finish();
        controller.error(error);
      }
    },
    cancel: finish,
  }, { highWaterMark: 0 });
  fileSources.set(stream, {
    file,
    start,
    length: options.length,
    meter,
    path: options.path,
    ...(signal ? { signal } : {}),
    settle,
  });
  return stream;
}

/** What `body` sends, when it is a {@linkcode fileBody}. */
export function fileSourceOf(body: ReadableStream<Uint8Array> | null): FileSource | undefined {
  return body ? fileSources.get(body) : undefined;
}
