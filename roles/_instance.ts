/**
 * What every role instance (auth, file) does around its handler: listen, join the bootstrap, heartbeat its
 * load, and on shutdown drain, leave and close.
 *
 * @module
 */

import type { ListenAddress } from "../daemon/address.ts";
import { LoadMeter } from "../daemon/load_meter.ts";
import type { Logger } from "../daemon/log.ts";
import { type HeartbeatExtra, Membership } from "../daemon/membership.ts";
import type { Handler } from "../daemon/router.ts";
import { startServer } from "../daemon/server.ts";

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
}

/** Options for {@linkcode runInstance}. */
export interface RunInstanceOptions extends InstancePlacement {
  role: "auth" | "file";
  handler: Handler;
  meter: LoadMeter;
  logger: Logger;
  /** Extra heartbeat fields (e.g. how many tracks a file instance serves). */
  report?: () => Omit<HeartbeatExtra, "load">;
  /** After each (re-)registration. */
  onRegistered?: (id: string, url: string) => Promise<void> | void;
}

/** Serves and stays a member until `signal` aborts; then drains, leaves and stops. */
export async function runInstance(options: RunInstanceOptions, signal: AbortSignal): Promise<void> {
  const { logger, meter } = options;
  const server = startServer({
    role: options.role,
    listen: options.listen,
    handler: meter.wrap(options.handler),
    logger,
  });
  const advertised = options.advertise ?? server.hostname;
  const url = `http://${advertised.includes(":") ? `[${advertised}]` : advertised}:${server.port}`;
  const membership = new Membership({
    bootstrap: options.bootstrap,
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
    onRegistered: (id) => options.onRegistered?.(id, url),
  });
  const joined = membership.start();
  joined.then((id) => options.onReady?.({ url, id }), () => {});
  await new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
  logger.info("draining", {});
  await membership.drain();
  await membership.leave();
  await server.shutdown();
  logger.info("stopped", {});
}
