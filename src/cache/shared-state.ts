// State nodes share through Redis, or keep in process on a single node: counters with a time
// window (failed logins), and messages between nodes (cache invalidation). Two small
// interfaces, each with a memory and a Redis implementation that pass one conformance suite.

/** Counters that expire: how often something happened within a window, and temporary blocks. */
export interface Counters {
  /** Counts one event for `key`; returns the count within the window the first event opened. */
  hit(key: string, windowMs: number): Promise<number>
  /** Blocks `key` for `ms`. */
  block(key: string, ms: number): Promise<void>
  /** Milliseconds `key` stays blocked, or 0. */
  blockedFor(key: string): Promise<number>
  /** Forgets the count and any block of `key`. */
  reset(key: string): Promise<void>
}

/** Messages to every node, this one included. Delivery is best effort: caches still expire. */
export interface Bus {
  publish(topic: string, message: string): Promise<void>
  subscribe(topic: string, handler: (message: string) => void): void
}

export interface SharedState {
  counters: Counters
  bus: Bus
  /** 'up', or why the shared store cannot be reached (then the node works on its own). */
  status(): 'up' | string
  close(): Promise<void>
}

const MAX_KEYS = 100_000

/** One process's state: what a single node needs, and the fallback while Redis is away. */
export class MemoryState implements SharedState {
  private readonly windows = new Map<string, { count: number; until: number }>()
  private readonly blocks = new Map<string, number>()
  private readonly handlers = new Map<string, ((m: string) => void)[]>()

  constructor(private readonly now: () => number = Date.now) {}

  readonly counters: Counters = {
    hit: async (key, windowMs) => {
      const now = this.now()
      const w = this.windows.get(key)
      const next = w === undefined || w.until <= now ? { count: 1, until: now + windowMs } : { count: w.count + 1, until: w.until }
      this.windows.delete(key)
      this.windows.set(key, next)
      if (this.windows.size > MAX_KEYS) this.windows.delete(this.windows.keys().next().value!)
      return next.count
    },
    block: async (key, ms) => {
      this.blocks.set(key, this.now() + ms)
      if (this.blocks.size > MAX_KEYS) this.blocks.delete(this.blocks.keys().next().value!)
    },
    blockedFor: async (key) => Math.max(0, (this.blocks.get(key) ?? 0) - this.now()),
    reset: async (key) => {
      this.windows.delete(key)
      this.blocks.delete(key)
    },
  }

  readonly bus: Bus = {
    publish: async (topic, message) => {
      for (const h of this.handlers.get(topic) ?? []) h(message)
    },
    subscribe: (topic, handler) => {
      this.handlers.set(topic, [...(this.handlers.get(topic) ?? []), handler])
    },
  }

  status(): 'up' {
    return 'up'
  }

  async close(): Promise<void> {}
}
