/**
 * audiod: a distributed audio playback system. This file only parses arguments and hands over to a role's
 * `run()` or to a client command.
 *
 * @module
 */

import { Command, CommanderError, Option } from "@commander-js/extra-typings";
import { parseAddresses, parseListen } from "./cli/address.ts";
import { UnreachableError } from "./daemon/cluster/peer_client.ts";
import { HttpError } from "./daemon/http/http_error.ts";
import { type LogFormat, printErr } from "./daemon/runtime/log.ts";
import { defaultDataDir } from "./daemon/runtime/paths.ts";
import { CommandError, UsageError } from "./cli/usage_error.ts";
import { withConfig } from "./cli/config.ts";
import { VERSION } from "./daemon/runtime/version.ts";
import { tuneMalloc } from "./daemon/runtime/malloc_tuning.ts";
import { keepRunningOnUnhandled } from "./daemon/runtime/last_resort.ts";

/** Commands that run daemons (and their role instances) in this process. */
const DAEMONS = new Set(["bootstrap", "content", "auth", "file", "demo"]);

const logFormatOption = () =>
  new Option("--log-format <format>", "log lines as text or json").choices(["text", "json"] as const)
    .default("text" as const);

// Security options every daemon takes: TLS, the CA its calls trust, and (nodes, instances) the join secret.
const tlsCertOption = () =>
  new Option("--tls-cert <file>", "serve HTTPS with this certificate (PEM, with --tls-key)");
const tlsKeyOption = () => new Option("--tls-key <file>", "the private key of --tls-cert (PEM)");
const caOption = () => new Option("--ca <file>", "trust this CA certificate (PEM) for https (or AUDIOD_CA)");
const joinSecretOption = () =>
  new Option(
    "--join-secret-file <file>",
    "the cluster's join secret: the bootstrap's <data dir>/join-secret (or AUDIOD_JOIN_SECRET)",
  );

