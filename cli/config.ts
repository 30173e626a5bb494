/**
 * Settings of a daemon command from three more places than its flags: a config file, the environment, and the
 * defaults. For every flag `--max-file` of `audiod bootstrap`:
 *
 * - the flag itself wins;
 * - else the environment variable `AUDIOD_MAX_FILE` (`AUDIOD_` and the flag in capitals, `-` as `_`);
 * - else the key `max-file` of the config file: `--config FILE`, else `AUDIOD_CONFIG`, else
 *   `$XDG_CONFIG_HOME/audiod/bootstrap.toml` (`~/.config/audiod/…`; `AUDIOD_CONFIG_DIR` moves it) when present;
 * - else the flag's default.
 *
 * The file is TOML, not JSON: it is what operators of Navidrome, mpd's successors, Cargo, systemd's neighbours
 * write by hand, and it allows comments (`# why this is 6`), which JSON does not. `--print-config` prints the
 * settings in effect as TOML, with where each came from, so its output is a config file to start from.
 *
 * Values from the environment and the file go through the same checks as flags (the parsers the command uses,
 * handed in as `checks`), before anything starts; a wrong one, an unknown key or a file that is not TOML is a
 * {@linkcode UsageError} naming the file, the key and what is expected (exit 2). A repeatable flag (`--ssh`)
 * takes a TOML array, or a comma-separated list in the environment; a flag given on the command line replaces,
 * not extends, the file's list.
 *
 * Commander checks required options before any hook runs, so {@linkcode withConfig} makes them optional for
 * commander and checks them itself once the environment and the file have had their say.
 *
 * @module
 */

import { join } from "node:path";
import { type CommandUnknownOpts, Option } from "@commander-js/extra-typings";
import { parse as parseToml } from "smol-toml";
import { printOut } from "../daemon/runtime/log.ts";
import { UsageError } from "./usage_error.ts";

/** Checks one value of a flag (the same parser the command runs); throws a UsageError when it is wrong. */
export type ValueCheck = (value: string) => unknown;

/** What {@linkcode withConfig} reads the world through (tests hand in their own). */
export interface ConfigDeps {
  /** An environment variable; default `Deno.env.get`. */
  env?: (name: string) => string | undefined;
  /** A file's text, or null when there is none; default `Deno.readTextFileSync`. */
  readTextFile?: (path: string) => string | null;
  /** Where `--print-config` writes; default stdout. */
  print?: (line: string) => void;
  /** Ends the process after `--print-config`; default `Deno.exit`. */
  exit?: (code: number) => never;
}

/** Options for {@linkcode withConfig}. */
export interface ConfigOptions extends ConfigDeps {
  /** The daemon's name, e.g. `bootstrap`: names its default file and the messages. */
  role: string;
  /**
   * Checks by flag name without dashes (`max-file`), run on values from the environment and the file; or a
   * function loading them, called only when a daemon command runs.
   */
  checks?: Record<string, ValueCheck> | (() => Promise<Record<string, ValueCheck>>);
}

/** Where a setting came from. */
export type SettingSource = "flag" | "env" | "file" | "default" | "unset";

/** One setting in effect, as `--print-config` shows it. */
export interface Setting {
  key: string;
  value: unknown;
  source: SettingSource;
  /** The environment variable or file it came from. */
  from?: string;
  /** The command cannot start without it. */
  required?: boolean;
}

/** Names of options that are never settings (they steer the command itself). */
const NOT_SETTINGS = new Set(["--config", "--print-config", "--help", "--version"]);

/** Keys whose values are shown as `********` by `--print-config`. */
const SECRET = /secret|password|token/;

/** The environment variable of a flag: `--max-file` → `AUDIOD_MAX_FILE`. */
export function envNameOf(flag: string): string {
  return "AUDIOD_" + flag.replace(/^--/, "").toUpperCase().replaceAll("-", "_");
}

/** The default config file of `role`: `AUDIOD_CONFIG_DIR`, else `$XDG_CONFIG_HOME/audiod`, else `~/.config/audiod`. */
export function defaultConfigFile(role: string, env: (name: string) => string | undefined): string {
  const own = env("AUDIOD_CONFIG_DIR");
  const xdg = env("XDG_CONFIG_HOME");
  const dir = own ? own : join(xdg ? xdg : join(env("HOME") ?? ".", ".config"), "audiod");
  return join(dir, `${role}.toml`);
}

