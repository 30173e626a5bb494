/**
 * A TCP proxy that adds latency: every piece of data is passed on `delayMs` after it arrived, in order, in both
 * directions (a round trip gains twice `delayMs`). The kernel here has no `netem`, so slow-link tests and
 * benchmarks add their latency with this. It reads ahead at most {@linkcode MAX_QUEUED} bytes per direction, so a
 * slow link behind it still holds the sender back.
 *
 * @module
 */

/** Bytes a direction holds before it stops reading. */
const MAX_QUEUED = 1 << 20;

/** A running proxy; closes its listener and every connection on dispose. */
export interface DelayProxy extends AsyncDisposable {
  hostname: string;
  port: number;
  /** Bytes passed on from the target to the clients so far. */
  readonly bytesToClients: number;
  /** The one-way delay in milliseconds; a change applies to data read from then on. */
  delayMs: number;
}

/** Options of {@linkcode startDelayProxy}. */
export interface DelayProxyOptions {
  /** Where to listen; port 0 picks one. */
  listen: { hostname: string; port: number };
  /** Where to connect for each client. */
  target: { hostname: string; port: number };
  /** One-way delay in milliseconds. */
  delayMs: number;
}

/** Starts a proxy forwarding each connection to `target` with `delayMs` added each way. */
export function startDelayProxy(options: DelayProxyOptions): DelayProxy {
  const listener = Deno.listen({ transport: "tcp", ...options.listen });
  const conns = new Set<Deno.Conn>();
  const pumps = new Set<Promise<void>>();
  let bytesToClients = 0;
  const delay = { ms: options.delayMs };
  const serve = async (client: Deno.Conn) => {
    conns.add(client);
    let target: Deno.Conn | undefined;
    try {
      target = await Deno.connect({ transport: "tcp", ...options.target });
      conns.add(target);
      await Promise.all([
        pipeDelayed(client, target, delay, () => {}),
        pipeDelayed(target, client, delay, (n) => bytesToClients += n),
      ]);
    } catch {
      // A connection reset ends both directions.
    } finally {
      for (const conn of [client, target]) {
        if (conn === undefined) continue;
        conns.delete(conn);
        try {
          conn.close();
        } catch { /* closed */ }
      }
    }
  };
  const accepting = (async () => {
    for (;;) {
      let client: Deno.Conn;
      try {
        client = await listener.accept();
      } catch {
        return;
      }
      const pump = serve(client);
      pumps.add(pump);
      pump.finally(() => pumps.delete(pump));
    }
  })();
  const addr = listener.addr as Deno.NetAddr;
  return {
    hostname: addr.hostname,
    port: addr.port,
    get bytesToClients() {
      return bytesToClients;
    },
    get delayMs() {
      return delay.ms;
    },
    set delayMs(ms: number) {
      delay.ms = ms;
    },
    [Symbol.asyncDispose]: async () => {
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch { /* closed */ }
      }
      await accepting;
      // A pump blocked in a write to a peer that never reads is not waited for past a few seconds.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.allSettled([...pumps]),
        new Promise((resolve) => timer = setTimeout(resolve, 5000)),
      ]);
      clearTimeout(timer);
    },
  };
}

/** Copies `from` to `to`, each piece `delay.ms` after it was read; half-closes `to` at the end. */
async function pipeDelayed(
  from: Deno.Conn,
  to: Deno.Conn,
  delay: { ms: number },
  onWritten: (n: number) => void,
): Promise<void> {
  const queue: { due: number; bytes: Uint8Array }[] = [];
  let queued = 0;
  let ended = false;
  let wakeWriter = null as (() => void) | null;
  let wakeReader = null as (() => void) | null;
  const reading = (async () => {
    try {
      for (;;) {
        while (queued >= MAX_QUEUED) await new Promise<void>((resolve) => wakeReader = resolve);
        const buffer = new Uint8Array(64 * 1024);
        const n = await from.read(buffer);
        if (n === null) break;
        queue.push({ due: performance.now() + delay.ms, bytes: buffer.subarray(0, n) });
        queued += n;
        wakeWriter?.();
      }
    } finally {
      ended = true;
      wakeWriter?.();
    }
  })();
  try {
    for (;;) {
      const next = queue[0];
      if (next === undefined) {
        if (ended) break;
        await new Promise<void>((resolve) => wakeWriter = resolve);
        wakeWriter = null;
        continue;
      }
      const wait = next.due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      for (let at = 0; at < next.bytes.length;) at += await to.write(next.bytes.subarray(at));
      queue.shift();
      queued -= next.bytes.length;
      onWritten(next.bytes.length);
      wakeReader?.();
      wakeReader = null;
    }
    await to.closeWrite().catch(() => {});
  } finally {
    await reading.catch(() => {});
  }
}
