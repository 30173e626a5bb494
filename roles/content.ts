/**
 * `audiod content`: the agent on a worker machine. Joins the bootstrap, runs auth and file instances as Deno
 * Workers when the bootstrap asks, stops them when told, and reports their health. It and its instances carry the
 * cluster's join secret: a bootstrap that refuses it stops the node with an error saying why.
 *
 * Permissions: net, read (media dir), read/write (data dir), env.
 *
 * @module
 */

import { type ListenAddress, urlHost } from "../cli/address.ts";
import { peerAccess } from "../daemon/cluster/peer_client.ts";
import { firstBootstrap } from "../daemon/cluster/bootstrap_set.ts";
import { HttpError } from "../daemon/http/http_error.ts";
import { guardInternal } from "../daemon/cluster/join_secret.ts";
import { LoadMeter } from "../daemon/cluster/load_meter.ts";
import { countByRoleState, Metrics, standardMetrics } from "../daemon/http/metrics.ts";
import { VERSION } from "../daemon/runtime/version.ts";
import { createLogger, type LogFormat, type Logger } from "../daemon/runtime/log.ts";
import { Membership } from "../daemon/cluster/membership.ts";
import { type Handler, Router } from "../daemon/http/router.ts";
import { spawnOrder, stopOrder } from "../protocol/member.ts";
import { readJson } from "../daemon/http/body.ts";
import { startServer } from "../daemon/http/server.ts";
import type { TlsPem } from "../daemon/http/tls.ts";
import { CommandError } from "../cli/usage_error.ts";
import type { FromWorker, ToWorker } from "./worker.ts";
import { DRAIN_GRACE_MS } from "./_instance.ts";

/** Options of `audiod content`. */
export interface ContentOptions {
  bootstrap: string;
  media: string;
  listen: ListenAddress;
  /** Host to put in the URLs of this node and its instances. */
  advertise?: string;
  dataDir: string;
  logFormat: LogFormat;
  /** The cluster's join secret (the bootstrap's `<data dir>/join-secret`). */
  joinSecret: string;
  /** CA certificates (PEM) to trust when calling an https bootstrap; handed to the instances too. */
  caCerts?: string[];
  /** Serve HTTPS (the node and its instances) with this certificate and key. */
  tls?: TlsPem;
}

/** An instance this node runs, as its handler reports it. */
export interface HostedInfo {
  /** The node's own id for it (the cluster's id is only known once it joined). */
  localId: string;
  role: "auth" | "file";
  state: "starting" | "up" | "stopping";
  url: string | null;
  /** Its id in the cluster, once it joined. */
  id: string | null;
}

/** What the content node's handler needs of its instances. */
export interface InstanceHost {
  list(): HostedInfo[];
  /** Starts an instance whose URL carries `advertise`. */
  spawn(role: "auth" | "file", advertise: string): HostedInfo;
  /** Asks the instance `ref` (its local or its cluster id) to stop; false when none such runs here. */
  stop(ref: string): boolean;
}

/** One instance this node runs. */
interface Hosted extends HostedInfo {
  worker: Worker;
  stopped: PromiseWithResolvers<void>;
}

/** The instances of one content node, each a Deno Worker running `worker.ts`. */
class Instances implements InstanceHost {
  #hosted = new Map<string, Hosted>();
  #options: ContentOptions;
  #logger;
  #nodeId: () => string;

  constructor(options: ContentOptions, logger: Logger, nodeId: () => string) {
    this.#options = options;
    this.#logger = logger;
    this.#nodeId = nodeId;
  }

