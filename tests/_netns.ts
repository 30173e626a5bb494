/**
 * A listener on a slow link, for tests and benchmarks: a network namespace of its own joined to this host by a
 * bridge and a veth pair, its download direction limited with `tc … tbf` (the kernel here has no `netem`: add
 * latency with `_delay_proxy.ts`). Needs root and `ip`/`tc`; names are picked per run, and everything is removed
 * on dispose.
 *
 * @module
 */

/** A namespace behind a rate-limited link. */
export interface SlowLink extends AsyncDisposable {
  /** This host's address on the bridge: servers the listener reaches listen here. */
  hostAddress: string;
  /** The listener's address inside its namespace. */
  listenerAddress: string;
  /** The namespace's name (for `ip netns exec`). */
  namespace: string;
  /** The command line that runs `cmd args` inside the namespace. */
  inside(cmd: string, args: string[]): [string, string[]];
  /** Limits what reaches the listener to `rate` (tc syntax: "2mbit"), or lifts the limit with null. */
  setRate(rate: string | null): Promise<void>;
  /** Bytes the link delivered to the listener so far (tc's count on the shaped interface). */
  sentBytes(): Promise<number>;
}

/** Why a slow link cannot be made here (not root, no `ip`), or null when it can. */
export async function slowLinkUnavailable(): Promise<string | null> {
  if (Deno.build.os !== "linux") return "network namespaces need Linux";
  if (Deno.uid() !== 0) return "network namespaces need root";
  for (const tool of ["ip", "tc"]) {
    const found = await new Deno.Command("sh", { args: ["-c", `command -v ${tool}`] }).output();
    if (!found.success) return `${tool} is not installed`;
  }
  return null;
}

async function sh(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`Cannot run ${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** Makes a namespace behind a bridge, its download limited to `rate` (default unlimited). */
export async function startSlowLink(options: { rate?: string } = {}): Promise<SlowLink> {
  const tag = crypto.randomUUID().replaceAll("-", "").slice(0, 6);
  const bridge = `aubr${tag}`;
  const hostSide = `auv${tag}`;
  const namespace = `aud-${tag}`;
  // A subnet per run, so that two runs at once do not collide.
  const subnet = `10.${200 + (parseInt(tag.slice(0, 2), 16) % 50)}.${parseInt(tag.slice(2, 4), 16)}`;
  const hostAddress = `${subnet}.1`;
  const listenerAddress = `${subnet}.2`;
  const inNs = (...args: string[]) => sh("ip", ["netns", "exec", namespace, ...args]);
  const cleanup = async () => {
    await sh("ip", ["netns", "del", namespace]).catch(() => {});
    await sh("ip", ["link", "del", bridge]).catch(() => {});
  };
  try {
    await sh("ip", ["link", "add", bridge, "type", "bridge"]);
    await sh("ip", ["addr", "add", `${hostAddress}/24`, "dev", bridge]);
    await sh("ip", ["link", "set", bridge, "up"]);
    await sh("ip", ["netns", "add", namespace]);
    await sh("ip", ["link", "add", hostSide, "type", "veth", "peer", "name", "eth0", "netns", namespace]);
    await sh("ip", ["link", "set", hostSide, "master", bridge, "up"]);
    await inNs("ip", "addr", "add", `${listenerAddress}/24`, "dev", "eth0");
    await inNs("ip", "link", "set", "eth0", "up");
    await inNs("ip", "link", "set", "lo", "up");
  } catch (error) {
    await cleanup();
    throw error;
  }
  let limited = false;
  const setRate = async (rate: string | null) => {
    if (limited) await sh("tc", ["qdisc", "del", "dev", hostSide, "root"]);
    limited = false;
    if (rate === null) return;
    await sh("tc", [
      "qdisc",
      "add",
      "dev",
      hostSide,
      "root",
      "tbf",
      "rate",
      rate,
      "burst",
      "32kbit",
      "latency",
      "400ms",
    ]);
    limited = true;
  };
  try {
    if (options.rate) await setRate(options.rate);
  } catch (error) {
    await cleanup();
    throw error;
  }
  return {
    hostAddress,
    listenerAddress,
    namespace,
    inside: (cmd, args) => ["ip", ["netns", "exec", namespace, cmd, ...args]],
    setRate,
    async sentBytes() {
      const out = await sh("tc", ["-s", "qdisc", "show", "dev", hostSide]);
      return Number(/Sent (\d+) bytes/.exec(out)?.[1] ?? NaN);
    },
    [Symbol.asyncDispose]: cleanup,
  };
}
