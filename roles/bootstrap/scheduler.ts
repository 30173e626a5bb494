/**
 * Decides which role instances run where. Every content node runs at least `minPerNode` of each role (a node's
 * media is served only by its own file instances, so each runs at least one file instance); above that, each
 * role is scaled as a whole by {@linkcode decideScale} from its load, once per period: new instances go to the
 * content node with the most headroom, and instances leaving are drained first.
 *
 * The placement rules are pure functions over the registry's members; {@linkcode Scheduler} adds the memory
 * (orders not yet answered, the scaler's state) and is driven by a clock, so both test without a cluster.
 *
 * @module
 */

import { Backoff, type BackoffOptions } from "../../daemon/runtime/backoff.ts";
import { FailureLog } from "../../daemon/runtime/failure_log.ts";
import type { Logger } from "../../daemon/runtime/log.ts";
import {
  decideScale,
  DEFAULT_SCALE,
  INITIAL_SCALE_STATE,
  type ScalePolicy,
  type ScaleState,
} from "./autoscale.ts";
import type { Member } from "./registry.ts";

/** Roles the scheduler places on content nodes. */
export type InstanceRole = "auth" | "file";

/** The roles, in the order they are scheduled. */
export const INSTANCE_ROLES: readonly InstanceRole[] = ["auth", "file"];

/** A spawn order sent but not yet answered by a registration. */
export interface PendingSpawn {
  node: string;
  role: InstanceRole;
  at: number;
  /** The order's id (it names the order in the shared store). */
  id?: string;
}

/** How many instances run and how they scale. */
export interface SchedulePolicy {
  /** Instances of each role every content node runs at least. */
  minPerNode: Record<InstanceRole, number>;
  /** Cluster-wide limits and target load per role (min and max count all instances of the role). */
  scale: Record<InstanceRole, ScalePolicy>;
  /** A spawn order not followed by a registration within this time is given up and may be sent again. */
  pendingMs: number;
  /** How often the scaler decides. */
  periodMs: number;
}

/**
 * One auth and one file instance per content node; up to 16 file instances aiming at 20 active streams each,
 * and up to 8 auth instances aiming at 10 sign-ins per second each (an Argon2id hash takes ~35 ms).
 */
export const DEFAULT_POLICY: SchedulePolicy = {
  minPerNode: { auth: 1, file: 1 },
  scale: {
    auth: { ...DEFAULT_SCALE, min: 1, max: 8, target: 10 },
    file: { ...DEFAULT_SCALE, min: 1, max: 16, target: 20 },
  },
  pendingMs: 20_000,
  periodMs: 1000,
};

/** What `audiod bootstrap`'s scaling flags set; anything left out keeps {@linkcode DEFAULT_POLICY}'s value. */
export interface ScaleOptions {
  minFile?: number;
  maxFile?: number;
  fileTargetStreams?: number;
  /** Auth instances in the whole cluster at least; when unset, one per content node. */
  minAuth?: number;
  maxAuth?: number;
  authTargetLogins?: number;
  scaleDownWindowMs?: number;
}

/** The policy the scaling flags ask for. */
export function schedulePolicy(options: ScaleOptions = {}): SchedulePolicy {
  const base = DEFAULT_POLICY;
  const window = options.scaleDownWindowMs ?? DEFAULT_SCALE.downWindowMs;
  return {
    ...base,
    minPerNode: { file: 1, auth: options.minAuth === undefined ? 1 : 0 },
    scale: {
      auth: {
        ...base.scale.auth,
        min: options.minAuth ?? base.scale.auth.min,
        max: options.maxAuth ?? base.scale.auth.max,
        target: options.authTargetLogins ?? base.scale.auth.target,
        downWindowMs: window,
      },
      file: {
        ...base.scale.file,
        min: options.minFile ?? base.scale.file.min,
        max: options.maxFile ?? base.scale.file.max,
        target: options.fileTargetStreams ?? base.scale.file.target,
        downWindowMs: window,
      },
    },
  };
}

const isUpNode = (m: Member) => m.role === "content" && m.state === "up";

/** The spawn orders needed so every content node runs its minimum of each role. */
export function planSpawns(
  members: readonly Member[],
  pending: readonly PendingSpawn[],
  policy: Pick<SchedulePolicy, "minPerNode">,
): { node: string; role: InstanceRole }[] {
  const orders: { node: string; role: InstanceRole }[] = [];
  for (const node of members) {
    if (!isUpNode(node)) continue;
    for (const role of INSTANCE_ROLES) {
      const running = members.filter((m) => m.node === node.id && m.role === role && m.state === "up").length;
      const waiting = pending.filter((p) => p.node === node.id && p.role === role).length;
      for (let i = running + waiting; i < policy.minPerNode[role]; i++) orders.push({ node: node.id, role });
    }
  }
  return orders;
}

