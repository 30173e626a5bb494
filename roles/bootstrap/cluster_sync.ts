/**
 * The soft state several bootstraps on one store share, so any of them answers any client, member or auth
 * instance the same: the registry's members and the catalog's announcements. Each bootstrap keeps both in
 * memory, as it would alone, writes what changed here to the store (members every 150 ms in one statement;
 * an announcing instance's tracks as a whole) and takes in what the others wrote every 250 ms. The store's
 * tables for this are UNLOGGED: after a database crash they fill again from the next heartbeats, and the
 * leader writes back the catalog of every live instance the store lost.
 *
 * Also keeps this bootstrap's row among the live bootstraps (`GET /v1/bootstraps`).
 *
 * @module
 */

import type { Logger } from "../../daemon/runtime/log.ts";
import type { AnnouncedTrack } from "../../protocol/catalog.ts";
import { Catalog } from "./catalog.ts";
import type { Member, MemberWrite, Registry } from "./registry.ts";
import type { ClusterStore, LiveBootstrap, StoredMember } from "./store/mod.ts";

/** A bootstrap row lasts this long without renewal. */
const BOOTSTRAP_TTL_MS = 2500;

/**
 * The catalog of a bootstrap that shares it: announcements and departures made here mark the instance for
 * writing to the store; what the others wrote is applied without marking.
 */
export class SharedCatalog extends Catalog {
  #applying = false;
  /** Instances whose tracks changed here since they were last written. */
  readonly dirty = new Set<string>();

