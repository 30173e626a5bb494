/**
 * Bounds how far {@linkcode serveHttp1} writes ahead of a slow reader: TCP_NOTSENT_LOWAT on the listening
 * socket, which the sockets it accepts inherit.
 *
 * Without it, a write returns as soon as the kernel takes the bytes, and the kernel takes as much as the
 * socket's send buffer, which it sizes from the congestion window times the segment size: on loopback (64 KiB
 * segments) that is 1–3 MiB per connection at once. A thousand listeners at 320 kbit/s then made the file
 * instance copy 3.6 GB through its sockets for the 0.3 GB they played in 8 s, put 2 GB in kernel buffers (past
 * the kernel's TCP memory pressure mark here), and new listeners waited seconds for their first byte behind
 * those copies. With the mark set, the kernel keeps at most this many unsent bytes queued per connection (bytes
 * in flight are not limited, so a fast or distant client is not slowed down) and a write waits for the reader
 * instead.
 *
 * Deno has no socket options beyond no-delay and keep-alive, so this finds the listening socket's descriptor
 * (its inode in /proc/self/net/tcp{,6}, by port) and calls setsockopt(2) through FFI. Where that is not
 * possible (not Linux, no FFI permission, no libc) it does nothing: the server works as before.
 *
 * @module
 */

/** Unsent bytes the kernel keeps queued per connection: about 3 s of a 320 kbit/s stream. */
export const SEND_LOWAT = 128 * 1024;

const IPPROTO_TCP = 6;
const TCP_NOTSENT_LOWAT = 25;
/** The state column of a listening socket in /proc/net/tcp. */
const LISTEN = "0A";

type Libc = {
  symbols: {
    setsockopt: (fd: number, level: number, name: number, value: Uint8Array, length: number) => number;
  };
};
let libc: Libc | null | undefined;

function openLibc(): Libc | null {
  if (libc === undefined) {
    libc = null;
    try {
      if (Deno.build.os === "linux" && Deno.permissions.querySync({ name: "ffi" }).state === "granted") {
        libc = Deno.dlopen("libc.so.6", {
          setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
        }) as unknown as Libc;
      }
    } catch {
      libc = null;
    }
  }
  return libc;
}

/** Inodes of the sockets listening on `port` (IPv4 and IPv6). */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  for (const table of ["/proc/self/net/tcp", "/proc/self/net/tcp6"]) {
    let text: string;
    try {
      text = Deno.readTextFileSync(table);
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      // sl, local_address, rem_address, st, tx:rx, tr:when, retrnsmt, uid, timeout, inode
      if (fields[3] === LISTEN && fields[1]?.endsWith(`:${hexPort}`) && fields[9]) inodes.add(fields[9]);
    }
  }
  return inodes;
}

/**
 * Sets TCP_NOTSENT_LOWAT to `bytes` on every socket of this process listening on `port`; returns how many it set
 * (0 where it cannot).
 */
export function limitUnsent(port: number, bytes: number = SEND_LOWAT): number {
  const lib = openLibc();
  if (!lib) return 0;
  let set = 0;
  try {
    const inodes = listeningInodes(port);
    if (inodes.size === 0) return 0;
    const value = new Uint8Array(Int32Array.of(bytes).buffer); // an int, in the machine's byte order
    for (const entry of Deno.readDirSync("/proc/self/fd")) {
      let link: string;
      try {
        link = Deno.readLinkSync(`/proc/self/fd/${entry.name}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
      if (inode === undefined || !inodes.has(inode)) continue;
      if (lib.symbols.setsockopt(Number(entry.name), IPPROTO_TCP, TCP_NOTSENT_LOWAT, value, 4) === 0) set++;
    }
  } catch {
    // /proc unreadable: leave the defaults
  }
  return set;
}
