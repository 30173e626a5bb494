/**
 * Rows of tracks with title, artist, album and duration columns. Draws only the rows it is given: callers slice
 * the visible window out of lists of any length.
 *
 * @module
 */

import { Box, Text } from "ink";
import type { ReactNode } from "react";
import type { CatalogTrack } from "../../protocol/mod.ts";
import { formatDuration } from "../format.ts";

/** Column widths for a terminal `width` cells wide. */
export function columnWidths(
  width: number,
): { marker: number; title: number; artist: number; album: number; time: number } {
  const marker = 2;
  const time = 8;
  const rest = Math.max(12, width - marker - time - 1);
  const title = Math.floor(rest * 0.4);
  const artist = Math.floor(rest * 0.3);
  return { marker, title, artist, album: rest - title - artist, time };
}

export function TrackHeader(props: { width: number; sortedBy?: string }): ReactNode {
  const w = columnWidths(props.width);
  const label = (name: string, key: string) => (props.sortedBy === key ? `${name} ▾` : name);
  return (
    <Box>
      <Box width={w.marker} />
      <Box width={w.title}>
        <Text bold dimColor>{label("Title", "title")}</Text>
      </Box>
      <Box width={w.artist}>
        <Text bold dimColor>{label("Artist", "artist")}</Text>
      </Box>
      <Box width={w.album}>
        <Text bold dimColor>{label("Album", "album")}</Text>
      </Box>
      <Box width={w.time} justifyContent="flex-end">
        <Text bold dimColor>{label("Time", "duration")}</Text>
      </Box>
    </Box>
  );
}

export interface TrackRowProps {
  track: CatalogTrack;
  width: number;
  selected: boolean;
  /** Marks the track playing now. */
  playing: boolean;
  /** Marks a starred track (★ beside the cursor's mark). */
  starred?: boolean;
}

export function TrackRow(props: TrackRowProps): ReactNode {
  const w = columnWidths(props.width);
  const { track } = props;
  const cell = (text: string, width: number) => (
    <Box width={width} paddingRight={1}>
      <Text wrap="truncate-end" inverse={props.selected}>{text === "" ? " " : text}</Text>
    </Box>
  );
  return (
    <Box>
      <Box width={w.marker}>
        <Text color="green">{props.playing ? "▶" : props.selected ? "›" : " "}</Text>
        {props.starred ? <Text color="yellow">★</Text> : null}
      </Box>
      {cell(track.title || "(untitled)", w.title)}
      {cell(track.artist, w.artist)}
      {cell(track.album, w.album)}
      <Box width={w.time} justifyContent="flex-end">
        <Text inverse={props.selected}>{formatDuration(track.duration)}</Text>
      </Box>
    </Box>
  );
}
