// Stored XSS (Harbor's GHSA-f9vc-vf3r-pqqq is the model): script payloads are planted through the
// API in every field a user can write and the console shows (descriptions, names, URLs, selector
// patterns, the banner, audit log resources, image annotations, labels and build history, the
// failures of webhook deliveries and replications), then every page that shows them is opened in
// Chromium. On each page the payload must be there as text (proof that the field was rendered),
// and nothing may run: window.__xss stays undefined, no dialog opens, no element carries an
// inline handler or a javascript: URL, and the browser reports no CSP violation (a refusal would
// mean markup got in even though it did not run).
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import type { Browser } from 'playwright-core'
import { ADMIN_AUTH } from '../support/berth-app.js'
import { launchBrowser, missingBrowser, openPage, signIn, startConsoleServer, type ConsolePage, type ConsoleServer } from '../support/browser.js'
import { pushRaw, sha256, type RawImage } from '../support/raw-images.js'
import { waitUntil } from '../support/until.js'

const PAYLOADS = [
  `<img src=x onerror="window.__xss=(window.__xss||0)+1">`,
  `<script>window.__xss=1</script>`,
  `"><svg onload=window.__xss=1>`,
  `[click](javascript:window.__xss=1)`,
  `![x](javascript:window.__xss=1)`,
  `<a href="javascript:window.__xss=1">x</a>`,
  `{{constructor.constructor('window.__xss=1')()}}`,
  // Must never be read as an ICU message, nor looked up as a catalogue key: shown as typed.
  `{name} {count, plural, other {#}}`,
  'common.delete',
] as const

/** A description beside a name: told apart from it, and the catalogue key payload becomes another key. */
const described = (p: string) => (p === 'common.delete' ? 'common.cancel' : `${p} (description)`)

/** User names refuse white space, quotes, '<', '>', ':' and '/': what of the payloads fits. */
const USER_NAMES = ['{name}', '{count,plural,other{#}}', '{{constructor.constructor(1)()}}', '[click](x)', 'common.delete']

/** What the markup of a page must never hold, whether or not the CSP stopped it. */
const INJECTED = `[...document.querySelectorAll('[onerror],[onload],[onclick],[onmouseover],a[href^="javascript:" i],img[src^="javascript:" i],iframe,object,embed')]
  .concat([...document.scripts].filter((s) => s.textContent.includes('__xss')))
  .map((e) => e.outerHTML.slice(0, 160))`

/** Violations of the console's CSP, as the page's own securitypolicyviolation events saw them. */
const CSP_VIOLATIONS = `window.__cspViolations ?? []`

/** The image config's JSON as the config tab shows it: quotes escaped. */
const inJson = (s: string) => JSON.stringify(s).slice(1, -1)

