/**
 * What every role instance (auth, file) does around its handler: listen, join the bootstrap, heartbeat its
 * load, and on shutdown drain, leave and close. A bootstrap that refuses the instance's join secret stops it
 * with an error saying why.
 *
 * @module
 */

import { type ListenAddress, urlHost } from "../cli/address.ts";
import type { PeerAccess } from "../daemon/cluster/peer_client.ts";
import { LoadMeter } from "../daemon/cluster/load_meter.ts";
import type { Logger } from "../daemon/runtime/log.ts";
import { Metrics, standardMetrics } from "../daemon/http/metrics.ts";
import { VERSION } from "../daemon/runtime/version.ts";
import { type HeartbeatExtra, Membership } from "../daemon/cluster/membership.ts";
import type { Handler } from "../daemon/http/router.ts";
import { startServer, type StartServerOptions } from "../daemon/http/server.ts";
import type { TlsPem } from "../daemon/http/tls.ts";
import type { Registration } from "../protocol/member.ts";
import { CommandError } from "../cli/usage_error.ts";

/** How long a stopping instance waits for its active streams to end before it closes anyway. */
export const DRAIN_GRACE_MS = 10_000;

/** Where an instance runs and whom it joins. */
export interface InstancePlacement {
  bootstrap: string;
  listen: ListenAddress;
  /** Host name to advertise in the instance's URL (default: the listen host). */
  advertise?: string;
  /** Content node hosting it, if any. */
  node?: string | null;
  /** Told once the instance serves and joined. */
  onReady?: (ready: { url: string; id: string }) => void;
  /** The cluster's join secret: sent with every internal call, demanded on this instance's internal routes. */
  joinSecret: string;
  /** CA certificates (PEM) to trust when calling https peers, besides the system's. */
  caCerts?: string[];
  /** Serve HTTPS with this certificate and key. */
  tls?: TlsPem;
}

/** Options for {@linkcode runInstance}. */
export interface RunInstanceOptions extends InstancePlacement {
  role: "auth" | "file";
  handler: Handler;
  /** How the instance's server listens (see {@linkcode startServer}); default `Deno.serve`, one thread. */
  server?: Pick<StartServerOptions, "http1" | "threads">;
  meter: LoadMeter;
  logger: Logger;
  /** How to reach the bootstrap. */
  peer: PeerAccess;
  /** Extra heartbeat fields (e.g. how many tracks a file instance serves). */
  report?: () => Omit<HeartbeatExtra, "load">;
  /** After each (re-)registration, with the bootstrap's answer. */
  onRegistered?: (id: string, url: string, answer: Registration) => Promise<void> | void;
  /** The role's own metrics; the standard ones (load, memory, requests) are added here. */
  metrics?: Metrics;
}

/** Serves and stays a member until `signal` aborts; then drains, leaves and stops. */
export async function runInstance(options: RunInstanceOptions, signal: AbortSignal): Promise<void> {
  const { logger, meter } = options;
  const metrics = options.metrics ?? new Metrics();
  standardMetrics(metrics, { role: options.role, version: VERSION, meter });
  const server = startServer({
    role: options.role,
    listen: options.listen,
    handler: meter.wrap(options.handler),
    logger,
    metrics,
    ...(options.tls ? { tls: options.tls } : {}),
    http1: options.server?.http1 ?? false,
    threads: options.server?.threads ?? 1,
  });
  const advertised = options.advertise ?? server.hostname;
  const url = `${options.tls ? "https" : "http"}://${urlHost(advertised)}:${server.port}`;
  const membership = new Membership({
    bootstrap: options.bootstrap,
    peer: options.peer,
    info: {
      id: crypto.randomUUID(),
      role: options.role,
      url,
      host: advertised,
      pid: Deno.pid,
      node: options.node ?? null,
    },
    logger,
    report: () => ({ load: meter.snapshot(), ...options.report?.() }),
    onRegistered: (id, answer) => options.onRegistered?.(id, url, answer),
  });
  const joined = membership.start();
  joined.then((id) => options.onReady?.({ url, id }), () => {});
  const refused = await membership.until(signal);
  if (refused !== null) {
    await server.shutdown();
    throw new CommandError(refused);
  }
  logger.info("draining", { activeStreams: meter.activeStreams });
  await membership.drain();
  // The bootstrap sends no new work; streams in progress get a grace period to end (a listener whose stream
  // is cut resumes on another replica from its last verified byte).
  const ended = await meter.streamsEnded(DRAIN_GRACE_MS);
  if (!ended) {
    logger.warn("drain.timeout", { activeStreams: meter.activeStreams, after: `${DRAIN_GRACE_MS}ms` });
  }
  await membership.leave();
  await server.shutdown();
  logger.info("stopped", {});
}