/** Drops pending spawns that were answered by `registered` or that are too old. */
export function settlePending(
  pending: readonly PendingSpawn[],
  registered: Pick<Member, "node" | "role"> | null,
  now: number,
  policy: Pick<SchedulePolicy, "pendingMs">,
): PendingSpawn[] {
  const out = pending.filter((p) => now - p.at < policy.pendingMs);
  if (registered?.node) {
    const i = out.findIndex((p) => p.node === registered.node && p.role === registered.role);
    if (i >= 0) out.splice(i, 1);
  }
  return out;
}

/** Instances of `role` taking work (up) plus those ordered and not yet up. */
export function countRole(
  members: readonly Member[],
  pending: readonly PendingSpawn[],
  role: InstanceRole,
): number {
  return members.filter((m) => m.role === role && m.state === "up").length +
    pending.filter((p) => p.role === role).length;
}

/** The load a role scales on: active streams of the file instances, sign-ins per second of the auth ones. */
export function roleLoad(members: readonly Member[], role: InstanceRole): number {
  let total = 0;
  for (const m of members) {
    if (m.role !== role || m.state !== "up") continue;
    total += role === "file" ? m.load.activeStreams : m.load.loginsPerSecond ?? 0;
  }
  return total;
}

/** How busy a member is: outstanding requests, a stream weighing like several requests. */
export function busyness(m: Member): number {
  return m.load.activeStreams * 4 + m.load.inFlight;
}

/** The limits of a role given the nodes up: never fewer than every node's minimum together. */
export function limitsOf(
  members: readonly Member[],
  policy: SchedulePolicy,
  role: InstanceRole,
): ScalePolicy {
  const nodes = members.filter(isUpNode).length;
  const floor = Math.max(policy.scale[role].min, nodes * policy.minPerNode[role]);
  return { ...policy.scale[role], min: floor, max: Math.max(policy.scale[role].max, floor) };
}

/**
 * The content node with the most headroom for one more instance of `role`: the fewest instances of the role
 * (running or ordered), then the least busy instances, then the lowest id.
 */
export function pickNode(
  members: readonly Member[],
  pending: readonly PendingSpawn[],
  role: InstanceRole,
): Member | undefined {
  const score = (node: Member) => {
    const hosted = members.filter((m) => m.node === node.id && m.state !== "down");
    return {
      count: hosted.filter((m) => m.role === role).length +
        pending.filter((p) => p.node === node.id && p.role === role).length,
      busy: hosted.reduce((sum, m) => sum + busyness(m), 0),
    };
  };
  return members.filter(isUpNode)
    .map((node) => ({ node, ...score(node) }))
    .sort((a, b) => a.count - b.count || a.busy - b.busy || a.node.id.localeCompare(b.node.id))[0]?.node;
}

/**
 * The instance of `role` to drain next, or undefined when none may go: only instances on a content node that
 * keeps at least its minimum without them. From the node with the most, the least busy, the youngest.
 */
export function pickVictim(
  members: readonly Member[],
  role: InstanceRole,
  policy: Pick<SchedulePolicy, "minPerNode">,
): Member | undefined {
  const nodes = new Map(members.filter(isUpNode).map((n) => [n.id, n]));
  const perNode = new Map<string, number>();
  for (const m of members) {
    if (m.role === role && m.state === "up" && m.node && nodes.has(m.node)) {
      perNode.set(m.node, (perNode.get(m.node) ?? 0) + 1);
    }
  }
  return members
    .filter((m) =>
      m.role === role && m.state === "up" && m.node !== null &&
      (perNode.get(m.node) ?? 0) > Math.max(policy.minPerNode[role], role === "file" ? 1 : 0)
    )
    .sort((a, b) =>
      perNode.get(b.node!)! - perNode.get(a.node!)! || busyness(a) - busyness(b) || b.since - a.since
    )[0];
}

