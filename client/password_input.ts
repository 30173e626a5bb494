/**
 * Where a client command gets a password: `--password-stdin`, the AUDIOD_PASSWORD environment variable, or a
 * hidden prompt when a person is at the terminal.
 *
 * @module
 */

import { CommandError } from "../cli/usage_error.ts";

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

/**
 * Reads the current and the new password for `audiod passwd`: two lines on stdin (`--password-stdin`), else
 * AUDIOD_PASSWORD and AUDIOD_NEW_PASSWORD, else hidden prompts (the new one twice).
 */
export async function readPasswordChange(
  options: { stdin: boolean },
): Promise<{ current: string; next: string }> {
  if (options.stdin) {
    const text = new TextDecoder().decode(await new Response(Deno.stdin.readable).arrayBuffer());
    const [current = "", next = ""] = text.split(/\r?\n/);
    if (current === "" || next === "") {
      throw new CommandError(
        "Cannot read the passwords from stdin: give the current one, then the new one, one a line",
      );
    }
    return { current, next };
  }
  const current = Deno.env.get("AUDIOD_PASSWORD");
  const next = Deno.env.get("AUDIOD_NEW_PASSWORD");
  if (current && next) return { current, next };
  if (!Deno.stdin.isTerminal()) {
    throw new CommandError(
      "Cannot ask for the passwords: stdin is not a terminal (use --password-stdin with two lines, or set " +
        "AUDIOD_PASSWORD and AUDIOD_NEW_PASSWORD)",
    );
  }
  const { password } = await import("@inquirer/prompts");
  const asked = await password({ message: "Current password:", mask: false });
  const fresh = await password({ message: "New password:", mask: false });
  const again = await password({ message: "New password again:", mask: false });
  if (again !== fresh) throw new CommandError("Cannot change the password: the two new passwords differ");
  return { current: asked, next: fresh };
}