/**
 * Adds `--config FILE` and `--print-config` to a daemon command and, before its action runs, fills every flag
 * not given on the command line from the environment, then the config file (see the module doc).
 */
export function withConfig(command: CommandUnknownOpts, options: ConfigOptions): void {
  const settings = command.options.filter((o) => o.long && !o.hidden && !NOT_SETTINGS.has(o.long));
  const required = new Set(settings.filter((o) => o.mandatory));
  for (const o of required) o.mandatory = false; // checked below, after the environment and the file
  command.addOption(
    new Option(
      "--config <file>",
      `read settings from this TOML file (or AUDIOD_CONFIG; default: ~/.config/audiod/${options.role}.toml ` +
        'when present). Every flag is also a key (listen = "…") and an environment variable (AUDIOD_LISTEN)',
    ),
  );
  command.addOption(
    new Option(
      "--print-config",
      "print the settings in effect (flag > environment > file > default) and exit",
    ),
  );
  command.hook("preAction", async (cmd) => {
    const checks = typeof options.checks === "function" ? await options.checks() : options.checks ?? {};
    const resolved = resolveSettings(cmd, settings, options, checks, required);
    if (cmd.getOptionValue("printConfig")) {
      const print = options.print ?? printOut;
      for (const line of formatSettings(options.role, resolved)) print(line);
      (options.exit ?? Deno.exit)(0);
    }
    for (const o of required) {
      if (cmd.getOptionValue(o.attributeName()) !== undefined) continue;
      const key = o.long!.slice(2);
      throw new UsageError(
        `Cannot start audiod ${options.role}: ${o.flags} is required (or ${
          envNameOf(o.long!)
        }, or ${key} in ` +
          `${resolved.file})`,
      );
    }
  });
}

/** The settings in effect and the config file they were read with. */
export interface ResolvedSettings {
  file: string;
  fileFound: boolean;
  settings: Setting[];
  /** Whether AUDIOD_JOIN_SECRET is set (its value is never printed). */
  joinSecretEnv: boolean;
}

function resolveSettings(
  cmd: CommandUnknownOpts,
  settings: readonly Option[],
  options: ConfigOptions,
  checks: Record<string, ValueCheck>,
  required: ReadonlySet<Option>,
): ResolvedSettings {
  const env = options.env ?? ((name: string) => Deno.env.get(name));
  const read = options.readTextFile ?? readIfPresent;
  const flagFile = cmd.getOptionValue("config") as string | undefined;
  const explicit = flagFile ?? (env("AUDIOD_CONFIG") || undefined);
  const file = explicit ?? defaultConfigFile(options.role, env);
  const text = read(file);
  if (text === null && explicit !== undefined) {
    throw new UsageError(`Cannot read the config file ${file}: it does not exist`);
  }
  const table = text === null ? {} : parseFile(file, text);
  const byKey = new Map(settings.map((o) => [o.long!.slice(2), o]));
  for (const key of Object.keys(table)) {
    if (!byKey.has(key)) {
      throw new UsageError(
        `Cannot use the config file ${file}: unknown key "${key}" (audiod ${options.role} knows ` +
          `${[...byKey.keys()].join(", ")})`,
      );
    }
  }
  const out: Setting[] = [];
  for (const [key, o] of byKey) {
    const attr = o.attributeName();
    const source = cmd.getOptionValueSource(attr);
    if (source === "cli") {
      out.push({ key, value: cmd.getOptionValue(attr), source: "flag" });
      continue;
    }
    const envName = envNameOf(o.long!);
    const raw = env(envName);
    let value: unknown;
    let setting: Setting;
    if (raw !== undefined && raw !== "") {
      value = fromEnv(o, raw, envName);
      check(o, value, checks, `Cannot use ${envName}`);
      cmd.setOptionValueWithSource(attr, value, "env");
      setting = { key, value, source: "env", from: envName };
    } else if (key in table) {
      value = fromFile(o, table[key], file, key);
      check(o, value, checks, `Cannot use ${key} in ${file}`);
      cmd.setOptionValueWithSource(attr, value, "config");
      setting = { key, value, source: "file", from: file };
    } else {
      value = cmd.getOptionValue(attr);
      setting = value === undefined
        ? { key, value, source: "unset", required: required.has(o) }
        : { key, value, source: "default" };
    }
    out.push(setting);
  }
  return {
    file,
    fileFound: text !== null,
    settings: out,
    joinSecretEnv: (env("AUDIOD_JOIN_SECRET") ?? "") !== "",
  };
}