  override announce(
    instance: string,
    tracks: AnnouncedTrack[],
    options: { replace?: boolean; removed?: string[]; digest?: string } = {},
  ): { added: string[]; removed: string[] } {
    if (!this.#applying) this.dirty.add(instance);
    return super.announce(instance, tracks, options);
  }

  override removeInstance(instance: string): number {
    if (!this.#applying) this.dirty.add(instance);
    return super.removeInstance(instance);
  }

  /** Applies what the store holds for `instance` (replacing what was here) without marking it. */
  apply(instance: string, tracks: AnnouncedTrack[] | null): void {
    this.#applying = true;
    try {
      if (tracks === null) super.removeInstance(instance);
      else super.announce(instance, tracks, { replace: true });
    } finally {
      this.#applying = false;
    }
  }

  /** The tracks `instance` announced, as they would be announced again. */
  tracksOf(instance: string): AnnouncedTrack[] {
    const out: AnnouncedTrack[] = [];
    for (const id of this.heldBy(instance)) {
      const entry = this.get(id);
      if (!entry) continue;
      const { replicas: _r, ...track } = entry;
      out.push(track);
    }
    return out;
  }
}

/** Options for {@linkcode ClusterSync}. */
export interface ClusterSyncOptions {
  cluster: ClusterStore;
  registry: () => Registry;
  catalog: SharedCatalog;
  /** This bootstrap run's id and URL, for its row among the live bootstraps. */
  id: string;
  url: () => string;
  startedAt: number;
  logger: Logger;
  /** Whether this bootstrap leads (it writes back what a database crash lost). */
  leading: () => boolean;
  /** A member another bootstrap registered appeared here (the scheduler settles its pending spawn). */
  onJoined?: (member: Member) => void;
}

/** Writes this bootstrap's changes to the store and takes in the others'. */
export class ClusterSync {
  #o: ClusterSyncOptions;
  #writes = new Map<string, MemberWrite>();
  #versions = new Map<string, number>();
  #timers: ReturnType<typeof setInterval>[] = [];
  #busy = { flush: false, pull: false };
  #bootstraps: LiveBootstrap[] = [];
  /** Since when every read of the store succeeded (0: the last one failed). */
  #healthySince = 0;
  /** Which bootstrap wrote each member's last heartbeat, as last read. */
  #writers = new Map<string, string>();
  #failing = { flush: false, pull: false };

  constructor(options: ClusterSyncOptions) {
    this.#o = options;
  }

  /**
   * Whether what this bootstrap knows of the members is fresh: reads of the store have succeeded for at least
   * `ms` (the leader sweeps expired leases only then, so a store outage never passes for silent members).
   */
  freshFor(ms: number): boolean {
    return this.#healthySince > 0 && Date.now() - this.#healthySince >= ms;
  }

  /**
   * Whether the leader may take `member`'s silence for its death: the bootstrap that wrote its last heartbeat
   * is live and has written everything it had since a lease after that heartbeat (so it had no newer one); a
   * member whose bootstrap is gone gets a lease more to move to another.
   */
  mayExpire(member: Member, now: number, leaseMs: number): boolean {
    const writer = this.#bootstraps.find((b) => b.id === this.#writers.get(member.id));
    if (writer) return writer.flushedAt - member.lastSeen > leaseMs;
    return now - member.lastSeen > 2 * leaseMs;
  }

  /** The live bootstraps as last read from the store. */
  get bootstraps(): readonly LiveBootstrap[] {
    return this.#bootstraps;
  }

  /** Queues a registry change for the store (the newest change of a member wins; `full` over `beat`). */
  write(change: MemberWrite): void {
    const id = change.kind === "delete" ? change.id : change.member.id;
    const queued = this.#writes.get(id);
    if (change.kind === "beat" && queued && queued.kind !== "beat") return; // the full write carries it
    this.#writes.set(id, change);
  }

  /** Reads the store once (members, catalog, bootstraps), then keeps both directions going. */
  async start(): Promise<void> {
    await this.#pull();
    this.#timers.push(setInterval(() => this.#flush(), 150));
    this.#timers.push(setInterval(() => this.#pull(), 250));
  }

  /** Writes what is queued and takes this bootstrap off the live list. */
  async stop(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    while (this.#busy.flush || this.#busy.pull) await new Promise((r) => setTimeout(r, 20));
    await this.#flush().catch(() => {});
    await this.#o.cluster.removeBootstrap(this.#o.id).catch(() => {});
  }

  async #flush(): Promise<void> {
    if (this.#busy.flush) return;
    this.#busy.flush = true;
    const { cluster, catalog } = this.#o;
    const flushedAt = Date.now();
    const writes = [...this.#writes.values()];
    this.#writes.clear();
    const dirty = [...catalog.dirty];
    catalog.dirty.clear();
    try {
      const full = writes.flatMap((w) => w.kind === "full" ? [{ ...w.member }] : []);
      const beats = writes.flatMap((w) => w.kind === "beat" ? [{ ...w.member }] : []);
      const deleted = writes.flatMap((w) => w.kind === "delete" ? [w.id] : []);
      await cluster.deleteMembers(deleted);
      await cluster.putMembers(full, "full", this.#o.id);
      await cluster.putMembers(beats, "beat", this.#o.id);
      for (const instance of dirty) {
        if (catalog.countFor(instance) === 0) {
          await cluster.dropInstance(instance);
          this.#versions.delete(instance);
        } else {
          const version = await cluster.announce(instance, catalog.tracksOf(instance), { replace: true });
          this.#versions.set(instance, version);
        }
      }
      // This bootstrap's row says it is live and has written every heartbeat it took before `flushedAt`.
      const url = this.#o.url();
      if (url) {
        await cluster.beatBootstrap(this.#o.id, url, {
          startedAt: this.#o.startedAt,
          flushedAt,
          ttlMs: BOOTSTRAP_TTL_MS,
        });
      }
      this.#recovered("flush");
    } catch (error) {
      // Put back what was not written (a newer change queued meanwhile wins).
      for (const w of writes) {
        const id = w.kind === "delete" ? w.id : w.member.id;
        if (!this.#writes.has(id)) this.#writes.set(id, w);
      }
      for (const i of dirty) catalog.dirty.add(i);
      this.#failed("flush", error);
    } finally {
      this.#busy.flush = false;
    }
  }

  async #pull(): Promise<void> {
    if (this.#busy.pull) return;
    this.#busy.pull = true;
    const { cluster, catalog, logger } = this.#o;
    try {
      this.#bootstraps = await cluster.liveBootstraps();
      const registry = this.#o.registry();
      const stored: StoredMember[] = await cluster.members();
      this.#writers = new Map(stored.map((m) => [m.id, m.writer]));
      const added = registry.merge(
        stored.map(({ writer: _w, ...m }) => m),
        new Set(this.#writes.keys()),
      );
      for (const m of added) if (m.state === "up") this.#o.onJoined?.(m);
      const versions = await cluster.catalogVersions();
      for (const [instance, version] of versions) {
        if (this.#versions.get(instance) === version || catalog.dirty.has(instance)) continue;
        const stored = await cluster.catalogOf(instance);
        if (catalog.dirty.has(instance)) continue;
        catalog.apply(instance, stored.tracks);
        this.#versions.set(instance, stored.version);
        logger.debug("catalog.synced", { instance, tracks: stored.tracks.length });
      }
      for (const instance of [...this.#versions.keys()]) {
        if (versions.has(instance) || catalog.dirty.has(instance)) continue;
        // Gone from the store while its instance is up: a database crash lost it (written back below).
        const m = registry.get(instance);
        if (m && m.state !== "down") continue;
        this.#versions.delete(instance);
        catalog.apply(instance, null);
      }
      // The store lost an instance's tracks (a database crash) while it is up: the leader writes them back.
      if (this.#o.leading()) {
        for (const m of registry.list()) {
          if (m.role === "file" && m.state !== "down" && !versions.has(m.id) && catalog.countFor(m.id) > 0) {
            catalog.dirty.add(m.id);
          }
        }
      }
      this.#recovered("pull");
      if (this.#healthySince === 0) this.#healthySince = Date.now();
    } catch (error) {
      this.#healthySince = 0;
      this.#failed("pull", error);
    } finally {
      this.#busy.pull = false;
    }
  }

  #failed(what: "flush" | "pull", error: unknown): void {
    if (this.#failing[what]) return;
    this.#failing[what] = true;
    this.#o.logger.warn("cluster.sync_failed", {
      what: what === "flush" ? "writing" : "reading",
      error,
      action: "serving from memory",
    });
  }

  #recovered(what: "flush" | "pull"): void {
    if (!this.#failing[what]) return;
    this.#failing[what] = false;
    this.#o.logger.info("cluster.sync_recovered", { what: what === "flush" ? "writing" : "reading" });
  }
}
