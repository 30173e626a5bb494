/**
 * The connect screen: the server's address, typed or picked from the recent servers.
 *
 * @module
 */

import { Box, Text } from "ink";
import type { ReactNode } from "react";
import { TextField } from "../components/text_field.tsx";
import { useTui } from "../context.tsx";
import { typedText } from "../keys.ts";
import { useKeys } from "../use_keys.ts";
import { GAP } from "../format.ts";

export function ConnectScreen(): ReactNode {
  const { state, dispatch, controller } = useTui();
  const form = state.connect;
  useKeys(["connect"], (action, input, key, current) => {
    switch (action) {
      case "connect":
        if (!current.connect.busy) void controller.connect(current.connect.address);
        return;
      case "nextRecent":
        return dispatch({ type: "connect/recent", by: 1 });
      case "previousRecent":
        return dispatch({ type: "connect/recent", by: -1 });
      case "erase":
        return dispatch({ type: "connect/erase" });
      case null: {
        const text = typedText(input, key);
        if (text !== "") dispatch({ type: "connect/type", text });
      }
    }
  });
  return (
    <Box flexDirection="column" paddingX={1}>
      <Text bold>Connect to an audiod server</Text>
      <Box marginTop={1}>
        <TextField
          label="Address: "
          value={form.address}
          focused={!form.busy}
          placeholder="192.168.1.10:7700"
        />
      </Box>
      <Text dimColor>
        {GAP}An IP or host name, with an optional port (7700 by default), or a full http:// URL
      </Text>
      {form.recent.length > 0
        ? (
          <Box flexDirection="column" marginTop={1}>
            <Text dimColor>Recent servers (↑/↓ picks one)</Text>
            {form.recent.map((server, i) => (
              <Text key={server} {...(i === form.recentIndex ? { color: "cyan" } : {})}>
                {i === form.recentIndex ? "› " : "  "}
                {server}
              </Text>
            ))}
          </Box>
        )
        : null}
      <Box marginTop={1}>
        {form.busy
          ? <Text color="yellow">Connecting to {form.address}…</Text>
          : form.error !== null
          ? <Text color="red">{form.error} (Enter tries again)</Text>
          : <Text dimColor>Enter connects · Ctrl+C quits</Text>}
      </Box>
    </Box>
  );
}
