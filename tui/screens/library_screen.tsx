/**
 * The library: the whole catalog as a list (only the rows that fit are drawn), a search field that filters as you
 * type, sorting, and a details pane for the track under the cursor.
 *
 * @module
 */

import { Box, Text } from "ink";
import { type ReactNode, useEffect } from "react";
import { detailsHeight, DetailsPane } from "../components/details_pane.tsx";
import { TrackHeader, TrackRow } from "../components/track_table.tsx";
import { useTui } from "../context.tsx";
import { typedText } from "../keys.ts";
import { listMove } from "../state/_list.ts";
import { type LibraryState, selectedTrack } from "../state/library.ts";
import { isActive } from "../state/playback.ts";
import { useKeys } from "../use_keys.ts";
import { GAP } from "../format.ts";

function StatusLine(props: { library: LibraryState }): ReactNode {
  const lib = props.library;
  const total = lib.tracks.length;
  if (lib.searching) {
    return (
      <Text>
        <Text color="cyan">/</Text>
        {lib.query}
        <Text inverse></Text>
        <Text dimColor>{GAP}{lib.visible.length} of {total} · Enter keeps · Esc clears</Text>
      </Text>
    );
  }
  const count = lib.applied === ""
    ? `${total} tracks`
    : `${lib.visible.length} of ${total} tracks match “${lib.query.trim()}” (Esc clears)`;
  return (
    <Text wrap="truncate-end">
      <Text bold>{count}</Text>
      <Text dimColor>{GAP}sorted by {lib.sort} · / search · o sort · i details · a queue · ? help</Text>
    </Text>
  );
}

function Body(props: { height: number; width: number; listHeight: number }): ReactNode {
  const { state } = useTui();
  const lib = state.library;
  if (lib.status === "error" && lib.tracks.length === 0) {
    return (
      <Box flexDirection="column" height={props.height}>
        <Text color="red">{lib.error}</Text>
        <Text dimColor>Press r to try again</Text>
      </Box>
    );
  }
  if (lib.status !== "ready" && lib.tracks.length === 0) {
    return (
      <Box height={props.height}>
        <Text color="yellow">
          Loading the library…{lib.progress && lib.progress.total > 0
            ? ` ${lib.progress.loaded.toLocaleString("en-US")} of ${
              lib.progress.total.toLocaleString("en-US")
            } tracks`
            : ""}
        </Text>
      </Box>
    );
  }
  if (lib.tracks.length === 0) {
    return (
      <Box height={props.height}>
        <Text dimColor>The catalog is empty: no file instance has announced a track yet (r reloads)</Text>
      </Box>
    );
  }
  if (lib.visible.length === 0) {
    return (
      <Box height={props.height}>
        <Text dimColor>No track matches “{lib.query.trim()}”</Text>
      </Box>
    );
  }
  const playing = isActive(state.playback) ? state.playback.track?.id : undefined;
  const rows = lib.visible.slice(lib.scroll, lib.scroll + props.listHeight);
  return (
    <Box flexDirection="column" height={props.height} overflow="hidden">
      <TrackHeader width={props.width} sortedBy={lib.sort} />
      {Array.from(rows, (index, i) => {
        const track = lib.tracks[index];
        if (track === undefined) return null;
        return (
          <TrackRow
            key={track.id}
            track={track}
            width={props.width}
            selected={lib.scroll + i === lib.cursor}
            playing={track.id === playing}
          />
        );
      })}
    </Box>
  );
}

export function LibraryScreen(props: { height: number; width: number }): ReactNode {
  const { state, dispatch, controller } = useTui();
  const lib = state.library;
  const selected = selectedTrack(lib);
  const details = lib.details ? detailsHeight(selected, Math.max(0, props.height - 5)) : 0;
  const bodyHeight = Math.max(2, props.height - 1 - details);
  const listHeight = bodyHeight - 1;
  useEffect(() => {
    if (listHeight !== lib.height) dispatch({ type: "library/resize", height: listHeight });
  }, [listHeight, lib.height]);

  useKeys(["list", "library"], (action, _input, _key, current) => {
    const move = listMove(action);
    if (move !== null) return dispatch({ type: "library/move", move });
    const track = selectedTrack(current.library);
    switch (action) {
      case "play":
        if (track !== null) dispatch({ type: "player/playNow", track });
        return;
      case "enqueue":
        if (track === null) return;
        dispatch({ type: "queue/add", track });
        return dispatch({
          type: "app/notice",
          text: `Added “${track.title}” to the queue (${current.queue.entries.length + 1} tracks)`,
          tone: "info",
        });
      case "search":
        return dispatch({ type: "library/searchStart" });
      case "sort":
        return dispatch({ type: "library/sort" });
      case "details":
        return dispatch({ type: "library/toggleDetails" });
      case "clearFilter":
        return dispatch({ type: "library/searchClear" });
      case "reload":
        return void controller.loadLibrary();
    }
  });

  useKeys(["search"], (action, input, key) => {
    switch (action) {
      case "keepFilter":
        return dispatch({ type: "library/searchKeep" });
      case "cancelSearch":
        return dispatch({ type: "library/searchClear" });
      case "eraseSearch":
        return dispatch({ type: "library/searchErase" });
      case null: {
        const text = typedText(input, key);
        if (text !== "") dispatch({ type: "library/searchType", text });
      }
    }
  });

  return (
    <Box flexDirection="column" height={props.height}>
      <StatusLine library={lib} />
      <Body height={bodyHeight} width={props.width} listHeight={listHeight} />
      {details > 0 ? <DetailsPane track={selected} height={details} /> : null}
    </Box>
  );
}
