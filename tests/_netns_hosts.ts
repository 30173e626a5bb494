/**
 * Several "machines" for one test: a network namespace each, with an address of its own on a bridge in this
 * namespace (which has the bridge's address, so a client here reaches them all). A host's link can be cut
 * (`ip link set <its veth> down`) and healed. Needs root and `ip`; names are picked per run so two runs never
 * collide, and everything is removed on dispose.
 *
 * @module
 */

/** One namespace on the bridge. */
export interface NetnsHost {
  name: string;
  /** Its address on the bridge. */
  address: string;
  /** The namespace (for `ip netns exec` and the harness's `netns` option). */
  namespace: string;
  /** Cuts its link (`ip link set <veth> down`) or heals it. */
  setLink(up: boolean): Promise<void>;
}

/** The hosts and the bridge joining them. */
export interface NetnsHosts extends AsyncDisposable {
  /** This namespace's address on the bridge. */
  hostAddress: string;
  hosts: Record<string, NetnsHost>;
}

/** Why hosts in namespaces cannot be made here (not root, no `ip`), or null when they can. */
export async function netnsUnavailable(): Promise<string | null> {
  if (Deno.build.os !== "linux") return "network namespaces need Linux";
  if (Deno.uid() !== 0) return "network namespaces need root";
  const found = await new Deno.Command("sh", { args: ["-c", "command -v ip"] }).output();
  return found.success ? null : "ip is not installed";
}

async function ip(...args: string[]): Promise<void> {
  const out = await new Deno.Command("ip", { args, stdin: "null", stdout: "null", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`Cannot run ip ${args.join(" ")}: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
}

/** Makes one namespace per name (at most 200), each with its own address on a new bridge. */
export async function startNetnsHosts(names: string[]): Promise<NetnsHosts> {
  const tag = crypto.randomUUID().replaceAll("-", "").slice(0, 6);
  const bridge = `aubr${tag}`;
  // A subnet per run (10.150–199.x), apart from _netns.ts's 10.200–249.x.
  const subnet = `10.${150 + (parseInt(tag.slice(0, 2), 16) % 50)}.${parseInt(tag.slice(2, 4), 16)}`;
  const hostAddress = `${subnet}.1`;
  const made: string[] = [];
  const cleanup = async () => {
    for (const ns of made) await ip("netns", "del", ns).catch(() => {});
    await ip("link", "del", bridge).catch(() => {});
  };
  const hosts: Record<string, NetnsHost> = {};
  try {
    await ip("link", "add", bridge, "type", "bridge");
    await ip("addr", "add", `${hostAddress}/24`, "dev", bridge);
    await ip("link", "set", bridge, "up");
    for (const [i, name] of names.entries()) {
      const namespace = `aud-${tag}-${i}`;
      const veth = `auv${tag}${i}`;
      const address = `${subnet}.${11 + i}`;
      await ip("netns", "add", namespace);
      made.push(namespace);
      await ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", namespace);
      await ip("link", "set", veth, "master", bridge, "up");
      await ip("netns", "exec", namespace, "ip", "addr", "add", `${address}/24`, "dev", "eth0");
      await ip("netns", "exec", namespace, "ip", "link", "set", "eth0", "up");
      await ip("netns", "exec", namespace, "ip", "link", "set", "lo", "up");
      hosts[name] = {
        name,
        address,
        namespace,
        setLink: (up) => ip("link", "set", veth, up ? "up" : "down"),
      };
    }
  } catch (error) {
    await cleanup();
    throw error;
  }
  return { hostAddress, hosts, [Symbol.asyncDispose]: cleanup };
}
