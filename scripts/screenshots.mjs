#!/usr/bin/env node
// Screenshots of the web console for the docs: starts a Berth of its own (in process, SQLite, a
// temp folder, 127.0.0.1), pushes a few small images, adds users, members and a label, runs one
// garbage collection, then saves PNGs of the main pages in light and dark theme and in two
// languages into docs/screenshots/ (<page>-<theme>-<language>.png). Builds nothing: run
// `npm run build` first. A page that is not built yet is saved as it shows; nothing fails on it.
//
//   npm run screenshots [-- --out DIR] [--languages en,de] [--themes light,dark] [--pages a,b]
//                          [--console-dir DIR]
//
// `--console-dir` serves another build of the console (a dist/web), to look at it before it lands.
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { chromium } from 'playwright-core'
import { Value } from '@sinclair/typebox/value'

const root = new URL('..', import.meta.url).pathname
const dist = join(root, 'dist')
if (!existsSync(join(dist, 'web', 'index.html')) || !existsSync(join(dist, 'src', 'app', 'server.js'))) {
  console.error('screenshots: no build found (dist/src and dist/web): run `npm run build` first')
  process.exit(1)
}
const { ConfigSchema } = await import(join(dist, 'src', 'app', 'config.js'))
const { createBerth } = await import(join(dist, 'src', 'app', 'server.js'))
const { silentLogger } = await import(join(dist, 'src', 'lib', 'logger.js'))
const { randomImage, pushRaw } = await import(join(dist, 'test', 'support', 'raw-images.js'))

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: join(root, 'docs', 'screenshots') },
    languages: { type: 'string', default: 'en,de' },
    themes: { type: 'string', default: 'light,dark' },
    pages: { type: 'string' },
    'console-dir': { type: 'string' },
  },
})
const PASSWORD = 'Screenshots-Passw0rd'
const AUTH = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`
/** Long enough for a page to fetch what it shows; a page still loading is saved as it is. */
const SETTLE_MS = 8_000

async function call(base, method, path, body) {
  const res = await fetch(`${base}/api/v2.0${path}`, {
    method,
    headers: { authorization: AUTH, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  })
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${(await res.text()).slice(0, 200)}`)
  return res.headers.get('content-type')?.includes('json') ? res.json() : null
}

/** What the pages show: three projects, a few repositories with tagged images, members, a label, one GC run. */
async function seed(base) {
  await call(base, 'POST', '/projects', { project_name: 'platform', metadata: { public: 'false' }, storage_limit: 10 * 2 ** 30 })
  await call(base, 'POST', '/projects', { project_name: 'data-science', metadata: { public: 'true' } })
  const images = [
    ['library/nginx', ['1.27', '1.27.3', 'latest'], [180_000, 90_000]],
    ['library/nginx', ['1.26'], [170_000, 80_000]],
    ['library/redis', ['7.4', 'latest'], [120_000]],
    ['library/postgres', ['17', '16'], [250_000, 40_000]],
    ['platform/api', ['v2.3.1', 'stable'], [60_000, 30_000]],
    ['platform/api', ['v2.3.0'], [60_000, 31_000]],
    ['platform/worker', ['v2.3.1'], [45_000]],
    ['platform/frontend', ['v5.0.0', 'latest'], [75_000]],
    ['data-science/notebook', ['2025.1'], [300_000]],
  ]
  for (const [repo, tags, layers] of images) {
    const image = randomImage(repo, tags[0], layers)
    const pushed = await pushRaw(base, AUTH, image)
    if (!pushed.ok) throw new Error(`push ${repo}:${tags[0]}: ${pushed.step}: ${pushed.detail}`)
    for (const tag of tags.slice(1)) await call(base, 'POST', `/projects/${repo.split('/')[0]}/repositories/${repo.split('/')[1]}/artifacts/${image.manifestDigest}/tags`, { name: tag })
  }
  for (const [username, realname] of [['alice', 'Alice Martin'], ['bob', 'Bob Schneider'], ['carol', 'Carol Tanaka']]) {
    await call(base, 'POST', '/users', { username, email: `${username}@example.com`, realname, password: 'Example-Passw0rd' })
  }
  await call(base, 'POST', '/projects/library/members', { role_id: 2, member_user: { username: 'alice' } })
  await call(base, 'POST', '/projects/library/members', { role_id: 4, member_user: { username: 'bob' } })
  await call(base, 'POST', '/projects/library/members', { role_id: 3, member_user: { username: 'carol' } })
  await call(base, 'POST', '/labels', { name: 'production', color: '#3E8635', description: 'Runs in production', scope: 'g' })
  const [label] = await call(base, 'GET', '/labels?scope=g&name=production')
  await call(base, 'POST', '/projects/library/repositories/nginx/artifacts/latest/labels', { id: label.id })
  for (let i = 0; i < 20; i++) await fetch(`${base}/v2/library/nginx/manifests/latest`, { headers: { authorization: AUTH, accept: 'application/vnd.oci.image.manifest.v1+json' } })
  await call(base, 'POST', '/system/gc/schedule', { schedule: { type: 'Manual' }, parameters: { delete_untagged: false, dry_run: false } })
  const library = await call(base, 'GET', '/projects/library')
  const [nginx] = await call(base, 'GET', '/projects/library/repositories/nginx/artifacts?with_tag=true&q=tags%3Dlatest')
  return { projectId: library.project_id, digest: nginx.digest }
}

