/**
 * How the catalog changes reach others: an announcement or a departure changes the catalog and is published on
 * the event channel (`tracks` events), and a catalog entry is answered with its replicas ranked by load.
 *
 * @module
 */

import type { Announcement, CatalogTrack, Replica } from "../../protocol/catalog.ts";
import { IDS_PER_EVENT } from "../../protocol/events.ts";
import { rankMembers } from "./balance.ts";
import type { Catalog, CatalogEntry } from "./catalog.ts";
import type { EventHub } from "./events.ts";
import type { Member, Registry } from "./registry.ts";

/** Publishes what an instance added and removed, at most {@linkcode IDS_PER_EVENT} ids per event. */
export function publishTracks(
  events: EventHub,
  instance: string,
  changed: { added: string[]; removed: string[] },
  total: number,
): void {
  const { added, removed } = changed;
  for (let i = 0; i < Math.max(added.length, removed.length); i += IDS_PER_EVENT) {
    const addedIds = added.slice(i, i + IDS_PER_EVENT);
    const removedIds = removed.slice(i, i + IDS_PER_EVENT);
    events.publish({
      type: "tracks",
      data: { instance, added: addedIds.length, removed: removedIds.length, addedIds, removedIds, total },
    });
  }
}

/** Drops every track an instance announced (it left or went down) and says so; returns how many left the catalog. */
export function removeTracks(catalog: Catalog, events: EventHub, instance: string): number {
  const held = catalog.heldBy(instance);
  const gone = catalog.removeInstance(instance);
  publishTracks(events, instance, { added: [], removed: held }, catalog.size);
  return gone;
}

/** Records a file instance's announcement and publishes what changed; returns how many tracks it holds now. */
export function announceTracks(
  catalog: Catalog,
  events: EventHub,
  member: Member,
  announcement: Announcement,
): number {
  const changed = catalog.announce(member.id, announcement.tracks, {
    ...(announcement.replace ? { replace: true } : {}),
    ...(announcement.removed ? { removed: announcement.removed } : {}),
    ...(announcement.digest ? { digest: announcement.digest } : {}),
  });
  publishTracks(events, member.id, changed, catalog.size);
  member.tracks = catalog.countFor(member.id);
  return member.tracks;
}

/** A catalog entry as clients get it: its replicas that are not down, least loaded first. */
export function catalogTrackOf(registry: Registry, entry: CatalogEntry): CatalogTrack {
  const holders: Member[] = [];
  for (const id of entry.replicas) {
    const m = registry.get(id);
    if (m && m.state !== "down") holders.push(m);
  }
  const replicas: Replica[] = rankMembers(holders).map((m) => ({
    instance: m.id,
    url: m.url,
    host: m.host,
    node: m.node,
    state: m.state,
  }));
  const { id, title, artist, album, trackNo, duration, size, md5, format } = entry;
  return { id, title, artist, album, trackNo, duration, size, md5, format, replicas };
}
