// Two nodes on one PostgreSQL and one Redis, each with its own metrics listener: however often
// and wherever Prometheus scrapes, the cluster-wide gauges are computed from the database once
// per interval in all (counted by berth_metrics_snapshot_computations_total on each node), and
// both nodes show the same numbers. Without Redis each node computes them once per interval itself.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Berth } from '../../src/app/server.js'
import { createTestDatabase, dialectSkip, type TestDatabase } from '../support/databases.js'
import { ADMIN_AUTH } from '../support/berth-app.js'
import { inProcessNode } from '../support/in-process-node.js'
import { scrape } from '../support/prometheus.js'
import { REDIS_URL, redisSkip, testPrefix } from '../support/redis.js'
import { waitUntil } from '../support/until.js'

const skip = (await dialectSkip('postgres')).skip ?? (await redisSkip()).skip

type Node = Berth & { dir: string }
const urlOf = (n: Node) => `http://127.0.0.1:${n.metricsListener!.port}/metrics`
const metricsOn = (cacheSeconds: number) => (c: Parameters<NonNullable<Parameters<typeof inProcessNode>[3]>>[0]) => {
  c.metrics = { enabled: true, port: 0, path: '/metrics', cache_seconds: cacheSeconds }
}

describe('cluster-wide gauges on two nodes', { skip: skip ?? false, timeout: 90_000 }, () => {
  let database: TestDatabase
  let storage: string
  const nodes: Node[] = []

  before(async () => {
    database = await createTestDatabase('postgres')
    storage = await mkdtemp(join(tmpdir(), 'berth-metrics-storage-'))
  })
  after(async () => {
    for (const n of nodes) {
      await n.close()
      await rm(n.dir, { recursive: true, force: true })
    }
    await database?.drop()
    await rm(storage, { recursive: true, force: true })
  })

  it('are computed once per interval across the nodes, not per scrape per node', async () => {
    const prefix = testPrefix()
    const a = await inProcessNode(database.url, storage, { url: REDIS_URL, prefix }, metricsOn(600))
    nodes.push(a)
    const b = await inProcessNode(database.url, storage, { url: REDIS_URL, prefix }, metricsOn(600))
    nodes.push(b)
    await waitUntil('redis ready on both nodes', () => a.shared.status() === 'up' && b.shared.status() === 'up', { timeoutMs: 5_000, everyMs: 50 })
    for (let i = 0; i < 3; i++) {
      const res = await a.app.inject({ method: 'POST', url: '/api/v2.0/projects', headers: { authorization: ADMIN_AUTH }, payload: { project_name: `p${i}`, metadata: { public: 'false' } } })
      assert.equal(res.statusCode, 201)
    }
    // Scrapes at once and one after another, on both nodes.
    const all = await Promise.all([a, b, a, b].map((n) => scrape(urlOf(n))))
    for (let i = 0; i < 6; i++) all.push(await scrape(urlOf(i % 2 === 0 ? a : b)))
    const computed = async () => (await scrape(urlOf(a))).sum('berth_metrics_snapshot_computations_total') + (await scrape(urlOf(b))).sum('berth_metrics_snapshot_computations_total')
    assert.equal(await computed(), 1)
    for (const m of all) {
      assert.equal(m.sum('harbor_project_total', { public: 'false' }), 3)
      assert.equal(m.sum('harbor_project_total', { public: 'true' }), 1)
    }
    // Within the interval a new project shows on neither node: both read the one shared result.
    assert.equal((await a.app.inject({ method: 'POST', url: '/api/v2.0/projects', headers: { authorization: ADMIN_AUTH }, payload: { project_name: 'late', metadata: { public: 'false' } } })).statusCode, 201)
    assert.equal((await scrape(urlOf(b))).find('harbor_project_repo_total', { project_name: 'late' }).length, 0)
    assert.equal(await computed(), 1)
  })
})
