/**
 * The PostgreSQL side of {@linkcode ClusterStore}: the leader lease (durable), live bootstraps, members, pending
 * spawns and the catalog (UNLOGGED), and the event sequence (a durable sequence, recent events UNLOGGED, NOTIFY for delivery).
 *
 * @module
 */

import type postgres from "postgres";
import type { AnnouncedTrack } from "../../../protocol/catalog.ts";
import type { Member } from "../registry.ts";
import type {
  ClusterStore,
  LeaderLease,
  LiveBootstrap,
  StoredEvent,
  StoredMember,
  StoredSpawn,
} from "./cluster.ts";

type Sql = postgres.Sql;

/** Runs a statement, turning "cannot reach the database" into a StoreUnavailableError. */
export type Call = <T>(work: (sql: Sql) => Promise<T>) => Promise<T>;

/** The channel events are notified on. */
export const EVENT_CHANNEL = "audiod_events";

/** NOTIFY payloads are limited to 8000 bytes: larger events are sent as their number only. */
const NOTIFY_MAX = 7000;

/** The advisory lock event appends are serialised under ("audi", 2). */
const EVENT_LOCK = [0x61756469, 2] as const;

/**
 * How long a cluster call may take: these run several times a second, and one stuck for the store's usual
 * 10 s (a database starting up, a cut link) would hold up the lease and the shared state that long.
 */
const CLUSTER_CALL_MS = 2000;

/** The database's clock in Unix milliseconds. */
const NOW_MS = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

function memberOf(row: Record<string, unknown>): StoredMember {
  return {
    writer: String(row.writer),
    id: String(row.id),
    role: String(row.role) as Member["role"],
    url: String(row.url),
    host: String(row.host),
    pid: Number(row.pid),
    node: row.node === null ? null : String(row.node),
    state: String(row.state) as Member["state"],
    load: row.load as Member["load"],
    tracks: Number(row.tracks),
    since: Number(row.since),
    lastSeen: Number(row.last_seen),
    downSince: row.down_since === null ? null : Number(row.down_since),
  };
}

function leaseOf(row: Record<string, unknown>): LeaderLease {
  return {
    holder: String(row.holder),
    url: String(row.url),
    epoch: Number(row.epoch),
    expiresInMs: Number(row.expires_in),
  };
}

