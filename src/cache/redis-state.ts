// Shared state in Redis (ioredis): standalone, Sentinel or Cluster, from a redis:// URL. When
// Redis cannot be reached a node does not wait for it: every call falls back to the node's own
// memory at once (commands are not queued while offline), status() says why, and the node goes
// back to Redis by itself when it answers again.
import { Redis, Cluster, type RedisOptions } from 'ioredis'
import type { Logger } from '../lib/logger.js'
import { ATTR, SpanKind, failSpan, inTrace, startSpan } from '../lib/tracing.js'
import { MemoryState, newVersion, type Bus, type Counters, type GroupRead, type Lease, type Locks, type SharedCache, type SharedState } from './shared-state.js'

export interface RedisStateOptions {
  url: string
  /** Key prefix, so that several registries (or test runs) can share one Redis. */
  prefix?: string
  log: Logger
  /** A span per command sent inside a trace (tracing.enabled). */
  trace?: boolean
}

/**
 * `redis://host:port/db` for one server; `redis+sentinel://host1:port,host2:port/master-name`
 * for Sentinel; `redis+cluster://host1:port,host2:port` for Cluster. `rediss` variants use TLS.
 */
function connect(url: string, queueWhileOffline = false): Redis | Cluster {
  const u = new URL(url)
  const tls = u.protocol.startsWith('rediss') ? { tls: {} } : {}
  const common: RedisOptions = {
    ...tls,
    ...(u.username !== '' ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password !== '' ? { password: decodeURIComponent(u.password) } : {}),
    // Fail fast while Redis is away instead of queueing: callers fall back to memory. (The
    // subscriber queues, so that its SUBSCRIBE is sent once the connection is up.)
    enableOfflineQueue: queueWhileOffline,
    maxRetriesPerRequest: queueWhileOffline ? null : 0,
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    lazyConnect: false,
  }
  const hosts = u.host.split(',').map((h) => {
    const [host, port] = h.split(':')
    return { host: host!, port: Number(port ?? 6379) }
  })
  if (u.protocol.includes('sentinel')) return new Redis({ ...common, sentinels: hosts, name: u.pathname.replace(/^\//, '') || 'mymaster' })
  if (u.protocol.includes('cluster')) return new Cluster(hosts, { redisOptions: common, enableOfflineQueue: queueWhileOffline })
  return new Redis({ ...common, host: hosts[0]!.host, port: hosts[0]!.port, db: Number(u.pathname.replace(/^\//, '') || 0) })
}

/**
 * Makes a client span of every command `client` sends inside a trace: `redis <COMMAND>`, with the
 * command and its key; the other arguments (values, scripts' arguments) show as `?`.
 */
function traceCommands(client: Redis | Cluster): void {
  type Command = { name: string; args: unknown[]; promise: Promise<unknown> }
  const send = client.sendCommand.bind(client) as (command: Command, ...rest: unknown[]) => unknown
  ;(client as unknown as { sendCommand: typeof send }).sendCommand = (command, ...rest) => {
    if (!inTrace()) return send(command, ...rest)
    const name = command.name.toUpperCase()
    const key = command.args[0]
    const statement = [name, ...(typeof key === 'string' ? [key] : key === undefined ? [] : ['?']), ...command.args.slice(1).map(() => '?')].join(' ')
    const span = startSpan(`redis ${name}`, { kind: SpanKind.CLIENT, attributes: { [ATTR.DB_SYSTEM_NAME]: 'redis', [ATTR.DB_OPERATION_NAME]: name, [ATTR.DB_QUERY_TEXT]: statement } })
    command.promise.then(
      () => span.end(),
      (err: unknown) => {
        failSpan(span, err)
        span.end()
      },
    )
    return send(command, ...rest)
  }
}

// Lua, so that each check-and-change is one atomic step on the server.
const SCRIPTS = {
  /** Extends a lock if this holder (ARGV[1]) still has it. */
  berthExtend: `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`,
  /** Takes one hit back from a window that still exists (a DECR on a lapsed key would make one without expiry). */
  berthUndo: `local v = tonumber(redis.call('GET', KEYS[1])) if v and v > 0 then return redis.call('DECR', KEYS[1]) end return 0`,
  /** Releases a lock if this holder still has it. */
  berthRelease: `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`,
  /**
   * Fills a group entry if the group still has the version the reader saw (ARGV[1], '' for none;
   * a group that had none gets ARGV[5]). ARGV[2] field, ARGV[3] value, ARGV[4] TTL in ms.
   */
  berthFill: `local v = redis.call('HGET', KEYS[1], '_v')
if v == false then
  if ARGV[1] ~= '' then return 0 end
  redis.call('HSET', KEYS[1], '_v', ARGV[5])
elseif v ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`,
} as const

type Scripted = Record<keyof typeof SCRIPTS, (key: string, ...args: (string | number)[]) => Promise<number>>

/** A group's version outlives any read that could still try to fill it. */
const GROUP_VERSION_TTL_MS = 10 * 60_000
/** Groups whose invalidation could not reach Redis, replayed when it answers again. */
const MAX_MISSED = 10_000

export class RedisState implements SharedState {
  private readonly client: Redis | Cluster
  private readonly subscriber: Redis | Cluster
  private readonly memory = new MemoryState()
  private readonly prefix: string
  private problem: string | null = 'connecting'
  private readonly handlers = new Map<string, ((m: string) => void)[]>()
  private readonly missed = new Set<string>()

  constructor(private readonly o: RedisStateOptions) {
    this.prefix = o.prefix ?? 'berth:'
    this.client = connect(o.url)
    if (o.trace === true) traceCommands(this.client)
    for (const [name, lua] of Object.entries(SCRIPTS)) this.client.defineCommand(name, { numberOfKeys: 1, lua })
    this.subscriber = connect(o.url, true)
    this.client.on('ready', () => {
      if (this.problem !== null) o.log.info({}, 'redis reachable')
      this.problem = null
      void this.replayMissed()
    })
    this.client.on('error', (err: Error) => {
      if (this.problem === null) o.log.warn({ err }, 'redis unreachable; working without it')
      this.problem = err.message || 'unreachable'
    })
    this.client.on('end', () => {
      this.problem = 'disconnected'
    })
    this.subscriber.on('error', () => {})
    // Every time the subscriber connection is (again) ready, it subscribes to every topic:
    // SUBSCRIBE is idempotent, and a command queued before a failed first connect may be lost.
    this.subscriber.on('ready', () => {
      for (const topic of this.handlers.keys()) void this.subscriber.subscribe(`${this.prefix}${topic}`).catch(() => {})
    })
    this.subscriber.on('message', (channel: string, message: string) => {
      for (const h of this.handlers.get(channel.slice(this.prefix.length)) ?? []) h(message)
    })
  }

  /**
   * Runs `fn` on Redis, or `fallback` on this node's memory when Redis is not connected or a
   * command fails. A failed command does not mark Redis down: the connection's state does.
   */
  private async either<T>(fn: (r: Redis | Cluster) => Promise<T>, fallback: () => Promise<T>): Promise<T> {
    if (this.client.status !== 'ready') return fallback()
    try {
      return await fn(this.client)
    } catch (err) {
      this.o.log.warn({ err }, 'redis command failed; answered from this node alone')
      return fallback()
    }
  }

  readonly counters: Counters = {
    hit: (key, windowMs) =>
      this.either(
        async (r) => {
          const k = `${this.prefix}n:${key}`
          const [[, count]] = (await r.multi().incr(k).pexpire(k, windowMs, 'NX').exec()) as [[unknown, number], unknown]
          return Number(count)
        },
        () => this.memory.counters.hit(key, windowMs),
      ),
    undo: (key) =>
      this.either(
        async (r) => {
          await this.scripted(r).berthUndo(`${this.prefix}n:${key}`)
        },
        () => this.memory.counters.undo(key),
      ),
    block: (key, ms) =>
      this.either(
        async (r) => {
          await r.set(`${this.prefix}b:${key}`, '1', 'PX', ms)
        },
        () => this.memory.counters.block(key, ms),
      ),
    blockedFor: (key) =>
      this.either(
        async (r) => Math.max(0, await r.pttl(`${this.prefix}b:${key}`)),
        () => this.memory.counters.blockedFor(key),
      ),
    reset: (key) =>
      this.either(
        async (r) => {
          await r.del(`${this.prefix}n:${key}`, `${this.prefix}b:${key}`)
        },
        () => this.memory.counters.reset(key),
      ),
  }

  readonly bus: Bus = {
    publish: (topic, message) =>
      this.either(
        async (r) => {
          await r.publish(`${this.prefix}${topic}`, message)
        },
        // Without Redis only this node hears it; the others' caches expire on their own.
        () => this.memory.bus.publish(topic, message),
      ),
    subscribe: (topic, handler) => {
      const first = !this.handlers.has(topic)
      this.handlers.set(topic, [...(this.handlers.get(topic) ?? []), handler])
      this.memory.bus.subscribe(topic, handler)
      if (first) void this.subscriber.subscribe(`${this.prefix}${topic}`).catch(() => {})
    },
  }

  private scripted(r: Redis | Cluster): Scripted {
    return r as unknown as Scripted
  }

  readonly locks: Locks = {
    acquire: (key, ttlMs) =>
      this.either<Lease | null>(
        async (r) => {
          const k = `${this.prefix}l:${key}`
          const token = newVersion()
          if ((await r.set(k, token, 'PX', ttlMs, 'NX')) === null) return null
          return {
            extend: async (ms) => (await this.scripted(r).berthExtend(k, token, ms).catch(() => 0)) === 1,
            release: async () => {
              await this.scripted(r).berthRelease(k, token).catch(() => 0)
            },
          }
        },
        // Without Redis a lock holds on this node only; what it guards must stay safe without it.
        () => this.memory.locks.acquire(key, ttlMs),
      ),
  }

  private groupKey(group: string): string {
    return `${this.prefix}g:${group}`
  }

  // Without Redis there is no cache: a node's own copy could not hear other nodes' invalidations.
  readonly cache: SharedCache = {
    get: (key) =>
      this.either(
        (r) => r.getBuffer(`${this.prefix}c:${key}`),
        async () => null,
      ),
    set: (key, value, ttlMs) =>
      this.either(
        async (r) => {
          await r.set(`${this.prefix}c:${key}`, value, 'PX', ttlMs)
        },
        async () => {},
      ),
    read: (group, field) =>
      this.either<GroupRead>(
        async (r) => {
          const [version, raw] = await r.hmget(this.groupKey(group), '_v', `f:${field}`)
          const cut = raw?.indexOf('|') ?? -1
          const live = raw != null && cut > 0 && Number(raw.slice(0, cut)) > Date.now()
          return { group, field, value: live ? raw.slice(cut + 1) : null, version: version ?? null, usable: true }
        },
        async () => ({ group, field, value: null, version: null, usable: false }),
      ),
    fill: async (read, value, ttlMs) => {
      if (!read.usable) return
      await this.either(
        async (r) => {
          await this.scripted(r).berthFill(this.groupKey(read.group), read.version ?? '', `f:${read.field}`, `${Date.now() + ttlMs}|${value}`, Math.max(ttlMs, GROUP_VERSION_TTL_MS), newVersion())
        },
        async () => {},
      )
    },
    invalidate: (group) =>
      this.either(
        async (r) => {
          const k = this.groupKey(group)
          await r.multi().del(k).hset(k, '_v', newVersion()).pexpire(k, GROUP_VERSION_TTL_MS).exec()
        },
        async () => {
          // Replayed when Redis answers again; entries left there meanwhile expire on their own.
          if (this.missed.size < MAX_MISSED) this.missed.add(group)
        },
      ),
  }

  private async replayMissed(): Promise<void> {
    const groups = [...this.missed]
    this.missed.clear()
    for (const g of groups) await this.cache.invalidate(g)
    if (groups.length > 0) this.o.log.info({ groups: groups.length }, 'cache invalidations made while redis was away replayed')
  }

  status(): 'up' | string {
    return this.client.status === 'ready' ? 'up' : (this.problem ?? this.client.status)
  }

  async close(): Promise<void> {
    this.client.disconnect()
    this.subscriber.disconnect()
  }
}
