// The web console at scale, in a real browser: how long the projects list, a project's
// repositories (10,000) and a repository's artifacts (100,000, one tag each) take from navigation
// to the first rows on screen, and from a click on "next" to the next page on screen; the same
// lists' API calls timed on their own (so the server is measured even where a page is missing);
// and the JavaScript the sign-in and projects pages load. A small and a big registry, each a
// Berth on loopback, on SQLite and on PostgreSQL.
//
//   npm run bench -- console [--dialects sqlite,postgres] [--sizes small,big] [--runs N]
//                            [--requests N] [--console-dir DIR] [--json]
//
// `--console-dir` serves another build of the console (another checkout's dist/web), for a
// before-and-after comparison of what the pages load.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Agent, request } from 'node:http'
import { createHash } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import { Value } from '@sinclair/typebox/value'
import { sql } from 'kysely'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { ConfigSchema, type Config } from '../src/app/config.js'
import { createBerth, type Berth } from '../src/app/server.js'
import { CONSOLE_DIR } from '../src/http/console.js'
import { silentLogger } from '../src/lib/logger.js'
import type { Dialect } from '../src/metadata/schema.js'
import { createTestDatabase, postgresAvailable } from '../test/support/databases.js'
import { quantile } from './load.js'

// What the functions run in the page use of the DOM (this program is compiled without the DOM's types).
declare const document: { querySelector(selector: string): { textContent: string | null; getBoundingClientRect(): { height: number }; click(): void } | null }
declare function requestAnimationFrame(callback: () => void): number

const PASSWORD = 'Bench-Console-Passw0rd'
/** Rows of any list page (ServerTable renders every list this way). */
const ROWS = 'table[aria-label] tbody tr'
const NEXT = '[data-action="next"]:not([disabled])'
const PAGE_TIMEOUT_MS = 15_000

/** The registries compared: projects in all, repositories in project `scale`, artifacts in `scale/big`. */
const SIZES = {
  small: { projects: 30, repositories: 30, artifacts: 30 },
  big: { projects: 1_000, repositories: 10_000, artifacts: 100_000 },
} as const
type Size = keyof typeof SIZES

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: {
    dialects: { type: 'string', default: 'sqlite,postgres' },
    sizes: { type: 'string', default: 'small,big' },
    runs: { type: 'string', default: '7' },
    requests: { type: 'string', default: '50' },
    'console-dir': { type: 'string', default: CONSOLE_DIR },
    json: { type: 'boolean', default: false },
  },
})
const RUNS = Number(values.runs)
const REQUESTS = Number(values.requests)
const consoleDir = values['console-dir']!

const digestOf = (i: number, salt: string) => `sha256:${createHash('sha256').update(`${salt}:${i}`).digest('hex')}`

/**
 * Rows straight into the tables, as pushes would leave them: filler projects, project `scale`
 * with its repositories (one tagged artifact each) and `scale/big` with one tag per artifact.
 */
