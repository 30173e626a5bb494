/**
 * Decides which role instances should run where. For now: at least `min` auth and file instances on every
 * content node that is up. Pure functions over the registry's members, so they test without a cluster.
 *
 * @module
 */

import type { Member } from "./registry.ts";

/** Roles the scheduler places on content nodes. */
export type InstanceRole = "auth" | "file";

/** A spawn order sent but not yet answered by a registration. */
export interface PendingSpawn {
  node: string;
  role: InstanceRole;
  at: number;
}

/** How many instances of each role every content node runs at least. */
export interface SchedulePolicy {
  minPerNode: Record<InstanceRole, number>;
  /** A spawn order not followed by a registration within this time is given up and may be sent again. */
  pendingMs: number;
}

/** One auth and one file instance per content node. */
export const DEFAULT_POLICY: SchedulePolicy = { minPerNode: { auth: 1, file: 1 }, pendingMs: 20_000 };

/** The spawn orders needed now. */
export function planSpawns(
  members: readonly Member[],
  pending: readonly PendingSpawn[],
  policy: SchedulePolicy,
): { node: string; role: InstanceRole }[] {
  const orders: { node: string; role: InstanceRole }[] = [];
  for (const node of members) {
    if (node.role !== "content" || node.state !== "up") continue;
    for (const role of ["auth", "file"] as const) {
      const running = members.filter((m) =>
        m.node === node.id && m.role === role && m.state !== "down"
      ).length;
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
  policy: SchedulePolicy,
): PendingSpawn[] {
  const out = pending.filter((p) => now - p.at < policy.pendingMs);
  if (registered?.node) {
    const i = out.findIndex((p) => p.node === registered.node && p.role === registered.role);
    if (i >= 0) out.splice(i, 1);
  }
  return out;
}
