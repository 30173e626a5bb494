/**
 * The catalog: what file instances announce (`POST /v1/internal/announce`) and what clients list
 * (`GET /v1/tracks`, a page at a time) and look up (`GET /v1/tracks/:ref`). A track is identified by the SHA-256
 * of its bytes; each replica is a file instance serving it.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { arrayOf, bool, type Infer, int, nullable, num, obj, oneOf, optional, str } from "./schema.ts";
import { instanceState } from "./member.ts";

/** A SHA-256 in lowercase hex. */
export const HEX64 = /^[0-9a-f]{64}$/;
/** An MD5 in lowercase hex. */
export const HEX32 = /^[0-9a-f]{32}$/;

/** Tracks per page of `GET /v1/tracks` when the client does not say. */
export const DEFAULT_PAGE = 500;
/** Tracks per page of `GET /v1/tracks` at most. */
export const MAX_PAGE = 1000;

/** A track's id: the SHA-256 of its bytes. */
export const trackId = str({ pattern: HEX64, hint: "must be 64 lowercase hex digits (a SHA-256)" });

/** A track's fields as they go on the wire. */
const field = {
  /** SHA-256 of the bytes, lowercase hex. */
  id: trackId,
  /** MD5 of the whole file, lowercase hex: what clients verify. */
  md5: str({ pattern: HEX32, hint: "must be 32 lowercase hex digits (an MD5)" }),
  /** Bytes. */
  size: int({ min: 0 }),
  title: str({ min: 0, max: 1024 }),
  artist: str({ min: 0, max: 1024 }),
  album: str({ min: 0, max: 1024 }),
  trackNo: nullable(int({ min: 0, max: 1_000_000 })),
  /** Seconds, or null when unknown. */
  duration: nullable(num({ min: 0 })),
  /** The file's extension without the dot, lowercase (mp3, flac, ogg, opus, m4a, wav). */
  format: str({ min: 1, max: 8, pattern: /^[a-z0-9]+$/ }),
};

/**
 * What the OpenSubsonic clients show besides the basics (all optional, so members that do not send them still
 * announce): album artist, genres, year, disc, the stream's technical details, ReplayGain, whether there is
 * cover art or lyrics (embedded, or a file beside the track) and when the file was added (its mtime).
 */
export const trackDetails = obj({
  albumArtist: optional(str({ min: 0, max: 1024 })),
  genres: optional(arrayOf(str({ max: 256 }), { max: 16 })),
  year: optional(int({ min: 0, max: 9999 })),
  discNo: optional(int({ min: 0, max: 1000 })),
  /** kbit/s. */
  bitRate: optional(int({ min: 0, max: 100_000 })),
  sampleRate: optional(int({ min: 0, max: 10_000_000 })),
  channels: optional(int({ min: 0, max: 64 })),
  bitDepth: optional(int({ min: 0, max: 64 })),
  /** ReplayGain in dB, peaks as a fraction of full scale. */
  trackGain: optional(num({ min: -100, max: 100 })),
  trackPeak: optional(num({ min: 0, max: 100 })),
  albumGain: optional(num({ min: -100, max: 100 })),
  albumPeak: optional(num({ min: 0, max: 100 })),
  cover: optional(oneOf(["embedded", "file"] as const)),
  lyrics: optional(oneOf(["embedded", "file"] as const)),
  /** Unix ms: the file's modification time. */
  addedAt: optional(int({ min: 0 })),
});
/** What the OpenSubsonic clients show besides the basics. */
export type TrackDetails = Infer<typeof trackDetails>;

/** What a file instance announces about one track. */
export const announcedTrack = obj({
  id: field.id,
  md5: field.md5,
  size: field.size,
  title: field.title,
  artist: field.artist,
  album: field.album,
  trackNo: field.trackNo,
  duration: field.duration,
  format: field.format,
  details: optional(trackDetails),
});
/** What a file instance announces about one track. */
export type AnnouncedTrack = Infer<typeof announcedTrack>;

/** Most tracks in one announcement. */
export const ANNOUNCE_MAX_TRACKS = 1000;

/** Most removed ids in one announcement. */
export const ANNOUNCE_MAX_REMOVED = 10_000;

/** Largest announcement body, in bytes: the tracks ({@linkcode announceBatches} fills half) and removed ids. */
export const ANNOUNCE_MAX_BYTES = 4 * 1024 * 1024;

