// The shared-state conformance suite, on memory and on Redis; and Redis going away and coming back.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { MemoryState, type SharedState } from '../../src/cache/shared-state.js'
import { RedisState } from '../../src/cache/redis-state.js'
import { silentLogger } from '../../src/lib/logger.js'
import { REDIS_URL, redisSkip, startPrivateRedis, testPrefix, type PrivateRedis } from '../support/redis.js'

async function until(what: string, fn: () => boolean, ms = 8_000): Promise<void> {
  const end = Date.now() + ms
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

function conformance(name: string, open: () => Promise<SharedState[]>) {
  describe(`shared state: ${name}`, () => {
    let states: SharedState[] = []
    before(async () => {
      states = await open()
      await until('ready', () => states.every((s) => s.status() === 'up'))
    })
    after(async () => {
      for (const s of states) await s.close()
    })

    it('counts hits within a window, and starts again after it', async () => {
      const c = states[0]!.counters
      assert.deepEqual([await c.hit('w', 300), await c.hit('w', 300), await c.hit('w', 300)], [1, 2, 3])
      await new Promise((r) => setTimeout(r, 350))
      assert.equal(await c.hit('w', 300), 1)
    })

    it('blocks for a time; reset forgets counts and blocks', async () => {
      const c = states[0]!.counters
      assert.equal(await c.blockedFor('b'), 0)
      await c.block('b', 5_000)
      const left = await c.blockedFor('b')
      assert.ok(left > 4_000 && left <= 5_000, String(left))
      await c.hit('b', 5_000)
      await c.reset('b')
      assert.equal(await c.blockedFor('b'), 0)
      assert.equal(await c.hit('b', 5_000), 1)
    })

    it('every node hears a message, the sender included', async () => {
      const heard: string[] = []
      for (const [i, s] of states.entries()) s.bus.subscribe('topic', (m) => heard.push(`${i}:${m}`))
      await new Promise((r) => setTimeout(r, 100))
      await states[0]!.bus.publish('topic', 'hello')
      await until('delivery', () => heard.length === states.length)
      assert.deepEqual(heard.sort(), states.map((_, i) => `${i}:hello`).sort())
    })

    if (states.length > 1 || name === 'redis') {
      it('counts are shared between nodes', async () => {
        const [a, b] = states
        if (b === undefined) return
        await a!.counters.hit('shared', 5_000)
        assert.equal(await b.counters.hit('shared', 5_000), 2)
        await a!.counters.block('shared-block', 5_000)
        assert.ok((await b.counters.blockedFor('shared-block')) > 0)
      })
    }
  })
}

conformance('memory', async () => [new MemoryState()])

describe('redis', await redisSkip(), () => {
  const prefix = testPrefix()
  conformance('redis', async () => [new RedisState({ url: REDIS_URL, prefix, log: silentLogger() }), new RedisState({ url: REDIS_URL, prefix, log: silentLogger() })])
})

describe('redis going away and coming back', { timeout: 60_000 }, () => {
  let redis: PrivateRedis
  let a: RedisState
  let b: RedisState
  before(async () => {
    redis = await startPrivateRedis()
    a = new RedisState({ url: redis.url, log: silentLogger() })
    b = new RedisState({ url: redis.url, log: silentLogger() })
    await until('ready', () => a.status() === 'up' && b.status() === 'up')
  })
  after(async () => {
    await a?.close()
    await b?.close()
    await redis?.stop()
  })

  it('without Redis every call answers at once from memory, and status says so', async () => {
    await redis.stop()
    await until('noticed', () => a.status() !== 'up')
    const started = Date.now()
    assert.equal(await a.counters.hit('offline', 10_000), 1)
    assert.equal(await a.counters.hit('offline', 10_000), 2)
    await a.counters.block('offline', 10_000)
    assert.ok((await a.counters.blockedFor('offline')) > 0)
    const heard: string[] = []
    a.bus.subscribe('off', (m) => heard.push(m))
    await a.bus.publish('off', 'local')
    assert.deepEqual(heard, ['local'])
    assert.ok(Date.now() - started < 500, `took ${Date.now() - started} ms`)
  })

  it('when Redis returns, nodes share counts and messages again by themselves', async () => {
    await redis.start()
    await until('reconnected', () => a.status() === 'up' && b.status() === 'up', 15_000)
    await a.counters.hit('back', 10_000)
    assert.equal(await b.counters.hit('back', 10_000), 2)
    const heard: string[] = []
    b.bus.subscribe('again', (m) => heard.push(m))
    await new Promise((r) => setTimeout(r, 200))
    await a.bus.publish('again', 'x')
    await until('delivery across nodes', () => heard.length === 1)
  })
})
