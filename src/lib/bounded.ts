// Runs an async function over items with at most `limit` calls in flight, stopping (with the
// signal's reason) before starting more once the signal aborts.

export async function forEachBounded<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0
  const lane = async () => {
    while (next < items.length) {
      signal?.throwIfAborted()
      await fn(items[next++]!)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane))
}
