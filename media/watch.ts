/**
 * Watches a media directory (recursively, with `Deno.watchFs`) and says when something in it changed, once
 * the changes have settled: a burst of events (a copy in progress, an album unpacked) becomes one call. Reads
 * are not changes, so serving and hashing files does not wake it.
 *
 * @module
 */

/** Options for {@linkcode watchChanges}. */
export interface WatchOptions {
  signal: AbortSignal;
  /** Called once the changes settled. */
  onChange: () => void;
  /** Quiet time after the last event before `onChange` (default 300 ms). */
  debounceMs?: number;
  /** Longest wait after the first event of a burst, however busy the directory stays (default 2 s). */
  maxDelayMs?: number;
}

/** Whether a watch event of this kind is a change: every kind but "access" (a read) is. */
export function isChange(kind: Deno.FsEvent["kind"]): boolean {
  return kind !== "access";
}

/**
 * Watches `dir` until `signal` aborts. Resolves then; rejects at once when the directory cannot be watched
 * (the caller falls back to periodic rescans).
 */
export async function watchChanges(dir: string, options: WatchOptions): Promise<void> {
  const { signal } = options;
  if (signal.aborted) return;
  const watcher = Deno.watchFs(dir, { recursive: true });
  const close = () => {
    try {
      watcher.close();
    } catch { /* closed */ }
  };
  signal.addEventListener("abort", close, { once: true });
  const debounceMs = options.debounceMs ?? 300;
  const maxDelayMs = options.maxDelayMs ?? 2000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let firstAt = 0;
  const fire = () => {
    timer = undefined;
    if (!signal.aborted) options.onChange();
  };
  try {
    for await (const event of watcher) {
      if (!isChange(event.kind)) continue;
      const now = Date.now();
      if (timer === undefined) firstAt = now;
      clearTimeout(timer);
      timer = setTimeout(fire, Math.max(0, Math.min(debounceMs, firstAt + maxDelayMs - now)));
    }
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", close);
    close();
  }
}
