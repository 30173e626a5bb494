/**
 * The top line: the screens (the one in front highlighted), who is signed in where, and the help key.
 *
 * @module
 */

import { Box, Text } from "ink";
import type { ReactNode } from "react";
import { useTui } from "../context.tsx";
import { type Screen, shownScreens } from "../state/app.ts";
import { GAP } from "../format.ts";

const TITLES: Record<Screen, string> = {
  connect: "Connect",
  signIn: "Sign in",
  library: "Library",
  queue: "Queue",
  playlists: "Playlists",
  cluster: "Cluster",
};

export function TabBar(): ReactNode {
  const { state } = useTui();
  const screens: readonly Screen[] = state.session === null ? [state.screen] : shownScreens(state);
  const where = state.session === null ? "" : `${state.session.user} @ ${state.session.host}`;
  return (
    <Box justifyContent="space-between" width="100%">
      <Text wrap="truncate-end">
        <Text bold color="magenta">audiod</Text>
        {screens.map((screen) => (
          <Text key={screen}>
            {GAP}
            {screen === state.screen
              ? <Text inverse bold>{` ${TITLES[screen]} `}</Text>
              : ` ${TITLES[screen]} `}
          </Text>
        ))}
      </Text>
      <Text wrap="truncate-start" dimColor>
        {where}
        {state.session === null ? "" : "  ? help"}
      </Text>
    </Box>
  );
}
