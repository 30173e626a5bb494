/**
 * The file instance's streams in flight, by the session each belongs to (its token's hash and its account), so
 * that a session that ends stops its bytes already flowing: every stream of it is cut (its file body's signal
 * aborts; the server ends the response short and closes the connection).
 *
 * @module
 */

/** The session a stream was opened with. */
export interface StreamSession {
  /** SHA-256 of the token, hex. */
  tokenHash: string;
  /** The account the token belongs to. */
  user: string;
  /** Unix ms at which the session's absolute lifetime ends. */
  expiresAt: number;
}

/** One registered stream. */
export interface OpenStream {
  /** Aborts when the stream's session ends: hand it to the stream's file body. */
  signal: AbortSignal;
  /** The stream is over: forget it (idempotent). */
  close(): void;
}

interface Stream {
  controller: AbortController;
  /** The session it belongs to now (a renewal moves it). */
  tokenHash: string;
}

interface Session {
  user: string;
  expiresAt: number;
  streams: Set<Stream>;
}

/** Why a stream was cut, as its signal's reason. */
export class SessionEndedError extends Error {
  constructor(why: string) {
    super(`The stream was cut: its session ${why}`);
    this.name = "SessionEndedError";
  }
}

/** Streams in flight by session. */
export class StreamRegistry {
  #sessions = new Map<string, Session>();
  #now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  /** Registers a stream of `session`; it is cut when the session ends. */
  open(session: StreamSession): OpenStream {
    const stream: Stream = { controller: new AbortController(), tokenHash: session.tokenHash };
    let entry = this.#sessions.get(session.tokenHash);
    if (!entry) {
      entry = { user: session.user, expiresAt: session.expiresAt, streams: new Set() };
      this.#sessions.set(session.tokenHash, entry);
    }
    // A later verification may know a later end (the client renewed into this token meanwhile).
    entry.expiresAt = Math.max(entry.expiresAt, session.expiresAt);
    entry.streams.add(stream);
    const close = () => {
      const owner = this.#sessions.get(stream.tokenHash);
      if (owner?.streams.delete(stream) && owner.streams.size === 0) this.#sessions.delete(stream.tokenHash);
    };
    return { signal: stream.controller.signal, close };
  }

  /** Streams in flight. */
  get size(): number {
    let n = 0;
    for (const s of this.#sessions.values()) n += s.streams.size;
    return n;
  }

  /** Token hashes of the sessions with streams in flight. */
  sessions(): string[] {
    return [...this.#sessions.keys()];
  }

  /** Cuts every stream of the session; returns how many. */
  endSession(tokenHash: string, why = "ended"): number {
    const session = this.#sessions.get(tokenHash);
    if (!session) return 0;
    this.#sessions.delete(tokenHash);
    return cut(session, why);
  }

  /** Cuts every stream of the account's sessions; returns how many. */
  endUser(user: string, why = "ended"): number {
    let n = 0;
    for (const [hash, session] of this.#sessions) {
      if (session.user !== user) continue;
      this.#sessions.delete(hash);
      n += cut(session, why);
    }
    return n;
  }

  /**
   * The client traded `fromHash` for `toHash`, valid until `expiresAt`: the old session's streams go on as the new
   * one's. Returns how many moved.
   */
  renew(fromHash: string, toHash: string, expiresAt: number): number {
    const from = this.#sessions.get(fromHash);
    if (!from || fromHash === toHash) return 0;
    this.#sessions.delete(fromHash);
    let to = this.#sessions.get(toHash);
    if (!to) {
      to = { user: from.user, expiresAt, streams: new Set() };
      this.#sessions.set(toHash, to);
    }
    to.expiresAt = Math.max(to.expiresAt, expiresAt);
    for (const stream of from.streams) {
      stream.tokenHash = toHash;
      to.streams.add(stream);
    }
    return from.streams.size;
  }

  /** The bootstrap confirmed the session valid until `expiresAt`. */
  confirm(tokenHash: string, expiresAt: number): void {
    const session = this.#sessions.get(tokenHash);
    if (session) session.expiresAt = expiresAt;
  }

  /** Cuts the streams whose session's absolute lifetime is over; returns how many. */
  expire(): number {
    const now = this.#now();
    let n = 0;
    for (const [hash, session] of this.#sessions) {
      if (now < session.expiresAt) continue;
      this.#sessions.delete(hash);
      n += cut(session, "expired");
    }
    return n;
  }
}

function cut(session: Session, why: string): number {
  const reason = new SessionEndedError(why);
  for (const stream of session.streams) stream.controller.abort(reason);
  return session.streams.size;
}
