// Waiting in tests for something that happens in the background (a job, a replica, a reconnect).

/** Polls `fn` every `everyMs` until it is true; throws "timed out waiting for <what>" after `timeoutMs`. */
export async function waitUntil(what: string, fn: () => boolean | Promise<boolean>, o: { timeoutMs: number; everyMs: number }): Promise<void> {
  const end = Date.now() + o.timeoutMs
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, o.everyMs))
  }
}
