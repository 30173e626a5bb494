/**
 * The sign-in screen: log in or register on the server chosen, password hidden.
 *
 * @module
 */

import { Box, Text } from "ink";
import type { ReactNode } from "react";
import { TextField } from "../components/text_field.tsx";
import { useTui } from "../context.tsx";
import { typedText } from "../keys.ts";
import { signInFields } from "../state/forms.ts";
import { useKeys } from "../use_keys.ts";
import { GAP } from "../format.ts";

const LABELS = {
  user: "User:     ",
  password: "Password: ",
  confirm: "Again:    ",
  invite: "Invite:   ",
} as const;

export function SignInScreen(): ReactNode {
  const { state, dispatch, controller } = useTui();
  const form = state.signIn;
  const fields = signInFields(form.mode);
  useKeys(["signIn"], (action, input, key, current) => {
    const now = current.signIn;
    switch (action) {
      case "submit":
        if (now.busy) return;
        if (now.field === signInFields(now.mode).at(-1)) void controller.submitSignIn();
        else dispatch({ type: "signIn/field", by: 1 });
        return;
      case "nextField":
        return dispatch({ type: "signIn/field", by: 1 });
      case "previousField":
        return dispatch({ type: "signIn/field", by: -1 });
      case "toggleMode":
        return dispatch({ type: "signIn/toggleMode" });
      case "back":
        if (!now.busy) dispatch({ type: "signIn/back" });
        return;
      case "erase":
        return dispatch({ type: "signIn/erase" });
      case null: {
        const text = typedText(input, key);
        if (text !== "") dispatch({ type: "signIn/type", text });
      }
    }
  });
  const tab = (mode: typeof form.mode, title: string) =>
    form.mode === mode ? <Text inverse bold>{` ${title} `}</Text> : <Text dimColor>{` ${title} `}</Text>;
  return (
    <Box flexDirection="column" paddingX={1}>
      <Text>
        <Text bold>Sign in to {form.host}</Text>
        {GAP}
        {tab("login", "Log in")} {tab("register", "Register")}
        <Text dimColor>{GAP}Ctrl+R switches</Text>
      </Text>
      {form.message !== null ? <Text color="yellow">{form.message}</Text> : null}
      <Box flexDirection="column" marginTop={1}>
        {fields.map((field) => (
          <TextField
            key={field}
            label={LABELS[field]}
            value={form[field]}
            secret={field === "password" || field === "confirm"}
            focused={form.field === field && !form.busy}
          />
        ))}
      </Box>
      {form.mode === "register"
        ? <Text dimColor>The invite code is only needed where the server asks for one (audiod invite)</Text>
        : null}
      <Box marginTop={1}>
        {form.busy
          ? <Text color="yellow">{form.mode === "login" ? "Signing in…" : "Creating the account…"}</Text>
          : form.error !== null
          ? <Text color="red">{form.error}</Text>
          : (
            <Text dimColor>
              Enter: next field, then {form.mode === "login" ? "log in" : "register"} · Esc: other server
            </Text>
          )}
      </Box>
    </Box>
  );
}
