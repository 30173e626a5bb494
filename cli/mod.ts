/**
 * What the command line shares: parsing what users type (addresses, durations, rates), the errors that end a
 * command, and the daemons' security options. Callers may import the files themselves; this is the index.
 *
 * @module
 */

/** `parseAddress`, `parseListen`, `urlHost`: `HOST`, `HOST:PORT`, `[v6]:PORT` or a URL. */
export { DEFAULT_BOOTSTRAP_PORT, type ListenAddress, parseAddress, parseListen, urlHost } from "./address.ts";
/** `parseDuration`, `parseRate`: `1h30m`, `1500ms` (at least 1 s); `20/min`, `10/30s`. */
export { parseDuration, parseRate, type Rate } from "./duration.ts";
/** `UsageError` (prints help, exit 2) and `CommandError` (a command that cannot go on). */
export { CommandError, UsageError } from "./usage_error.ts";
/** `bootstrapSecurity`, `memberSecurity`: the join secret, TLS and CA options as role options. */
export {
  type BootstrapSecurity,
  bootstrapSecurity,
  type MemberSecurity,
  memberSecurity,
} from "./security_options.ts";
