// ClusterStats on two "nodes" that share a cache and locks (in memory, and through a real Redis):
// however many reads arrive at once on either, the database is asked once per interval; a stale
// result is recomputed once, by one of them; without a shared result a node computes its own.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MemoryState, type SharedState } from '../../cache/shared-state.js'
import { RedisState } from '../../cache/redis-state.js'
import { silentLogger } from '../../lib/logger.js'
import { REDIS_URL, redisSkip, testPrefix } from '../../../test/support/redis.js'
import { waitUntil } from '../../../test/support/until.js'
import { ClusterStats } from './cluster-stats.js'

/** A stats store that counts how often it is asked, and answers after a moment (as a database would). */
function countingStats() {
  const calls = { n: 0 }
  const slow = async <T>(v: T) => {
    await new Promise((r) => setTimeout(r, 20))
    return v
  }
  return {
    calls,
    stats: {
      projects: async () => {
        calls.n++
        return slow([{ name: 'library', public: true, repositories: 1, members: 1, quotaUsed: 0, quotaHard: -1, pulls: calls.n }])
      },
      queues: async () => slow([]),
      schedules: async () => slow(3),
      replicationTasks: async () => slow({ Pending: 0 }),
    },
  }
}

function suite(name: string, states: () => Promise<[SharedState, SharedState]>, o: { skip?: string } = {}) {
  describe(`ClusterStats over ${name}`, o, () => {
    it('computes once per interval for every reader on every node', async () => {
      const [sa, sb] = await states()
      try {
        let now = 1_000_000
        const { calls, stats } = countingStats()
        const node = (s: SharedState) => new ClusterStats({ stats, cache: s.cache, locks: s.locks, intervalMs: 30_000, log: silentLogger(), now: () => now })
        const a = node(sa)
        const b = node(sb)
        const first = await Promise.all([a, b, a, b, a, b, b, a].map((n) => n.get()))
        assert.equal(calls.n, 1)
        assert.ok(first.every((s) => s?.projects[0]?.pulls === 1 && s.scheduled === 3))
        now += 29_000
        await Promise.all([a.get(), b.get()])
        assert.equal(calls.n, 1, 'still fresh')
        now += 2_000
        const second = await Promise.all([b, a, b, a].map((n) => n.get()))
        assert.equal(calls.n, 2, 'stale: recomputed once, by one node')
        assert.ok(second.every((s) => s?.projects[0]?.pulls === 2))
      } finally {
        await sa.close()
        await sb.close()
      }
    })
  })
}

// One process's state: two readers of one MemoryState are one node's scrapes.
suite('one node in memory', async () => {
  const s = new MemoryState()
  return [s, s]
})

suite(
  'Redis shared by two nodes',
  async () => {
    const prefix = testPrefix()
    const pair: [SharedState, SharedState] = [new RedisState({ url: REDIS_URL, prefix, log: silentLogger() }), new RedisState({ url: REDIS_URL, prefix, log: silentLogger() })]
    await waitUntil('redis ready', () => pair.every((s) => s.status() === 'up'), { timeoutMs: 5_000, everyMs: 20 })
    return pair
  },
  await redisSkip(),
)

describe('ClusterStats without a shared result', () => {
  it('nodes with their own memory each compute once per interval', async () => {
    const { calls, stats } = countingStats()
    const a = new ClusterStats({ stats, ...new MemoryState(), intervalMs: 30_000, log: silentLogger() })
    const b = new ClusterStats({ stats, ...new MemoryState(), intervalMs: 30_000, log: silentLogger() })
    await Promise.all([a.get(), a.get(), b.get(), b.get()])
    assert.equal(calls.n, 2)
  })

  it('a failing database leaves the last result in place', async () => {
    let now = 0
    let fail = false
    const { stats } = countingStats()
    const s = new MemoryState()
    const c = new ClusterStats({
      stats: { ...stats, projects: async () => (fail ? Promise.reject(new Error('database away')) : stats.projects()) },
      cache: s.cache,
      locks: s.locks,
      intervalMs: 1_000,
      log: silentLogger(),
      now: () => now,
    })
    const first = await c.get()
    assert.ok(first !== null)
    fail = true
    now += 5_000
    assert.equal(await c.get(), first)
  })
})
