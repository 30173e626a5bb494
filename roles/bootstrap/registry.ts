/**
 * The bootstrap's registry of nodes and role instances, each holding a lease renewed by heartbeats. Lives in
 * memory: after a restart, members re-register within a heartbeat or two.
 *
 * Several bootstraps on one store share it: each tells the store what it changed (`onWrite`) and takes in
 * what the others wrote ({@linkcode Registry.merge}), so a member may heartbeat to any of them. Only the
 * leader sweeps expired leases.
 *
 * @module
 */

import type { InstanceState, Load, Role, StatusEntry } from "../../protocol/mod.ts";

/** A registered node or instance. */
export interface Member {
  id: string;
  role: Exclude<Role, "bootstrap">;
  url: string;
  host: string;
  pid: number;
  node: string | null;
  state: InstanceState;
  load: Load;
  tracks: number;
  since: number;
  lastSeen: number;
  /** When it went down (lease expired), for removal later. */
  downSince: number | null;
}

/** A change the registry made on its own (lease expiry), so others can react. */
export interface MemberChange {
  member: Member;
  state: InstanceState | "removed";
}

/** Lease and heartbeat timing. */
export interface RegistryTiming {
  heartbeatMs: number;
  leaseMs: number;
  /** How long a down member stays listed before it is forgotten. */
  forgetMs: number;
}

/**
 * Defaults: a heartbeat every 750 ms and a lease of 2.3 s, so a dead member is out of rotation within 3 s of its
 * last heartbeat (with the bootstrap's 250 ms sweep), while a member paused for a second keeps its lease. Down
 * members stay listed for a minute.
 */
export const DEFAULT_TIMING: RegistryTiming = { heartbeatMs: 750, leaseMs: 2300, forgetMs: 60_000 };

/** A copy of `member` as written when it left: down since `now`. */
function gone(member: Member, now: number): Member {
  return { ...member, state: "down", downSince: now, load: { ...IDLE } };
}

/** An empty load. */
export const IDLE: Load = { activeStreams: 0, inFlight: 0, bytesPerSecond: 0, requests: 0 };

/** Told of every change of a member's state, with the reason in words. */
export type StateListener = (member: Member, state: InstanceState, reason: string) => void;

/**
 * A change to write to the shared store: `full` (a registration or a change of state), `beat` (lease, load,
 * tracks) or `delete` (forgotten). A member that left or was replaced is written `full` as down, so every
 * bootstrap stops sending it work (and revocations) at once; the leader forgets it later like any down member.
 */
export type MemberWrite = { kind: "full" | "beat"; member: Member } | { kind: "delete"; id: string };

/**
 * Lease timing with several bootstraps: a member whose bootstrap died needs up to a heartbeat plus one call's
 * timeout to reach another, and the store adds a little to what the leader sees, so the lease is longer.
 */
export const SHARED_TIMING: RegistryTiming = { heartbeatMs: 750, leaseMs: 3500, forgetMs: 60_000 };

/** Nodes and instances with their leases. */
export class Registry {
  #members = new Map<string, Member>();
  #now: () => number;
  #onChange: StateListener;
  #onWrite: (write: MemberWrite) => void;
  /** When the last sweep ran (0: none yet), and until when no lease expires after a stall of this process. */
  #sweptAt = 0;
  #graceUntil = 0;
  readonly timing: RegistryTiming;

  constructor(
    options: {
      now?: () => number;
      timing?: RegistryTiming;
      onChange?: StateListener;
      /** Told of every change, for the shared store. */
      onWrite?: (write: MemberWrite) => void;
    } = {},
  ) {
    this.#now = options.now ?? Date.now;
    this.timing = options.timing ?? DEFAULT_TIMING;
    this.#onChange = options.onChange ?? (() => {});
    this.#onWrite = options.onWrite ?? (() => {});
  }

  /**
   * Registers a member under the id it chose. A member that registers again with the same id, or another from
   * the same URL (a restart), replaces the old entry, which is returned as `replaced` so its tracks can be
   * dropped.
   */
  register(
    info: Pick<Member, "id" | "role" | "url" | "host" | "pid" | "node">,
  ): { member: Member; replaced?: Member } {
    const now = this.#now();
    let replaced: Member | undefined;
    for (const m of this.#members.values()) {
      if (m.url === info.url || m.id === info.id) {
        replaced = m;
        this.#members.delete(m.id);
      }
    }
    const member: Member = {
      ...info,
      state: "up",
      load: { ...IDLE },
      tracks: 0,
      since: now,
      lastSeen: now,
      downSince: null,
    };
    this.#members.set(member.id, member);
    if (replaced && replaced.id !== member.id) this.#onWrite({ kind: "full", member: gone(replaced, now) });
    this.#onWrite({ kind: "full", member });
    if (replaced && replaced.id !== member.id && replaced.state !== "down") {
      this.#onChange(replaced, "down", "replaced");
    }
    this.#onChange(member, "up", replaced?.id === member.id ? "joined again" : "joined");
    return replaced ? { member, replaced } : { member };
  }

  /** Renews a lease; false when the id is unknown (the member must register again). */
  heartbeat(id: string, load: Load, tracks?: number): Member | undefined {
    const member = this.#members.get(id);
    if (!member || member.state === "down") return undefined;
    member.lastSeen = this.#now();
    member.load = load;
    if (tracks !== undefined) member.tracks = tracks;
    this.#onWrite({ kind: "beat", member });
    return member;
  }

