/**
 * Parsing of the addresses users type: `HOST`, `HOST:PORT`, `[v6]:PORT` or a URL.
 *
 * @module
 */

import { UsageError } from "./usage_error.ts";

/** The port the bootstrap listens on by default. */
export const DEFAULT_BOOTSTRAP_PORT = 7700;

/**
 * Normalizes an address to a base URL without a trailing slash: `10.0.0.2` → `http://10.0.0.2:7700`,
 * `host:8000` → `http://host:8000`, `https://h` stays https.
 */
export function parseAddress(address: string, defaultPort = DEFAULT_BOOTSTRAP_PORT): string {
  const text = address.trim();
  if (text === "") throw new UsageError("Cannot use an empty address: give HOST, HOST:PORT or a URL");
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UsageError(`Cannot use address "${address}": expected HOST, HOST:PORT or a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`Cannot use address "${address}": only http and https URLs are supported`);
  }
  if (url.hostname === "") throw new UsageError(`Cannot use address "${address}": no host in it`);
  if (
    url.username || url.password || url.search || url.hash || (url.pathname !== "/" && url.pathname !== "")
  ) {
    throw new UsageError(`Cannot use address "${address}": give only a host and port`);
  }
  if (url.port === "" && !/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) url.port = String(defaultPort);
  return url.origin;
}

/**
 * Several addresses, comma-separated (`a:7700,b:7700`: bootstraps sharing a store), each parsed like
 * {@linkcode parseAddress}; their URLs joined by commas, duplicates dropped. One address gives its URL.
 */
export function parseAddresses(text: string, defaultPort = DEFAULT_BOOTSTRAP_PORT): string {
  const parts = text.split(",").map((p) => p.trim()).filter((p) => p !== "");
  if (parts.length === 0) return parseAddress(text, defaultPort);
  return [...new Set(parts.map((p) => parseAddress(p, defaultPort)))].join(",");
}

/** A host and port to listen on. */
export interface ListenAddress {
  hostname: string;
  port: number;
}

/** Parses `--listen HOST:PORT` (`HOST:0` picks a free port; `[::1]:0` for IPv6). */
export function parseListen(text: string): ListenAddress {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s\[\]]+)):(\d{1,5})$/.exec(text.trim());
  if (!match) throw new UsageError(`Cannot listen on "${text}": expected HOST:PORT, e.g. 127.0.0.1:7700`);
  const hostname = match[1] ?? match[2] ?? "";
  const port = Number(match[3]);
  if (port > 65535) throw new UsageError(`Cannot listen on "${text}": port must be 0 to 65535`);
  return { hostname, port };
}

/** Formats a host for a URL, bracketing IPv6 literals. */
export function urlHost(hostname: string): string {
  return hostname.includes(":") && !hostname.startsWith("[") ? `[${hostname}]` : hostname;
}
