/** A mistake in how a command was invoked: the CLI prints the message and help, and exits with status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** A command failed for a reason the user can act on: the CLI prints `audiod: <message>` and exits with status 1. */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CommandError";
  }
}