const PAGES = (s) => [
  ['sign-in', '/sign-in', false],
  ['projects', '/projects', true],
  ['repositories', `/projects/${s.projectId}/repositories`, true],
  ['artifacts', `/projects/${s.projectId}/repositories/nginx`, true],
  ['artifact', `/projects/${s.projectId}/repositories/nginx/artifacts/${s.digest}`, true],
  ['members', `/projects/${s.projectId}/members`, true],
  ['admin-overview', '/admin/overview', true],
  ['gc', '/admin/gc', true],
]

const dataDir = await mkdtemp(join(tmpdir(), 'berth-screenshots-'))
const config = Value.Default(ConfigSchema, {})
Object.assign(config, { data_dir: dataDir, admin: { password: PASSWORD } })
config.database = { ...config.database, url: join(dataDir, 'berth.db') }
const berth = await createBerth(config, { log: silentLogger(), showOnce: () => {}, ...(values['console-dir'] !== undefined ? { consoleDir: values['console-dir'] } : {}) })
const browser = await chromium.launch({ executablePath: process.env.BERTH_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] })
let saved = 0
try {
  await berth.app.listen({ host: '127.0.0.1', port: 0 })
  const base = `http://127.0.0.1:${berth.app.server.address().port}`
  const seeded = await seed(base)
  await mkdir(values.out, { recursive: true })
  const only = values.pages?.split(',')
  for (const language of values.languages.split(',')) {
    for (const theme of values.themes.split(',')) {
      const context = await browser.newContext({ baseURL: base, locale: language, viewport: { width: 1440, height: 900 }, colorScheme: theme })
      await context.addInitScript(([l, t]) => {
        localStorage.setItem('berth.language', l)
        localStorage.setItem('berth.theme', t)
      }, [language, theme])
      for (const [name, url, signedIn] of PAGES(seeded)) {
        if (only !== undefined && !only.includes(name)) continue
        if (signedIn && (await context.cookies()).length === 0) {
          const r = await context.request.post('/c/login', { form: { principal: 'admin', password: PASSWORD } })
          if (!r.ok()) throw new Error(`sign-in answered ${r.status()}`)
        }
        const page = await context.newPage()
        try {
          await page.goto(url)
          await page.waitForLoadState('networkidle', { timeout: SETTLE_MS }).catch(() => {})
          // Fonts and the last paint after the data arrived.
          await page.evaluate(() => document.fonts.ready)
          await page.waitForTimeout(300)
          const file = join(values.out, `${name}-${theme}-${language}.png`)
          await page.screenshot({ path: file })
          saved++
          console.log(`screenshots: ${file}`)
        } catch (err) {
          console.error(`screenshots: ${name} (${theme}, ${language}) not saved: ${err.message.split('\n')[0]}`)
        } finally {
          await page.close()
        }
      }
      await context.close()
    }
  }
} finally {
  await browser.close()
  await berth.close()
  await rm(dataDir, { recursive: true, force: true })
}
console.log(`screenshots: ${saved} saved in ${values.out}`)