async function seed(berth: Berth, size: Size): Promise<{ projectId: number }> {
  const n = SIZES[size]
  const db = berth.db.kysely
  const now = new Date().toISOString()
  const batch = async <T>(rows: T[], insert: (chunk: T[]) => Promise<unknown>) => {
    for (let i = 0; i < rows.length; i += 1000) await insert(rows.slice(i, i + 1000))
  }
  // Through the store, so that each project has its quota and metadata as an API create leaves it.
  const project = (await berth.stores.projects.create('scale', false, null))!
  for (let i = 1; i < n.projects; i++) await berth.stores.projects.create(`team-${String(i).padStart(4, '0')}`, i % 3 === 0, null)
  await db.transaction().execute(async (trx) => {
    const repos = Array.from({ length: n.repositories - 1 }, (_, i) => ({ project_id: project.id, name: `scale/repo-${String(i).padStart(5, '0')}`, created_at: now, updated_at: now }))
    repos.push({ project_id: project.id, name: 'scale/big', created_at: now, updated_at: now })
    await batch(repos, (c) => trx.insertInto('repositories').values(c).execute())
  })
  const repos = await db.selectFrom('repositories').select(['id', 'name']).where('project_id', '=', project.id).execute()
  const big = repos.find((r) => r.name === 'scale/big')!.id
  const artifact = (repositoryId: number, digest: string) => ({ repository_id: repositoryId, digest, media_type: 'application/vnd.oci.image.manifest.v1+json', artifact_type: 'application/vnd.oci.image.config.v1+json', size: 1234, total_size: 5678, subject_digest: null, annotations: null, created_at: now })
  await db.transaction().execute(async (trx) => {
    const rows = repos.filter((r) => r.id !== big).map((r) => artifact(r.id, digestOf(r.id, 'one')))
    for (let i = 0; i < n.artifacts; i++) rows.push(artifact(big, digestOf(i, 'big')))
    await batch(rows, (c) => trx.insertInto('artifacts').values(c).execute())
  })
  // The count pushes keep in step (see ArtifactStore), set once for the rows written directly.
  await sql`update repositories set artifact_count = (select count(*) from artifacts a where a.repository_id = repositories.id and a.listed = 1)`.execute(db)
  const ids = await db.selectFrom('artifacts as a').innerJoin('repositories as r', 'r.id', 'a.repository_id').select(['a.id', 'a.repository_id']).where('r.project_id', '=', project.id).orderBy('a.id').execute()
  await db.transaction().execute(async (trx) => {
    let v = 0
    const tags = ids.map((a) => ({ repository_id: a.repository_id, artifact_id: a.id, name: a.repository_id === big ? `v${String(v++).padStart(6, '0')}` : 'latest', created_at: now, updated_at: now }))
    await batch(tags, (c) => trx.insertInto('tags').values(c).execute())
  })
  // Fresh statistics, as autovacuum would have left them on a registry that grew this big.
  await (berth.db.dialect === 'postgres' ? sql`VACUUM ANALYZE` : sql`ANALYZE`).execute(db)
  return { projectId: project.id }
}

async function startBerth(dialect: Dialect): Promise<{ berth: Berth; stop(): Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'berth-bench-console-'))
  const database = await createTestDatabase(dialect)
  const config = Value.Default(ConfigSchema, {}) as Config
  Object.assign(config, { data_dir: dataDir, admin: { password: PASSWORD } })
  config.database = { ...config.database, url: database.url }
  const berth = await createBerth(config, { log: silentLogger(), showOnce: () => {}, consoleDir })
  return {
    berth,
    stop: async () => {
      await berth.close()
      await database.drop()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}

async function signedInContext(browser: Browser, base: string): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL: base, locale: 'en-US', viewport: { width: 1280, height: 900 } })
  const r = await context.request.post('/c/login', { form: { principal: 'admin', password: PASSWORD } })
  if (!r.ok()) throw new Error(`sign-in answered ${r.status()}`)
  return context
}

/** Milliseconds from the start of navigation to the first row on screen (the page's own clock). */
async function firstRows(page: Page, url: string): Promise<number> {
  await page.goto(url, { waitUntil: 'commit' })
  const handle = await page.waitForFunction(
    (sel) => {
      const row = document.querySelector(sel)
      return row !== null && row.getBoundingClientRect().height > 0 ? performance.now() : false
    },
    ROWS,
    { polling: 'raf', timeout: PAGE_TIMEOUT_MS },
  )
  return (await handle.jsonValue()) as number
}

/** Milliseconds from a click on "next" to the next page's rows painted. */
function nextPage(page: Page): Promise<number> {
  return page.evaluate(
    ([rows, next, timeout]) =>
      new Promise<number>((resolve, reject) => {
        const first = () => document.querySelector(rows)?.textContent ?? null
        const before = first()
        const button = document.querySelector(next)
        if (button === null) return reject(new Error('no enabled "next" button'))
        const started = performance.now()
        button.click()
        const check = () => {
          const now = first()
          if (now !== null && now !== before) requestAnimationFrame(() => resolve(performance.now() - started))
          else if (performance.now() - started > timeout) reject(new Error('the next page did not appear'))
          else requestAnimationFrame(check)
        }
        check()
      }),
    [ROWS, NEXT, PAGE_TIMEOUT_MS] as const,
  )
}