/** Runs a daemon until SIGINT/SIGTERM, then lets it stop cleanly. */
async function daemon(
  run: (signal: AbortSignal) => Promise<void>,
  options: { exitOnStdinEof?: boolean; role?: string; logFormat?: LogFormat } = {},
): Promise<void> {
  keepRunningOnUnhandled(options.role ?? "audiod", options.logFormat);
  const stop = new AbortController();
  if (options.exitOnStdinEof) {
    // Started over SSH: when the session ends, stdin closes and the node stops instead of lingering.
    (async () => {
      try {
        for await (const _ of Deno.stdin.readable) { /* discard */ }
      } catch { /* closed */ }
      stop.abort();
    })();
  }
  let signals = 0;
  const onSignal = () => {
    signals++;
    if (signals > 1) {
      printErr("audiod: stopping now (second signal)");
      Deno.exit(130);
    }
    stop.abort();
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  await run(stop.signal);
  Deno.exit(0);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** One bootstrap address, or several comma-separated (bootstraps sharing a store): their URLs, comma-joined. */
function bootstrapOf(text: string): string {
  return parseAddresses(text);
}

function contentListen(bootstrap: string, listen: string | undefined): string {
  if (listen) return listen;
  const host = new URL(bootstrap.split(",")[0]!).hostname;
  const loopback = host === "localhost" || host.startsWith("127.") || host === "[::1]";
  return loopback ? "127.0.0.1:0" : "0.0.0.0:0";
}

const program = new Command("audiod")
  .description(
    "A distributed audio system: serve a music collection from many machines, verified to the byte.",
  )
  .version(VERSION)
  .showHelpAfterError("(run with --help for usage)")
  .configureOutput({
    outputError: (text, write) => write(text.replace(/^error: /, "audiod: ")),
  })
  .exitOverride()
  // Before any role starts: keeps freed Argon2id buffers from piling up in glibc's heap (see the module). Not
  // for client commands, whose 1 MiB chunk buffers would then each be mapped and unmapped.
  .hook("preAction", (_program, command) => {
    if (DAEMONS.has(command.name())) tuneMalloc();
  });

program.command("bootstrap")
  .description("run the bootstrap: registry, catalog, user store and scheduler (the address everyone knows)")
  .option("--listen <host:port>", "address to listen on (port 0 picks a free one)", "127.0.0.1:7700")
  .option("--data <dir>", "where the user store lives", defaultDataDir())
  .option(
    "--store <url>",
    "keep accounts, sessions and the join secret in PostgreSQL, shared by every bootstrap on it: " +
      "postgres://USER@HOST:PORT/DB (or AUDIOD_STORE; default SQLite in --data)",
  )
  .option("--ssh <user@host[:port]>", "start a content node on this host over SSH (repeatable)", collect, [])
  .option("--ssh-media <dir>", "the media directory on the --ssh hosts", "Music")
  .option(
    "--ssh-arg <arg>",
    "an option for ssh and scp, e.g. --ssh-arg=-i --ssh-arg=KEY (repeatable)",
    collect,
    [],
  )
  .option("--remote-audiod <command>", "the command that runs audiod on the --ssh hosts", "audiod")
  .option("--session-idle <duration>", "sign a session out after this long unused", "30m")
  .option("--session-lifetime <duration>", "sign a session out this long after sign-in at the latest", "12h")
  .option("--sign-in-rate <n/period>", "sign-in attempts allowed per client address", "20/min")
  .option("--min-file <n>", "file instances in the cluster at least (every content node runs one anyway)")
  .option("--max-file <n>", "file instances in the cluster at most (default 16)")
  .option("--file-target-streams <n>", "active streams per file instance to scale toward (default 20)")
  .option("--min-auth <n>", "auth instances in the cluster at least (default: one per content node)")
  .option("--max-auth <n>", "auth instances in the cluster at most (default 8)")
  .option("--auth-target-logins <n>", "sign-ins per second per auth instance to scale toward (default 10)")
  .option("--scale-down-window <duration>", "stop instances only after load stayed low this long", "60s")
  .option(
    "--subsonic-relay",
    "the OpenSubsonic API (/rest) relays stream bytes itself instead of redirecting to a file instance",
  )
  .addOption(
    new Option(
      "--registration <policy>",
      "who may create an account: anyone (open), holders of an audiod invite code (invite), or an admin only " +
        "(closed); the first account is the admin either way",
    ).choices(["open", "invite", "closed"] as const).default("open" as const),
  )
  .addOption(tlsCertOption())
  .addOption(tlsKeyOption())
  .addOption(caOption())
  .addOption(logFormatOption())
  .addHelpText(
    "after",
    "\nExamples:\n  audiod bootstrap --listen 0.0.0.0:7700 --data /var/lib/audiod\n" +
      "  audiod bootstrap --listen 0.0.0.0:7700 --store postgres://audiod@db.lan:5432/audiod\n" +
      "  audiod bootstrap --listen 0.0.0.0:7700 --ssh pi@10.0.0.5 --ssh pi@10.0.0.6 --ssh-media /srv/music\n" +
      "  audiod bootstrap --file-target-streams 2 --min-file 1 --max-file 6 --scale-down-window 60s",
  )
  .action(async (o) => {
    const listen = parseListen(o.listen);
    const { run } = await import("./roles/bootstrap/mod.ts");
    const { bootstrapSecurity } = await import("./cli/security_options.ts");
    const security = await bootstrapSecurity(o);
    const { parseScaleFlags } = await import("./roles/bootstrap/scale_flags.ts");
    const scale = parseScaleFlags(o);
    if (o.ssh.length > 0) {
      const { parseSshTarget } = await import("./roles/bootstrap/ssh_launcher.ts");
      o.ssh.forEach(parseSshTarget); // bad targets are usage errors before anything starts
    }
    const store = o.store ?? Deno.env.get("AUDIOD_STORE");
    const { parseStoreSpec } = await import("./roles/bootstrap/store/mod.ts");
    parseStoreSpec(store, o.data); // so is a --store that is not a postgres:// URL
    await daemon((signal) =>
      run({
        listen,
        dataDir: o.data,
        ...(store ? { store } : {}),
        logFormat: o.logFormat as LogFormat,
        ssh: { targets: o.ssh, media: o.sshMedia, sshArgs: o.sshArg, remoteAudiod: o.remoteAudiod },
        scale,
        ...(o.subsonicRelay ? { subsonicRelay: true } : {}),
        registration: o.registration,
        ...security,
      }, signal), { role: "bootstrap", logFormat: o.logFormat as LogFormat });
  });

program.command("content")
  .description("run a content node: the agent that runs auth and file instances on this machine")
  .requiredOption(
    "--bootstrap <addr>",
    "the bootstrap's address: HOST[:PORT] or a URL; several comma-separated (bootstraps on one store)",
  )
  .requiredOption("--media <dir>", "the music folder this machine serves")
  .option(
    "--listen <host:port>",
    "address to listen on (default 127.0.0.1:0 for a local bootstrap, else 0.0.0.0:0)",
  )
  .option(
    "--advertise <host>",
    "host name or IP the others reach this machine at (default: found automatically)",
  )
  .option("--data <dir>", "where the media index lives", defaultDataDir())
  .addOption(logFormatOption())
  .addOption(joinSecretOption())
  .addOption(tlsCertOption())
  .addOption(tlsKeyOption())
  .addOption(caOption())
  .addOption(new Option("--exit-on-stdin-eof", "stop when stdin closes (used by remote launches)").hideHelp())
  .addOption(
    new Option("--join-secret-stdin", "read the join secret from stdin's first line (remote launches)")
      .hideHelp(),
  )
  .addHelpText("after", "\nExample:\n  audiod content --bootstrap 192.168.1.10 --media ~/Music")
  .action(async (o) => {
    const bootstrap = bootstrapOf(o.bootstrap);
    const listen = parseListen(contentListen(bootstrap, o.listen));
    const { run } = await import("./roles/content.ts");
    const { memberSecurity } = await import("./cli/security_options.ts");
    const security = await memberSecurity(o);
    await daemon((signal) =>
      run({
        bootstrap,
        media: o.media,
        listen,
        ...(o.advertise ? { advertise: o.advertise } : {}),
        dataDir: o.data,
        logFormat: o.logFormat as LogFormat,
        ...security,
      }, signal), {
      exitOnStdinEof: !!o.exitOnStdinEof,
      role: "content",
      logFormat: o.logFormat as LogFormat,
    });
  });

program.command("auth")
  .description("run one auth instance as its own process")
  .requiredOption(
    "--bootstrap <addr>",
    "the bootstrap's address: HOST[:PORT] or a URL; several comma-separated (bootstraps on one store)",
  )
  .option("--listen <host:port>", "address to listen on", "127.0.0.1:0")
  .option("--advertise <host>", "host name or IP the others reach this instance at")
  .addOption(joinSecretOption())
  .addOption(tlsCertOption())
  .addOption(tlsKeyOption())
  .addOption(caOption())
  .addOption(logFormatOption())
  .action(async (o) => {
    const bootstrap = bootstrapOf(o.bootstrap);
    const listen = parseListen(o.listen);
    const { run } = await import("./roles/auth/mod.ts");
    const { memberSecurity } = await import("./cli/security_options.ts");
    const security = await memberSecurity({ ...o, data: defaultDataDir() });
    await daemon((signal) =>
      run({
        bootstrap,
        listen,
        ...(o.advertise ? { advertise: o.advertise } : {}),
        logFormat: o.logFormat as LogFormat,
        ...security,
      }, signal), { role: "auth", logFormat: o.logFormat as LogFormat });
  });

program.command("file")
  .description("run one file instance as its own process")
  .requiredOption(
    "--bootstrap <addr>",
    "the bootstrap's address: HOST[:PORT] or a URL; several comma-separated (bootstraps on one store)",
  )
  .requiredOption("--media <dir>", "the music folder to scan and serve")
  .option("--listen <host:port>", "address to listen on", "127.0.0.1:0")
  .option("--advertise <host>", "host name or IP the others reach this instance at")
  .option("--data <dir>", "where the media index lives", defaultDataDir())
  .addOption(joinSecretOption())
  .addOption(tlsCertOption())
  .addOption(tlsKeyOption())
  .addOption(caOption())
  .addOption(logFormatOption())
  .addOption(
    new Option("--rescan-interval <duration>", "rescan this often besides on changes (tests)").hideHelp(),
  )
  .action(async (o) => {
    const bootstrap = bootstrapOf(o.bootstrap);
    const listen = parseListen(o.listen);
    const { parseDuration } = await import("./cli/duration.ts");
    const rescanMs = o.rescanInterval ? parseDuration(o.rescanInterval, "--rescan-interval") : undefined;
    const { run } = await import("./roles/file/mod.ts");
    const { memberSecurity } = await import("./cli/security_options.ts");
    const security = await memberSecurity(o);
    await daemon((signal) =>
      run({
        bootstrap,
        listen,
        media: o.media,
        dataDir: o.data,
        ...(rescanMs ? { rescanMs } : {}),
        ...(o.advertise ? { advertise: o.advertise } : {}),
        logFormat: o.logFormat as LogFormat,
        ...security,
      }, signal), { role: "file", logFormat: o.logFormat as LogFormat });
  });

// Every daemon flag can also come from AUDIOD_<FLAG> or a TOML config file (--config; see cli/config.ts).
for (const role of ["bootstrap", "content", "auth", "file"]) {
  const command = program.commands.find((c) => c.name() === role)!;
  withConfig(command, { role, checks: async () => (await import("./cli/config_checks.ts")).DAEMON_CHECKS });
}

for (const mode of ["register", "login"] as const) {
  program.command(mode)
    .description(mode === "register" ? "create an account and sign in" : "sign in and save the session")
    .option("--host <addr>", "the bootstrap's address (remembered after the first time)")
    .requiredOption("--user <name>", "user name")
    .option("--password-stdin", "read the password from stdin (else AUDIOD_PASSWORD, else a hidden prompt)")
    .addOption(
      new Option(
        "--invite <code>",
        "the invite code a cluster with --registration invite needs (audiod invite)",
      )
        .hideHelp(mode === "login"),
    )
    .addOption(caOption())
    .addHelpText("after", `\nExample:\n  audiod ${mode} --host 192.168.1.10 --user alice`)
    .action(async (o) => {
      const { signIn } = await import("./client/commands.ts");
      if (mode === "login" && o.invite !== undefined) {
        throw new UsageError("Cannot use --invite with login: an invite is for audiod register");
      }
      await signIn(mode, {
        user: o.user,
        ...(o.invite !== undefined ? { invite: o.invite } : {}),
        ...(o.host ? { host: o.host } : {}),
        ...(o.passwordStdin ? { passwordStdin: true } : {}),
        ...(o.ca ? { ca: o.ca } : {}),
      });
    });
}

program.command("invite")
  .description("make a one-time invite code for audiod register --invite (admins)")
  .option("--uses <n>", "how many accounts the code may create", "1")
  .option("--expires <duration>", "how long the code is valid, e.g. 1h, 7d", "7d")
  .option("--json", "print JSON (its code field is the code)")
  .option("--host <addr>", "the bootstrap's address (default: the saved session's)")
  .addOption(caOption())
  .addHelpText(
    "after",
    "\nThe code is shown once; the cluster keeps only its hash.\n\nExamples:\n  audiod invite\n" +
      "  audiod invite --uses 5 --expires 2d --json | jq -r .code",
  )
  .action(async (o) => {
    const { invite } = await import("./client/admin_commands.ts");
    await invite({
      uses: o.uses,
      expires: o.expires,
      ...(o.json ? { json: true } : {}),
      ...(o.host ? { host: o.host } : {}),
      ...(o.ca ? { ca: o.ca } : {}),
    });
  });

const users = program.command("users")
  .description(
    "manage the cluster's accounts (admins): list, add, remove, disable, enable, reset-password, sign-out, " +
      "promote, demote",
  )
  .addHelpText(
    "after",
    "\nExamples:\n  audiod users\n  audiod users add carol --password-stdin < pw.txt\n  audiod users disable mallory" +
      "\n  audiod users promote carol",
  );
users.command("list", { isDefault: true })
  .description("list the accounts: name, admin, state, created, last sign-in, active sessions")
  .option("--json", "print JSON")
  .option("--host <addr>", "the bootstrap's address (default: the saved session's)")
  .addOption(caOption())
  .action(async (o) => {
    const { usersList } = await import("./client/admin_commands.ts");
    await usersList({
      ...(o.json ? { json: true } : {}),
      ...(o.host ? { host: o.host } : {}),
      ...(o.ca ? { ca: o.ca } : {}),
    });
  });
for (const mode of ["add", "reset-password"] as const) {
  users.command(mode)
    .description(
      mode === "add"
        ? "add an account with a password (hashed by an auth instance; hand it to the person yourself)"
        : "set a new password for an account (hashed by an auth instance); its sessions end",
    )
    .argument("<name>", "the account's user name")
    .option(
      "--password-stdin",
      "read the new password from stdin (else AUDIOD_PASSWORD, else a hidden prompt)",
    )
    .option("--host <addr>", "the bootstrap's address (default: the saved session's)")
    .addOption(caOption())
    .action(async (name, o) => {
      const { usersPassword } = await import("./client/admin_commands.ts");
      await usersPassword(mode, name, {
        ...(o.passwordStdin ? { passwordStdin: true } : {}),
        ...(o.host ? { host: o.host } : {}),
        ...(o.ca ? { ca: o.ca } : {}),
      });
    });
}
const USER_ACTIONS = {
  remove: "delete an account and end its sessions and streams",
  disable: "stop an account from signing in; its sessions and streams end at once",
  enable: "let a disabled account sign in again",
  "sign-out": "end every session of an account",
  promote: "make an account an admin",
  demote: "make an admin an ordinary account (the last admin stays)",
} as const;
for (const [action, description] of Object.entries(USER_ACTIONS) as [keyof typeof USER_ACTIONS, string][]) {
  users.command(action)
    .description(description)
    .argument("<name>", "the account's user name")
    .option("--host <addr>", "the bootstrap's address (default: the saved session's)")
    .addOption(caOption())
    .action(async (name, o) => {
      const { usersAction } = await import("./client/admin_commands.ts");
      await usersAction(action, name, { ...(o.host ? { host: o.host } : {}), ...(o.ca ? { ca: o.ca } : {}) });
    });
}

program.command("logout")
  .description("end the saved session (the server revokes the token)")
  .addOption(caOption())
  .action(async (o) => {
    const { logout } = await import("./client/commands.ts");
    await logout(o.ca ? { ca: o.ca } : {});
  });

const apikey = program.command("apikey")
  .description("API keys for OpenSubsonic apps (Symfonium, DSub, Feishin, Supersonic): create, list, revoke")
  .addHelpText(
    "after",
    "\nExamples:\n  audiod apikey create --name phone\n  audiod apikey list\n  audiod apikey revoke 3fa2c1d04b7e",
  );
apikey.command("create")
  .description("make an API key for the signed-in account (shown once; the cluster keeps its hash)")
  .option("--name <name>", "a name to tell the key by, e.g. the app or device")
  .option("--json", "print the key as JSON (its key field is the key)")
  .addOption(caOption())
  .action(async (o) => {
    const { apiKeyCreate } = await import("./client/api_keys.ts");
    await apiKeyCreate({
      ...(o.name !== undefined ? { name: o.name } : {}),
      ...(o.json ? { json: true } : {}),
      ...(o.ca ? { ca: o.ca } : {}),
    });
  });
apikey.command("list")
  .description("list the signed-in account's API keys (ids and names, never the keys)")
  .option("--json", "print JSON")
  .addOption(caOption())
  .action(async (o) => {
    const { apiKeyListCommand } = await import("./client/api_keys.ts");
    await apiKeyListCommand({ ...(o.json ? { json: true } : {}), ...(o.ca ? { ca: o.ca } : {}) });
  });
apikey.command("revoke")
  .description("revoke an API key: every file instance refuses it, and cuts its streams, at once")
  .argument("<id>", "the key's id (audiod apikey list)")
  .addOption(caOption())
  .action(async (id, o) => {
    const { apiKeyRevoke } = await import("./client/api_keys.ts");
    await apiKeyRevoke(id, o.ca ? { ca: o.ca } : {});
  });

program.command("passwd")
  .description("change the signed-in account's password; its other sessions end")
  .option(
    "--password-stdin",
    "read the current and the new password from stdin, one a line (else AUDIOD_PASSWORD and AUDIOD_NEW_PASSWORD)",
  )
  .addOption(caOption())
  .action(async (o) => {
    const { passwd } = await import("./client/commands.ts");
    await passwd({ ...(o.passwordStdin ? { passwordStdin: true } : {}), ...(o.ca ? { ca: o.ca } : {}) });
  });

program.command("delete-account")
  .description("delete the signed-in account (asks for its password) and end all its sessions")
  .option("--password-stdin", "read the password from stdin (else AUDIOD_PASSWORD, else a hidden prompt)")
  .addOption(caOption())
  .action(async (o) => {
    const { deleteAccount } = await import("./client/commands.ts");
    await deleteAccount({
      ...(o.passwordStdin ? { passwordStdin: true } : {}),
      ...(o.ca ? { ca: o.ca } : {}),
    });
  });

program.command("tracks")
  .description("list or search the catalog")
  .option("--host <addr>", "the bootstrap's address (default: the saved session's)")
  .option("--search <query>", "only tracks whose title, artist or album match, or whose id starts with it")
  .option(
    "--json [format]",
    "print JSON: one array of tracks with their replicas (array, the default), or one track per line (lines)",
  )
  .option("--jsonl", "print one track per line as JSON (the same as --json lines)")
  .option("--limit <n>", "show at most n tracks (default: every one)")
  .addOption(caOption())
  .addHelpText(
    "after",
    "\nThe catalog is printed a page at a time as the pages arrive, so a large one starts at once and is never" +
      "\nheld whole: the table's columns take the widths of the first page; --json writes `[`, the tracks, `]`" +
      "\nas they come; --jsonl (or --json lines) writes each track as one line of JSON." +
      '\n\nExamples:\n  audiod tracks --search "miles davis"\n  audiod tracks --limit 20' +
      "\n  audiod tracks --jsonl | jq -r .title",
  )
  .action(async (o) => {
    const { tracks } = await import("./client/commands.ts");
    await tracks({
      ...(o.host ? { host: o.host } : {}),
      ...(o.search ? { search: o.search } : {}),
      ...(o.limit !== undefined ? { limit: o.limit } : {}),
      ...(o.json !== undefined ? { json: o.json } : {}),
      ...(o.jsonl ? { jsonl: true } : {}),
      ...(o.ca ? { ca: o.ca } : {}),
    });
  });

program.command("get")
  .description("download a track, verify its MD5, and only then write it")
  .argument("<track>", "an id, an id prefix or a unique title")
  .requiredOption(
    "-o, --output <file>",
    "where to write the verified track: a file appears only once whole and verified; - is stdout",
  )
  .option("--host <addr>", "the bootstrap's address (default: the saved session's)")
  .option("--limit-rate <rate>", "cap the download speed, e.g. 500k or 8M (bytes per second)")
  .option("-v, --verbose", "say which replica each part comes from")
  .addOption(caOption())
  .addHelpText(
    "after",
    "\nExamples:\n  audiod get 3fa2c1 -o song.flac\n  audiod get 'Blue in Green' -o - | mpv -",
  )
  .action(async (track, o) => {
    const { get } = await import("./client/commands.ts");
    await get(track, {
      output: o.output,
      ...(o.host ? { host: o.host } : {}),
      ...(o.limitRate ? { limitRate: o.limitRate } : {}),
      verbose: !!o.verbose,
      ...(o.ca ? { ca: o.ca } : {}),
    });
  });

program.command("status")
  .description("show the cluster's nodes and instances with their state and load")
  .option("--host <addr>", "the bootstrap's address (default: the saved session's)")
  .option("--json", "print JSON")
  .option(
    "--join-secret-file <file>",
    "ask as a member with the cluster's join secret (an operator on a node's machine): hosts and pids shown",
  )
  .addOption(caOption())
  .action(async (o) => {
    const { status } = await import("./client/commands.ts");
    await status({
      ...(o.host ? { host: o.host } : {}),
      json: !!o.json,
      ...(o.ca ? { ca: o.ca } : {}),
      ...(o.joinSecretFile ? { joinSecretFile: o.joinSecretFile } : {}),
    });
  });

program.command("doctor")
  .description("check a setup (bootstrap, TLS, session, instances, a track's first chunk, a player)")
  .option("--host <addr>", "the bootstrap's address (default: the saved session's)")
  .addOption(caOption())
  .addHelpText(
    "after",
    "\nExits 0 only when every check passes.\n\nExample:\n  audiod doctor --host 192.168.1.10",
  )
  .action(async (o) => {
    const { doctor } = await import("./client/doctor.ts");
    await doctor({ ...(o.host ? { host: o.host } : {}), ...(o.ca ? { ca: o.ca } : {}) });
  });

program.command("play")
  .description("the listener's player: connect, sign in, browse, search and play verified audio")
  .option("--host <addr>", "the bootstrap's address (default: the saved session's, else asked)")
  .option("--user <name>", "user name to sign in as")
  .addOption(
    new Option("--player <name>", "audio player backend").choices(
      ["auto", "mpv", "ffplay", "afplay", "paplay", "aplay", "null"] as const,
    ).default("auto" as const),
  )
  .option("--player-args <args>", 'extra arguments for the player, e.g. "--ao=pcm --ao-pcm-file=out.wav"')
  .addOption(caOption())
  .addHelpText(
    "after",
    "\nExample:\n  audiod play --host 192.168.1.10\n\nPress ? in the player for its keys.",
  )
  .action(async (o) => {
    const { play } = await import("./client/play.ts");
    await play({
      ...(o.host ? { host: o.host } : {}),
      ...(o.user ? { user: o.user } : {}),
      player: o.player,
      playerArgs: o.playerArgs ?? "",
      ...(o.ca ? { ca: o.ca } : {}),
    });
    Deno.exit(0);
  });

program.command("demo")
  .description(
    "start a bootstrap and a content node with a generated sample library on loopback, and the player",
  )
  .option("--listen <host:port>", "the demo bootstrap's address", "127.0.0.1:7700")
  .option("--no-player", "only run the cluster (the default when not in a terminal)")
  .addHelpText(
    "after",
    "\nIn a terminal the demo opens the player on the demo cluster; quitting it stops the demo.",
  )
  .action(async (o) => {
    const listen = parseListen(o.listen);
    if (o.player && Deno.stdin.isTerminal() && Deno.stdout.isTerminal()) {
      const { playDemo } = await import("./client/play.ts");
      await playDemo({ listen });
      Deno.exit(0);
    }
    const { run } = await import("./roles/demo.ts");
    await daemon((signal) => run({ listen }, signal), { role: "demo" });
  });

try {
  await program.parseAsync(Deno.args, { from: "user" });
} catch (error) {
  if (error instanceof CommanderError) {
    Deno.exit(error.exitCode === 0 ? 0 : 2);
  }
  if (error instanceof UsageError) {
    printErr(`audiod: ${error.message}`);
    Deno.exit(2);
  }
  if (error instanceof CommandError || error instanceof UnreachableError || error instanceof HttpError) {
    printErr(`audiod: ${error.message}`);
    Deno.exit(error instanceof CommandError ? error.exitCode : 1);
  }
  printErr(`audiod: ${error instanceof Error ? error.message : String(error)}`);
  Deno.exit(1);
}
