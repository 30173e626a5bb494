import assert from "node:assert/strict";
import { limitUnsent, SEND_LOWAT } from "./_send_lowat.ts";

const IPPROTO_TCP = 6;
const TCP_NOTSENT_LOWAT = 25;

/** TCP_NOTSENT_LOWAT of every socket of this process on `port`, read back with getsockopt(2). */
function lowatsOn(port: number): number[] {
  const libc = Deno.dlopen("libc.so.6", {
    getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  });
  const inodes = new Set<string>();
  for (const table of ["/proc/self/net/tcp", "/proc/self/net/tcp6"]) {
    for (const line of Deno.readTextFileSync(table).split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[1]?.endsWith(`:${port.toString(16).toUpperCase().padStart(4, "0")}`)) inodes.add(f[9]!);
    }
  }
  const values: number[] = [];
  for (const entry of Deno.readDirSync("/proc/self/fd")) {
    let link = "";
    try {
      link = Deno.readLinkSync(`/proc/self/fd/${entry.name}`);
    } catch {
      continue;
    }
    const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
    if (inode === undefined || !inodes.has(inode)) continue;
    const value = new Int32Array(1);
    const length = Uint32Array.of(4);
    const rc = libc.symbols.getsockopt(
      Number(entry.name),
      IPPROTO_TCP,
      TCP_NOTSENT_LOWAT,
      new Uint8Array(value.buffer),
      new Uint8Array(length.buffer),
    );
    if (rc === 0) values.push(value[0]!);
  }
  libc.close();
  return values;
}

Deno.test({
  name: "limitUnsent() sets the listening socket's mark, and the connections it accepts inherit it",
  ignore: Deno.build.os !== "linux",
  async fn() {
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    assert.equal(limitUnsent(port), 1);
    assert.deepEqual(lowatsOn(port), [SEND_LOWAT]);
    using client = await Deno.connect({ hostname: "127.0.0.1", port });
    using accepted = await listener.accept();
    assert.ok(client && accepted);
    // The listener and the accepted connection (the client's socket has another local port).
    assert.deepEqual(lowatsOn(port), [SEND_LOWAT, SEND_LOWAT]);
  },
});

Deno.test({
  name: "limitUnsent() sets nothing on a port this process does not listen on",
  ignore: Deno.build.os !== "linux",
  fn() {
    const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (probe.addr as Deno.NetAddr).port;
    probe.close();
    assert.equal(limitUnsent(port), 0);
  },
});