interface PageTiming {
  dialect: Dialect
  size: Size
  page: string
  /** null: the page showed no rows (not built on this branch, or failed). */
  firstMs: number | null
  nextMs: number | null
  /** The first navigation of a fresh browser context (nothing cached). */
  coldFirstMs: number | null
  /** The page's main-thread CPU time until the first rows, and for the next page. */
  firstCpuMs: number | null
  nextCpuMs: number | null
  note?: string
}

async function measurePages(browser: Browser, base: string, dialect: Dialect, size: Size, projectId: number): Promise<PageTiming[]> {
  const pages: [string, string][] = [
    ['projects', '/projects'],
    ['repositories of a project', `/projects/${projectId}/repositories`],
    ['artifacts of a repository', `/projects/${projectId}/repositories/big`],
  ]
  const out: PageTiming[] = []
  for (const [name, url] of pages) {
    const context = await signedInContext(browser, base)
    const firsts: number[] = []
    const nexts: number[] = []
    const firstCpu: number[] = []
    const nextCpu: number[] = []
    let note: string | undefined
    try {
      for (let i = 0; i < RUNS + 1; i++) {
        const page = await context.newPage()
        // The page's main-thread CPU time, which other work on the machine does not stretch as it does the wall time.
        const cdp = await context.newCDPSession(page)
        await cdp.send('Performance.enable', { timeDomain: 'threadTicks' })
        const cpu = async () => ((await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'ThreadTime')?.value ?? 0) * 1000
        try {
          firsts.push(await firstRows(page, url))
          firstCpu.push(await cpu())
          // What a reader does: looks at the page (the next one is fetched ahead meanwhile), then clicks.
          await page.waitForLoadState('networkidle')
          const before = await cpu()
          nexts.push(await nextPage(page))
          nextCpu.push((await cpu()) - before)
        } finally {
          await page.close()
        }
      }
    } catch (err) {
      note = (err as Error).message.split('\n')[0]
    } finally {
      await context.close()
    }
    const cold = firsts.shift() ?? null
    for (const xs of [nexts, firstCpu, nextCpu]) xs.shift()
    out.push({ dialect, size, page: name, firstMs: median(firsts), nextMs: median(nexts), coldFirstMs: cold, firstCpuMs: median(firstCpu), nextCpuMs: median(nextCpu), ...(note !== undefined ? { note } : {}) })
    process.stderr.write(`console: ${dialect} ${size} ${name}: first ${fmt(median(firsts))} ms, next ${fmt(median(nexts))} ms${note !== undefined ? ` (${note})` : ''}\n`)
  }
  return out
}

interface ApiTiming {
  dialect: Dialect
  size: Size
  call: string
  p50: number
  p99: number
  total: string
}

function get(agent: Agent, base: string, path: string, cookie: string): Promise<{ status: number; total?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { agent, headers: { cookie } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, total: res.headers['x-total-count'] as string | undefined, body: Buffer.concat(chunks).toString() }))
    })
    req.on('error', reject)
    req.end()
  })
}

/**
 * The calls the list pages make for a page of rows, timed one page after another: each a single
 * request, except the tags of the artifact page's rows, one request per row, sent six at a time
 * as a browser does over HTTP/1.1.
 */
