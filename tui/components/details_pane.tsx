/**
 * Everything known about one track: size, MD5, id, and each replica with where it lives and its state.
 *
 * @module
 */

import { Box, Text } from "ink";
import type { ReactNode } from "react";
import type { CatalogTrack, InstanceState } from "../../protocol/mod.ts";
import { formatBytes, formatDuration } from "../format.ts";

/** Lines the pane needs for a track, its top rule included, when given `rows` at most. */
export function detailsHeight(track: CatalogTrack | null, rows: number): number {
  const wanted = track === null ? 2 : 6 + Math.max(1, track.replicas.length);
  return Math.max(0, Math.min(rows, wanted));
}

/** A field's name, padded so that the values line up. */
function label(name: string): string {
  return name.padEnd(10);
}

export const STATE_COLORS: Record<InstanceState, string> = { up: "green", draining: "yellow", down: "red" };

export function DetailsPane(props: { track: CatalogTrack | null; height: number }): ReactNode {
  const { track } = props;
  const rule = { borderStyle: "single", borderBottom: false, borderLeft: false, borderRight: false } as const;
  if (track === null) {
    return (
      <Box {...rule} height={props.height}>
        <Text dimColor>No track selected</Text>
      </Box>
    );
  }
  const trackNo = track.trackNo === null ? "" : ` · track ${track.trackNo}`;
  const where = (node: string | null) => (node === null ? "" : ` on ${node}`);
  const lines: ReactNode[] = [
    <Text key="names" wrap="truncate-end">
      <Text bold>{track.title || "(untitled)"}</Text>
      {` · ${track.artist || "unknown artist"} · ${track.album || "unknown album"}${trackNo}`}
    </Text>,
    <Text key="size" wrap="truncate-end">
      {`${label("size")}${formatBytes(track.size)} (${track.size} bytes) · ${track.format} · `}
      {formatDuration(track.duration)}
    </Text>,
    <Text key="md5" wrap="truncate-end">{`${label("md5")}${track.md5}`}</Text>,
    <Text key="id" wrap="truncate-end">{`${label("id")}${track.id}`}</Text>,
    <Text key="replicas">{`${label("replicas")}${track.replicas.length}`}</Text>,
    ...(track.replicas.length === 0
      ? [<Text key="none" color="red">{`${label("")}none: no file instance serves this track now`}</Text>]
      : track.replicas.map((replica) => (
        <Text key={replica.instance} wrap="truncate-end">
          {label("")}
          <Text color={STATE_COLORS[replica.state]}>{`● ${replica.state.padEnd(9)}`}</Text>
          {`${replica.host}  ${replica.url}  `}
          <Text dimColor>{`${replica.instance}${where(replica.node)}`}</Text>
        </Text>
      ))),
  ];
  // Only the lines that fit: ink would otherwise draw the overflowing ones over each other.
  return (
    <Box {...rule} flexDirection="column" height={props.height} overflow="hidden">
      {lines.slice(0, Math.max(0, props.height - 1))}
    </Box>
  );
}
