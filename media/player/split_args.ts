/**
 * Splits a `--player-args` string into arguments the way a POSIX shell would (without expansions).
 *
 * @module
 */

/**
 * Splits `line` into arguments like `sh` does, without variable, glob or command expansion: whitespace separates
 * arguments; `'…'` keeps everything literally; `"…"` keeps everything except `\"`, `\\`, `\$` and `` \` `` escapes;
 * outside quotes a backslash keeps the next character; `''` and `""` give an empty argument.
 *
 * @throws {Error} when a quote is not closed or the line ends in a lone backslash.
 */
export function splitArgs(line: string): string[] {
  const args: string[] = [];
  let current = "";
  /** True once the current argument has begun, even if it is still empty (`''`). */
  let started = false;
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      if (started) args.push(current);
      current = "";
      started = false;
      i++;
    } else if (c === "'") {
      const close = line.indexOf("'", i + 1);
      if (close < 0) throw new Error(`Cannot split player arguments: the ' at position ${i} is never closed`);
      current += line.slice(i + 1, close);
      started = true;
      i = close + 1;
    } else if (c === '"') {
      i++;
      started = true;
      let closed = false;
      while (i < line.length) {
        const d = line[i]!;
        if (d === '"') {
          closed = true;
          i++;
          break;
        }
        const next = line[i + 1];
        if (d === "\\" && next !== undefined && '"\\$`'.includes(next)) {
          current += next;
          i += 2;
        } else {
          current += d;
          i++;
        }
      }
      if (!closed) throw new Error('Cannot split player arguments: a " is never closed');
    } else if (c === "\\") {
      const next = line[i + 1];
      if (next === undefined) {
        throw new Error("Cannot split player arguments: the line ends in a lone backslash");
      }
      // A backslash-newline is a line continuation, as in sh.
      if (next !== "\n") current += next;
      started = started || next !== "\n";
      i += 2;
    } else {
      current += c;
      started = true;
      i++;
    }
  }
  if (started) args.push(current);
  return args;
}
