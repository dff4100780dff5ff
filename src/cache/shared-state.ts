// State nodes share through Redis, or keep in process on a single node: counters with a time
// window (failed logins), messages between nodes, short locks (an upload session while a chunk
// is written) and a cache (tag lookups, manifest bytes). Small interfaces, each with a memory
// and a Redis implementation that pass one conformance suite.
import { randomBytes } from 'node:crypto'
import { BerthError } from '../lib/errors.js'
import { LruCache } from './lru-cache.js'

/** Counters that expire: how often something happened within a window, and temporary blocks. */
export interface Counters {
  /** Counts one event for `key`; returns the count within the window the first event opened. */
  hit(key: string, windowMs: number): Promise<number>
  /** Takes one hit of the current window back (a reserved attempt that turned out not to count). */
  undo(key: string): Promise<void>
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

/** A lock one holder has for a while; it lapses by itself if the holder dies. */
export interface Lease {
  /** Keeps the lock `ms` longer; false when it lapsed and someone else may hold it. */
  extend(ms: number): Promise<boolean>
  release(): Promise<void>
}

/** Short locks across nodes. */
export interface Locks {
  /** Takes `key` for `ttlMs`, or null when another holder has it. */
  acquire(key: string, ttlMs: number): Promise<Lease | null>
}

/** What `SharedCache.read` saw: the entry, and the group's version a later fill must still find. */
export interface GroupRead {
  group: string
  field: string
  value: string | null
  version: string | null
  /** False when the cache cannot be used now (Redis away): do not fill. */
  usable: boolean
}

/**
 * A cache every node sees. Two kinds of entry: immutable values under their own key (manifest
 * bytes by digest), and groups of mutable entries (the tags of one repository) that one write
 * invalidates together. A group carries a version: a fill from a read made before an
 * invalidation is refused, so a slow reader can never put back what a writer just replaced.
 */
export interface SharedCache {
  get(key: string): Promise<Buffer | null>
  set(key: string, value: Buffer, ttlMs: number): Promise<void>
  read(group: string, field: string): Promise<GroupRead>
  /** Stores `value` (looked up in the database after `read`) unless the group changed since. */
  fill(read: GroupRead, value: string, ttlMs: number): Promise<void>
  /** Drops every entry of the group on every node; fills of older reads are refused. */
  invalidate(group: string): Promise<void>
}

export interface SharedState {
  counters: Counters
  bus: Bus
  locks: Locks
  cache: SharedCache
  /** 'up', or why the shared store cannot be reached (then the node works on its own). */
  status(): 'up' | string
  close(): Promise<void>
}

const MAX_KEYS = 100_000
const MAX_GROUPS = 10_000
const MAX_GROUP_ENTRIES = 1_000

export function newVersion(): string {
  return randomBytes(9).toString('base64url')
}

/** In-process locks: the single-node implementation, and the fallback while Redis is away. */
export class MemoryLocks implements Locks {
  private readonly held = new Map<string, { token: string; until: number }>()

  constructor(private readonly now: () => number = Date.now) {}

  async acquire(key: string, ttlMs: number): Promise<Lease | null> {
    const current = this.held.get(key)
    if (current !== undefined && current.until > this.now()) return null
    const token = newVersion()
    this.held.set(key, { token, until: this.now() + ttlMs })
    const mine = () => this.held.get(key)?.token === token
    return {
      extend: async (ms) => {
        if (!mine()) return false
        this.held.set(key, { token, until: this.now() + ms })
        return true
      },
      release: async () => {
        if (mine()) this.held.delete(key)
      },
    }
  }
}

/**
 * Runs `fn` holding `key`: waits up to `waitMs` for it (polling), keeps the lease alive while
 * `fn` runs, and releases it after. A lock still taken after the wait throws `busy()`.
 */
export async function holding<T>(locks: Locks, key: string, o: { ttlMs: number; waitMs: number; busy: () => BerthError }, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + o.waitMs
  let lease = await locks.acquire(key, o.ttlMs)
  while (lease === null) {
    if (Date.now() >= deadline) throw o.busy()
    await new Promise((r) => setTimeout(r, 25))
    lease = await locks.acquire(key, o.ttlMs)
  }
  const held = lease
  const keepAlive = setInterval(() => void held.extend(o.ttlMs).catch(() => false), Math.max(50, Math.floor(o.ttlMs / 3)))
  try {
    return await fn()
  } finally {
    clearInterval(keepAlive)
    await held.release().catch(() => {})
  }
}

/** The cache of one process: what a single node needs. */
export class MemoryCache implements SharedCache {
  private readonly values: LruCache<{ value: Buffer; until: number }>
  private readonly groups = new Map<string, { version: string; entries: Map<string, { value: string; until: number }> }>()

  constructor(
    maxBytes = 16 << 20,
    private readonly now: () => number = Date.now,
  ) {
    this.values = new LruCache(maxBytes, (e) => e.value.length + 64)
  }

  async get(key: string): Promise<Buffer | null> {
    const e = this.values.get(key)
    return e !== undefined && e.until > this.now() ? e.value : null
  }

  async set(key: string, value: Buffer, ttlMs: number): Promise<void> {
    this.values.set(key, { value, until: this.now() + ttlMs })
  }

  async read(group: string, field: string): Promise<GroupRead> {
    const g = this.groups.get(group)
    const e = g?.entries.get(field)
    const value = e !== undefined && e.until > this.now() ? e.value : null
    return { group, field, value, version: g?.version ?? null, usable: true }
  }

  async fill(read: GroupRead, value: string, ttlMs: number): Promise<void> {
    let g = this.groups.get(read.group)
    if ((g?.version ?? null) !== read.version) return
    if (g === undefined) {
      g = { version: newVersion(), entries: new Map() }
      this.groups.set(read.group, g)
      if (this.groups.size > MAX_GROUPS) this.groups.delete(this.groups.keys().next().value!)
    }
    g.entries.set(read.field, { value, until: this.now() + ttlMs })
    if (g.entries.size > MAX_GROUP_ENTRIES) g.entries.delete(g.entries.keys().next().value!)
  }

  async invalidate(group: string): Promise<void> {
    this.groups.delete(group)
    this.groups.set(group, { version: newVersion(), entries: new Map() })
    if (this.groups.size > MAX_GROUPS) this.groups.delete(this.groups.keys().next().value!)
  }
}

/** One process's state: what a single node needs, and the fallback while Redis is away. */
export class MemoryState implements SharedState {
  private readonly windows = new Map<string, { count: number; until: number }>()
  private readonly blocks = new Map<string, number>()
  private readonly handlers = new Map<string, ((m: string) => void)[]>()

  readonly locks: Locks
  readonly cache: SharedCache

  constructor(private readonly now: () => number = Date.now) {
    this.locks = new MemoryLocks(now)
    this.cache = new MemoryCache(16 << 20, now)
  }

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
    undo: async (key) => {
      const w = this.windows.get(key)
      if (w !== undefined && w.until > this.now() && w.count > 0) this.windows.set(key, { count: w.count - 1, until: w.until })
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
