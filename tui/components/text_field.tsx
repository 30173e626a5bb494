/**
 * A one-line text field: label, value (or bullets for a password) and a cursor when it has the keyboard.
 *
 * @module
 */

import { Text } from "ink";
import type { ReactNode } from "react";

export interface TextFieldProps {
  label: string;
  value: string;
  focused: boolean;
  /** Shows one bullet per character instead of the value. */
  secret?: boolean;
  placeholder?: string;
}

/** Draws a field; typing is handled by the screen that owns it. */
export function TextField(props: TextFieldProps): ReactNode {
  const shown = props.secret ? "•".repeat(Array.from(props.value).length) : props.value;
  const empty = shown === "" && !props.focused;
  return (
    <Text>
      <Text color={props.focused ? "cyan" : "gray"}>{props.focused ? "› " : "  "}{props.label}</Text>
      {empty && props.placeholder !== undefined
        ? <Text dimColor>{props.placeholder}</Text>
        : <Text>{shown}</Text>}
      {props.focused ? <Text inverse></Text> : null}
    </Text>
  );
}
