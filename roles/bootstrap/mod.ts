/**
 * `audiod bootstrap`: the one address clients and nodes know. Keeps the registry, the catalog and the user
 * store, and asks content nodes to spawn the instances the cluster needs.
 *
 * On first start it writes the cluster's join secret to `<data dir>/join-secret` (mode 0600); every internal
 * route demands it, and the bootstrap sends it when it calls content nodes and file instances.
 *
 * Permissions: net (listen, call content nodes), read/write (data dir), env.
 *
 * @module
 */

import { join } from "node:path";
import { callJson, peerAccess } from "../../daemon/cluster/peer_client.ts";
import type { ListenAddress } from "../../cli/address.ts";
import { LoadMeter } from "../../daemon/cluster/load_meter.ts";
import { countByRoleState, Metrics, standardMetrics } from "../../daemon/http/metrics.ts";
import { VERSION } from "../../daemon/runtime/version.ts";
import { ensureJoinSecret } from "../../daemon/cluster/join_secret.ts";
import { createLogger, type LogFormat, printOut } from "../../daemon/runtime/log.ts";
import { startServer } from "../../daemon/http/server.ts";
import type { TlsPem } from "../../daemon/http/tls.ts";
import { CommandError } from "../../cli/usage_error.ts";
import { Catalog } from "./catalog.ts";
import { EventHub } from "./events.ts";
import { createHandler } from "./handler.ts";
import { removeTracks } from "./publishing.ts";
import { createRevocation } from "./revocation.ts";
import type { SpawnOrder, StopOrder } from "../../protocol/member.ts";
import { Registry } from "./registry.ts";
import { type ScaleOptions, schedulePolicy, Scheduler } from "./scheduler.ts";
import { type Rate, SignInLimits } from "./sign_in_limits.ts";
import { type SessionTiming, UserStore } from "./user_store.ts";
import { parseSshTarget, RemoteNode } from "./ssh_launcher.ts";
import type { Logger } from "../../daemon/runtime/log.ts";
import { urlHost } from "../../cli/address.ts";

/** Options of `audiod bootstrap`. */
export interface BootstrapOptions {
  listen: ListenAddress;
  dataDir: string;
  logFormat: LogFormat;
  /** Told the URL once the bootstrap serves. */
  onListening?: (url: string) => void;
  /** Idle timeout and absolute lifetime of sessions (default 30 min and 12 h). */
  sessionTiming?: SessionTiming;
  /** Sign-in attempts per client address (default 20 per minute). */
  signInRate?: Rate;
  /** Serve HTTPS with this certificate and key; members must then serve HTTPS too. */
  tls?: TlsPem;
  /** CA certificates (PEM) to trust when calling https members. */
  caCerts?: string[];
  /** Content nodes to start on remote hosts over SSH. */
  ssh?: SshOptions;
  /** How many auth and file instances run, and the load each aims at. */
  scale?: ScaleOptions;
}

/** `--ssh` and its companions. */
export interface SshOptions {
  /** `user@host[:port]` targets. */
  targets: string[];
  /** Media directory on those hosts. */
  media: string;
  /** Extra ssh/scp options such as `-i KEY`. */
  sshArgs: string[];
  /** Command that runs audiod there. */
  remoteAudiod: string;
  /** Extra arguments for the remote `audiod content`. */
  contentArgs?: string[];
  /** Environment for the remote command. */
  remoteEnv?: Record<string, string>;
}