async function measureApi(base: string, dialect: Dialect, size: Size): Promise<ApiTiming[]> {
  const login = await fetch(`${base}/c/login`, { method: 'POST', body: new URLSearchParams({ principal: 'admin', password: PASSWORD }) })
  const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
  const agent = new Agent({ keepAlive: true, maxSockets: 6 })
  const repo = '/api/v2.0/projects/scale/repositories/big'
  // What the console's artifact list asks (web/src/pages/repositories): no tags in the list, each row its first five.
  const artifacts = `${repo}/artifacts?page_size=25&sort=-push_time&with_tag=false&with_label=true&with_accessory=true`
  const firstPage = JSON.parse((await get(agent, base, `${artifacts}&page=1`, cookie)).body) as { digest: string }[]
  const calls: [string, string[]][] = [
    ['projects, page 1', ['/api/v2.0/projects?page=1&page_size=25&sort=name']],
    ['projects, page 2', ['/api/v2.0/projects?page=2&page_size=25&sort=name']],
    ['repositories by name, page 1', ['/api/v2.0/projects/scale/repositories?page=1&page_size=25&sort=name']],
    ['repositories by name, page 2', ['/api/v2.0/projects/scale/repositories?page=2&page_size=25&sort=name']],
    ['repositories newest first, page 1', ['/api/v2.0/projects/scale/repositories?page=1&page_size=25&sort=-update_time']],
    ['artifacts newest push first, page 1', [`${artifacts}&page=1`]],
    ['artifacts newest push first, page 2', [`${artifacts}&page=2`]],
    ['first 5 tags of each artifact of page 1 (25 calls)', firstPage.map((a) => `${repo}/artifacts/${a.digest}/tags?page=1&page_size=5`)],
    ["artifacts with all tags (Harbor's UI), page 1", [`${repo}/artifacts?page=1&page_size=25&with_tag=true&with_label=true&with_signature=true&with_immutable_status=true`]],
  ]
  const out: ApiTiming[] = []
  try {
    for (const [call, paths] of calls) {
      const times: number[] = []
      let total = ''
      for (let i = 0; i < 5 + REQUESTS; i++) {
        const started = process.hrtime.bigint()
        const answers = await Promise.all(paths.map((path) => get(agent, base, path, cookie)))
        const ms = Number(process.hrtime.bigint() - started) / 1e6
        const failed = answers.findIndex((r) => r.status !== 200)
        if (failed >= 0) throw new Error(`${paths[failed]} answered ${answers[failed]!.status}`)
        if (i >= 5) times.push(ms)
        total = answers[0]!.total ?? ''
      }
      times.sort((a, b) => a - b)
      out.push({ dialect, size, call, p50: quantile(times, 0.5), p99: quantile(times, 0.99), total })
    }
  } finally {
    agent.destroy()
  }
  return out
}

interface AssetSize {
  page: string
  kind: 'JS' | 'CSS'
  files: number
  /** Bytes on the wire, as the browser counted them. */
  transferred: number
  /** The same files as built (dist/web/assets), raw and gzipped. */
  raw: number
  gzip: number
}

/** The JavaScript and CSS a page loads in a fresh browser context, as transferred and as built. */
async function assetSizes(browser: Browser, base: string, name: string, url: string, signedIn: boolean, ready: string): Promise<AssetSize[]> {
  const context = signedIn ? await signedInContext(browser, base) : await browser.newContext({ baseURL: base, locale: 'en-US' })
  const page = await context.newPage()
  const loaded: { kind: AssetSize['kind']; url: string; transferred: Promise<number> }[] = []
  page.on('requestfinished', (req) => {
    const kind = req.resourceType() === 'script' ? 'JS' : req.resourceType() === 'stylesheet' ? 'CSS' : null
    if (kind !== null) loaded.push({ kind, url: req.url(), transferred: req.sizes().then((s) => s.responseBodySize) })
  })
  try {
    await page.goto(url)
    await page.waitForSelector(ready, { timeout: PAGE_TIMEOUT_MS })
    await page.waitForLoadState('networkidle')
    const out: AssetSize[] = []
    for (const kind of ['JS', 'CSS'] as const) {
      const size: AssetSize = { page: name, kind, files: 0, transferred: 0, raw: 0, gzip: 0 }
      for (const a of loaded.filter((x) => x.kind === kind)) {
        const built = await readFile(join(consoleDir, new URL(a.url).pathname))
        size.files++
        size.transferred += await a.transferred
        size.raw += built.length
        size.gzip += gzipSync(built, { level: 9 }).length
      }
      out.push(size)
    }
    return out
  } finally {
    await context.close()
  }
}

