/**
 * The read buffers {@linkcode serveHttp1} sends file bodies from.
 *
 * @module
 */

/**
 * Read buffers of file bodies, kept for reuse so streaming makes no garbage. The first streams at a time get
 * large ones, where one stream's speed shows; many streams share the socket time anyway and get small ones,
 * which bounds the memory: 100 streams hold about 18 MiB, and each stream past them 32 KiB. A stream whose
 * client reads slower than a buffer a write ({@linkcode BufferPool.slower}) gives its large buffer back for a
 * small one: a thousand listeners at 320 kbit/s hold 32 MiB, not 130. A server of several threads gives each its
 * share.
 */
export class BufferPool {
  static readonly CLASSES = [
    { size: 1024 * 1024, streams: 2, kept: 2 },
    { size: 256 * 1024, streams: 30, kept: 30 },
    { size: 128 * 1024, streams: 68, kept: 68 },
    { size: 32 * 1024, streams: Infinity, kept: 256 },
  ];
  /** The size slow readers hold: the smallest class. */
  static readonly SMALL = 32 * 1024;
  #classes: typeof BufferPool.CLASSES;
  #free = BufferPool.CLASSES.map(() => [] as Uint8Array[]);
  #inUse = BufferPool.CLASSES.map(() => 0);

  /** A pool for one of `share` threads serving the same port. */
  constructor(share: number) {
    this.#classes = BufferPool.CLASSES.map((c) => ({
      size: c.size,
      streams: Math.ceil(c.streams / share),
      kept: Math.ceil(c.kept / share),
    }));
  }

  /** A buffer for one stream; give it back when the stream ends. */
  take(): Uint8Array {
    return this.#take(this.#classes.findIndex((c, i) => this.#inUse[i]! < c.streams));
  }

  /**
   * For a stream whose client reads slower than it is sent: `buffer` back to the pool, a small one instead
   * (`buffer` itself when it is small already).
   */
  slower(buffer: Uint8Array): Uint8Array {
    if (buffer.length <= BufferPool.SMALL) return buffer;
    this.give(buffer);
    return this.#take(this.#classes.length - 1);
  }

  /** Returns a buffer {@linkcode BufferPool.take} or {@linkcode BufferPool.slower} gave. */
  give(buffer: Uint8Array): void {
    const i = this.#classes.findIndex((c) => c.size === buffer.length);
    this.#inUse[i]!--;
    if (this.#free[i]!.length < this.#classes[i]!.kept) this.#free[i]!.push(buffer);
  }

  /** Buffers handed out now, by size: what the streams hold. */
  get held(): number {
    return this.#classes.reduce((n, c, i) => n + c.size * this.#inUse[i]!, 0);
  }

  #take(i: number): Uint8Array {
    this.#inUse[i]!++;
    return this.#free[i]!.pop() ?? new Uint8Array(this.#classes[i]!.size);
  }
}
