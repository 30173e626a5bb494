/**
 * Tells the cluster that sessions ended: on the event channel (members hear `revoked`), and directly to every
 * file instance that may still serve (draining ones too), waiting for their answers, so the very next request
 * anywhere is refused, which a push channel alone cannot promise. File instances also re-check cached tokens
 * every second, so a lost message delays a revocation by a second at most.
 *
 * @module
 */

import { callJson, type PeerAccess } from "../../daemon/cluster/peer_client.ts";
import type { Logger } from "../../daemon/runtime/log.ts";
import { HASHES_PER_REVOCATION, type RevokedEvent } from "../../protocol/events.ts";
import type { EventHub } from "./events.ts";
import type { RevocationDetails } from "./handler.ts";
import type { Registry } from "./registry.ts";

/** What the fan-out reaches the cluster through. */
export interface RevocationDeps {
  registry: Registry;
  events: EventHub;
  /** The join secret (and CA) for the file instances' internal route. */
  peer: PeerAccess;
  logger: Logger;
  /** How long a file instance may take to answer (default 1 s). */
  timeoutMs?: number;
}

/**
 * Builds the fan-out: given the SHA-256 of revoked tokens (and whose they were, or what they were renewed
 * into), it publishes them and pushes them to the file instances, which cut those sessions' streams (or move
 * them to the renewed session), resolving once each was told or gave up (a failed push is logged, never thrown).
 */
export function createRevocation(
  deps: RevocationDeps,
): (tokenHashes: string[], details?: RevocationDetails) => Promise<void> {
  const { registry, events, peer, logger } = deps;
  return async (hashes, details = {}) => {
    const targets = registry.list().filter((m) => m.role === "file" && m.state !== "down");
    const pushes = [];
    // An ended account (disabled, deleted) is told even without sessions: its streams end all the same.
    const none = hashes.length === 0 && details.accountEnded === true && details.user !== undefined;
    for (let i = 0; i < hashes.length || (none && i === 0); i += HASHES_PER_REVOCATION) {
      const body: RevokedEvent = { tokenHashes: hashes.slice(i, i + HASHES_PER_REVOCATION), ...details };
      events.publish({ type: "revoked", data: body });
      for (const m of targets) {
        pushes.push(
          callJson(m.url, "POST", "/v1/internal/revoked", {
            ...peer,
            body,
            timeoutMs: deps.timeoutMs ?? 1000,
          })
            .catch((error) => logger.warn("revocation.push_failed", { instance: m.id, error })),
        );
      }
    }
    await Promise.all(pushes);
  };
}
