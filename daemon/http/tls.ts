/**
 * TLS for daemons and clients: the PEM certificate and key a daemon serves HTTPS with (`--tls-cert`,
 * `--tls-key`), and the CA certificates outgoing calls trust (`--ca`, or AUDIOD_CA) for peers with a private CA.
 *
 * @module
 */

import { UsageError } from "../../cli/usage_error.ts";

/** A certificate chain and its private key, PEM text. */
export interface TlsPem {
  cert: string;
  key: string;
}

/** The environment variable the CA file is read from when `--ca` is not given. */
export const CA_ENV = "AUDIOD_CA";

async function readPem(path: string, what: string, marker: RegExp): Promise<string> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound ? "it does not exist" : (error as Error).message;
    throw new UsageError(`Cannot read the ${what} ${path}: ${why}`);
  }
  if (!marker.test(text)) throw new UsageError(`Cannot use the ${what} ${path}: it holds no PEM ${what}`);
  return text;
}

/** Reads `--tls-cert` and `--tls-key` (both or neither). */
export async function readTls(certPath?: string, keyPath?: string): Promise<TlsPem | undefined> {
  if (certPath === undefined && keyPath === undefined) return undefined;
  if (certPath === undefined || keyPath === undefined) {
    throw new UsageError("Cannot serve HTTPS with only one of --tls-cert and --tls-key: give both");
  }
  return {
    cert: await readPem(certPath, "certificate", /-----BEGIN CERTIFICATE-----/),
    key: await readPem(keyPath, "private key", /-----BEGIN [A-Z ]*PRIVATE KEY-----/),
  };
}

/** Reads the CA file (`--ca`, else AUDIOD_CA); undefined when neither is set. */
export async function readCa(path?: string): Promise<string[] | undefined> {
  const chosen = path ?? (Deno.env.get(CA_ENV) || undefined);
  if (chosen === undefined) return undefined;
  return [await readPem(chosen, "CA certificate", /-----BEGIN CERTIFICATE-----/)];
}

/** An HTTP client trusting `caCerts` besides the system's roots; undefined when there are none. */
export function httpClientFor(caCerts: string[] | undefined): Deno.HttpClient | undefined {
  if (!caCerts || caCerts.length === 0) return undefined;
  try {
    return Deno.createHttpClient({ caCerts });
  } catch (error) {
    throw new UsageError(`Cannot use the CA certificate: ${(error as Error).message}`);
  }
}

/** What a daemon's command line gives about TLS and the CA. */
export interface DaemonTlsOptions {
  tls?: TlsPem;
  caCerts?: string[];
}

/** Reads `--tls-cert`, `--tls-key` and `--ca` of a daemon. */
export async function readDaemonTls(
  options: { tlsCert?: string; tlsKey?: string; ca?: string },
): Promise<DaemonTlsOptions> {
  const tls = await readTls(options.tlsCert, options.tlsKey);
  const caCerts = await readCa(options.ca);
  return { ...(tls ? { tls } : {}), ...(caCerts ? { caCerts } : {}) };
}
