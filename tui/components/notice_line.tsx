/**
 * The line under the screen: the latest notice, or what is happening while quitting.
 *
 * @module
 */

import { Text } from "ink";
import type { ReactNode } from "react";
import { useTui } from "../context.tsx";

const COLORS = { info: "cyan", warning: "yellow", error: "red" } as const;

export function NoticeLine(): ReactNode {
  const { state } = useTui();
  if (state.quitting) return <Text color="yellow">Stopping playback and quitting…</Text>;
  if (state.notice === null) return <Text></Text>;
  return <Text color={COLORS[state.notice.tone]} wrap="truncate-end">{state.notice.text}</Text>;
}
