/**
 * The store's cluster facet: what several bootstraps on one PostgreSQL share besides accounts — the leader
 * lease with its fencing epoch, the live bootstraps, the registry's members, the spawn orders not answered yet,
 * the catalog's announcements and the event channel's global sequence. Only the PostgreSQL store has it (`Store.cluster`); a SQLite store has
 * one bootstrap, which always leads and keeps all of this in memory.
 *
 * Times that decide who leads or which bootstrap is live are the database's clock (`clock_timestamp()`), so
 * bootstraps whose clocks disagree still agree on the lease.
 *
 * @module
 */

import type { AnnouncedTrack } from "../../../protocol/catalog.ts";
import type { Member } from "../registry.ts";

/** The leader lease as the store has it. */
export interface LeaderLease {
  /** The leading bootstrap's run id. */
  holder: string;
  /** Its URL. */
  url: string;
  /** Raised each time the lease passes to another holder: orders carry it, content nodes refuse older ones. */
  epoch: number;
  /** Milliseconds until the lease expires (by the database's clock; negative: expired). */
  expiresInMs: number;
}

/** A bootstrap that registered itself and renewed its row lately. */
export interface LiveBootstrap {
  id: string;
  url: string;
  startedAt: number;
  /**
   * When, by its own clock, it last wrote the heartbeats it had taken: a member it writes for whose last
   * heartbeat is older than that by a lease is silent, not lost on its way.
   */
  flushedAt: number;
}

/** A member as the store has it, and which bootstrap wrote its last heartbeat. */
export type StoredMember = Member & { writer: string };

/** One event of the global sequence. */
export interface StoredEvent {
  seq: number;
  type: string;
  /** The payload as JSON text. */
  data: string;
  membersOnly: boolean;
}

/** A spawn order the leader sent whose instance has not registered yet, as the store has it. */
export interface StoredSpawn {
  /** The order's id, given by the leader that sent it. */
  id: string;
  /** The content node it was sent to. */
  node: string;
  role: "auth" | "file";
  /**
   * The id of the instance that answered it, once that registered: such a spawn stops counting when the
   * registry shows that member (and is then removed), not before, so it is never counted neither as pending
   * nor as a member while the member's row is on its way to the store.
   */
  instance: string | null;
  /** The epoch of the leader that sent it. */
  epoch: number;
  /** How long ago it was ordered (by the database's clock). */
  ageMs: number;
}

/** What several bootstraps share through the store. */
export interface ClusterStore {
  /**
   * Takes or renews the lease for `holder` for `ttlMs` when it is free, expired or already `holder`'s; the
   * epoch goes up by one when it changes hands. The lease when `holder` holds it now, else undefined.
   */
  acquireLease(holder: string, url: string, ttlMs: number): Promise<LeaderLease | undefined>;
  /** Gives the lease up (a clean stop), so another takes it at once. */
  releaseLease(holder: string): Promise<void>;
  /** The lease, whoever holds it (undefined before anyone took it). */
  lease(): Promise<LeaderLease | undefined>;

  /** Registers or renews a bootstrap for `ttlMs`, with when it last wrote what it had (`flushedAt`). */
  beatBootstrap(
    id: string,
    url: string,
    times: { startedAt: number; flushedAt: number; ttlMs: number },
  ): Promise<void>;
  /** Forgets a bootstrap (a clean stop). */
  removeBootstrap(id: string): Promise<void>;
  /** The bootstraps whose rows have not expired, oldest first. */
  liveBootstraps(): Promise<LiveBootstrap[]>;

  /**
   * Writes members: `full` writes every field (a registration, a change of state); `beat` only the lease,
   * load and track count, inserting the whole row when it is missing (after a database crash).
   */
  putMembers(members: readonly Member[], mode: "full" | "beat", writer: string): Promise<void>;
  deleteMembers(ids: readonly string[]): Promise<void>;
  members(): Promise<StoredMember[]>;

  /**
   * Records a spawn order before it is sent, so that a leader taking over counts it against the limits. Its
   * `ordered_at` is the database's clock.
   */
  addPendingSpawn(spawn: { id: string; node: string; role: "auth" | "file"; epoch: number }): Promise<void>;
  /** The instance `instance` registered in answer to the pending spawn `id`. */
  answerPendingSpawn(id: string, instance: string): Promise<void>;
  /**
   * The instance `instance` of `role` registered on `node`: it answers the oldest pending spawn there not yet
   * answered; returns that spawn's id, undefined when none was pending.
   */
  answerOldestSpawn(node: string, role: "auth" | "file", instance: string): Promise<string | undefined>;
  /** Forgets pending spawns by id (failed, expired, or answered by a member the registry shows). */
  removePendingSpawns(ids: readonly string[]): Promise<void>;
  /** The pending spawns, oldest first, after deleting those older than `maxAgeMs` (they expired). */
  pendingSpawns(maxAgeMs: number): Promise<StoredSpawn[]>;

  /** Applies an announcement to the instance's shared tracks; returns the instance's new version. */
  announce(
    instance: string,
    tracks: readonly AnnouncedTrack[],
    options: { replace?: boolean; removed?: readonly string[] },
  ): Promise<number>;
  /** Drops every track of an instance (it left or went down). */
  dropInstance(instance: string): Promise<void>;
  /** Each announcing instance's version: a bootstrap reloads an instance whose version moved. */
  catalogVersions(): Promise<Map<string, number>>;
  /** The tracks an instance announced, and the version they are. */
  catalogOf(instance: string): Promise<{ version: number; tracks: AnnouncedTrack[] }>;

  /**
   * Appends an event to the global sequence and notifies every bootstrap; returns its sequence number. Appends
   * are serialised, so numbers are given in the order they become visible: a listener that saw `n` has seen
   * every event before it.
   */
  publish(type: string, data: string, membersOnly: boolean): Promise<number>;
  /** Events after `seq`, in order, at most `limit`. */
  eventsAfter(seq: number, limit: number): Promise<StoredEvent[]>;
  /** The newest sequence number given (0 before any). */
  lastEventSeq(): Promise<number>;
  /**
   * Tells `onEvent` of every event appended from now on, by any bootstrap (the whole event when small, else
   * only its number: fetch it with {@linkcode eventsAfter}); `onListen` hears each (re)connection of the
   * listening connection, after which events in between may have been missed. Resolves to a function that stops.
   */
  listen(
    onEvent: (event: StoredEvent | { seq: number }) => void,
    onListen: () => void,
  ): Promise<() => Promise<void>>;
  /** Keeps the newest `keep` events. */
  pruneEvents(keep: number): Promise<void>;
}