/** The cluster facet over `sql`, each call through `storeCall`, given up after {@linkcode CLUSTER_CALL_MS}. */
export function postgresCluster(sql: Sql, storeCall: Call): ClusterStore {
  const call: Call = (work) =>
    storeCall((db) => {
      const running = work(db);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          running.catch(() => {});
          reject(
            Object.assign(new Error(`no answer within ${CLUSTER_CALL_MS / 1000} s`), { code: "ETIMEDOUT" }),
          );
        }, CLUSTER_CALL_MS);
      });
      return Promise.race([running, late]).finally(() => clearTimeout(timer));
    });
  return {
    acquireLease: (holder, url, ttlMs) =>
      call(async (db) => {
        const [row] = await db.unsafe(
          `INSERT INTO leader_lease AS l (id, holder, url, epoch, expires_at)
            VALUES (1, $1, $2, 1, ${NOW_MS} + $3)
          ON CONFLICT (id) DO UPDATE SET
            epoch = CASE WHEN l.holder = EXCLUDED.holder THEN l.epoch ELSE l.epoch + 1 END,
            holder = EXCLUDED.holder, url = EXCLUDED.url, expires_at = EXCLUDED.expires_at
          WHERE l.holder = EXCLUDED.holder OR l.expires_at < ${NOW_MS}
          RETURNING holder, url, epoch, expires_at - ${NOW_MS} AS expires_in`,
          [holder, url, ttlMs],
        );
        return row ? leaseOf(row) : undefined;
      }),
    releaseLease: (holder) =>
      call(async (db) => {
        // Expired, not deleted: the epoch must keep counting up.
        await db.unsafe(`UPDATE leader_lease SET expires_at = 0 WHERE id = 1 AND holder = $1`, [holder]);
      }),
    lease: () =>
      call(async (db) => {
        const [row] = await db.unsafe(
          `SELECT holder, url, epoch, expires_at - ${NOW_MS} AS expires_in FROM leader_lease WHERE id = 1`,
        );
        return row ? leaseOf(row) : undefined;
      }),

    beatBootstrap: (id, url, { startedAt, flushedAt, ttlMs }) =>
      call(async (db) => {
        await db.unsafe(
          `INSERT INTO bootstraps (id, url, started_at, expires_at, flushed_at)
            VALUES ($1, $2, $3, ${NOW_MS} + $4, $5)
          ON CONFLICT (id) DO UPDATE SET url = EXCLUDED.url, expires_at = EXCLUDED.expires_at,
            flushed_at = EXCLUDED.flushed_at`,
          [id, url, startedAt, ttlMs, flushedAt],
        );
      }),
    removeBootstrap: (id) =>
      call(async (db) => {
        await db`DELETE FROM bootstraps WHERE id = ${id}`;
      }),
    liveBootstraps: () =>
      call(async (db) => {
        // Rows dead for a minute are swept by whoever asks.
        await db.unsafe(`DELETE FROM bootstraps WHERE expires_at < ${NOW_MS} - 60000`);
        const rows = await db.unsafe(
          `SELECT id, url, started_at, flushed_at FROM bootstraps WHERE expires_at >= ${NOW_MS}
          ORDER BY started_at, id`,
        );
        return rows.map((r): LiveBootstrap => ({
          id: String(r.id),
          url: String(r.url),
          startedAt: Number(r.started_at),
          flushedAt: Number(r.flushed_at),
        }));
      }),

    putMembers: (members, mode, writer) =>
      call(async (db) => {
        if (members.length === 0) return;
        const rows = members.map((m) => ({
          id: m.id,
          role: m.role,
          url: m.url,
          host: m.host,
          pid: m.pid,
          node: m.node,
          state: m.state,
          load: m.load,
          tracks: m.tracks,
          since: m.since,
          last_seen: m.lastSeen,
          down_since: m.downSince,
          writer,
        }));
        const update = mode === "full"
          ? `role = EXCLUDED.role, url = EXCLUDED.url, host = EXCLUDED.host, pid = EXCLUDED.pid,
             node = EXCLUDED.node, state = EXCLUDED.state, load = EXCLUDED.load, tracks = EXCLUDED.tracks,
             since = EXCLUDED.since, last_seen = greatest(m.last_seen, EXCLUDED.last_seen),
             down_since = EXCLUDED.down_since,
             writer = CASE WHEN EXCLUDED.last_seen >= m.last_seen THEN EXCLUDED.writer ELSE m.writer END`
          : `load = EXCLUDED.load, tracks = EXCLUDED.tracks,
             last_seen = greatest(m.last_seen, EXCLUDED.last_seen),
             writer = CASE WHEN EXCLUDED.last_seen >= m.last_seen THEN EXCLUDED.writer ELSE m.writer END`;
        await db.unsafe(
          `INSERT INTO members AS m (id, role, url, host, pid, node, state, load, tracks, since, last_seen,
            down_since, writer)
          SELECT id, role, url, host, pid, node, state, load, tracks, since, last_seen, down_since, writer
            FROM jsonb_to_recordset(($1::text)::jsonb) AS x(id text, role text, url text, host text, pid bigint,
              node text, state text, load jsonb, tracks int, since bigint, last_seen bigint, down_since bigint,
              writer text)
          ON CONFLICT (id) DO UPDATE SET ${update}`,
          [JSON.stringify(rows)],
        );
      }),
    deleteMembers: (ids) =>
      call(async (db) => {
        if (ids.length === 0) return;
        await db`DELETE FROM members WHERE id = ANY(${db.array([...ids])})`;
      }),
    members: () =>
      call(async (db) => (await db`SELECT * FROM members ORDER BY since, id`).map((r) => memberOf(r))),

    addPendingSpawn: ({ id, node, role, epoch }) =>
      call(async (db) => {
        await db.unsafe(
          `INSERT INTO pending_spawns (id, node, role, instance, ordered_at, epoch)
            VALUES ($1, $2, $3, NULL, ${NOW_MS}, $4) ON CONFLICT (id) DO NOTHING`,
          [id, node, role, epoch],
        );
      }),
    answerPendingSpawn: (id, instance) =>
      call(async (db) => {
        await db`UPDATE pending_spawns SET instance = ${instance} WHERE id = ${id} AND instance IS NULL`;
      }),
    answerOldestSpawn: (node, role, instance) =>
      call(async (db) => {
        // The oldest first; SKIP LOCKED: two registrations at once answer two spawns, not one twice.
        const [row] = await db`UPDATE pending_spawns SET instance = ${instance} WHERE id = (
            SELECT id FROM pending_spawns WHERE node = ${node} AND role = ${role} AND instance IS NULL
            ORDER BY ordered_at, id LIMIT 1 FOR UPDATE SKIP LOCKED
          ) RETURNING id`;
        return row ? String(row.id) : undefined;
      }),
    removePendingSpawns: (ids) =>
      call(async (db) => {
        if (ids.length === 0) return;
        await db`DELETE FROM pending_spawns WHERE id = ANY(${db.array([...ids])})`;
      }),
    pendingSpawns: (maxAgeMs) =>
      call(async (db) => {
        await db.unsafe(`DELETE FROM pending_spawns WHERE ordered_at <= ${NOW_MS} - $1`, [maxAgeMs]);
        const rows = await db.unsafe(
          `SELECT id, node, role, instance, epoch, ${NOW_MS} - ordered_at AS age FROM pending_spawns
          ORDER BY ordered_at, id`,
        );
        return rows.map((r): StoredSpawn => ({
          id: String(r.id),
          node: String(r.node),
          role: String(r.role) as StoredSpawn["role"],
          instance: r.instance === null ? null : String(r.instance),
          epoch: Number(r.epoch),
          ageMs: Math.max(0, Number(r.age)),
        }));
      }),

    announce: (instance, tracks, options) =>
      call((db) =>
        db.begin(async (tx) => {
          if (options.replace) await tx`DELETE FROM catalog_tracks WHERE instance = ${instance}`;
          if (options.removed?.length) {
            await tx`DELETE FROM catalog_tracks WHERE instance = ${instance}
              AND id = ANY(${tx.array([...options.removed])})`;
          }
          if (tracks.length > 0) {
            await tx.unsafe(
              `INSERT INTO catalog_tracks (instance, id, track)
                SELECT $1, t->>'id', t FROM jsonb_array_elements(($2::text)::jsonb) AS t
              ON CONFLICT (instance, id) DO UPDATE SET track = EXCLUDED.track`,
              [instance, JSON.stringify(tracks)],
            );
          }
          const [row] =
            await tx`INSERT INTO catalog_instances AS c (instance, version) VALUES (${instance}, 1)
            ON CONFLICT (instance) DO UPDATE SET version = c.version + 1 RETURNING version`;
          return Number(row!.version);
        })
      ),
    dropInstance: (instance) =>
      call((db) =>
        db.begin(async (tx) => {
          await tx`DELETE FROM catalog_tracks WHERE instance = ${instance}`;
          await tx`DELETE FROM catalog_instances WHERE instance = ${instance}`;
        })
      ),
    catalogVersions: () =>
      call(async (db) => {
        const rows = await db`SELECT instance, version FROM catalog_instances`;
        return new Map(rows.map((r) => [String(r.instance), Number(r.version)]));
      }),
    catalogOf: (instance) =>
      call((db) =>
        db.begin("isolation level repeatable read", async (tx) => {
          const [v] = await tx`SELECT version FROM catalog_instances WHERE instance = ${instance}`;
          const rows = await tx`SELECT track FROM catalog_tracks WHERE instance = ${instance}`;
          return { version: Number(v?.version ?? 0), tracks: rows.map((r) => r.track as AnnouncedTrack) };
        })
      ),

    publish: (type, data, membersOnly) =>
      call((db) =>
        db.begin(async (tx) => {
          await tx`SELECT pg_advisory_xact_lock(${EVENT_LOCK[0]}::int, ${EVENT_LOCK[1]}::int)`;
          const [row] = await tx`INSERT INTO events (seq, type, data, members_only, at)
            VALUES (nextval('event_seq'), ${type}, ${data}, ${membersOnly}, ${Date.now()}) RETURNING seq`;
          const seq = Number(row!.seq);
          const whole = JSON.stringify({ seq, type, data, membersOnly } satisfies StoredEvent);
          await tx`SELECT pg_notify(${EVENT_CHANNEL}, ${
            whole.length <= NOTIFY_MAX ? whole : JSON.stringify({ seq })
          })`;
          return seq;
        })
      ),
    eventsAfter: (seq, limit) =>
      call(async (db) => {
        const rows = await db`SELECT seq, type, data, members_only FROM events WHERE seq > ${seq}
          ORDER BY seq LIMIT ${limit}`;
        return rows.map((r): StoredEvent => ({
          seq: Number(r.seq),
          type: String(r.type),
          data: String(r.data),
          membersOnly: Boolean(r.members_only),
        }));
      }),
    lastEventSeq: () =>
      call(async (db) => {
        // The sequence's last value, even when the (unlogged) events were lost in a crash.
        const [row] = await db`SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS v FROM event_seq`;
        return Number(row?.v ?? 0);
      }),
    listen: async (onEvent, onListen) => {
      const { unlisten } = await sql.listen(EVENT_CHANNEL, (payload) => {
        try {
          const value = JSON.parse(payload) as StoredEvent | { seq: number };
          if (typeof value.seq === "number") onEvent(value);
        } catch { /* not ours */ }
      }, onListen);
      return unlisten;
    },
    pruneEvents: (keep) =>
      call(async (db) => {
        await db`DELETE FROM events WHERE seq <= (SELECT max(seq) FROM events) - ${keep}`;
      }),
  };
}
