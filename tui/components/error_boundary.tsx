/**
 * Catches an error thrown while drawing, shows it, and lets the user retry or quit: a bug in one screen must not
 * take the terminal down with it.
 *
 * @module
 */

import { Box, Text, useInput } from "ink";
import { Component, type ErrorInfo, type ReactNode } from "react";
import { useTui } from "../context.tsx";
import { errorMessage } from "../services.ts";

function Fallback(props: { error: unknown; onRetry: () => void }): ReactNode {
  const { controller } = useTui();
  useInput((input) => {
    if (input === "r") props.onRetry();
    if (input === "q") void controller.quit();
  });
  return (
    <Box flexDirection="column" padding={1}>
      <Text color="red" bold>Cannot draw the screen: {errorMessage(props.error)}</Text>
      <Text>Press r to try again, q to quit</Text>
    </Box>
  );
}

interface BoundaryState {
  error: unknown;
  failed: boolean;
}

export class ErrorBoundary extends Component<{ children: ReactNode }, BoundaryState> {
  override state: BoundaryState = { error: null, failed: false };

  static getDerivedStateFromError(error: unknown): BoundaryState {
    return { error, failed: true };
  }

  override componentDidCatch(_error: unknown, _info: ErrorInfo): void {
    // Shown by render(); nothing to log to: the terminal belongs to the UI.
  }

  override render(): ReactNode {
    if (this.state.failed) {
      return (
        <Fallback
          error={this.state.error}
          onRetry={() => this.setState({ error: null, failed: false })}
        />
      );
    }
    return this.props.children;
  }
}