  /** Marks a member as draining: it takes no new work. */
  drain(id: string, reason = "stopping"): Member | undefined {
    const member = this.#members.get(id);
    if (member && member.state === "up") {
      member.state = "draining";
      this.#onWrite({ kind: "full", member });
      this.#onChange(member, "draining", reason);
    }
    return member;
  }

  /** Takes a draining member back into rotation (its stop order failed). */
  undrain(id: string, reason = "stop failed"): Member | undefined {
    const member = this.#members.get(id);
    if (member && member.state === "draining") {
      member.state = "up";
      this.#onWrite({ kind: "full", member });
      this.#onChange(member, "up", reason);
    }
    return member;
  }

  /** Forgets a member that left. */
  remove(id: string): Member | undefined {
    const member = this.#members.get(id);
    this.#members.delete(id);
    if (member) this.#onWrite({ kind: "full", member: gone(member, this.#now()) });
    if (member && member.state !== "down") this.#onChange(member, "down", "left");
    return member;
  }

  get(id: string): Member | undefined {
    return this.#members.get(id);
  }

  /** All members, oldest first. */
  list(): Member[] {
    return [...this.#members.values()];
  }

  /** Members of a role that take new work (state up). */
  available(role: Member["role"]): Member[] {
    return this.list().filter((m) => m.role === role && m.state === "up");
  }

  /**
   * Expires leases: members silent for longer than the lease go down; long-down members are forgotten.
   * `mayExpire` may spare a member whose silence is not known for sure (several bootstraps: the one it
   * heartbeats to may not have written its heartbeats yet).
   */
  sweep(mayExpire: (member: Member, now: number) => boolean = () => true): MemberChange[] {
    const now = this.#now();
    // Sweeps further apart than a heartbeat: this process was stalled (a long synchronous task, a pause), and
    // the heartbeats members sent meanwhile wait unread in its sockets. Their silence is its own: no lease
    // expires until it has run for a lease again and read them.
    if (this.#sweptAt !== 0 && now - this.#sweptAt > this.timing.heartbeatMs) {
      this.#graceUntil = now + this.timing.leaseMs;
    }
    this.#sweptAt = now;
    const expiring = now >= this.#graceUntil;
    const changes: MemberChange[] = [];
    for (const member of this.#members.values()) {
      if (
        expiring && member.state !== "down" && now - member.lastSeen > this.timing.leaseMs &&
        mayExpire(member, now)
      ) {
        member.state = "down";
        member.downSince = now;
        member.load = { ...IDLE };
        changes.push({ member, state: "down" });
      } else if (
        member.state === "down" && member.downSince !== null && now - member.downSince > this.timing.forgetMs
      ) {
        this.#members.delete(member.id);
        changes.push({ member, state: "removed" });
      }
    }
    // Instances on a content node that went down go down with it.
    const reasons = new Map<Member, string>();
    for (const change of changes) {
      if (change.member.role !== "content" || change.state !== "down") continue;
      for (const m of this.#members.values()) {
        if (m.node === change.member.id && m.state !== "down") {
          m.state = "down";
          m.downSince = now;
          changes.push({ member: m, state: "down" });
          reasons.set(m, "its node went down");
        }
      }
    }
    for (const change of changes) {
      this.#onWrite(
        change.state === "down"
          ? { kind: "full", member: change.member }
          : { kind: "delete", id: change.member.id },
      );
    }
    for (const change of changes) {
      if (change.state === "down") {
        this.#onChange(change.member, "down", reasons.get(change.member) ?? "lease expired");
      }
    }
    return changes;
  }

  /**
   * Takes in the members another bootstrap wrote to the store, silently (the bootstrap that made a change
   * told the cluster). Members in `pending` (changed here, not yet written) keep their local state. A member
   * missing from the store is kept (the store may have lost it in a crash: the next heartbeat writes it again)
   * until it has been silent for `forgetMs`. Returns the members new here.
   */
  merge(stored: readonly Member[], pending: ReadonlySet<string> = new Set()): Member[] {
    const now = this.#now();
    const seen = new Set<string>();
    const added: Member[] = [];
    for (const row of stored) {
      seen.add(row.id);
      if (pending.has(row.id)) continue;
      const local = this.#members.get(row.id);
      if (!local) {
        // Registered again under a new id from the same URL: the newer registration wins.
        const older = this.list().find((m) => m.url === row.url && m.since <= row.since);
        if (older && !pending.has(older.id)) this.#members.delete(older.id);
        else if (this.list().some((m) => m.url === row.url)) continue;
        const member = { ...row, load: { ...row.load } };
        this.#members.set(member.id, member);
        added.push(member);
        continue;
      }
      if (row.since < local.since) continue;
      const fresher = row.lastSeen >= local.lastSeen;
      Object.assign(local, {
        role: row.role,
        url: row.url,
        host: row.host,
        pid: row.pid,
        node: row.node,
        state: row.state,
        since: row.since,
        downSince: row.downSince,
        lastSeen: Math.max(local.lastSeen, row.lastSeen),
        ...(fresher ? { load: row.load, tracks: row.tracks } : {}),
      });
    }
    for (const m of this.list()) {
      if (seen.has(m.id) || pending.has(m.id)) continue;
      if (now - m.lastSeen > this.timing.forgetMs) this.#members.delete(m.id);
    }
    return added;
  }

  /** A member as `status` shows it. */
  toStatus(member: Member): StatusEntry {
    return {
      id: member.id,
      role: member.role,
      url: member.url,
      state: member.state,
      host: member.host,
      pid: member.pid,
      node: member.node,
      load: member.load,
      ...(member.role === "file" ? { tracks: member.tracks } : {}),
      lastSeenMs: this.#now() - member.lastSeen,
      since: member.since,
    };
  }
}