  list(): Hosted[] {
    return [...this.#hosted.values()];
  }

  spawn(role: "auth" | "file", advertise: string): Hosted {
    const localId = crypto.randomUUID().slice(0, 8);
    const worker = new Worker(new URL("./worker.ts", import.meta.url).href, {
      type: "module",
      name: `${role}-${localId}`,
    });
    const hosted: Hosted = {
      localId,
      role,
      worker,
      state: "starting",
      url: null,
      id: null,
      stopped: Promise.withResolvers(),
    };
    this.#hosted.set(localId, hosted);
    const logger = this.#logger;
    worker.onmessage = (event: MessageEvent<FromWorker>) => {
      const m = event.data;
      if (m.type === "ready") {
        hosted.state = "up";
        hosted.url = m.url;
        hosted.id = m.id;
        logger.info("instance.up", { role, local: localId, url: m.url, id: m.id });
      } else {
        if (m.type === "failed") logger.error("instance.failed", { role, local: localId, error: m.message });
        else logger.info("instance.stopped", { role, local: localId });
        this.#hosted.delete(localId);
        hosted.stopped.resolve();
      }
    };
    worker.onerror = (event) => {
      event.preventDefault();
      logger.error("instance.crashed", { role, local: localId, error: event.message });
      this.#hosted.delete(localId);
      worker.terminate();
      hosted.stopped.resolve();
    };
    const listen = { hostname: this.#options.listen.hostname, port: 0 };
    const common = {
      bootstrap: this.#options.bootstrap,
      listen,
      advertise,
      node: this.#nodeId(),
      logFormat: this.#options.logFormat,
      joinSecret: this.#options.joinSecret,
      ...(this.#options.caCerts ? { caCerts: this.#options.caCerts } : {}),
      ...(this.#options.tls ? { tls: this.#options.tls } : {}),
    };
    const start: ToWorker = role === "auth" ? { type: "start", role, options: common } : {
      type: "start",
      role,
      options: { ...common, media: this.#options.media, dataDir: this.#options.dataDir },
    };
    worker.postMessage(start);
    logger.info("instance.spawned", { role, local: localId });
    return hosted;
  }

  stop(ref: string): boolean {
    const hosted = this.#find(ref);
    if (!hosted) return false;
    this.#stop(hosted).catch(() => {});
    return true;
  }

  /** Stops every instance; resolves once all have stopped (or were terminated). */
  async stopAll(): Promise<void> {
    await Promise.all(this.list().map((h) => this.#stop(h)));
  }

  /**
   * Asks an instance to drain and stop (it waits up to {@linkcode DRAIN_GRACE_MS} for its active streams);
   * terminates it when it does not stop in time. Asking again while it stops waits for the same stop.
   */
  async #stop(hosted: Hosted, graceMs = DRAIN_GRACE_MS + 4000): Promise<void> {
    if (hosted.state === "stopping") return await hosted.stopped.promise;
    hosted.state = "stopping";
    this.#logger.info("instance.stopping", { role: hosted.role, local: hosted.localId, id: hosted.id });
    hosted.worker.postMessage({ type: "stop" } satisfies ToWorker);
    const timer = setTimeout(() => {
      this.#logger.warn("instance.killed", {
        role: hosted.role,
        local: hosted.localId,
        after: `${graceMs}ms`,
      });
      hosted.worker.terminate();
      this.#hosted.delete(hosted.localId);
      hosted.stopped.resolve();
    }, graceMs);
    await hosted.stopped.promise;
    clearTimeout(timer);
  }

  #find(ref: string): Hosted | undefined {
    return this.#hosted.get(ref) ?? this.list().find((h) => h.id === ref);
  }
}

/** What the content node's handler needs. */
export interface ContentDeps {
  instances: InstanceHost;
  /** The host the URLs of the instances it spawns carry. */
  advertise: string;
  /** The join secret the internal routes (all but health) demand. */
  joinSecret: string;
  logger: Logger;
  /** Aborted once the node stops: spawning is refused from then on. */
  stopping: AbortSignal;
}

/**
 * Builds the content node's request handler: its health, and the internal routes the bootstrap drives it with
 * (list, spawn and stop instances).
 */
export function createHandler(deps: ContentDeps): Handler {
  const { instances, advertise, logger, stopping } = deps;
  const router = new Router((error, req) => logger.error("request.failed", { method: req.method, error }));
  guardInternal(router, deps.joinSecret);
  // The newest leader epoch an order carried: an order from an older leader (one that lost its lease but
  // does not know yet) is refused, so two bootstraps never both place instances here.
  let newestEpoch = 0;
  const fence = (epoch: number | undefined, what: string) => {
    if (epoch === undefined) return;
    if (epoch < newestEpoch) {
      logger.warn("order.stale", { what, epoch, newest: newestEpoch });
      throw new HttpError(
        409,
        "stale_epoch",
        `Cannot ${what}: the order comes from leader epoch ${epoch}, older than ${newestEpoch}`,
      );
    }
    newestEpoch = epoch;
  };
  router
    .get("/v1/health", () => Response.json({ ok: true, role: "content" }))
    .get("/v1/internal/instances", () =>
      Response.json({
        instances: instances.list().map((h) => ({
          local: h.localId,
          role: h.role,
          state: h.state,
          url: h.url,
          id: h.id,
        })),
      }))
    .post("/v1/internal/spawn", async (req) => {
      const body = await readJson(req, spawnOrder);
      fence(body.epoch, `spawn an ${body.role} instance`);
      if (stopping.aborted) throw new HttpError(503, "stopping", "Cannot spawn: this node is stopping");
      const hosted = instances.spawn(body.role, advertise);
      return Response.json({ local: hosted.localId, role: hosted.role }, { status: 202 });
    })
    .post("/v1/internal/stop", async (req) => {
      const body = await readJson(req, stopOrder);
      fence(body.epoch, `stop ${body.instance}`);
      if (!instances.stop(body.instance)) {
        throw new HttpError(404, "unknown_instance", `Cannot stop ${body.instance}: not running here`);
      }
      return new Response(null, { status: 202 });
    });
  return router.handle;
}

/** The host this machine is reached at from the bootstrap's point of view. */
async function localAddressToward(bootstrap: string): Promise<string> {
  const url = new URL(bootstrap);
  const conn = await Deno.connect({
    hostname: url.hostname.replace(/^\[|\]$/g, ""),
    port: Number(url.port || (url.protocol === "https:" ? 443 : 80)),
  });
  try {
    return (conn.localAddr as Deno.NetAddr).hostname;
  } finally {
    conn.close();
  }
}

/** Runs a content node until `signal` aborts; then stops its instances and leaves. */
export async function run(options: ContentOptions, signal: AbortSignal): Promise<void> {
  const logger = createLogger({ role: "content", format: options.logFormat });
  try {
    const info = await Deno.stat(options.media);
    if (!info.isDirectory) throw new Error("it is not a directory");
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound ? "it does not exist" : (error as Error).message;
    throw new CommandError(`Cannot serve media from ${options.media}: ${why}`);
  }
  const wildcard = options.listen.hostname === "0.0.0.0" || options.listen.hostname === "::";
  let advertise = options.advertise ?? (wildcard ? null : options.listen.hostname);
  if (advertise === null) {
    try {
      advertise = await localAddressToward(firstBootstrap(options.bootstrap));
    } catch {
      throw new CommandError(
        `Cannot reach the bootstrap at ${options.bootstrap} to learn this machine's address: start it first or pass --advertise HOST`,
      );
    }
  }
  const meter = new LoadMeter();
  const nodeId = crypto.randomUUID();
  const instances = new Instances(options, logger, () => nodeId);

  const handler = createHandler({
    instances,
    advertise,
    joinSecret: options.joinSecret,
    logger,
    stopping: signal,
  });

  const metrics = new Metrics();
  standardMetrics(metrics, { role: "content", version: VERSION, meter });
  metrics.gauge(
    "audiod_hosted_instances",
    "Instances this node runs, by role and state",
    () => countByRoleState(instances.list(), ["auth", "file"], ["starting", "up", "stopping"]),
  );
  const server = startServer({
    role: "content",
    listen: options.listen,
    handler: meter.wrap(handler),
    logger,
    metrics,
    ...(options.tls ? { tls: options.tls } : {}),
  });
  const url = `${options.tls ? "https" : "http"}://${urlHost(advertise)}:${server.port}`;
  const membership = new Membership({
    bootstrap: options.bootstrap,
    peer: peerAccess(options),
    info: { id: nodeId, role: "content", url, host: advertise, pid: Deno.pid, node: null },
    logger,
    report: () => ({ load: meter.snapshot() }),
  });
  membership.start().catch(() => {});

  const refused = await membership.until(signal);
  logger.info("stopping", { instances: instances.list().length });
  await membership.drain();
  await instances.stopAll();
  await membership.leave();
  await server.shutdown();
  if (refused !== null) throw new CommandError(refused);
  logger.info("stopped", {});
}
