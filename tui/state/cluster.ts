/**
 * The cluster screen: the latest status report, or why it could not be fetched.
 *
 * @module
 */

import type { StatusEntry, StatusReport } from "../../protocol/mod.ts";

export interface ClusterState {
  report: StatusReport | null;
  error: string | null;
  /** Unix ms of the last successful refresh. */
  updatedAt: number | null;
}

export type ClusterAction =
  | { type: "cluster/updated"; report: StatusReport; at: number }
  | { type: "cluster/failed"; message: string };

export const INITIAL_CLUSTER: ClusterState = { report: null, error: null, updatedAt: null };

export function clusterReducer(state: ClusterState, action: ClusterAction): ClusterState {
  switch (action.type) {
    case "cluster/updated":
      return { report: action.report, error: null, updatedAt: action.at };
    case "cluster/failed":
      return { ...state, error: action.message };
  }
}

/** One row of the cluster table: an entry and how deep it is nested under its node. */
export interface ClusterRow {
  entry: StatusEntry;
  depth: 0 | 1;
}

const ROLE_RANK = { bootstrap: 0, content: 1, auth: 2, file: 3 } as const;

/** The bootstrap first, then each content node followed by the instances it hosts, then standalone instances. */
export function clusterRows(report: StatusReport): ClusterRow[] {
  const byRank = (a: StatusEntry, b: StatusEntry) =>
    ROLE_RANK[a.role] - ROLE_RANK[b.role] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const nodes = report.nodes.filter((e) => e.role === "bootstrap" || e.role === "content").sort(byRank);
  const nodeIds = new Set(nodes.map((n) => n.id));
  const rows: ClusterRow[] = [];
  for (const node of nodes) {
    rows.push({ entry: node, depth: 0 });
    const hosted = report.nodes.filter((e) => !nodeIds.has(e.id) && e.node === node.id).sort(byRank);
    for (const entry of hosted) rows.push({ entry, depth: 1 });
  }
  const standalone = report.nodes
    .filter((e) => !nodeIds.has(e.id) && (e.node === null || !nodeIds.has(e.node)))
    .sort(byRank);
  for (const entry of standalone) rows.push({ entry, depth: 0 });
  return rows;
}
