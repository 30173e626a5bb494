/**
 * The shapes the public HTTP API returns, shared by the client commands and the TUI.
 *
 * @module
 */

/** Where one copy of a track lives: a file instance that serves it. */
export interface Replica {
  /** Id of the file instance. */
  instance: string;
  /** Base URL of the file instance, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** Host the instance runs on (as advertised). */
  host: string;
  /** Id of the content node hosting the instance, or null for a standalone instance. */
  node: string | null;
  /** State of the instance serving this replica. */
  state: InstanceState;
}

/** One entry of the catalog: a track identified by the SHA-256 of its bytes. */
export interface CatalogTrack {
  /** SHA-256 of the bytes, lowercase hex. */
  id: string;
  title: string;
  artist: string;
  album: string;
  trackNo: number | null;
  /** Seconds, or null when unknown. */
  duration: number | null;
  /** Bytes. */
  size: number;
  /** MD5 of the whole file, lowercase hex: what clients verify. */
  md5: string;
  /** The file's extension without the dot, lowercase (mp3, flac, ogg, opus, m4a, wav). */
  format: string;
  replicas: Replica[];
}

/** State of a node or instance in the registry. */
export type InstanceState = "up" | "draining" | "down";

/** Role of a node or instance. */
export type Role = "bootstrap" | "content" | "auth" | "file";

/** Load an instance reports with its heartbeat. */
export interface Load {
  /** Streams (track byte transfers) in progress. */
  activeStreams: number;
  /** HTTP requests in progress. */
  inFlight: number;
  /** Bytes served per second, averaged over the last few seconds. */
  bytesPerSecond: number;
  /** Requests handled since start. */
  requests: number;
  /** Auth instances: sign-ins (password checks) per second, averaged over the last few seconds. */
  loginsPerSecond?: number;
}

/** One row of `status`: a node (bootstrap, content) or a role instance (auth, file). */
export interface StatusEntry {
  id: string;
  role: Role;
  url: string;
  state: InstanceState;
  host: string;
  /** OS process hosting it (a content node hosts its instances as Workers). */
  pid: number;
  /** Content node id hosting this instance, or null. */
  node: string | null;
  load: Load;
  /** File instances: how many tracks they serve. */
  tracks?: number;
  /** Milliseconds since its last heartbeat. */
  lastSeenMs: number;
  /** Unix ms when it registered. */
  since: number;
}

/** `GET /v1/status` */
export interface StatusReport {
  nodes: StatusEntry[];
  tracks: number;
}

/** What sign-in returns and the client stores. */
export interface Session {
  /** Base URL of the bootstrap, e.g. `http://127.0.0.1:7700`. */
  host: string;
  user: string;
  token: string;
  /** Unix ms after which the token is no longer accepted (absolute lifetime). */
  expiresAt: number;
  /** Unix ms when the token was issued: clients renew it when less than a tenth of its lifetime is left. */
  issuedAt?: number;
}
