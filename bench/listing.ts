// Listing at scale: a project with 10,000 repositories, a repository with 100,000 tagged
// artifacts, and an artifact with 100,000 tags, served by a Berth on loopback over HTTP, on
// SQLite and on PostgreSQL. Reports p50/p99 of a page of 100 (first, middle and last page).
//
//   npm run bench -- listing [--requests N] [--dialects sqlite,postgres] [--json]
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Agent, request } from 'node:http'
import { createHash } from 'node:crypto'
import { Value } from '@sinclair/typebox/value'
import { sql } from 'kysely'
import { ConfigSchema, type Config } from '../src/app/config.js'
import { createBerth } from '../src/app/server.js'
import { silentLogger } from '../src/lib/logger.js'
import type { Dialect } from '../src/metadata/schema.js'
import { createTestDatabase, postgresAvailable } from '../test/support/databases.js'
import { quantile } from './load.js'

const REPOSITORIES = 10_000
const ARTIFACTS = 100_000
const TAGS_ON_ONE = 100_000
const PAGE = 100
const PASSWORD = 'Bench-Listing-Passw0rd'

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: { requests: { type: 'string', default: '200' }, dialects: { type: 'string', default: 'sqlite,postgres' }, json: { type: 'boolean', default: false }, keep: { type: 'boolean', default: false } },
})
const REQUESTS = Number(values.requests)

const digestOf = (i: number, salt: string) => `sha256:${createHash('sha256').update(`${salt}:${i}`).digest('hex')}`

/** Rows straight into the tables, in batches: what 100,000 pushes would leave behind. */
async function seed(berth: Awaited<ReturnType<typeof createBerth>>): Promise<{ bigDigest: string }> {
  const db = berth.db.kysely
  const now = new Date().toISOString()
  const project = (await berth.stores.projects.create('scale', false, null))!
  const batch = async <T>(rows: T[], insert: (chunk: T[]) => Promise<unknown>) => {
    for (let i = 0; i < rows.length; i += 1000) await insert(rows.slice(i, i + 1000))
  }
  await db.transaction().execute(async (trx) => {
    const repos = Array.from({ length: REPOSITORIES }, (_, i) => ({ project_id: project.id, name: `scale/repo-${String(i).padStart(5, '0')}`, created_at: now, updated_at: now }))
    repos.push({ project_id: project.id, name: 'scale/big', created_at: now, updated_at: now }, { project_id: project.id, name: 'scale/alias', created_at: now, updated_at: now })
    await batch(repos, (c) => trx.insertInto('repositories').values(c).execute())
  })
  const big = (await berth.stores.repositories.get('scale/big'))!
  const alias = (await berth.stores.repositories.get('scale/alias'))!
  await db.transaction().execute(async (trx) => {
    const artifacts = Array.from({ length: ARTIFACTS }, (_, i) => ({ repository_id: big.id, digest: digestOf(i, 'big'), media_type: 'application/vnd.oci.image.manifest.v1+json', artifact_type: 'application/vnd.oci.image.config.v1+json', size: 1234, subject_digest: null, annotations: null, created_at: now }))
    artifacts.push({ repository_id: alias.id, digest: digestOf(0, 'alias'), media_type: 'application/vnd.oci.image.manifest.v1+json', artifact_type: 'application/vnd.oci.image.config.v1+json', size: 1234, subject_digest: null, annotations: null, created_at: now })
    await batch(artifacts, (c) => trx.insertInto('artifacts').values(c).execute())
  })
  // The count pushes keep in step (see ArtifactStore), set once for the rows written directly.
  await sql`update repositories set artifact_count = (select count(*) from artifacts a where a.repository_id = repositories.id and a.listed = 1)`.execute(db)
  const ids = await db.selectFrom('artifacts').select(['id', 'repository_id']).orderBy('id').execute()
  await db.transaction().execute(async (trx) => {
    const tags = ids.filter((r) => r.repository_id === big.id).map((r, i) => ({ repository_id: big.id, artifact_id: r.id, name: `v${String(i).padStart(6, '0')}`, created_at: now, updated_at: now }))
    const one = ids.find((r) => r.repository_id === alias.id)!.id
    for (let i = 0; i < TAGS_ON_ONE; i++) tags.push({ repository_id: alias.id, artifact_id: one, name: `t${String(i).padStart(6, '0')}`, created_at: now, updated_at: now })
    await batch(tags, (c) => trx.insertInto('tags').values(c).execute())
  })
  // Fresh statistics and visibility maps, as autovacuum would have left them on a registry
  // that grew this big (PostgreSQL counts from the index alone only where pages are all-visible).
  await (berth.db.dialect === 'postgres' ? sql`VACUUM ANALYZE` : sql`ANALYZE`).execute(db)
  return { bigDigest: digestOf(0, 'alias') }
}

function get(agent: Agent, port: number, path: string, authorization: string): Promise<{ status: number; ms: number; total?: string }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    const req = request({ host: '127.0.0.1', port, path, agent, headers: { authorization } }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: Number(process.hrtime.bigint() - started) / 1e6, total: res.headers['x-total-count'] as string | undefined }))
    })
    req.on('error', reject)
    req.end()
  })
}

interface Row {
  dialect: Dialect
  what: string
  page: string
  p50: number
  p99: number
  total: string
}

