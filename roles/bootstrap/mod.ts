/**
 * `audiod bootstrap`: the one address clients and nodes know. Keeps the registry, the catalog and the user
 * store, and asks content nodes to spawn the instances the cluster needs.
 *
 * Accounts, sessions, sign-in counters and the join secret are in its store (`store/`): SQLite in the data dir
 * by default, or a PostgreSQL database several bootstraps share (`--store postgres://…`).
 *
 * On first start it writes the cluster's join secret to `<data dir>/join-secret` (mode 0600); every internal
 * route demands it, and the bootstrap sends it when it calls content nodes and file instances.
 *
 * Permissions: net (listen, call content nodes), read/write (data dir), env.
 *
 * @module
 */

import { callJson, peerAccess } from "../../daemon/cluster/peer_client.ts";
import type { ListenAddress } from "../../cli/address.ts";
import { LoadMeter } from "../../daemon/cluster/load_meter.ts";
import { trimHeapWhile } from "../../daemon/http1/heap_trim.ts";
import { countByRoleState, Metrics, standardMetrics } from "../../daemon/http/metrics.ts";
import { VERSION } from "../../daemon/runtime/version.ts";
import { createLogger, type LogFormat, printOut } from "../../daemon/runtime/log.ts";
import { startServer } from "../../daemon/http/server.ts";
import type { TlsPem } from "../../daemon/http/tls.ts";
import { CommandError, UsageError } from "../../cli/usage_error.ts";
import { HttpError } from "../../daemon/http/http_error.ts";
import { Catalog, CATALOG_FILE } from "./catalog.ts";
import { EventHub } from "./events.ts";
import { createHandler } from "./handler.ts";
import { removeTracks } from "./publishing.ts";
import { createRevocation } from "./revocation.ts";
import type { SpawnOrder, StopOrder } from "../../protocol/member.ts";
import { Registry } from "./registry.ts";
import { type ScaleOptions, schedulePolicy, Scheduler } from "./scheduler.ts";
import type { Rate } from "./sign_in_limits.ts";
import {
  openStore,
  parseStoreSpec,
  type Policy,
  type SessionTiming,
  type Store,
  StoreUnavailableError,
} from "./store/mod.ts";
import { parseSshTarget, RemoteNode } from "./ssh_launcher.ts";
import { DetachedRemoteNode } from "./ssh_detached.ts";
import { Leadership } from "./leadership.ts";
import { ClusterSync, SharedCatalog } from "./cluster_sync.ts";
import { IDLE, type Member, type MemberWrite, SHARED_TIMING } from "./registry.ts";
import type { Logger } from "../../daemon/runtime/log.ts";
import { urlHost } from "../../cli/address.ts";
import { join } from "node:path";
import { JOIN_SECRET_FILE } from "../../daemon/cluster/join_secret.ts";
import { refuseExposed } from "../../daemon/runtime/private_files.ts";

