/**
 * HTTP/1.1 spoken by hand, for the tests of audiod's own server (`daemon/http1.ts`): exactly the bytes a test
 * chooses go out, and every response that comes back is parsed as it arrived.
 *
 * @module
 */

/** One parsed response. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

/**
 * Sends `payload` (its parts in turn) on `conn` while reading until the server closes it; every response on
 * it, parsed (interim 100 responses left out). A write the server cut short (it refused a body and closed) is
 * no error: the responses tell.
 */
export async function rawExchange(
  conn: Deno.Conn,
  payload: string | Uint8Array | Uint8Array[],
): Promise<RawResponse[]> {
  const parts = typeof payload === "string"
    ? [new TextEncoder().encode(payload)]
    : Array.isArray(payload)
    ? payload
    : [payload];
  const writing = (async () => {
    for (const bytes of parts) {
      for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
    }
  })().catch(() => {});
  const received = new Uint8Array(await new Response(conn.readable).arrayBuffer());
  await writing;
  return parseResponses(received);
}

/** The responses in `bytes`, with Content-Length or chunked bodies. */
export function parseResponses(bytes: Uint8Array): RawResponse[] {
  const out: RawResponse[] = [];
  const text = (from: number, to: number) => new TextDecoder().decode(bytes.subarray(from, to));
  let at = 0;
  while (at < bytes.length) {
    const end = indexOf(bytes, "\r\n\r\n", at);
    if (end < 0) throw new Error(`No response head at ${at}: ${text(at, Math.min(bytes.length, at + 80))}`);
    const [line, ...fields] = text(at, end).split("\r\n");
    const headers: Record<string, string> = {};
    for (const f of fields) {
      headers[f.slice(0, f.indexOf(":")).toLowerCase()] = f.slice(f.indexOf(":") + 1).trim();
    }
    const status = Number(line!.split(" ")[1]);
    at = end + 4;
    if (status === 100) continue;
    let body = new Uint8Array();
    if (headers["transfer-encoding"] === "chunked") {
      const parts: Uint8Array[] = [];
      for (;;) {
        const lineEnd = indexOf(bytes, "\r\n", at);
        const size = parseInt(text(at, lineEnd), 16);
        at = lineEnd + 2;
        if (size === 0) {
          at += 2;
          break;
        }
        parts.push(bytes.subarray(at, at + size));
        at += size + 2;
      }
      body = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let offset = 0;
      for (const p of parts) {
        body.set(p, offset);
        offset += p.length;
      }
    } else if (headers["content-length"]) {
      const n = Number(headers["content-length"]);
      body = bytes.slice(at, at + n);
      at += n;
    }
    out.push({ status, headers, body });
  }
  return out;
}

function indexOf(bytes: Uint8Array, needle: string, from: number): number {
  const first = needle.charCodeAt(0);
  for (let i = bytes.indexOf(first, from); i >= 0; i = bytes.indexOf(first, i + 1)) {
    if ([...needle].every((c, k) => bytes[i + k] === c.charCodeAt(0))) return i;
  }
  return -1;
}

/** Writes `size` random bytes to `path`; returns them. */
export async function writeRandomFile(path: string, size: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(bytes.subarray(i, Math.min(size, i + 65536)));
  await Deno.writeFile(path, bytes);
  return bytes;
}