/** What the scheduler acts through. */
export interface SchedulerDeps {
  policy: SchedulePolicy;
  /** The registry's members now. */
  members: () => Member[];
  /** Asks a content node to spawn an instance; rejects when the order failed. */
  spawn: (node: Member, role: InstanceRole, order: { retry: boolean; id: string }) => Promise<void>;
  /** Marks an instance draining and asks its node to stop it once its streams ended. */
  stop: (instance: Member) => Promise<void>;
  logger: Logger;
  /** Told of every scale event (for metrics). */
  onScale?: (event: { role: InstanceRole; direction: "up" | "down"; from: number; to: number }) => void;
  /**
   * Decide nothing for this long after start, so that after a restart the instances still running re-register
   * before the scheduler counts them as missing (and spawns duplicates).
   */
  settleMs?: number;
  /**
   * How long to wait before ordering again on a node whose order failed (default 250 ms doubling to 30 s, full
   * jitter); a success resets it. `spawn` is told whether an order is such a retry (to log it quieter).
   */
  spawnBackoff?: BackoffOptions;
  /**
   * Pending spawns are shared with the other bootstraps (several on one PostgreSQL): the scheduler then waits
   * for the first {@linkcode Scheduler.inherit} before it decides and counts the spawns it inherits like its
   * own. It tells `answered` which instance answered a spawn (the store keeps counting it until the member
   * shows in the registry) and `forget` the spawns that failed, expired, or were answered by a member the
   * registry shows. Without it, pending spawns live in this scheduler only.
   */
  sharedPending?: { answered: (id: string, instance: string) => void; forget: (ids: string[]) => void };
  now?: () => number;
}

/** Failed spawn orders of one node and role: when to try again, and the state-change log. */
interface SpawnRetry {
  backoff: Backoff;
  log: FailureLog;
  notBefore: number;
}

/** Keeps every node at its minimum and scales each role to its load. */
export class Scheduler {
  #deps: SchedulerDeps;
  #now: () => number;
  #pending: PendingSpawn[] = [];
  /** Pending spawns the store has that are not this scheduler's own (a predecessor's), as last inherited. */
  #inherited: PendingSpawn[] = [];
  /** Inherited spawns settled here, until the store no longer lists them. */
  #settled = new Set<string>();
  #inheritedOnce: boolean;
  #scale: Record<InstanceRole, ScaleState> = { auth: INITIAL_SCALE_STATE, file: INITIAL_SCALE_STATE };
  #lastScaleAt = Number.NEGATIVE_INFINITY;
  #settledAt: number;
  #retries = new Map<string, SpawnRetry>();

  constructor(deps: SchedulerDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    this.#settledAt = this.#now() + (deps.settleMs ?? 0);
    this.#inheritedOnce = !deps.sharedPending;
  }

