/**
 * The playlists: the user's playlists (the same an OpenSubsonic app shows), Enter opens one to show its tracks,
 * P plays the whole playlist (it replaces the queue), Enter on a track plays the playlist from there, Esc goes
 * back to the playlists.
 *
 * @module
 */

import { Box, Text } from "ink";
import { type ReactNode, useEffect } from "react";
import { TrackHeader, TrackRow } from "../components/track_table.tsx";
import { useTui } from "../context.tsx";
import { formatDuration, GAP } from "../format.ts";
import { listMove } from "../state/_list.ts";
import { isActive } from "../state/playback.ts";
import { currentTrack } from "../state/queue.ts";
import { selectedPlaylist } from "../state/playlists.ts";
import { useKeys } from "../use_keys.ts";

export function PlaylistsScreen(props: { height: number; width: number }): ReactNode {
  const { state, dispatch, controller } = useTui();
  const playlists = state.playlists;
  const listHeight = Math.max(1, props.height - 2);
  useEffect(() => {
    if (listHeight !== playlists.height) dispatch({ type: "playlists/resize", height: listHeight });
  }, [listHeight, playlists.height]);
  useKeys(["list", "playlists"], (action, _input, _key, current) => {
    const move = listMove(action);
    if (move !== null) return dispatch({ type: "playlists/move", move });
    const now = current.playlists;
    switch (action) {
      case "play": {
        if (now.open !== null) return void controller.playPlaylist(now.open.cursor);
        const chosen = selectedPlaylist(now);
        return chosen === null ? undefined : void controller.openPlaylist(chosen);
      }
      case "playPlaylist":
        return void controller.playPlaylist(0);
      case "closePlaylist":
        return dispatch({ type: "playlists/back" });
      case "reload":
        return void controller.loadPlaylists();
    }
  });

  const open = playlists.open;
  if (open !== null) {
    const title = (
      <Text>
        <Text bold>Playlist “{open.name}”</Text>
        <Text dimColor>
          {open.status === "loaded" ? `: ${open.tracks.length} tracks` : ""}
          {GAP}Enter plays from here · P plays all · Esc back
        </Text>
      </Text>
    );
    if (open.status !== "loaded") {
      return (
        <Box flexDirection="column" height={props.height}>
          {title}
          {open.status === "failed"
            ? <Text color="red">{open.error}</Text>
            : <Text dimColor>Loading the playlist…</Text>}
        </Box>
      );
    }
    const playing = isActive(state.playback) ? currentTrack(state.queue)?.id : undefined;
    const rows = open.tracks.slice(open.scroll, open.scroll + listHeight);
    return (
      <Box flexDirection="column" height={props.height} overflow="hidden">
        {title}
        <TrackHeader width={props.width} />
        {open.tracks.length === 0 ? <Text dimColor>None of its tracks is in the library now</Text> : null}
        {rows.map((track, i) => (
          <TrackRow
            key={`${open.scroll + i}-${track.id}`}
            track={track}
            width={props.width}
            selected={open.scroll + i === open.cursor}
            playing={track.id === playing}
            starred={state.stars.ids.has(track.id)}
          />
        ))}
      </Box>
    );
  }

  const header = (
    <Text>
      <Text bold>Playlists{playlists.status === "loaded" ? `: ${playlists.lists.length}` : ""}</Text>
      <Text dimColor>{GAP}Enter opens · P plays · r reloads</Text>
    </Text>
  );
  if (playlists.status === "failed") {
    return (
      <Box flexDirection="column" height={props.height}>
        {header}
        <Text color="red">{playlists.error}</Text>
      </Box>
    );
  }
  if (playlists.status !== "loaded") {
    return (
      <Box flexDirection="column" height={props.height}>
        {header}
        <Text dimColor>Loading the playlists…</Text>
      </Box>
    );
  }
  if (playlists.lists.length === 0) {
    return (
      <Box flexDirection="column" height={props.height}>
        {header}
        <Text dimColor>No playlists yet: make one in an OpenSubsonic app (Symfonium, Feishin, …)</Text>
      </Box>
    );
  }
  const nameWidth = Math.max(10, props.width - 2 - 10 - 9);
  const rows = playlists.lists.slice(playlists.scroll, playlists.scroll + listHeight);
  return (
    <Box flexDirection="column" height={props.height} overflow="hidden">
      {header}
      <Box>
        <Box width={2} />
        <Box width={nameWidth}>
          <Text bold dimColor>Name</Text>
        </Box>
        <Box width={10} justifyContent="flex-end">
          <Text bold dimColor>Tracks</Text>
        </Box>
        <Box width={9} justifyContent="flex-end">
          <Text bold dimColor>Time</Text>
        </Box>
      </Box>
      {rows.map((list, i) => {
        const selected = playlists.scroll + i === playlists.cursor;
        return (
          <Box key={list.id}>
            <Box width={2}>
              <Text color="green">{selected ? "›" : " "}</Text>
            </Box>
            <Box width={nameWidth} paddingRight={1}>
              <Text wrap="truncate-end" inverse={selected}>{list.name || "(unnamed)"}</Text>
            </Box>
            <Box width={10} justifyContent="flex-end">
              <Text inverse={selected}>{list.songCount}</Text>
            </Box>
            <Box width={9} justifyContent="flex-end">
              <Text inverse={selected}>{formatDuration(list.duration)}</Text>
            </Box>
          </Box>
        );
      })}
    </Box>
  );
}