/** Options of `audiod bootstrap`. */
export interface BootstrapOptions {
  listen: ListenAddress;
  dataDir: string;
  /** `postgres://USER@HOST:PORT/DB` to share the store with other bootstraps; default SQLite in `dataDir`. */
  store?: string;
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
  /** The OpenSubsonic API relays stream bytes instead of redirecting clients to a file instance. */
  subsonicRelay?: boolean;
  /** Who may create an account: anyone (default), the holders of an invite code, or an admin only. */
  registration?: Policy;
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
  let store: Store;
  const spec = parseStoreSpec(options.store, options.dataDir);
  // Password and token hashes, and the cluster's key: a file others can read is refused, not used (issue 17).
  if (spec.kind === "sqlite") await refuseExposed(spec.path, "the store");
  await refuseExposed(join(options.dataDir, JOIN_SECRET_FILE), "the join secret");
  try {
    store = await openStore(spec, {
      dataDir: options.dataDir,
      logger,
      ...(options.sessionTiming ? { timing: options.sessionTiming } : {}),
      ...(options.signInRate
        ? { signIn: { addressBurst: options.signInRate.burst, addressPeriodMs: options.signInRate.periodMs } }
        : {}),
    });
  } catch (error) {
    if (error instanceof CommandError || error instanceof UsageError) throw error;
    throw new CommandError(error instanceof Error ? error.message : String(error));
  }
  let secret;
  try {
    secret = await store.joinSecret();
  } catch (error) {
    await store.close();
    if (error instanceof HttpError) throw new CommandError(`Cannot read the join secret: ${error.message}`);
    throw error;
  }
  printOut(
    `audiod bootstrap join secret ${secret.created ? "written to" : "in"} ${secret.path} ` +
      "(nodes need it: --join-secret-file FILE or AUDIOD_JOIN_SECRET)",
  );
  if (secret.exposed) {
    await store.close();
    throw new CommandError(
      `Cannot use the join secret ${secret.path}: others can read it; run chmod 600 ${secret.path}`,
    );
  }
  const peer = peerAccess({ joinSecret: secret.secret, caCerts: options.caCerts });
  // Several bootstraps on one PostgreSQL share the registry, the catalog and the events through it, and one of
  // them leads (schedules); a lone bootstrap (SQLite) keeps all in memory and always leads.
  const cluster = store.cluster;
  const runId = cluster ? `b-${crypto.randomUUID().slice(0, 13)}` : "bootstrap";
  let selfUrl = "";
  const events = new EventHub(cluster ? { bus: cluster, logger } : {});
  let sync: ClusterSync | undefined;
  const registry = new Registry({
    ...(cluster ? { timing: SHARED_TIMING, onWrite: (write: MemberWrite) => sync?.write(write) } : {}),
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
  // The catalog is kept in SQLite beside the store: a lone bootstrap's survives its restarts (the instances
  // that do not register again within a few leases are dropped from it); several bootstraps on PostgreSQL each
  // keep a copy of the store's in a temporary file, filled from the store at start.
  let catalog: Catalog;
  let catalogDir: string | undefined;
  try {
    if (cluster) {
      catalogDir = await Deno.makeTempDir({ prefix: "audiod-catalog-" });
      catalog = new SharedCatalog(join(catalogDir, "catalog.sqlite"));
    } else {
      catalog = new Catalog(join(options.dataDir, CATALOG_FILE));
    }
  } catch (error) {
    await store.close();
    throw new CommandError(
      `Cannot open the catalog in ${catalogDir ?? options.dataDir}: ${(error as Error).message}`,
    );
  }
  // Announcements (JSON by the megabyte) and view builds leave garbage V8 would keep for its next use: while
  // the catalog is busy, a full collection every 2 s gives it back (with a million tracks announced, RSS was
  // 417 MB without).
  trimHeapWhile(() => Date.now() - catalog.busyAt < 4000, { signal });
  const closeCatalog = async () => {
    catalog.close();
    if (catalogDir) await Deno.remove(catalogDir, { recursive: true }).catch(() => {});
  };
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
  // The scheduler of the current term as leader: a new one each time this bootstrap takes the lease. The spawns
  // the last leader ordered and that have not registered yet are in the store (pending_spawns): the new one
  // counts them against --max-* from its first decision. Its settle time is for the members: those whose
  // heartbeats went to a bootstrap that died move to another one and show in the store before it counts what
  // is missing (and, alone on SQLite after a restart, the instances still running re-register).
  let scheduler: Scheduler | null = null;
  const policy = schedulePolicy(options.scale);
  let ledSince = 0;
  let remotes: Remote[] = [];
  const leadership = new Leadership({
    ...(cluster ? { cluster } : {}),
    holder: runId,
    url: () => selfUrl,
    logger,
    onChange: (leading) => {
      scheduler = leading ? newScheduler() : null;
      ledSince = Date.now();
      if (leading) {
        startRemotes(options.ssh, server!, logger, secret.secret, {
          registry,
          shared: !!cluster,
          bootstraps: () => (sync?.bootstraps ?? []).map((b) => b.url),
        })
          .then((started) => {
            if (leadership.leading) remotes = started;
            else for (const r of started) r.stop().catch(() => {});
          });
      } else {
        // Detached nodes keep running (the next leader adopts them); a lone bootstrap's nodes stop with it.
        const leaving = remotes;
        remotes = [];
        for (const r of leaving) r.stop().catch(() => {});
      }
    },
  });
  /** Fencing: an order goes out only while this bootstrap leads, and carries its epoch. */
  const fenced = (what: string) => {
    if (!leadership.leading) throw new Error(`Cannot ${what}: this bootstrap no longer leads`);
    const epoch = leadership.epoch;
    return epoch === undefined ? {} : { epoch };
  };
  const newScheduler = () =>
    new Scheduler({
      policy,
      members: () => registry.list(),
      // Two heartbeats and a little: long enough for surviving members to re-register after a restart.
      settleMs: registry.timing.heartbeatMs * 2 + 500,
      logger,
      onScale: ({ role, direction }) => scaleEvents.inc({ role, direction }),
      ...(cluster
        ? {
          sharedPending: {
            answered: (id: string, instance: string) =>
              void cluster.answerPendingSpawn(id, instance).catch((error) =>
                logger.debug("pending_spawns.answer_failed", { error })
              ),
            forget: (ids: string[]) =>
              void cluster.removePendingSpawns(ids).catch((error) =>
                logger.debug("pending_spawns.forget_failed", { error })
              ),
          },
        }
        : {}),
      spawn: async (node, role, order) => {
        // A retry after a failure is logged quieter: the scheduler logs once when spawns start failing.
        (order.retry ? logger.debug : logger.info)("instance.spawn", {
          node: node.id,
          host: node.host,
          role,
        });
        const body: SpawnOrder = { role, ...fenced(`order an ${role} instance`) };
        // In the store before it is sent: a leader taking over after a crash counts it.
        if (cluster) {
          await cluster.addPendingSpawn({ id: order.id, node: node.id, role, epoch: body.epoch ?? 0 });
        }
        await callJson(node.url, "POST", "/v1/internal/spawn", { ...peer, body, timeoutMs: 5000 });
      },
      stop: async (instance) => {
        const epoch = fenced(`stop ${instance.id}`);
        // No new work goes there from now on; the instance lets its active streams finish, then leaves.
        registry.drain(instance.id, "scale down");
        logger.info("member.draining", { role: instance.role, id: instance.id, reason: "scale down" });
        const node = instance.node ? registry.get(instance.node) : undefined;
        try {
          if (!node) throw new Error("its content node is gone");
          await callJson(node.url, "POST", "/v1/internal/stop", {
            ...peer,
            body: { instance: instance.id, ...epoch } satisfies StopOrder,
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
    users: store.accounts,
    logger,
    events,
    joinSecret: secret.secret,
    limits: store.signInLimits,
    accountAdmin: store.accountAdmin,
    registration: options.registration ?? "open",
    httpsOnly: !!options.tls,
    self: () => ({
      id: runId,
      role: "bootstrap",
      url: selfUrl,
      state: "up",
      host: new URL(selfUrl).hostname,
      pid: Deno.pid,
      node: null,
      load: meter.snapshot(),
      lastSeenMs: 0,
      since: startedAt,
      leader: leadership.leading,
    }),
    ...(cluster
      ? {
        peers: () =>
          (sync?.bootstraps ?? []).filter((b) => b.id !== runId).map((b) => ({
            id: b.id,
            role: "bootstrap" as const,
            url: b.url,
            state: "up" as const,
            node: null,
            load: { ...IDLE },
            lastSeenMs: 0,
            since: b.startedAt,
            leader: leadership.leader?.holder === b.id,
          })),
        bootstraps: () => {
          const live = [...(sync?.bootstraps ?? [])];
          if (!live.some((b) => b.id === runId)) {
            live.push({ id: runId, url: selfUrl, startedAt, flushedAt: 0 });
          }
          const leader = leadership.leader;
          return {
            bootstraps: live.map((b) => ({
              id: b.id,
              url: b.url,
              leader: leader?.holder === b.id,
              since: b.startedAt,
            })),
            epoch: leader?.epoch ?? 0,
          };
        },
      }
      : {}),
    onRegistered: (m) => {
      if (!leadership.leading || !scheduler) {
        // The leader settles its pending spawns itself (when it sees the member); here the store's are.
        if (cluster && m.node && (m.role === "auth" || m.role === "file")) {
          cluster.answerOldestSpawn(m.node, m.role, m.id).catch(() => {});
        }
        return;
      }
      scheduler.registered(m);
      scheduler.tick();
    },
    // The answer to the caller waits until every file instance was told (or gave up).
    onRevoked: createRevocation({ registry, events, peer, logger }),
    subsonic: { peer, relay: options.subsonicRelay ?? false, userData: store.userData },
  });
  const startedAt = Date.now();

  // The registry and the catalog as the store has them, before the first request.
  if (cluster) {
    sync = new ClusterSync({
      cluster,
      registry: () => registry,
      catalog: catalog as SharedCatalog,
      id: runId,
      url: () => selfUrl,
      startedAt,
      logger,
      leading: () => leadership.leading,
      onJoined: (m) => scheduler?.registered(m),
    });
  }
  let server: ReturnType<typeof startServer> | undefined;
  try {
    // Recent events first, so a subscriber resumes here from its first request.
    await events.start();
    await sync?.start();
    server = startServer({
      role: "bootstrap",
      listen: options.listen,
      handler: meter.wrap(handler),
      logger,
      metrics,
      ...(options.tls ? { tls: options.tls } : {}),
    });
  } catch (error) {
    events.close();
    await store.close();
    await closeCatalog();
    if (error instanceof HttpError) throw new CommandError(`Cannot start the bootstrap: ${error.message}`);
    throw error;
  }
  selfUrl = server.url;
  leadership.start();
  options.onListening?.(server.url);
  logger.info("store.opened", {
    store: store.kind,
    [store.kind === "sqlite" ? "path" : "url"]: store.location,
    users: await store.accounts.countUsers().catch(() => undefined),
    registration: options.registration ?? "open",
  });
  // A catalog started afresh fills again as the file instances announce; saying so explains an empty one.
  logger[catalog.reset ? "warn" : "info"]("catalog.opened", {
    tracks: catalog.size,
    instances: catalog.instances().length,
    ...(catalog.reset ? { reset: catalog.reset } : {}),
  });

  const tick = setInterval(() => {
    // Only the leader sweeps and schedules; a new leader first lets members whose bootstrap died move over.
    if (!leadership.leading || !scheduler) return;
    // After trouble with the store, the other bootstraps need a moment to write the heartbeats they took
    // meanwhile: a whole lease, so an outage never passes for silent members.
    const settle = registry.timing.heartbeatMs * 2;
    const sweeping = !cluster ||
      (Date.now() - ledSince > settle && !!sync?.freshFor(registry.timing.leaseMs + 1000));
    const mayExpire = (m: Member, now: number) => !sync || sync.mayExpire(m, now, registry.timing.leaseMs);
    for (const change of sweeping ? registry.sweep(mayExpire) : []) {
      const m = change.member;
      const gone = removeTracks(catalog, events, m.id);
      logger.warn(change.state === "down" ? "member.down" : "member.forgotten", {
        role: m.role,
        id: m.id,
        url: m.url,
        tracksGone: gone,
      });
    }
    if (!reconciled && Date.now() - startedAt > reconcileAfterMs) {
      reconciled = true;
      // What the catalog kept from before a restart, of instances that did not register again.
      for (const instance of catalog.instances()) {
        if (registry.get(instance)) continue;
        const gone = removeTracks(catalog, events, instance);
        logger.info("catalog.forgot_instance", { id: instance, tracksGone: gone });
      }
    }
    if (leadership.leading) scheduler.tick();
    if (cluster) inheritPending(scheduler);
  }, 250);
  // Members register again within a heartbeat or two of a restart: a few leases is plenty.
  let reconciled = !!cluster;
  const reconcileAfterMs = registry.timing.leaseMs * 2 + 1000;
  // The store's pending spawns for the scheduler of this term: its predecessors' count as its own.
  let readingPending = false;
  const inheritPending = (term: Scheduler) => {
    if (readingPending || !cluster) return;
    readingPending = true;
    cluster.pendingSpawns(policy.pendingMs)
      .then((stored) => {
        const now = Date.now();
        if (scheduler === term) {
          term.inherit(stored.map((p) => ({ ...p, at: now - p.ageMs })));
        }
      })
      .catch(() => {}) // the store's trouble is logged by the sync; the scheduler waits or keeps what it had
      .finally(() => readingPending = false);
  };
  // A store that cannot be reached now is pruned next time; it logged the outage itself.
  const prune = setInterval(() => {
    store.prune().catch((error) => {
      if (!(error instanceof StoreUnavailableError)) logger.warn("store.prune_failed", { error });
    });
  }, 60_000);

  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
  logger.info("stopping", {});
  clearInterval(tick);
  clearInterval(prune);
  const leaving = remotes;
  remotes = [];
  await Promise.all(leaving.map((r) => r.stop()));
  await leadership.stop();
  await sync?.stop();
  events.close();
  await server.shutdown();
  await store.close();
  await closeCatalog();
  logger.info("stopped", {});
}

/** A remote content node this bootstrap keeps running. */
interface Remote {
  start(): void;
  stop(): Promise<void>;
}

/**
 * Starts the remote content nodes, each told the bootstrap's address as its host reaches it. With several
 * bootstraps (`shared`) they are launched detached and adopted by the next leader (`ssh_detached.ts`).
 */
async function startRemotes(
  ssh: SshOptions | undefined,
  server: { url: string; hostname: string; port: number },
  logger: Logger,
  joinSecret: string,
  cluster: { registry: Registry; shared: boolean; bootstraps?: () => string[] },
): Promise<Remote[]> {
  if (!ssh || ssh.targets.length === 0) return [];
  const wildcard = server.hostname === "0.0.0.0" || server.hostname === "::";
  const nodes: Remote[] = [];
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
    if (cluster.shared) {
      const node = new DetachedRemoteNode({
        target,
        sshArgs: ssh.sshArgs,
        remoteAudiod: ssh.remoteAudiod,
        media: ssh.media,
        // This bootstrap first, then the others the cluster knows.
        bootstrap: () => [...new Set([bootstrap, ...(cluster.bootstraps?.() ?? [])])].join(","),
        contentArgs: ssh.contentArgs ?? [],
        joinSecret,
        ...(ssh.remoteEnv ? { remoteEnv: ssh.remoteEnv } : {}),
        logger,
        alive: () =>
          cluster.registry.list().some((m) =>
            m.role === "content" && m.host === target.host && m.state === "up"
          ),
      });
      node.start();
      nodes.push(node);
      continue;
    }
    const node = new RemoteNode({
      target,
      sshArgs: ssh.sshArgs,
      remoteAudiod: ssh.remoteAudiod,
      media: ssh.media,
      bootstrap,
      contentArgs: ssh.contentArgs ?? [],
      // Over the SSH session's stdin: never on a command line, where ps would show it.
      joinSecret,
      ...(ssh.remoteEnv ? { remoteEnv: ssh.remoteEnv } : {}),
      logger,
    });
    node.start();
    nodes.push(node);
  }
  return nodes;
}