  /** Spawn orders not yet answered: this scheduler's own, then those it inherited. */
  get pending(): readonly PendingSpawn[] {
    return [...this.#pending, ...this.#inherited];
  }

  /**
   * The pending spawns the shared store has now (ages as `at` by this scheduler's clock): those that are not
   * this scheduler's own orders count against the limits as if they were.
   */
  inherit(spawns: readonly (PendingSpawn & { instance?: string | null })[]): void {
    const own = new Set(this.#pending.map((p) => p.id));
    const listed = new Set(spawns.map((p) => p.id));
    for (const id of this.#settled) if (!listed.has(id)) this.#settled.delete(id);
    const members = new Set(this.#deps.members().map((m) => m.id));
    const done: string[] = [];
    this.#inherited = [];
    for (const { instance, ...p } of spawns) {
      if (own.has(p.id)) continue;
      // Answered by a member the registry shows: that member counts now, the spawn no more.
      if (instance && members.has(instance)) {
        if (p.id) done.push(p.id);
        continue;
      }
      if (!instance && p.id && this.#settled.has(p.id)) continue;
      this.#inherited.push(p);
    }
    this.#forget(done);
    this.#inheritedOnce = true;
  }

  /** A member registered: it answers the oldest pending order of its node and role, if any. */
  registered(member: Pick<Member, "node" | "role"> & { id?: string }): void {
    this.#expire(this.#now());
    if (!member.node) return;
    const answers = (p: PendingSpawn) => p.node === member.node && p.role === member.role;
    const own = this.#pending.find(answers);
    const inherited = this.#inherited.find(answers);
    const answered = own && (!inherited || own.at <= inherited.at) ? own : inherited;
    if (!answered) return;
    this.#pending = this.#pending.filter((p) => p !== answered);
    this.#inherited = this.#inherited.filter((p) => p !== answered);
    if (!answered.id) return;
    if (answered === inherited) this.#settled.add(answered.id);
    if (member.id) this.#deps.sharedPending?.answered(answered.id, member.id);
    else this.#forget([answered.id]);
  }

  /** Drops pending spawns older than the spawn timeout (their order may be sent again). */
  #expire(now: number): void {
    const { policy } = this.#deps;
    const alive = (p: PendingSpawn) => now - p.at < policy.pendingMs;
    const expired = [...this.#pending, ...this.#inherited].filter((p) => !alive(p)).flatMap((p) =>
      p.id ? [p.id] : []
    );
    if (expired.length === 0) return;
    this.#pending = this.#pending.filter(alive);
    this.#inherited = this.#inherited.filter(alive);
    this.#forget(expired);
  }

  #forget(ids: string[]): void {
    if (ids.length > 0) this.#deps.sharedPending?.forget(ids);
  }

  /** Tops every node up to its minimum; once per period, also scales each role. */
  tick(): void {
    const now = this.#now();
    if (now < this.#settledAt || !this.#inheritedOnce) return;
    const { policy } = this.#deps;
    this.#expire(now);
    const pending = () => [...this.#pending, ...this.#inherited];
    const members = this.#deps.members();
    for (const key of this.#retries.keys()) {
      if (!members.some((m) => key.startsWith(`${m.id}/`))) this.#retries.delete(key); // the node left
    }
    for (const order of planSpawns(this.#deps.members(), pending(), policy)) {
      const node = this.#deps.members().find((m) => m.id === order.node);
      if (node) this.#order(node, order.role, now);
    }
    if (now - this.#lastScaleAt < policy.periodMs) return;
    this.#lastScaleAt = now;
    for (const role of INSTANCE_ROLES) this.#scaleRole(role, now);
  }

  #scaleRole(role: InstanceRole, now: number): void {
    const members = this.#deps.members();
    const current = countRole(members, this.pending, role);
    const totalLoad = roleLoad(members, role);
    const limits = limitsOf(members, this.#deps.policy, role);
    const decision = decideScale(limits, this.#scale[role], { current, totalLoad, now });
    this.#scale[role] = decision.state;
    const fields = {
      role,
      from: current,
      to: decision.desired,
      load: round(totalLoad),
      reason: decision.reason,
    };
    if (decision.desired > current) {
      let placed = 0;
      for (let i = current; i < decision.desired; i++) {
        const node = pickNode(this.#deps.members(), this.pending, role);
        if (!node || !this.#order(node, role, now)) break;
        placed++;
      }
      if (placed > 0) {
        this.#deps.logger.info("scale.up", { ...fields, to: current + placed });
        this.#deps.onScale?.({ role, direction: "up", from: current, to: current + placed });
      }
    } else if (decision.desired < current) {
      const leaving = new Set<string>();
      for (let i = decision.desired; i < current; i++) {
        const victim = pickVictim(members.filter((m) => !leaving.has(m.id)), role, this.#deps.policy);
        if (!victim) break;
        leaving.add(victim.id);
      }
      if (leaving.size === 0) return;
      this.#deps.logger.info("scale.down", { ...fields, to: current - leaving.size });
      this.#deps.onScale?.({ role, direction: "down", from: current, to: current - leaving.size });
      for (const id of leaving) {
        const victim = members.find((m) => m.id === id)!;
        this.#deps.stop(victim).catch((error) =>
          this.#deps.logger.warn("instance.stop_failed", { role, id, error })
        );
      }
    }
  }

  /** Sends a spawn order, unless the node's last order of `role` failed and its back-off has not passed. */
  #order(node: Member, role: InstanceRole, now: number): boolean {
    const key = `${node.id}/${role}`;
    const failed = this.#retries.get(key);
    if (failed && now < failed.notBefore) return false;
    const order = { node: node.id, role, at: now, id: crypto.randomUUID() };
    this.#pending.push(order);
    this.#deps.spawn(node, role, { retry: !!failed, id: order.id }).then(
      () => {
        if (!failed) return;
        failed.log.succeeded();
        this.#retries.delete(key);
      },
      (error) => {
        const retry = failed ?? {
          backoff: new Backoff(this.#deps.spawnBackoff ?? {}),
          log: new FailureLog(this.#deps.logger, {
            failing: "instance.spawn_failed",
            recovered: "instance.spawn_recovered",
            fields: { node: node.id, role },
            now: this.#now,
          }),
          notBefore: 0,
        };
        this.#retries.set(key, retry);
        retry.log.failed(error);
        retry.notBefore = this.#now() + retry.backoff.next();
        this.#pending = this.#pending.filter((p) => p !== order);
        this.#forget([order.id]);
      },
    );
    return true;
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
