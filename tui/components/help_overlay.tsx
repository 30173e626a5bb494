/**
 * The help overlay, generated from the key table: the bindings of the screen in front (of each mode it can be in,
 * `helpScopes`), grouped by scope, laid out
 * in as many columns as fit and paged when they do not.
 *
 * @module
 */

import { Box, Text } from "ink";
import type { ReactNode } from "react";
import { useTui } from "../context.tsx";
import { bindingLabel, bindingsIn, helpScopes, type KeyScope, SCOPE_TITLES } from "../keys.ts";
import { useKeys } from "../use_keys.ts";

/** One line of the help: a scope's title or one binding. */
export type HelpLine = { title: string } | { keys: string; help: string };

/** The lines of the help for some scopes, in table order. */
export function helpLines(scopes: readonly KeyScope[]): HelpLine[] {
  return scopes.flatMap((scope) => [
    { title: SCOPE_TITLES[scope] },
    ...bindingsIn([scope]).map((binding) => ({ keys: bindingLabel(binding), help: binding.help })),
  ]);
}

const KEYS_WIDTH = 12;

/** How a binding line reads: the keys padded to a column, then what they do. */
export function formatHelpLine(line: { keys: string; help: string }): string {
  return `${line.keys.padEnd(KEYS_WIDTH - 1)} ${line.help}`;
}

/** Splits `lines` into pages of `columns` columns of `rows` lines. */
export function helpPages(lines: readonly HelpLine[], rows: number, columns: number): HelpLine[][][] {
  const perColumn = Math.max(1, rows);
  const columnsOf: HelpLine[][] = [];
  for (let i = 0; i < lines.length; i += perColumn) columnsOf.push(lines.slice(i, i + perColumn));
  const pages: HelpLine[][][] = [];
  const perPage = Math.max(1, columns);
  for (let i = 0; i < columnsOf.length; i += perPage) pages.push(columnsOf.slice(i, i + perPage));
  return pages.length === 0 ? [[]] : pages;
}

export function HelpOverlay(props: { height: number; width: number }): ReactNode {
  const { state, dispatch } = useTui();
  const lines = helpLines(helpScopes(state.screen));
  const columnWidth = Math.max(
    ...lines.map((line) => ("title" in line ? line.title.length : formatHelpLine(line).length)),
  ) + 2;
  const pages = helpPages(lines, props.height - 2, Math.floor(props.width / columnWidth));
  const page = Math.min(state.helpPage, pages.length - 1);
  useKeys(["help"], (action) => {
    if (action === "closeHelp") dispatch({ type: "app/help", open: false });
    if (action === "helpNext") dispatch({ type: "app/helpPage", by: 1, pages: pages.length });
    if (action === "helpPrevious") dispatch({ type: "app/helpPage", by: -1, pages: pages.length });
  });
  return (
    <Box flexDirection="column" height={props.height} overflow="hidden">
      <Text bold>
        Keys{pages.length > 1 ? ` (page ${page + 1} of ${pages.length}: j/k for more)` : ""}, ? or Esc closes
      </Text>
      <Box flexDirection="row" marginTop={1}>
        {(pages[page] ?? []).map((column, c) => (
          <Box key={c} flexDirection="column" width={columnWidth}>
            {column.map((line, i) =>
              "title" in line
                ? <Text key={i} bold color="cyan">{line.title}</Text>
                : <Text key={i} wrap="truncate-end">{formatHelpLine(line)}</Text>
            )}
          </Box>
        ))}
      </Box>
    </Box>
  );
}