/**
 * `tracks` cut into what one announcement each carries: at most {@linkcode ANNOUNCE_MAX_TRACKS} and half of
 * {@linkcode ANNOUNCE_MAX_BYTES} of JSON (long tags make fewer per request), so 10,000 removed ids fit beside
 * them. At least one batch, empty when there are no tracks (a change that only removes some).
 */
export function announceBatches(tracks: readonly AnnouncedTrack[]): AnnouncedTrack[][] {
  const batches: AnnouncedTrack[][] = [[]];
  let bytes = 0;
  for (const track of tracks) {
    const size = JSON.stringify(track).length * 3 + 1;
    let batch = batches.at(-1)!;
    if (batch.length > 0 && (batch.length >= ANNOUNCE_MAX_TRACKS || bytes + size > ANNOUNCE_MAX_BYTES / 2)) {
      batches.push(batch = []);
      bytes = 0;
    }
    batch.push(track);
    bytes += size;
  }
  return batches;
}

/** `POST /v1/internal/announce`: tracks an instance holds (all of them with `replace`) and those it lost. */
export const announcement = obj({
  instance: str({ max: 64 }),
  /** A full announcement (after a (re-)start): the instance's earlier tracks are dropped first. */
  replace: optional(bool()),
  tracks: arrayOf(announcedTrack, { max: ANNOUNCE_MAX_TRACKS }),
  removed: optional(arrayOf(str({ pattern: HEX64 }), { max: ANNOUNCE_MAX_REMOVED })),
  /**
   * The instance's whole library once this announcement is in ({@linkcode libraryDigest}), on the last request
   * of a full announcement or of a change. The bootstrap keeps it and answers it when the instance registers
   * again, so an instance whose library did not change need not announce it again.
   */
  digest: optional(str({ pattern: HEX64, hint: "must be 64 lowercase hex digits (a SHA-256)" })),
});
/** `POST /v1/internal/announce` */
export type Announcement = Infer<typeof announcement>;

/**
 * The digest of a library as announced: the SHA-256 of its tracks' JSON in id order. Two libraries with the same
 * digest announce the same tracks with the same tags.
 */
export function libraryDigest(tracks: readonly AnnouncedTrack[]): string {
  const hash = createHash("sha256");
  for (const track of [...tracks].sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) {
    hash.update(JSON.stringify(track)).update("\n");
  }
  return hash.digest("hex");
}

/** The answer to an announcement: how many tracks the instance holds now. */
export const announced = obj({ tracks: int({ min: 0 }) });
/** The answer to an announcement. */
export type Announced = Infer<typeof announced>;

/** Where one copy of a track lives: a file instance that serves it. */
export const replica = obj({
  /** Id of the file instance. */
  instance: str({ max: 64 }),
  /** Base URL of the file instance, e.g. `http://127.0.0.1:40123`. */
  url: str({ max: 512 }),
  /** Host the instance runs on (as advertised). */
  host: str({ max: 255 }),
  /** Id of the content node hosting the instance, or null for a standalone instance. */
  node: nullable(str({ max: 64 })),
  /** State of the instance serving this replica. */
  state: instanceState,
});
/** Where one copy of a track lives: a file instance that serves it. */
export type Replica = Infer<typeof replica>;

/**
 * One entry of the catalog (`GET /v1/tracks/:ref`): a track and its replicas, best first. (The fields keep the
 * order the bootstrap sends them in, so `audiod tracks --json` prints them in that order.)
 */
export const catalogTrack = obj({
  id: field.id,
  title: field.title,
  artist: field.artist,
  album: field.album,
  trackNo: field.trackNo,
  duration: field.duration,
  size: field.size,
  md5: field.md5,
  format: field.format,
  replicas: arrayOf(replica),
});
/** One entry of the catalog: a track identified by the SHA-256 of its bytes. */
export type CatalogTrack = Infer<typeof catalogTrack>;

/** One page of `GET /v1/tracks?q=&offset=&limit=`: clients ask for the next (offset += tracks.length) until `total`. */
export const trackPage = obj({
  /** How many tracks match in all. */
  total: int({ min: 0 }),
  offset: int({ min: 0 }),
  limit: int({ min: 1 }),
  tracks: arrayOf(catalogTrack, { max: MAX_PAGE }),
});
/** One page of `GET /v1/tracks`. */
export type TrackPage = Infer<typeof trackPage>;
