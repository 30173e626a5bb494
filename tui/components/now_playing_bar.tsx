/**
 * The now-playing bar: what plays, where in it, how much is downloaded and verified, and the volume.
 *
 * @module
 */

import { Box, Text } from "ink";
import type { ReactNode } from "react";
import { useTui } from "../context.tsx";
import { formatBytes, formatDuration, GAP, percent, progressBar } from "../format.ts";
import { linkSlower, type PlaybackState, type PlaybackStatus } from "../state/playback.ts";

/** Lines the bar takes, its top rule included. */
export const NOW_PLAYING_HEIGHT = 4;

const ICONS: Record<PlaybackStatus, string> = {
  idle: "■",
  loading: "…",
  playing: "▶",
  paused: "⏸",
  ended: "■",
  stopped: "■",
  error: "✘",
};

function VerificationLabel(props: { playback: PlaybackState }): ReactNode {
  const { verification } = props.playback;
  switch (verification.state) {
    case "verified":
      return <Text color="green" bold>✔ verified</Text>;
    case "failed":
      return <Text color="red" bold>✘ NOT verified</Text>;
    case "pending":
      return <Text color="yellow">⚠ not verified yet</Text>;
  }
}

function DownloadLabel(props: { playback: PlaybackState }): ReactNode {
  const { verifiedBytes, size } = props.playback;
  if (size > 0 && verifiedBytes >= size) return <Text dimColor>⬇ {formatBytes(size)}</Text>;
  return (
    <Text color="cyan">
      ⬇ {percent(verifiedBytes, size)} of {formatBytes(size)}
    </Text>
  );
}

function StatusLine(props: { playback: PlaybackState }): ReactNode {
  const { playback } = props;
  if (playback.status === "error") {
    return <Text color="red" wrap="truncate-end">✘ {playback.error}</Text>;
  }
  if (playback.verification.state === "failed") {
    return <Text color="red" wrap="truncate-end">✘ Not verified: {playback.verification.reason}</Text>;
  }
  const warning = playback.warnings.at(-1);
  if (warning !== undefined) return <Text color="yellow" wrap="truncate-end">⚠ {warning}</Text>;
  if (playback.status === "loading") {
    return <Text dimColor>Starting: fetching and verifying the first chunk…</Text>;
  }
  const { buffer } = playback;
  if (buffer !== null && (buffer.buffering || linkSlower(buffer))) {
    const rates = buffer.linkRate !== null && buffer.trackRate !== null
      ? ` (link ${kbits(buffer.linkRate)}, track ${kbits(buffer.trackRate)})`
      : "";
    const slower = linkSlower(buffer) ? "link slower than the track" : "waiting for the link";
    return (
      <Text color="yellow" wrap="truncate-end">
        {buffer.buffering ? `⏳ Buffering: ${slower}` : "⚠ Link slower than the track"}
        {rates} · {Math.floor(buffer.aheadSeconds)} s ahead
      </Text>
    );
  }
  if (playback.player === null) return <Text></Text>;
  return (
    <Text dimColor wrap="truncate-end">
      player: {playback.player}
      {playback.note ? ` · ${playback.note}` : ""}
      {playback.status === "ended" ? " · ended" : ""}
      {playback.status === "stopped" ? " · stopped" : ""}
    </Text>
  );
}

/** A rate in bytes per second as kbit/s. */
function kbits(bytesPerSecond: number): string {
  return `${Math.round((bytesPerSecond * 8) / 1000)} kbit/s`;
}

export function NowPlayingBar(props: { width: number }): ReactNode {
  const { state } = useTui();
  const { playback } = state;
  const track = playback.track;
  const volume = <Text dimColor>vol {playback.volume}%</Text>;
  if (track === null) {
    return (
      <Box
        flexDirection="column"
        borderStyle="single"
        borderBottom={false}
        borderLeft={false}
        borderRight={false}
      >
        <Box justifyContent="space-between">
          <Text dimColor wrap="truncate-end">Nothing playing: Enter on a track plays it, a queues it</Text>
          {volume}
        </Box>
        <Text></Text>
        <Text></Text>
      </Box>
    );
  }
  const duration = playback.duration ?? track.duration;
  const fraction = duration !== null && duration > 0 ? playback.position / duration : 0;
  const barWidth = Math.max(10, Math.min(60, props.width - 60));
  return (
    <Box
      flexDirection="column"
      borderStyle="single"
      borderBottom={false}
      borderLeft={false}
      borderRight={false}
    >
      <Box justifyContent="space-between">
        <Text wrap="truncate-end">
          <Text color={playback.status === "error" ? "red" : "green"}>{ICONS[playback.status]}</Text>{" "}
          <Text bold>{track.title || "(untitled)"}</Text>
          <Text>{GAP}{track.artist}</Text>
          <Text dimColor>{track.album ? `  ${track.album}` : ""}</Text>
        </Text>
        {volume}
      </Box>
      <Text wrap="truncate-end">
        {formatDuration(playback.position)} {progressBar(fraction, barWidth)} {formatDuration(duration)}
        {GAP}
        <DownloadLabel playback={playback} />
        {GAP}
        <VerificationLabel playback={playback} />
      </Text>
      <StatusLine playback={playback} />
    </Box>
  );
}