/** Runs the bootstrap until `signal` aborts, then stops cleanly. */
export async function run(options: BootstrapOptions, signal: AbortSignal): Promise<void> {
  const logger = createLogger({ role: "bootstrap", format: options.logFormat });
  let users: UserStore;
  try {
    users = new UserStore(join(options.dataDir, "users.db"), {
      ...(options.sessionTiming ? { timing: options.sessionTiming } : {}),
    });
  } catch (error) {
    throw new CommandError(error instanceof Error ? error.message : String(error));
  }
  let secret;
  try {
    secret = await ensureJoinSecret(options.dataDir);
  } catch (error) {
    users.close();
    throw error;
  }
  printOut(
    `audiod bootstrap join secret ${secret.created ? "written to" : "in"} ${secret.path} ` +
      "(nodes need it: --join-secret-file FILE or AUDIOD_JOIN_SECRET)",
  );
  if (secret.exposed) {
    logger.warn("join_secret.exposed", { path: secret.path, fix: `chmod 600 ${secret.path}` });
  }
  const peer = peerAccess({ joinSecret: secret.secret, caCerts: options.caCerts });
  const limits = new SignInLimits(
    options.signInRate
      ? { addressBurst: options.signInRate.burst, addressPeriodMs: options.signInRate.periodMs }
      : {},
  );
  const events = new EventHub();
  const registry = new Registry({
    onChange: (m, state, reason) =>
      events.publish({
        type: "instance",
        data: {
          state,
          id: m.id,
          role: m.role,
          url: m.url,
          host: m.host,
          node: m.node,
          reason,
          at: Date.now(),
        },
      }),
  });
  const catalog = new Catalog();
  const meter = new LoadMeter();
  const metrics = new Metrics();
  standardMetrics(metrics, { role: "bootstrap", version: VERSION, meter });
  metrics.gauge(
    "audiod_instances",
    "Registered nodes and instances, by role and state",
    () => countByRoleState(registry.list(), ["content", "auth", "file"], ["up", "draining", "down"]),
  );
  metrics.gauge("audiod_catalog_tracks", "Distinct tracks in the catalog", () => catalog.size);
  metrics.gauge("audiod_event_subscribers", "Connections following GET /v1/events", () => events.size);
  const scaleEvents = metrics.counter("audiod_scale_events_total", "Scale events by role and direction");
  let selfUrl = "";
  const scheduler = new Scheduler({
    policy: schedulePolicy(options.scale),
    members: () => registry.list(),
    // Two heartbeats and a little: long enough for surviving members to re-register after a restart.
    settleMs: registry.timing.heartbeatMs * 2 + 500,
    logger,
    onScale: ({ role, direction }) => scaleEvents.inc({ role, direction }),
    spawn: async (node, role, order) => {
      // A retry after a failure is logged quieter: the scheduler logs once when spawns start failing.
      (order.retry ? logger.debug : logger.info)("instance.spawn", { node: node.id, host: node.host, role });
      const body: SpawnOrder = { role };
      await callJson(node.url, "POST", "/v1/internal/spawn", { ...peer, body, timeoutMs: 5000 });
    },
    stop: async (instance) => {
      // No new work goes there from now on; the instance lets its active streams finish, then leaves.
      registry.drain(instance.id, "scale down");
      logger.info("member.draining", { role: instance.role, id: instance.id, reason: "scale down" });
      const node = instance.node ? registry.get(instance.node) : undefined;
      try {
        if (!node) throw new Error("its content node is gone");
        await callJson(node.url, "POST", "/v1/internal/stop", {
          ...peer,
          body: { instance: instance.id } satisfies StopOrder,
          timeoutMs: 5000,
        });
      } catch (error) {
        registry.undrain(instance.id);
        throw error;
      }
    },
  });

  const handler = createHandler({
    registry,
    catalog,
    users,
    logger,
    events,
    joinSecret: secret.secret,
    limits,
    httpsOnly: !!options.tls,
    self: () => ({
      id: "bootstrap",
      role: "bootstrap",
      url: selfUrl,
      state: "up",
      host: new URL(selfUrl).hostname,
      pid: Deno.pid,
      node: null,
      load: meter.snapshot(),
      lastSeenMs: 0,
      since: startedAt,
    }),
    onRegistered: (m) => {
      scheduler.registered(m);
      scheduler.tick();
    },
    // The answer to the caller waits until every file instance was told (or gave up).
    onRevoked: createRevocation({ registry, events, peer, logger }),
  });
  const startedAt = Date.now();

  let server;
  try {
    server = startServer({
      role: "bootstrap",
      listen: options.listen,
      handler: meter.wrap(handler),
      logger,
      metrics,
      ...(options.tls ? { tls: options.tls } : {}),
    });
  } catch (error) {
    users.close();
    throw error;
  }
  selfUrl = server.url;
  options.onListening?.(server.url);
  const remotes = await startRemotes(options.ssh, server, logger, secret.secret);
  logger.info("store.opened", { path: join(options.dataDir, "users.db"), users: users.countUsers() });

  const tick = setInterval(() => {
    for (const change of registry.sweep()) {
      const m = change.member;
      const gone = removeTracks(catalog, events, m.id);
      logger.warn(change.state === "down" ? "member.down" : "member.forgotten", {
        role: m.role,
        id: m.id,
        url: m.url,
        tracksGone: gone,
      });
    }
    scheduler.tick();
  }, 250);
  const prune = setInterval(() => users.prune(), 60_000);

  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
  logger.info("stopping", {});
  clearInterval(tick);
  clearInterval(prune);
  await Promise.all(remotes.map((r) => r.stop()));
  events.close();
  await server.shutdown();
  users.close();
  logger.info("stopped", {});
}

/** Starts the remote content nodes, each told the bootstrap's address as its host reaches it. */
async function startRemotes(
  ssh: SshOptions | undefined,
  server: { url: string; hostname: string; port: number },
  logger: Logger,
  joinSecret: string,
): Promise<RemoteNode[]> {
  if (!ssh || ssh.targets.length === 0) return [];
  const wildcard = server.hostname === "0.0.0.0" || server.hostname === "::";
  const nodes: RemoteNode[] = [];
  for (const text of ssh.targets) {
    const target = parseSshTarget(text);
    let bootstrap = server.url;
    if (wildcard) {
      try {
        const conn = await Deno.connect({ hostname: target.host, port: target.port ?? 22 });
        const scheme = new URL(server.url).protocol;
        bootstrap = `${scheme}//${urlHost((conn.localAddr as Deno.NetAddr).hostname)}:${server.port}`;
        conn.close();
      } catch (error) {
        logger.warn("remote.unreachable", { host: target.host, error });
      }
    }
    const node = new RemoteNode({
      target,
      sshArgs: ssh.sshArgs,
      remoteAudiod: ssh.remoteAudiod,
      media: ssh.media,
      bootstrap,
      contentArgs: ssh.contentArgs ?? [],
      remoteEnv: { ...ssh.remoteEnv, AUDIOD_JOIN_SECRET: joinSecret },
      logger,
    });
    node.start();
    nodes.push(node);
  }
  return nodes;
}