function readIfPresent(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw new UsageError(`Cannot read the config file ${path}: ${(error as Error).message}`);
  }
}

function parseFile(file: string, text: string): Record<string, unknown> {
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (error) {
    const e = error as Error & { line?: number; column?: number };
    const at = e.line ? ` (line ${e.line}, column ${e.column})` : "";
    const first = (e.message ?? String(error)).split("\n")[0];
    throw new UsageError(`Cannot read the config file ${file}: it is not valid TOML${at}: ${first}`);
  }
}

const isList = (o: Option) => Array.isArray(o.defaultValue);
const isSwitch = (o: Option) => !o.required && !o.optional;

function fromFile(o: Option, value: unknown, file: string, key: string): unknown {
  const wrong = (expected: string) =>
    new UsageError(`Cannot use ${key} in ${file}: expected ${expected}, not ${JSON.stringify(value)}`);
  if (isSwitch(o)) {
    if (typeof value !== "boolean") throw wrong("true or false");
    return value;
  }
  const scalar = (v: unknown) => {
    if (typeof v === "string") return v;
    if (typeof v === "number" && Number.isFinite(v)) return String(v);
    return undefined;
  };
  if (isList(o)) {
    const items = Array.isArray(value) ? value.map(scalar) : [scalar(value)];
    if (items.some((v) => v === undefined)) throw wrong('a list of strings, e.g. ["a", "b"]');
    return items;
  }
  const text = scalar(value);
  if (text === undefined) throw wrong(`a string, e.g. ${key} = "${o.argChoices?.[0] ?? "…"}"`);
  return text;
}

function fromEnv(o: Option, raw: string, envName: string): unknown {
  if (isSwitch(o)) {
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    throw new UsageError(`Cannot use ${envName}="${raw}": expected 1, true, 0 or false`);
  }
  if (isList(o)) return raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
  return raw;
}

/** Runs the flag's own checks (choices, the command's parser) on a value from the environment or the file. */
function check(o: Option, value: unknown, checks: Record<string, ValueCheck>, where: string): void {
  const key = o.long!.slice(2);
  const values = Array.isArray(value) ? value : [value];
  for (const v of values) {
    if (typeof v !== "string") continue;
    if (o.argChoices && !o.argChoices.includes(v)) {
      throw new UsageError(`${where}: "${v}" is not one of ${o.argChoices.join(", ")}`);
    }
    try {
      checks[key]?.(v);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      // The parsers say "Cannot use --max-file "x": expected …"; keep what is expected, name the source.
      const why = error.message.replace(/^Cannot [^:]*: /, "");
      throw new UsageError(`${where}: "${v}" is not valid: ${why}`);
    }
  }
}

/** The lines `--print-config` prints: TOML, each setting with where it came from. */
export function formatSettings(role: string, resolved: ResolvedSettings): string[] {
  const lines = [
    `# audiod ${role}: the settings in effect (flag > environment > file > default)`,
    `# config file: ${resolved.file}${resolved.fileFound ? "" : " (not present)"}`,
  ];
  if (resolved.joinSecretEnv) lines.push("# join secret: from AUDIOD_JOIN_SECRET (hidden)");
  for (const s of resolved.settings) {
    if (s.source === "unset") {
      lines.push(`# ${s.key} = (not set${s.required ? ", required" : ""})`);
      continue;
    }
    const shown = SECRET.test(s.key) && !s.key.endsWith("-file") ? "********" : s.value;
    const where = s.source === "env" || s.source === "file" ? `${s.source} ${s.from}` : s.source;
    lines.push(`${s.key} = ${JSON.stringify(shown)}  # ${where}`);
  }
  return lines;
}
