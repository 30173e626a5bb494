/**
 * Where a client command gets a password: `--password-stdin`, the AUDIOD_PASSWORD environment variable, or a
 * hidden prompt when a person is at the terminal.
 *
 * @module
 */

import { CommandError } from "../daemon/usage_error.ts";

/** Reads the password as the options say. */
export async function readPassword(options: { stdin: boolean; confirm: boolean }): Promise<string> {
  if (options.stdin) {
    const text = new TextDecoder().decode(await new Response(Deno.stdin.readable).arrayBuffer());
    const password = text.replace(/\r?\n$/, "");
    if (password === "") throw new CommandError("Cannot read a password from stdin: it was empty");
    return password;
  }
  const env = Deno.env.get("AUDIOD_PASSWORD");
  if (env !== undefined && env !== "") return env;
  if (!Deno.stdin.isTerminal()) {
    throw new CommandError(
      "Cannot ask for a password: stdin is not a terminal (use --password-stdin or set AUDIOD_PASSWORD)",
    );
  }
  const { password } = await import("@inquirer/prompts");
  const first = await password({ message: "Password:", mask: false });
  if (options.confirm) {
    const again = await password({ message: "Password again:", mask: false });
    if (again !== first) throw new CommandError("Cannot register: the two passwords differ");
  }
  return first;
}
