// The shared-state conformance suite, on memory and on Redis; and Redis going away and coming back.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { holding, MemoryState, type SharedState } from '../../src/cache/shared-state.js'
import { BerthError } from '../../src/lib/errors.js'
import { RedisState } from '../../src/cache/redis-state.js'
import { silentLogger } from '../../src/lib/logger.js'
import { REDIS_URL, redisSkip, startPrivateRedis, testPrefix, type PrivateRedis } from '../support/redis.js'
import { waitUntil } from '../support/until.js'

const until = (what: string, fn: () => boolean | Promise<boolean>, ms = 8_000) => waitUntil(what, fn, { timeoutMs: ms, everyMs: 50 })

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

    it('undo takes one hit back, never below zero, and never revives a lapsed window', async () => {
      const c = states[0]!.counters
      await c.hit('u', 300)
      await c.hit('u', 300)
      await c.undo('u')
      assert.equal(await c.hit('u', 300), 2)
      await c.undo('u')
      await c.undo('u')
      await c.undo('u')
      assert.equal(await c.hit('u', 300), 1)
      await new Promise((r) => setTimeout(r, 350))
      await c.undo('u')
      assert.equal(await c.hit('u', 300), 1)
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

    // With one state (memory) "the other node" is the same one: the assertions hold either way.
    const other = () => states[1] ?? states[0]!

    it('a lock has one holder at a time, lapses after its time, and a lapsed holder cannot free it', async () => {
      const key = `lock-${Math.random()}`
      const first = await states[0]!.locks.acquire(key, 200)
      assert.ok(first !== null)
      assert.equal(await other().locks.acquire(key, 200), null)
      assert.equal(await first.extend(400), true)
      await new Promise((r) => setTimeout(r, 250))
      assert.equal(await other().locks.acquire(key, 200), null, 'extended past the first TTL')
      await new Promise((r) => setTimeout(r, 250))
      const second = await other().locks.acquire(key, 5_000)
      assert.ok(second !== null, 'lapsed after the extension')
      assert.equal(await first.extend(5_000), false)
      await first.release()
      assert.equal(await states[0]!.locks.acquire(key, 200), null, "the lapsed holder's release left the new holder's lock alone")
      await second.release()
      assert.ok((await states[0]!.locks.acquire(key, 200)) !== null)
    })

    it('holding() runs one holder at a time, keeps the lock while it runs, and reports a lock that stays busy', async () => {
      const key = `hold-${Math.random()}`
      const order: string[] = []
      const busy = () => new BerthError('BLOB_UPLOAD_INVALID', 'busy')
      // The TTL leaves room for a loaded machine's stalls (the keep-alive runs every TTL/3); the
      // holder runs well past it, so without the keep-alive the lock would lapse mid-way.
      const slow = holding(states[0]!.locks, key, { ttlMs: 600, waitMs: 5_000, busy }, async () => {
        order.push('a-start')
        await new Promise((r) => setTimeout(r, 1_500))
        order.push('a-end')
      })
      await new Promise((r) => setTimeout(r, 20))
      await assert.rejects(holding(other().locks, key, { ttlMs: 600, waitMs: 100, busy }, async () => order.push('never')), /busy/)
      await holding(other().locks, key, { ttlMs: 600, waitMs: 5_000, busy }, async () => order.push('b'))
      await slow
      assert.deepEqual(order, ['a-start', 'a-end', 'b'])
    })

    it('caches values under their key until they expire', async () => {
      const key = `v-${Math.random()}`
      assert.equal(await states[0]!.cache.get(key), null)
      await states[0]!.cache.set(key, Buffer.from('bytes'), 300)
      assert.equal((await other().cache.get(key))?.toString(), 'bytes')
      await new Promise((r) => setTimeout(r, 350))
      assert.equal(await other().cache.get(key), null)
    })

    it('a group entry filled on one node is read on another until the group is invalidated', async () => {
      const group = `tags:${Math.random()}`
      const miss = await states[0]!.cache.read(group, 'latest')
      assert.equal(miss.value, null)
      assert.equal(miss.usable, true)
      await states[0]!.cache.fill(miss, 'sha256:one', 10_000)
      assert.equal((await other().cache.read(group, 'latest')).value, 'sha256:one')
      assert.equal((await other().cache.read(group, 'v2')).value, null)
      await other().cache.invalidate(group)
      assert.equal((await states[0]!.cache.read(group, 'latest')).value, null)
    })

    it('a fill from a read made before an invalidation is refused (a slow reader cannot put back a stale entry)', async () => {
      const group = `race:${Math.random()}`
      for (const seeded of [false, true]) {
        if (seeded) await states[0]!.cache.fill(await states[0]!.cache.read(group, 'other'), 'x', 10_000)
        const before = await states[0]!.cache.read(group, 'latest') // the reader looks up the database now...
        await other().cache.invalidate(group) // ...a writer commits and invalidates...
        await states[0]!.cache.fill(before, 'sha256:stale', 10_000) // ...and the reader fills late
        assert.equal((await other().cache.read(group, 'latest')).value, null, `seeded=${seeded}`)
        // A read after the invalidation fills normally.
        const after = await other().cache.read(group, 'latest')
        await other().cache.fill(after, 'sha256:new', 10_000)
        assert.equal((await states[0]!.cache.read(group, 'latest')).value, 'sha256:new')
        await other().cache.invalidate(group)
      }
    })

    it('group entries expire on their own', async () => {
      const group = `ttl:${Math.random()}`
      await states[0]!.cache.fill(await states[0]!.cache.read(group, 't'), 'v', 200)
      assert.equal((await states[0]!.cache.read(group, 't')).value, 'v')
      await new Promise((r) => setTimeout(r, 250))
      assert.equal((await states[0]!.cache.read(group, 't')).value, null)
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
    redis = await startPrivateRedis({ persistent: true })
    a = new RedisState({ url: redis.url, log: silentLogger() })
    b = new RedisState({ url: redis.url, log: silentLogger() })
    await until('ready', () => a.status() === 'up' && b.status() === 'up')
    // An entry cached before the outage, in a Redis that keeps its data across the restart.
    await b.cache.fill(await b.cache.read('tags:kept', 'latest'), 'sha256:before', 60_000)
    assert.equal((await a.cache.read('tags:kept', 'latest')).value, 'sha256:before')
  })
  after(async () => {
    await a?.close()
    await b?.close()
    await redis?.stop()
  })

  it('without Redis every call answers at once from memory, and status says so', async () => {
    await redis.stop()
    await until('noticed', () => a.status() !== 'up')
    // The tag moves while Redis is away: the invalidation cannot reach it now.
    await a.cache.invalidate('tags:kept')
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

  it('without Redis there is no cache (a node alone cannot hear invalidations), and locks hold on the node', async () => {
    const read = await a.cache.read('tags:offline', 'latest')
    assert.deepEqual([read.value, read.usable], [null, false])
    await a.cache.fill(read, 'sha256:x', 10_000)
    assert.equal((await a.cache.read('tags:offline', 'latest')).value, null)
    await a.cache.set('offline', Buffer.from('x'), 10_000)
    assert.equal(await a.cache.get('offline'), null)
    const lease = await a.locks.acquire('offline-lock', 10_000)
    assert.ok(lease !== null)
    assert.equal(await a.locks.acquire('offline-lock', 10_000), null)
    await lease.release()
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

  it('an invalidation made while Redis was away is replayed when it returns', async () => {
    await until('replayed', async () => (await b.cache.read('tags:kept', 'latest')).value === null)
  })
})
