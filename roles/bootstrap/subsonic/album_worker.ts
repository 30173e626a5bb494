/**
 * Entry module of the worker that sums up the OpenSubsonic albums of a large catalog (started by
 * `library.ts`): opens the catalog's file read-only, runs {@linkcode ALBUMS_SQL} and posts the albums packed
 * ({@linkcode PackedAlbums}, its typed arrays moved), so that the bootstrap's own thread does not stop for the
 * seconds SQLite takes over a million tracks.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { DatabaseSync } from "node:sqlite";
import { type AlbumRow, ALBUMS_SQL } from "../catalog.ts";
import { type AlbumJob, type AlbumReply, packAlbums } from "./library.ts";

self.onmessage = (event: MessageEvent<AlbumJob>) => {
  let reply: AlbumReply;
  try {
    const db = new DatabaseSync(event.data.file, { readOnly: true });
    try {
      reply = { packed: packAlbums(db.prepare(ALBUMS_SQL).iterate() as Iterable<AlbumRow>) };
    } finally {
      db.close();
    }
  } catch (error) {
    reply = { failed: error instanceof Error ? error.message : String(error) };
  }
  const transfer = "packed" in reply
    ? [reply.packed.numbers.buffer, reply.packed.starts.buffer, reply.packed.rows.buffer] as ArrayBuffer[]
    : [];
  self.postMessage(reply, transfer);
};
