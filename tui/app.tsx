/**
 * The root component: creates the store and controller, lays out the tab bar, the screen in front, the notice line
 * and the now-playing bar, and handles the keys that work on every main screen.
 *
 * @module
 */

import { Box, useApp } from "ink";
import { type ReactNode, useEffect, useState } from "react";
import { ErrorBoundary } from "./components/error_boundary.tsx";
import { HelpOverlay } from "./components/help_overlay.tsx";
import { NoticeLine } from "./components/notice_line.tsx";
import { NOW_PLAYING_HEIGHT, NowPlayingBar } from "./components/now_playing_bar.tsx";
import { TabBar } from "./components/tab_bar.tsx";
import { TuiProvider, type TuiRuntime, useTui } from "./context.tsx";
import { SEEK_SECONDS, TuiController } from "./controller.ts";
import { ClusterScreen } from "./screens/cluster_screen.tsx";
import { ConnectScreen } from "./screens/connect_screen.tsx";
import { LibraryScreen } from "./screens/library_screen.tsx";
import { QueueScreen } from "./screens/queue_screen.tsx";
import { PlaylistsScreen } from "./screens/playlists_screen.tsx";
import { SignInScreen } from "./screens/sign_in_screen.tsx";
import type { TuiOptions, TuiServices } from "./services.ts";
import { initialState, isMainScreen, type StartOptions } from "./state/app.ts";
import { VOLUME_STEP } from "./state/playback.ts";
import { Store } from "./store.ts";
import { KeyRouter } from "./key_router.ts";
import { useKeyInput, useKeys } from "./use_keys.ts";
import { useTerminalSize } from "./use_terminal_size.ts";

export interface AppProps {
  services: TuiServices;
  options?: TuiOptions;
}

function Screen(props: { height: number; width: number }): ReactNode {
  const { state } = useTui();
  switch (state.screen) {
    case "connect":
      return <ConnectScreen />;
    case "signIn":
      return <SignInScreen />;
    case "library":
      return <LibraryScreen height={props.height} width={props.width} />;
    case "queue":
      return <QueueScreen height={props.height} width={props.width} />;
    case "playlists":
      return <PlaylistsScreen height={props.height} width={props.width} />;
    case "cluster":
      return <ClusterScreen height={props.height} width={props.width} />;
  }
}

/** The keys of the "always" and "player" scopes. */
function useGlobalKeys(): void {
  const { dispatch, controller } = useTui();
  useKeys(["always"], (action) => {
    if (action === "forceQuit") void controller.quit();
  });
  useKeys(["player"], (action) => {
    switch (action) {
      case "togglePause":
        return void controller.togglePause();
      case "seekBack":
        return void controller.seekBy(-SEEK_SECONDS);
      case "seekForward":
        return void controller.seekBy(SEEK_SECONDS);
      case "volumeUp":
        return dispatch({ type: "playback/volume", by: VOLUME_STEP });
      case "volumeDown":
        return dispatch({ type: "playback/volume", by: -VOLUME_STEP });
      case "next":
        return dispatch({ type: "player/next" });
      case "previous":
        return dispatch({ type: "player/previous" });
      case "stop":
        return dispatch({ type: "playback/stop" });
      case "nextScreen":
        return dispatch({ type: "app/cycleScreen", by: 1 });
      case "previousScreen":
        return dispatch({ type: "app/cycleScreen", by: -1 });
      case "help":
        return dispatch({ type: "app/help", open: true });
      case "signOut":
        return void controller.signOut();
      case "quit":
        return void controller.quit();
    }
  });
}

function Shell(): ReactNode {
  const { state } = useTui();
  const { columns, rows } = useTerminalSize();
  useKeyInput();
  useGlobalKeys();
  // One line short of the terminal, so that ink redraws in place instead of clearing the screen on every frame.
  const height = Math.max(10, rows - 1);
  const showBar = isMainScreen(state.screen) || state.playback.track !== null;
  const bodyHeight = height - 2 - (showBar ? NOW_PLAYING_HEIGHT : 0);
  return (
    <Box flexDirection="column" height={height} width={columns}>
      <TabBar />
      {state.help ? <HelpOverlay height={height - 1} width={columns} /> : (
        <>
          <Box height={bodyHeight} flexDirection="column" overflow="hidden">
            <ErrorBoundary>
              <Screen height={bodyHeight} width={columns} />
            </ErrorBoundary>
          </Box>
          <NoticeLine />
          {showBar ? <NowPlayingBar width={columns} /> : null}
        </>
      )}
    </Box>
  );
}

/** The player TUI. Render it with ink; it calls ink's `exit()` once the user quit and playback stopped. */
export function App(props: AppProps): ReactNode {
  const { exit } = useApp();
  const [runtime] = useState<TuiRuntime>(() => {
    const start: StartOptions = { now: Date.now() };
    const { host, user, session } = props.options ?? {};
    if (host !== undefined) start.host = host;
    if (user !== undefined) start.user = user;
    if (session !== undefined) start.session = session;
    const store = new Store(initialState(start));
    return {
      store,
      controller: new TuiController(props.services, store),
      keys: new KeyRouter(store.getState),
    };
  });
  useEffect(() => {
    runtime.controller.setExit(() => exit());
    void runtime.controller.start();
    return () => runtime.controller.dispose();
  }, []);
  return (
    <TuiProvider runtime={runtime}>
      <Shell />
    </TuiProvider>
  );
}
