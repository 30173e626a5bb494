/**
 * The checks {@linkcode withConfig} runs on daemon settings that come from the environment or a config file:
 * the very parsers the commands run on their flags, by flag name, so a value is refused the same way whichever
 * way it came.
 *
 * @module
 */

import { parseAddress, parseListen } from "./address.ts";
import type { ValueCheck } from "./config.ts";
import { parseDuration, parseRate } from "./duration.ts";
import { parseScaleFlags } from "../roles/bootstrap/scale_flags.ts";
import { parseSshTarget } from "../roles/bootstrap/ssh_launcher.ts";

/** Checks by flag name (without dashes), for every daemon command. */
export const DAEMON_CHECKS: Record<string, ValueCheck> = {
  listen: parseListen,
  bootstrap: parseAddress,
  ssh: parseSshTarget,
  "session-idle": (v) => parseDuration(v, "--session-idle"),
  "session-lifetime": (v) => parseDuration(v, "--session-lifetime"),
  "sign-in-rate": (v) => parseRate(v, "--sign-in-rate"),
  "rescan-interval": (v) => parseDuration(v, "--rescan-interval"),
  "min-file": (v) => parseScaleFlags({ minFile: v }),
  "max-file": (v) => parseScaleFlags({ maxFile: v }),
  "file-target-streams": (v) => parseScaleFlags({ fileTargetStreams: v }),
  "min-auth": (v) => parseScaleFlags({ minAuth: v }),
  "max-auth": (v) => parseScaleFlags({ maxAuth: v }),
  "auth-target-logins": (v) => parseScaleFlags({ authTargetLogins: v }),
  "scale-down-window": (v) => parseScaleFlags({ scaleDownWindow: v }),
};
