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
import { type LibraryState, rowCount, rowTrack, searchPending, selectedTrack } from "../state/library.ts";
import { isActive } from "../state/playback.ts";
import { useKeys } from "../use_keys.ts";
import { GAP } from "../format.ts";

function StatusLine(props: { library: LibraryState }): ReactNode {
  const lib = props.library;
  if (lib.remote !== null) return <RemoteStatusLine library={lib} />;
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
      <Text dimColor>
        {GAP}sorted by {lib.sort} · / search · o sort · i details · a queue · * star · ? help
      </Text>
    </Text>
  );
}

/** A large library's status: the rows are the server's, searched there. */
function RemoteStatusLine(props: { library: LibraryState }): ReactNode {
  const lib = props.library;
  const count = rowCount(lib).toLocaleString("en-US");
  const shown = lib.remote?.query ?? "";
  const pending = searchPending(lib);
  if (lib.searching) {
    return (
      <Text>
        <Text color="cyan">/</Text>
        {lib.query}
        <Text inverse></Text>
        <Text dimColor>{GAP}{pending ? "searching…" : `${count} match`} · Enter keeps · Esc clears</Text>
      </Text>
    );
  }
  const what = shown === "" ? `${count} tracks` : `${count} tracks match “${shown}” (Esc clears)`;
  return (
    <Text wrap="truncate-end">
      <Text bold>{pending ? "searching…" : what}</Text>
      <Text dimColor>{GAP}in the server's order · / search · i details · a queue · * star · ? help</Text>
    </Text>
  );
}

function Body(props: { height: number; width: number; listHeight: number }): ReactNode {
  const { state } = useTui();
  const lib = state.library;
  const held = lib.remote !== null || lib.tracks.length > 0;
  if (lib.status === "error" && !held) {
    return (
      <Box flexDirection="column" height={props.height}>
        <Text color="red">{lib.error}</Text>
        <Text dimColor>Press r to try again</Text>
      </Box>
    );
  }
  if (lib.status !== "ready" && !held) {
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
  if (lib.remote === null && lib.tracks.length === 0) {
    return (
      <Box height={props.height}>
        <Text dimColor>The catalog is empty: no file instance has announced a track yet (r reloads)</Text>
      </Box>
    );
  }
  if (rowCount(lib) === 0) {
    return (
      <Box height={props.height}>
        <Text dimColor>No track matches “{lib.query.trim()}”</Text>
      </Box>
    );
  }
  const playing = isActive(state.playback) ? state.playback.track?.id : undefined;
  const shown = Math.max(0, Math.min(props.listHeight, rowCount(lib) - lib.scroll));
  return (
    <Box flexDirection="column" height={props.height} overflow="hidden">
      <TrackHeader width={props.width} sortedBy={lib.sort} />
      {Array.from({ length: shown }, (_, i) => {
        const track = rowTrack(lib, lib.scroll + i);
        if (track === null) {
          // A large library's row whose page is on its way.
          return (
            <Text key={`row-${lib.scroll + i}`} dimColor inverse={lib.scroll + i === lib.cursor}>
              {"  …"}
            </Text>
          );
        }
        return (
          <TrackRow
            key={track.id}
            track={track}
            width={props.width}
            selected={lib.scroll + i === lib.cursor}
            playing={track.id === playing}
            starred={state.stars.ids.has(track.id)}
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
        if (current.library.remote !== null) {
          return dispatch({
            type: "app/notice",
            text: "A large library is listed in the server's order (artist, album, track); search narrows it",
            tone: "info",
          });
        }
        return dispatch({ type: "library/sort" });
      case "details":
        return dispatch({ type: "library/toggleDetails" });
      case "star":
        if (track !== null) void controller.toggleStar(track);
        return;
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