describe('stored XSS: planted payloads are shown as text and never run', { skip: missingBrowser() ?? false, timeout: 300_000 }, () => {
  let server: ConsoleServer
  let browser: Browser
  let projectId: number
  let failingPolicyId: number
  let executionId: number
  /** Per field: the values the server stored (as it gives them back) and the ones it refused. */
  const stored = new Map<string, string[]>()
  const refused = new Map<string, string[]>()

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}/api/v2.0${path}`, {
      method,
      headers: { authorization: ADMIN_AUTH, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    })
    const text = await res.text()
    return { status: res.status, ok: res.ok, location: res.headers.get('location') ?? '', json: () => JSON.parse(text) as any, text }
  }
  const must = async (method: string, path: string, body?: unknown) => {
    const res = await call(method, path, body)
    assert.ok(res.ok, `${method} ${path}: ${res.status} ${res.text}`)
    return res
  }
  const idOf = (res: { location: string }) => Number(res.location.split('/').pop())
  /** Records what the server did with one planted value; a refusal must be a 400, never a 500. */
  const note = (field: string, value: string, res: { ok: boolean; status: number; text: string }) => {
    if (res.ok) stored.set(field, [...(stored.get(field) ?? []), value])
    else {
      assert.equal(res.status, 400, `${field} ${JSON.stringify(value)}: ${res.status} ${res.text}`)
      refused.set(field, [...(refused.get(field) ?? []), value])
    }
    return res.ok
  }
  /** The stored values of these fields: what the page must show. */
  const shown = (...fields: string[]) =>
    fields.flatMap((field) => {
      const values = stored.get(field) ?? []
      assert.ok(values.length > 0, `the server refused every payload for ${field}`)
      return values
    })

  /** An image whose manifest annotations, config labels and build history carry the payloads. */
  function hostileImage(repo: string, tag: string): RawImage {
    const layer = randomBytes(64)
    const history = PAYLOADS.map((p, i) => ({ created: new Date(Date.UTC(2024, 0, 1 + i)).toISOString(), created_by: `/bin/sh -c #(nop) ${p}`, comment: `${p} (comment)`, ...(i > 0 ? { empty_layer: true } : {}) }))
    const config = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: { Labels: Object.fromEntries(PAYLOADS.map((p, i) => [`org.example.label${i}`, `${p} (config label)`])) },
        rootfs: { type: 'layers', diff_ids: [sha256(layer)] },
        history,
      }),
    )
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
        annotations: { ...Object.fromEntries(PAYLOADS.map((p, i) => [`org.example.note${i}`, `${p} (annotation)`])), [`${PAYLOADS[2]} (annotation key)`]: 'value' },
      }),
    )
    return { repo, tag, blobs: [config, layer].map((bytes) => ({ digest: sha256(bytes), bytes })), manifest, manifestDigest: sha256(manifest) }
  }

  before(async () => {
    // One attempt per webhook delivery and replication task: their failures show at once.
    server = await startConsoleServer('sqlite', { webhook: { max_attempts: 1 }, replication: { task_attempts: 1, reconcile_seconds: 0 } })
    browser = await launchBrowser()
    projectId = (await must('GET', '/projects/library')).json().project_id

    const image = hostileImage('library/app', 'v1')
    const pushed = await pushRaw(server.url, ADMIN_AUTH, image)
    assert.ok(pushed.ok, JSON.stringify(pushed))
    stored.set('artifact annotations', PAYLOADS.map((p) => `${p} (annotation)`).concat(`${PAYLOADS[2]} (annotation key)`))
    stored.set('image history created_by and comment', PAYLOADS.flatMap((p) => [`/bin/sh -c #(nop) ${p}`, `${p} (comment)`]))
    stored.set('image config labels', PAYLOADS.map((p) => `${p} (config label)`))
    // Every payload in one Markdown description: raw HTML, links and images with javascript: URLs.
    const description = PAYLOADS.join('\n\n')
    note('repository description', description, await call('PUT', '/projects/library/repositories/app', { description }))

    for (const [i, p] of PAYLOADS.entries()) {
      for (const [scope, field, extra] of [['g', 'global label', {}], ['p', 'project label', { project_id: projectId }]] as const) {
        const res = await call('POST', '/labels', { name: p, description: described(p), color: '#0066CC', scope, ...extra })
        if (note(`${field} name`, p, res)) {
          note(`${field} description`, described(p), res)
          await must('POST', '/projects/library/repositories/app/artifacts/v1/labels', { id: idOf(res) })
        }
      }

      // One user per payload (e-mail addresses are unique): e-mail addresses take no spaces.
      const email = `${p.replace(/ /g, '/')}@e${i}.example`
      const user = await call('POST', '/users', { username: `xss-user-${i}`, password: 'Xss-Passw0rd', email, realname: p, comment: p })
      if (note('user email', email, user)) note('user realname', p, user)
      else note('user realname', p, await call('POST', '/users', { username: `xss-user-${i}`, password: 'Xss-Passw0rd', realname: p, comment: p }))

      for (const level of ['project', 'system'] as const) {
        const robot = { name: `xss-${level}-${i}`, description: described(p), level, duration: -1, permissions: [{ kind: 'project', namespace: 'library', access: [{ resource: 'repository', action: 'pull' }] }] }
        note(`${level} robot description`, described(p), await call('POST', '/robots', robot))
      }

      // Port 9 (discard) refuses at once: each push event makes a failed delivery.
      const address = `http://127.0.0.1:9/${p}`
      const hook = await call('POST', '/projects/library/webhook/policies', { name: p, description: described(p), enabled: true, event_types: ['PUSH_ARTIFACT'], targets: [{ type: 'http', address }] })
      if (note('webhook name', p, hook)) {
        note('webhook description', described(p), hook)
        note('webhook address', address, hook)
      }

      const selector = (decoration: string) => [{ kind: 'doublestar', decoration, pattern: p }]
      note('immutability selectors', p, await call('POST', '/projects/library/immutabletagrules', { action: 'immutable', template: 'immutable_template', disabled: true, tag_selectors: selector('matches'), scope_selectors: { repository: selector('repoMatches') } }))

      const registry = await call('POST', '/registries', { name: p, description: described(p), url: `http://127.0.0.1:9/${p}`, type: 'docker-registry', insecure: true })
      if (note('registry name', p, registry)) {
        note('registry description', described(p), registry)
        const body = { name: p, description: described(p), dest_registry: { id: idOf(registry) }, dest_namespace: 'mirror', filters: [{ type: 'name', value: p }, { type: 'tag', value: p }], trigger: { type: 'manual' }, enabled: true }
        const policy = await call('POST', '/replication/policies', body)
        if (note('replication policy name', p, policy)) {
          note('replication policy description', described(p), policy)
          note('replication policy filters', p, policy)
        }
      }
    }
    stored.set('registry url', ((await must('GET', '/registries?page_size=100')).json() as { url: string }[]).map((r) => r.url))

    // Late, so that their creation is among the newest hundred entries of the audit log.
    for (const name of USER_NAMES) {
      if (note('user name', name, await call('POST', '/users', { username: name, password: 'Xss-Passw0rd', email: `${sha256(Buffer.from(name)).slice(7, 19)}@example.com` }))) {
        const user = ((await must('GET', `/users/search?username=${encodeURIComponent(name)}`)).json() as { user_id: number; username: string }[]).find((u) => u.username === name)!
        await must('POST', '/projects/library/members', { role_id: 3, member_user: { user_id: user.user_id } })
      }
    }

    // Retention: one policy for the project, a rule per payload.
    const rules = PAYLOADS.map((p) => ({ action: 'retain', template: 'always', params: {}, tag_selectors: [{ kind: 'doublestar', decoration: 'matches', pattern: p }], scope_selectors: { repository: [{ kind: 'doublestar', decoration: 'repoMatches', pattern: p }] } }))
    const retention = await call('POST', '/retentions', { algorithm: 'or', rules, trigger: { kind: 'Schedule', settings: { cron: '' } }, scope: { level: 'project', ref: projectId } })
    for (const p of PAYLOADS) note('retention selectors', p, retention)

    for (const p of PAYLOADS) note('project metadata proxy_cache_filter_pattern', p, await call('PUT', '/projects/library', { metadata: { proxy_cache_filter_pattern: p } }))

    // The administrator's own profile, shown on the account page.
    const admin = (await must('GET', '/users/current')).json()
    await must('PUT', `/users/${admin.user_id}`, { email: 'admin@example.com', realname: PAYLOADS[0], comment: PAYLOADS.join(' ') })

    // A replication that fails (its registry refuses connections) under a hostile name, and a
    // second push that every webhook fails to deliver: both land in the overview's failures.
    const registryId = ((await must('GET', '/registries?page_size=1')).json() as { id: number }[])[0]!.id
    const failing = `${PAYLOADS[5]} (runs)`
    failingPolicyId = idOf(await must('POST', '/replication/policies', { name: failing, dest_registry: { id: registryId }, dest_namespace: 'mirror', filters: [{ type: 'name', value: 'library/**' }], trigger: { type: 'manual' }, enabled: true }))
    note('replication policy name (failed run)', failing, { ok: true, status: 201, text: '' })
    const again = await pushRaw(server.url, ADMIN_AUTH, { ...image, tag: 'v2', blobs: [] })
    assert.ok(again.ok, JSON.stringify(again))
    await waitUntil('the webhook deliveries to fail', async () => (await must('GET', '/berth/overview/failures?page_size=100')).json().length >= PAYLOADS.length, { timeoutMs: 20_000, everyMs: 200 })
    executionId = idOf(await must('POST', '/replication/executions', { policy_id: failingPolicyId }))
    await waitUntil('the replication to fail', async () => (await must('GET', `/replication/executions/${executionId}`)).json().status === 'Failed', { timeoutMs: 20_000, everyMs: 200 })
    // The overview shows the newest eight, each with the name of its policy.
    const newest = (await must('GET', '/berth/overview/failures?page_size=8')).json() as { policy_name?: string }[]
    stored.set('failed policy names (overview)', newest.map((x) => x.policy_name).filter((n) => n !== undefined))
    assert.ok(stored.get('failed policy names (overview)')!.some((n) => (PAYLOADS as readonly string[]).includes(n)), JSON.stringify(newest))
  })
  after(async () => {
    await browser?.close()
    await server?.close()
  })

  /** Fails on anything a planted payload could have done to the page. */
  async function assertNothingRan(p: ConsolePage, where: string, dialogs: string[]) {
    // An <img src=x onerror> would fire once its request failed: give it the time to.
    await p.page.waitForTimeout(150)
    assert.equal(await p.page.evaluate('typeof window.__xss'), 'undefined', `${where}: a payload ran`)
    assert.deepEqual(await p.page.evaluate(INJECTED), [], `${where}: markup from a payload is in the page`)
    assert.deepEqual(await p.page.evaluate(CSP_VIOLATIONS), [], `${where}: the CSP refused something`)
    assert.deepEqual(dialogs, [], `${where}: a dialog opened`)
    assert.deepEqual(p.problems, [], `${where}: the browser complained`)
  }

  /**
   * Waits until the page shows every text; names the missing ones if not. `whole`: each text is
   * all the visible text of some element (a table cell, a label, a heading), so that a value
   * cannot pass for another that contains it; else it may be part of a sentence or of JSON.
   */
  async function assertShown(p: ConsolePage, where: string, texts: readonly string[], whole: boolean) {
    const inPage = whole
      ? `(() => { const seen = new Set([...document.body.querySelectorAll('*')].map((e) => e.innerText?.trim())); return (${JSON.stringify(texts)}).filter((s) => !seen.has(s)) })()`
      : `(${JSON.stringify(texts)}).filter((s) => !document.body.innerText.includes(s))`
    // Polled from here: the console's CSP forbids the eval that page.waitForFunction uses for a string.
    let missing: string[] = []
    await waitUntil(`${where} to show the planted values`, async () => (missing = await p.page.evaluate<string[]>(inPage)).length === 0, { timeoutMs: 10_000, everyMs: 100 }).catch(() => {
      assert.fail(`${where}: not shown: ${JSON.stringify(missing)}`)
    })
  }

  /** A page that records its CSP violations (in window.__cspViolations) and the dialogs that open. */
  async function watched(p: ConsolePage): Promise<{ p: ConsolePage; dialogs: string[] }> {
    const dialogs: string[] = []
    p.page.on('dialog', (d) => {
      dialogs.push(`${d.type()}: ${d.message()}`)
      void d.dismiss()
    })
    // Init scripts are not subject to the page's CSP; the list lives in the page's own window.
    await p.context.addInitScript(
      "addEventListener('securitypolicyviolation', (e) => { (window.__cspViolations ??= []).push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`) })",
    )
    return { p, dialogs }
  }

  async function signedIn(): Promise<{ p: ConsolePage; dialogs: string[] }> {
    const w = await watched(await openPage(browser))
    await signIn(w.p, server.url)
    return w
  }

  it('reports the payloads the server refused', (t) => {
    for (const [field, values] of refused) t.diagnostic(`refused ${field}: ${values.map((v) => JSON.stringify(v)).join(' ')}`)
  })

  it('shows every planted value as text on every page, and nothing runs', async () => {
    const { p, dialogs } = await signedIn()
    const project = `/projects/${projectId}`
    // [path, what it must show, whether each value is a whole element's text (see assertShown)]
    const pages: [string, readonly string[], boolean][] = [
      ['/projects', [], true],
      [`${project}/summary`, [], true],
      [`${project}/repositories`, [], true],
      // The description's Markdown keeps the text and the link's words, and drops raw HTML and javascript: URLs.
      [`${project}/repositories/app`, [PAYLOADS[6], PAYLOADS[7], PAYLOADS[8], 'click'], true],
      [`${project}/repositories/app/artifacts/v1`, shown('artifact annotations'), true],
      [`${project}/repositories/app/artifacts/v1?tab=history`, shown('image history created_by and comment'), false],
      [`${project}/repositories/app/artifacts/v1?tab=manifest`, shown('artifact annotations').map(inJson), false],
      [`${project}/repositories/app/artifacts/v1?tab=config`, shown('image config labels').map(inJson), false],
      [`${project}/members`, shown('user name'), true],
      [`${project}/robots`, shown('project robot description'), true],
      [`${project}/labels`, shown('project label name', 'project label description'), true],
      // Patterns are shown inside a sentence ("tags matching ...").
      [`${project}/policy`, shown('retention selectors'), false],
      [`${project}/policy?section=immutability`, shown('immutability selectors'), false],
      [`${project}/webhooks`, shown('webhook name', 'webhook address'), true],
      [`${project}/logs?type=label&page_size=100`, shown('project label name'), true],
      [`${project}/configuration`, [], true],
      ['/admin/users?page_size=100', shown('user name', 'user realname', 'user email'), true],
      ['/admin/robots', shown('system robot description'), true],
      ['/admin/registries', shown('registry name', 'registry description', 'registry url'), true],
      ['/admin/replications', shown('replication policy name', 'replication policy description', 'replication policy name (failed run)'), true],
      [`/admin/replications/${failingPolicyId}`, shown('replication policy name (failed run)'), true],
      [`/admin/replications/executions/${executionId}`, shown('replication policy name (failed run)'), true],
      ['/admin/labels', shown('global label name', 'global label description'), true],
      ['/admin/logs?type=label&page_size=100', shown('global label name', 'project label name'), true],
      ['/admin/logs?type=user&page_size=100', shown('user name'), true],
      // Each failure names its project and policy together ("library · name").
      ['/admin/overview', shown('failed policy names (overview)'), false],
      ['/admin/settings', [], true],
    ]
    // Every page is checked, whatever an earlier one did: the failures are reported together.
    const failures: string[] = []
    for (const [path, texts, whole] of pages) {
      await p.page.goto(`${server.url}${path}`)
      for (const check of [() => assertShown(p, path, texts, whole), () => assertNothingRan(p, path, dialogs)]) await check().catch((e: Error) => failures.push(e.message))
      p.problems.length = 0
      dialogs.length = 0
    }
    await p.context.close()
    assert.deepEqual(failures, [])
  })

  it('shows every label on the artifact, and the planted values in the edit forms', async () => {
    const { p, dialogs } = await signedIn()
    const { page } = p
    await page.goto(`${server.url}/projects/${projectId}/repositories/app/artifacts/v1`)
    await page.getByRole('button', { name: /more$/ }).click()
    await assertShown(p, 'artifact labels', shown('global label name', 'project label name'), true)
    await page.getByRole('button', { name: 'Edit labels' }).click()
    await assertShown(p, 'the labels dialog', shown('global label name', 'project label name'), true)
    await assertNothingRan(p, 'the labels dialog', dialogs)

    const editFrom = async (path: string, name: string, menu: string) => {
      await page.goto(`${server.url}${path}`)
      await page.locator('tbody tr').filter({ hasText: name }).first().locator('td').last().getByRole('button').click()
      await page.getByRole('menuitem', { name: menu }).click()
      await page.getByRole('dialog').waitFor()
    }
    for (const [i, payload] of PAYLOADS.entries()) {
      await editFrom(`/projects/${projectId}/webhooks`, payload, 'Edit')
      assert.equal(await page.locator('#webhook-description').inputValue(), stored.get('webhook description')![i])
      await assertNothingRan(p, `webhook ${i} form`, dialogs)
      await editFrom('/admin/replications', payload, 'Edit')
      assert.equal(await page.locator('#policy-filter-name').inputValue(), stored.get('replication policy filters')![i])
      assert.equal(await page.locator('#policy-filter-tag').inputValue(), stored.get('replication policy filters')![i])
      await assertNothingRan(p, `replication policy ${i} form`, dialogs)
    }

    await page.goto(`${server.url}/account`)
    assert.equal(await page.locator('#realname').inputValue(), PAYLOADS[0])
    assert.equal(await page.locator('#comment').inputValue(), PAYLOADS.join(' '))
    await assertNothingRan(p, '/account', dialogs)
    await p.context.close()
  })

  it("clicking the description's javascript: link runs nothing and opens nothing", async () => {
    const { p, dialogs } = await signedIn()
    await p.page.goto(`${server.url}/projects/${projectId}/repositories/app`)
    const link = p.page.getByText('click', { exact: true })
    await link.click()
    await p.page.getByRole('img', { name: 'x' }).click({ trial: false }).catch(() => undefined)
    assert.equal(p.context.pages().length, 1, 'no window opened')
    assert.match(p.page.url(), /\/repositories\/app$/)
    await assertNothingRan(p, 'after clicking the description', dialogs)
    await p.context.close()
  })

  for (const [shape, banner] of [
    ['plain text', PAYLOADS.join(' ')],
    ["Harbor's JSON", JSON.stringify({ message: PAYLOADS.join(' '), type: 'warning', closable: false, fromDate: '', toDate: '' })],
  ] as const) {
    it(`shows the banner (${shape}) as text on the sign-in and settings pages`, async () => {
      await must('PUT', '/configurations', { banner_message: banner })
      const { p, dialogs } = await watched(await openPage(browser))
      await p.page.goto(`${server.url}/sign-in`)
      await assertShown(p, `sign-in banner (${shape})`, [PAYLOADS.join(' ')], false)
      await assertNothingRan(p, `sign-in banner (${shape})`, dialogs)
      await p.context.close()

      const s = await signedIn()
      await s.p.page.goto(`${server.url}/admin/settings`)
      await s.p.page.locator('#banner-message').waitFor()
      await waitUntil('the banner in its field', async () => (await s.p.page.locator('#banner-message').inputValue()) === PAYLOADS.join(' '), { timeoutMs: 10_000, everyMs: 100 })
      await assertNothingRan(s.p, `settings banner (${shape})`, s.dialogs)
      await s.p.context.close()
    })
  }
})
