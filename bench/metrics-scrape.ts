// The cost of a Prometheus scrape with many projects: a Berth on loopback with metrics on,
// N projects (each with repositories, user members and a quota), scraped over HTTP on SQLite and
// on PostgreSQL. Cold: the cluster-wide gauges are computed from the database for this scrape
// (the interval lapsed); warm: they come from the shared result. Reports ms per scrape
// (p50 and max), the series and the bytes of one scrape.
//
//   npm run bench -- metrics [--projects N] [--repos-per-project N] [--scrapes N] [--dialects sqlite,postgres] [--json]
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { Value } from '@sinclair/typebox/value'
import { ConfigSchema, type Config } from '../src/app/config.js'
import { createBerth } from '../src/app/server.js'
import { silentLogger } from '../src/lib/logger.js'
import type { Dialect } from '../src/metadata/schema.js'
import { createTestDatabase, postgresAvailable } from '../test/support/databases.js'
import { quantile } from './load.js'

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: {
    projects: { type: 'string', default: '1000' },
    'repos-per-project': { type: 'string', default: '5' },
    scrapes: { type: 'string', default: '50' },
    dialects: { type: 'string', default: 'sqlite,postgres' },
    json: { type: 'boolean', default: false },
  },
})
const PROJECTS = Number(values.projects)
const REPOS = Number(values['repos-per-project'])
const SCRAPES = Number(values.scrapes)
const COLD = 5

async function run(dialect: Dialect) {
  const dir = await mkdtemp(join(tmpdir(), 'berth-bench-metrics-'))
  const database = await createTestDatabase(dialect)
  const config = Value.Default(ConfigSchema, {}) as Config
  Object.assign(config, { data_dir: dir, admin: { password: 'Bench-Metrics-Passw0rd' }, log: { level: 'silent' } })
  config.database = { ...config.database, url: database.url }
  config.metrics = { enabled: true, port: 0, path: '/metrics', cache_seconds: 1 }
  const berth = await createBerth(config, { log: silentLogger(), showOnce: () => {} })
  try {
    const db = berth.db.kysely
    const now = new Date().toISOString()
    const admin = await berth.stores.users.firstAdminId()
    for (let p = 0; p < PROJECTS; p += 500) {
      await db.transaction().execute(async (trx) => {
        const rows = Array.from({ length: Math.min(500, PROJECTS - p) }, (_, i) => ({ name: `bench-${p + i}`, public: (p + i) % 3 === 0 ? 1 : 0, owner_id: admin, created_at: now, updated_at: now }))
        const ids = (await trx.insertInto('projects').values(rows).returning('id').execute()).map((r) => Number(r.id))
        await trx.insertInto('quota_usage').values(ids.map((id, i) => ({ project_id: id, hard: 10 << 30, used: (i + 1) * 1_000_000, created_at: now, updated_at: now }))).execute()
        await trx.insertInto('project_members').values(ids.map((id) => ({ project_id: id, entity_type: 'u' as const, entity_id: admin!, role_id: 1, created_at: now, updated_at: now }))).execute()
        const repos = ids.flatMap((id, i) => Array.from({ length: REPOS }, (_, r) => ({ project_id: id, name: `bench-${p + i}/repo-${r}`, pull_count: r, created_at: now, updated_at: now })))
        for (let i = 0; i < repos.length; i += 1000) await trx.insertInto('repositories').values(repos.slice(i, i + 1000)).execute()
      })
    }
    const url = `http://127.0.0.1:${berth.metricsListener!.port}/metrics`
    const once = async () => {
      const t = performance.now()
      const res = await fetch(url)
      const body = await res.text()
      if (res.status !== 200) throw new Error(`scrape: ${res.status}`)
      return { ms: performance.now() - t, bytes: Buffer.byteLength(body), series: body.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length }
    }
    await once()
    const cold: number[] = []
    for (let i = 0; i < COLD; i++) {
      await sleep(1_100) // the interval (1 s here) lapses: this scrape computes the gauges again
      cold.push((await once()).ms)
    }
    const warm: number[] = []
    let last = { ms: 0, bytes: 0, series: 0 }
    for (let i = 0; i < SCRAPES; i++) {
      last = await once()
      warm.push(last.ms)
    }
    const sorted = (a: number[]) => [...a].sort((x, y) => x - y)
    return {
      dialect,
      projects: PROJECTS,
      repositories: PROJECTS * REPOS,
      coldP50Ms: quantile(sorted(cold), 0.5),
      coldMaxMs: Math.max(...cold),
      warmP50Ms: quantile(sorted(warm), 0.5),
      warmMaxMs: Math.max(...warm),
      series: last.series,
      bytes: last.bytes,
    }
  } finally {
    await berth.close()
    await database.drop()
    await rm(dir, { recursive: true, force: true })
  }
}

const results = []
for (const dialect of values.dialects.split(',') as Dialect[]) {
  if (dialect === 'postgres' && !(await postgresAvailable())) continue
  results.push(await run(dialect))
}
if (values.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`)
else {
  const f = (n: number) => n.toFixed(1)
  process.stdout.write('| database | projects | repositories | cold p50 / max (ms) | warm p50 / max (ms) | series | bytes |\n|---|---:|---:|---:|---:|---:|---:|\n')
  for (const r of results) process.stdout.write(`| ${r.dialect} | ${r.projects} | ${r.repositories} | ${f(r.coldP50Ms)} / ${f(r.coldMaxMs)} | ${f(r.warmP50Ms)} / ${f(r.warmMaxMs)} | ${r.series} | ${r.bytes} |\n`)
}
