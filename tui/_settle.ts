/**
 * Bounded waiting for the TUI's side effects: quitting must not hang on a player or a settings file that does not
 * answer.
 *
 * @module
 */

/** Waits for `promise` at most `ms`; never rejects. */
export async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => timer = setTimeout(resolve, ms));
  try {
    await Promise.race([promise.then(() => {}, () => {}), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