const median = (xs: number[]) => (xs.length === 0 ? null : quantile([...xs].sort((a, b) => a - b), 0.5))
const fmt = (ms: number | null) => (ms === null ? 'n/a' : ms < 10 ? ms.toFixed(1) : String(Math.round(ms)))
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`

const browser = await chromium.launch({ executablePath: process.env.BERTH_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] })
const timings: PageTiming[] = []
const api: ApiTiming[] = []
let assets: AssetSize[] = []
try {
  for (const dialect of values.dialects!.split(',') as Dialect[]) {
    if (dialect === 'postgres' && !(await postgresAvailable())) {
      process.stderr.write('console: PostgreSQL is not reachable; skipped\n')
      continue
    }
    for (const size of values.sizes!.split(',') as Size[]) {
      if (!(size in SIZES)) throw new Error(`--sizes takes ${Object.keys(SIZES).join(', ')}`)
      const b = await startBerth(dialect)
      try {
        const t0 = Date.now()
        const { projectId } = await seed(b.berth, size)
        const n = SIZES[size]
        process.stderr.write(`console: ${dialect} ${size}: seeded ${n.projects} projects, ${n.repositories} repositories, ${n.artifacts} tagged artifacts in one repository in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`)
        await b.berth.app.listen({ host: '127.0.0.1', port: 0 })
        const base = `http://127.0.0.1:${(b.berth.app.server.address() as { port: number }).port}`
        if (assets.length === 0) assets = [...(await assetSizes(browser, base, 'sign-in', '/sign-in', false, '#principal')), ...(await assetSizes(browser, base, 'projects', '/projects', true, ROWS))]
        api.push(...(await measureApi(base, dialect, size)))
        timings.push(...(await measurePages(browser, base, dialect, size, projectId)))
      } finally {
        await b.stop()
      }
    }
  }
} finally {
  await browser.close()
}

const lines: string[] = []
const dialects = [...new Set(timings.map((t) => t.dialect))]
lines.push(`| page | registry | ${dialects.map((d) => `${d}: first rows / next page (ms)`).join(' | ')} |`, `|---|---|${dialects.map(() => '---:|').join('')}`)
for (const page of [...new Set(timings.map((t) => t.page))]) {
  for (const size of Object.keys(SIZES) as Size[]) {
    const cells = dialects.map((d) => timings.find((t) => t.page === page && t.size === size && t.dialect === d)).map((t) => (t === undefined ? '' : `${fmt(t.firstMs)} / ${fmt(t.nextMs)} (CPU ${fmt(t.firstCpuMs)} / ${fmt(t.nextCpuMs)})`))
    if (cells.some((c) => c !== '')) lines.push(`| ${page} | ${size} | ${cells.join(' | ')} |`)
  }
}
lines.push('', `Load average at the end: ${loadavg().map((x) => x.toFixed(1)).join(', ')} (${availableParallelism()} cores). Browser: median of ${RUNS} navigations in one signed-in context (assets cached), after one cold navigation; "next" clicked once the page is idle. CPU: the page's main-thread CPU time meanwhile.`)
const cold = timings.filter((t) => t.coldFirstMs !== null).map((t) => `${t.dialect} ${t.size} ${t.page} ${fmt(t.coldFirstMs)}`)
if (cold.length > 0) lines.push(`Cold first rows (ms): ${cold.join('; ')}.`)
for (const t of timings.filter((t) => t.note !== undefined)) lines.push(`${t.dialect} ${t.size} ${t.page}: ${t.note}`)
lines.push('', '| API calls for a page of 25 | registry | database | p50 ms | p99 ms | X-Total-Count |', '|---|---|---|---:|---:|---:|')
for (const a of api) lines.push(`| ${a.call} | ${a.size} | ${a.dialect} | ${a.p50.toFixed(2)} | ${a.p99.toFixed(2)} | ${a.total} |`)
lines.push('', `${REQUESTS} times each after 5 warm-ups, keep-alive connections, signed in as admin with a session cookie.`)
if (assets.length > 0) {
  lines.push('', '| page (fresh browser) | loads | files | transferred | as built | as built, gzip -9 |', '|---|---|---:|---:|---:|---:|')
  for (const a of assets) lines.push(`| ${a.page} | ${a.kind} | ${a.files} | ${kb(a.transferred)} | ${kb(a.raw)} | ${kb(a.gzip)} |`)
}
const measured = timings.flatMap((t) => [t.firstMs, t.nextMs]).filter((x): x is number => x !== null)
if (measured.length > 0) lines.push('', `slowest median: ${fmt(Math.max(...measured))} ms (aim: under 1000 ms)`)
process.stdout.write(`${lines.join('\n')}\n`)
if (values.json) process.stdout.write(`${JSON.stringify({ timings, api, assets })}\n`)