async function measure(dialect: Dialect): Promise<Row[]> {
  const dataDir = await mkdtemp(join(tmpdir(), 'berth-bench-listing-'))
  const database = await createTestDatabase(dialect)
  const config = Value.Default(ConfigSchema, {}) as Config
  Object.assign(config, { data_dir: dataDir, admin: { password: PASSWORD } })
  config.database = { ...config.database, url: database.url }
  const berth = await createBerth(config, { log: silentLogger(), showOnce: () => {} })
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  try {
    const t0 = Date.now()
    const { bigDigest } = await seed(berth)
    process.stderr.write(`listing: ${dialect}: seeded ${REPOSITORIES} repositories, ${ARTIFACTS} artifacts and ${ARTIFACTS + TAGS_ON_ONE} tags in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`)
    await berth.app.listen({ host: '127.0.0.1', port: 0 })
    const port = (berth.app.server.address() as { port: number }).port
    const authorization = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`
    const lastTag = (n: number) => `t${String(n).padStart(6, '0')}`
    const cases: { what: string; pages: [string, (i: number) => string][] }[] = [
      {
        what: 'repositories of a project (10,000)',
        pages: [
          ['first', () => `/api/v2.0/projects/scale/repositories?page=1&page_size=${PAGE}`],
          ['middle', () => `/api/v2.0/projects/scale/repositories?page=${REPOSITORIES / PAGE / 2}&page_size=${PAGE}`],
          ['last', () => `/api/v2.0/projects/scale/repositories?page=${REPOSITORIES / PAGE}&page_size=${PAGE}`],
        ],
      },
      {
        what: 'artifacts with tags (100,000)',
        pages: [
          ['first', () => `/api/v2.0/projects/scale/repositories/big/artifacts?page=1&page_size=${PAGE}&with_tag=true`],
          ['middle', () => `/api/v2.0/projects/scale/repositories/big/artifacts?page=${ARTIFACTS / PAGE / 2}&page_size=${PAGE}&with_tag=true`],
          ['last', () => `/api/v2.0/projects/scale/repositories/big/artifacts?page=${ARTIFACTS / PAGE}&page_size=${PAGE}&with_tag=true`],
        ],
      },
      {
        what: 'tags of one artifact (100,000)',
        pages: [
          ['first', () => `/api/v2.0/projects/scale/repositories/alias/artifacts/${bigDigest}/tags?page=1&page_size=${PAGE}`],
          ['middle', () => `/api/v2.0/projects/scale/repositories/alias/artifacts/${bigDigest}/tags?page=${TAGS_ON_ONE / PAGE / 2}&page_size=${PAGE}`],
          ['last', () => `/api/v2.0/projects/scale/repositories/alias/artifacts/${bigDigest}/tags?page=${TAGS_ON_ONE / PAGE}&page_size=${PAGE}`],
        ],
      },
      {
        what: '/v2 tags list (100,000 + 100,000)',
        pages: [
          ['first', () => `/v2/scale/alias/tags/list?n=${PAGE}`],
          ['middle', () => `/v2/scale/alias/tags/list?n=${PAGE}&last=${lastTag(TAGS_ON_ONE / 2)}`],
          ['last', () => `/v2/scale/alias/tags/list?n=${PAGE}&last=${lastTag(TAGS_ON_ONE - PAGE - 1)}`],
        ],
      },
      { what: '/v2/_catalog (10,002)', pages: [['first', () => `/v2/_catalog?n=${PAGE}`], ['middle', () => `/v2/_catalog?n=${PAGE}&last=scale/repo-05000`]] },
    ]
    const rows: Row[] = []
    for (const c of cases) {
      for (const [page, path] of c.pages) {
        const times: number[] = []
        let total = ''
        for (let i = 0; i < 20 + REQUESTS; i++) {
          const r = await get(agent, port, path(i), authorization)
          if (r.status !== 200) throw new Error(`${path(i)} answered ${r.status}`)
          if (i >= 20) times.push(r.ms)
          total = r.total ?? ''
        }
        times.sort((a, b) => a - b)
        rows.push({ dialect, what: c.what, page, p50: quantile(times, 0.5), p99: quantile(times, 0.99), total })
      }
    }
    return rows
  } finally {
    agent.destroy()
    await berth.close()
    if (values.keep) process.stderr.write(`listing: kept ${database.url}\n`)
    else await database.drop()
    await rm(dataDir, { recursive: true, force: true })
  }
}

const rows: Row[] = []
for (const dialect of values.dialects!.split(',') as Dialect[]) {
  if (dialect === 'postgres' && !(await postgresAvailable())) {
    process.stderr.write('listing: PostgreSQL is not reachable; skipped\n')
    continue
  }
  rows.push(...(await measure(dialect)))
}
const lines = ['| database | listing (page of 100) | page | p50 ms | p99 ms | X-Total-Count |', '|---|---|---|---:|---:|---:|']
for (const r of rows) lines.push(`| ${r.dialect} | ${r.what} | ${r.page} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.total} |`)
process.stdout.write(`${lines.join('\n')}\n\n${REQUESTS} sequential requests per line after 20 warm-up requests, one keep-alive connection, Basic auth as admin.\n`)
const worst = Math.max(...rows.map((r) => r.p99))
process.stdout.write(`worst p99: ${worst.toFixed(2)} ms (aim: under 50 ms)\n`)
if (values.json) process.stdout.write(`${JSON.stringify(rows)}\n`)
