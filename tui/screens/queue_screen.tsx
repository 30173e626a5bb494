/**
 * The queue: what plays next, the current entry marked.
 *
 * @module
 */

import { Box, Text } from "ink";
import { type ReactNode, useEffect } from "react";
import { TrackHeader, TrackRow } from "../components/track_table.tsx";
import { useTui } from "../context.tsx";
import { listMove } from "../state/_list.ts";
import { isActive } from "../state/playback.ts";
import { useKeys } from "../use_keys.ts";
import { GAP } from "../format.ts";

export function QueueScreen(props: { height: number; width: number }): ReactNode {
  const { state, dispatch } = useTui();
  const queue = state.queue;
  const listHeight = Math.max(1, props.height - 2);
  useEffect(() => {
    if (listHeight !== queue.height) dispatch({ type: "queue/resize", height: listHeight });
  }, [listHeight, queue.height]);
  useKeys(["list", "queue"], (action, _input, _key, current) => {
    const move = listMove(action);
    if (move !== null) return dispatch({ type: "queue/move", move });
    switch (action) {
      case "play":
        return dispatch({ type: "player/jump", index: current.queue.cursor });
      case "remove":
        return dispatch({ type: "queue/remove", index: current.queue.cursor });
    }
  });

  if (queue.entries.length === 0) {
    return (
      <Box flexDirection="column" height={props.height}>
        <Text bold>Queue</Text>
        <Text dimColor>
          The queue is empty: press a on a track in the library to add it, Enter to play it now
        </Text>
      </Box>
    );
  }
  const playing = isActive(state.playback);
  const rows = queue.entries.slice(queue.scroll, queue.scroll + listHeight);
  return (
    <Box flexDirection="column" height={props.height} overflow="hidden">
      <Text>
        <Text bold>Queue: {queue.entries.length} tracks</Text>
        <Text dimColor>{GAP}Enter plays · x removes · n/p next/previous</Text>
      </Text>
      <TrackHeader width={props.width} />
      {rows.map((entry, i) => (
        <TrackRow
          key={entry.key}
          track={entry.track}
          width={props.width}
          selected={queue.scroll + i === queue.cursor}
          playing={playing && queue.scroll + i === queue.current}
          starred={state.stars.ids.has(entry.track.id)}
        />
      ))}
    </Box>
  );
}
