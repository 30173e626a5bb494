/**
 * The bootstrap's registry of nodes and role instances, each holding a lease renewed by heartbeats. Lives in
 * memory: after a restart, members re-register within a heartbeat or two.
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

/** An empty load. */
export const IDLE: Load = { activeStreams: 0, inFlight: 0, bytesPerSecond: 0, requests: 0 };

/** Told of every change of a member's state, with the reason in words. */
export type StateListener = (member: Member, state: InstanceState, reason: string) => void;

/** Nodes and instances with their leases. */
export class Registry {
  #members = new Map<string, Member>();
  #now: () => number;
  #onChange: StateListener;
  readonly timing: RegistryTiming;

  constructor(options: { now?: () => number; timing?: RegistryTiming; onChange?: StateListener } = {}) {
    this.#now = options.now ?? Date.now;
    this.timing = options.timing ?? DEFAULT_TIMING;
    this.#onChange = options.onChange ?? (() => {});
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
    return member;
  }

  /** Marks a member as draining: it takes no new work. */
  drain(id: string, reason = "stopping"): Member | undefined {
    const member = this.#members.get(id);
    if (member && member.state === "up") {
      member.state = "draining";
      this.#onChange(member, "draining", reason);
    }
    return member;
  }

  /** Takes a draining member back into rotation (its stop order failed). */
  undrain(id: string, reason = "stop failed"): Member | undefined {
    const member = this.#members.get(id);
    if (member && member.state === "draining") {
      member.state = "up";
      this.#onChange(member, "up", reason);
    }
    return member;
  }

  /** Forgets a member that left. */
  remove(id: string): Member | undefined {
    const member = this.#members.get(id);
    this.#members.delete(id);
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

  /** Expires leases: members silent for longer than the lease go down; long-down members are forgotten. */
  sweep(): MemberChange[] {
    const now = this.#now();
    const changes: MemberChange[] = [];
    for (const member of this.#members.values()) {
      if (member.state !== "down" && now - member.lastSeen > this.timing.leaseMs) {
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
      if (change.state === "down") {
        this.#onChange(change.member, "down", reasons.get(change.member) ?? "lease expired");
      }
    }
    return changes;
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
