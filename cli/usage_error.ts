/** A mistake in how a command was invoked: the CLI prints the message and help, and exits with status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * A command failed for a reason the user can act on: the CLI prints `audiod: <message>` and exits with status
 * `exitCode` (1; 130 for a command the user interrupted).
 */
export class CommandError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = "CommandError";
    this.exitCode = exitCode;
  }
}
