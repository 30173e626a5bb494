/**
 * The cluster: nodes and the role instances they host, their state and load, and the tracks each file instance
 * serves. The controller refreshes it every second while it is in front.
 *
 * @module
 */

import { Box, Text } from "ink";
import type { ReactNode } from "react";
import type { StatusEntry } from "../../protocol/mod.ts";
import { STATE_COLORS } from "../components/details_pane.tsx";
import { useTui } from "../context.tsx";
import { formatBytes, GAP } from "../format.ts";
import { clusterRows } from "../state/cluster.ts";
import { shortIds } from "../../client/short_id.ts";
import { useKeys } from "../use_keys.ts";

type ColumnName = "ID" | "ROLE" | "HOST" | "STATE" | "STREAMS" | "REQS" | "RATE" | "TRACKS" | "SEEN";

/** A column of the table: its width, and when it goes on a narrow terminal (higher drops first, 0 never). */
interface Column {
  name: ColumnName;
  width: number;
  drop: number;
}

const COLUMNS: readonly Column[] = [
  { name: "ID", width: 20, drop: 0 },
  { name: "ROLE", width: 10, drop: 0 },
  { name: "HOST", width: 16, drop: 3 },
  { name: "STATE", width: 9, drop: 0 },
  { name: "STREAMS", width: 8, drop: 2 },
  { name: "REQS", width: 5, drop: 5 },
  { name: "RATE", width: 12, drop: 1 },
  { name: "TRACKS", width: 7, drop: 0 },
  { name: "SEEN", width: 7, drop: 4 },
];

/** The columns that fit in `width`, the ID column taking what is left. */
export function fittingColumns(width: number): Column[] {
  let columns: Column[] = [...COLUMNS];
  const total = () => columns.reduce((sum, c) => sum + c.width, 0);
  for (let level = 5; level > 0 && total() > width; level--) columns = columns.filter((c) => c.drop < level);
  const spare = width - total();
  return columns.map((c) => (c.name === "ID" ? { ...c, width: Math.max(10, c.width + spare) } : c));
}

function cells(entry: StatusEntry, depth: number, short: Map<string, string>): Record<ColumnName, string> {
  return {
    ID: `${depth > 0 ? "└ " : ""}${short.get(entry.id) ?? entry.id}`,
    ROLE: entry.role,
    HOST: entry.host ?? "", // admins only
    STATE: entry.state,
    STREAMS: String(entry.load.activeStreams),
    REQS: String(entry.load.inFlight),
    RATE: `${formatBytes(Math.round(entry.load.bytesPerSecond))}/s`,
    TRACKS: entry.tracks === undefined ? "" : String(entry.tracks),
    SEEN: `${(entry.lastSeenMs / 1000).toFixed(1)}s`,
  };
}

function Row(
  props: {
    columns: readonly Column[];
    values: Record<ColumnName, string>;
    header?: boolean;
    stateColor?: string;
  },
): ReactNode {
  return (
    <Box>
      {props.columns.map(({ name, width }) => (
        <Box key={name} width={width} flexShrink={0} paddingRight={1}>
          <Text
            wrap="truncate-end"
            bold={props.header === true}
            dimColor={props.header === true}
            {...(name === "STATE" && props.stateColor !== undefined ? { color: props.stateColor } : {})}
          >
            {props.values[name] || " "}
          </Text>
        </Box>
      ))}
    </Box>
  );
}

export function ClusterScreen(props: { height: number; width: number }): ReactNode {
  const { state, controller } = useTui();
  const { report, error, updatedAt } = state.cluster;
  useKeys(["cluster"], (action) => {
    if (action === "refresh") void controller.refreshCluster();
  });
  const rows = report === null ? [] : clusterRows(report);
  const short = shortIds(rows.map((r) => r.entry.id)); // the shortest unique prefixes, 8 characters at least
  const columns = fittingColumns(props.width);
  const header = Object.fromEntries(COLUMNS.map((c) => [c.name, c.name])) as Record<ColumnName, string>;
  const room = Math.max(1, props.height - 3 - (error === null ? 0 : 1));
  const shown = rows.length > room ? rows.slice(0, room - 1) : rows;
  const updated = updatedAt === null ? "" : ` · updated ${new Date(updatedAt).toLocaleTimeString()}`;
  return (
    <Box flexDirection="column" height={props.height} overflow="hidden">
      <Text>
        <Text bold>Cluster</Text>
        {report === null
          ? <Text dimColor>{GAP}{error === null ? "fetching the status…" : ""}</Text>
          : (
            <Text dimColor>
              {GAP}
              {report.nodes.length} entries · {report.tracks} tracks in the catalog{updated}
            </Text>
          )}
      </Text>
      {error === null ? null : <Text color="red" wrap="truncate-end">{error} (r retries)</Text>}
      {report === null ? null : (
        <Box flexDirection="column" marginTop={1}>
          <Row columns={columns} values={header} header />
          {shown.map(({ entry, depth }) => (
            <Row
              key={entry.id}
              columns={columns}
              values={cells(entry, depth, short)}
              stateColor={STATE_COLORS[entry.state]}
            />
          ))}
          {shown.length < rows.length ? <Text dimColor>… and {rows.length - shown.length} more</Text> : null}
        </Box>
      )}
    </Box>
  );
}
