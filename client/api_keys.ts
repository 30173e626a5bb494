/**
 * `audiod apikey create|list|revoke`: API keys for OpenSubsonic clients (Symfonium, DSub, Feishin, …), made
 * and revoked with the saved session. A key is shown once, when it is made; the cluster keeps its SHA-256.
 *
 * @module
 */

import { callJson } from "../daemon/cluster/peer_client.ts";
import { printOut } from "../daemon/runtime/log.ts";
import { CommandError } from "../cli/usage_error.ts";
import { apiKeyList, newApiKey } from "../protocol/api_keys.ts";
import { lenient } from "../protocol/schema.ts";
import { loadSession } from "./session_store.ts";
import { sessionClient } from "./commands.ts";
import { table } from "./format.ts";

async function signedInClient(toDo: string, ca?: string) {
  const session = await loadSession();
  if (!session?.token) throw new CommandError(`Cannot ${toDo}: not signed in (run audiod login first)`);
  const client = await sessionClient(session.host, session, ca);
  const options = { token: client.token, ...(client.httpClient ? { httpClient: client.httpClient } : {}) };
  return { client, options };
}

/** `audiod apikey create [--name NAME] [--json]`. */
export async function apiKeyCreate(options: { name?: string; json?: boolean; ca?: string }): Promise<void> {
  const { client, options: call } = await signedInClient("create an API key", options.ca);
  const created = await callJson(client.host, "POST", "/v1/apikeys", {
    ...call,
    body: options.name === undefined ? {} : { name: options.name },
    answer: lenient(newApiKey),
  });
  if (options.json) {
    printOut(JSON.stringify(created));
    return;
  }
  printOut(`API key ${created.id}${created.name ? ` (${created.name})` : ""}: ${created.key}`);
  printOut(`Server URL for OpenSubsonic apps: ${client.host} (shown once: the cluster keeps only its hash)`);
}

/** `audiod apikey list [--json]`. */
export async function apiKeyListCommand(options: { json?: boolean; ca?: string }): Promise<void> {
  const { client, options: call } = await signedInClient("list API keys", options.ca);
  const { keys } = await callJson(client.host, "GET", "/v1/apikeys", {
    ...call,
    answer: lenient(apiKeyList),
  });
  if (options.json) {
    printOut(JSON.stringify(keys));
    return;
  }
  if (keys.length === 0) {
    printOut("No API keys (audiod apikey create makes one)");
    return;
  }
  printOut(table(
    ["ID", "NAME", "CREATED"],
    keys.map((k) => [k.id, k.name, new Date(k.createdAt).toISOString()]),
  ));
}

/** `audiod apikey revoke ID`. */
export async function apiKeyRevoke(id: string, options: { ca?: string }): Promise<void> {
  const { client, options: call } = await signedInClient("revoke an API key", options.ca);
  await callJson(client.host, "DELETE", `/v1/apikeys/${encodeURIComponent(id)}`, call);
  printOut(`Revoked API key ${id}: apps using it are refused from now on`);
}
