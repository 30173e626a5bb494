/**
 * Runs the player TUI in the terminal until the user quits.
 *
 * @module
 */

import { render, type RenderOptions } from "ink";
import process from "node:process";
import { App } from "./app.tsx";
import type { TuiOptions, TuiServices } from "./services.ts";

/** Options of {@linkcode runTui}: where to start, and (for tests) other streams than the process's. */
export interface RunTuiOptions extends TuiOptions {
  stdin?: RenderOptions["stdin"];
  stdout?: RenderOptions["stdout"];
  stderr?: RenderOptions["stderr"];
}

const ENTER_ALTERNATE_SCREEN = "\x1b[?1049h\x1b[H";
const LEAVE_ALTERNATE_SCREEN = "\x1b[?1049l";

/**
 * Renders the player and resolves once the user quit (q or Ctrl+C) and playback stopped. On a terminal it draws on
 * the alternate screen, like other full-screen players, and leaves the terminal as it found it: normal screen,
 * cursor shown, raw mode off. Throws at once when standard input is not a terminal (ink needs raw mode). Exiting the
 * process is the caller's business.
 */
export async function runTui(services: TuiServices, options: RunTuiOptions = {}): Promise<void> {
  const { stdin, stdout = process.stdout, stderr, ...start } = options;
  if (stdin === undefined && process.stdin.isTTY !== true) {
    throw new Error("Cannot start the player: standard input is not a terminal (run `audiod play` in one)");
  }
  const alternate = stdout.isTTY === true;
  if (alternate) stdout.write(ENTER_ALTERNATE_SCREEN);
  const renderOptions: RenderOptions = { stdout, exitOnCtrlC: false };
  if (stdin !== undefined) renderOptions.stdin = stdin;
  if (stderr !== undefined) renderOptions.stderr = stderr;
  try {
    const instance = render(<App services={services} options={start} />, renderOptions);
    try {
      await instance.waitUntilExit();
    } finally {
      instance.unmount();
      instance.cleanup();
    }
  } finally {
    if (alternate) stdout.write(LEAVE_ALTERNATE_SCREEN);
  }
}
