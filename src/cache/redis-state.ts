// Shared state in Redis (ioredis): standalone, Sentinel or Cluster, from a redis:// URL. When
// Redis cannot be reached a node does not wait for it: every call falls back to the node's own
// memory at once (commands are not queued while offline), status() says why, and the node goes
// back to Redis by itself when it answers again.
import { Redis, Cluster, type RedisOptions } from 'ioredis'
import type { Logger } from '../lib/logger.js'
import { MemoryState, type Bus, type Counters, type SharedState } from './shared-state.js'

export interface RedisStateOptions {
  url: string
  /** Key prefix, so that several registries (or test runs) can share one Redis. */
  prefix?: string
  log: Logger
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

export class RedisState implements SharedState {
  private readonly client: Redis | Cluster
  private readonly subscriber: Redis | Cluster
  private readonly memory = new MemoryState()
  private readonly prefix: string
  private problem: string | null = 'connecting'
  private readonly handlers = new Map<string, ((m: string) => void)[]>()

  constructor(private readonly o: RedisStateOptions) {
    this.prefix = o.prefix ?? 'berth:'
    this.client = connect(o.url)
    this.subscriber = connect(o.url, true)
    this.client.on('ready', () => {
      if (this.problem !== null) o.log.info({}, 'redis reachable')
      this.problem = null
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

  status(): 'up' | string {
    return this.client.status === 'ready' ? 'up' : (this.problem ?? this.client.status)
  }

  async close(): Promise<void> {
    this.client.disconnect()
    this.subscriber.disconnect()
  }
}
