// Scanning, proxy caches and the security hub in the console, in Chromium, on SQLite: an admin
// registers the fake scanner adapter (test connection first), pushes an image with skopeo, scans
// it from the artifact list and sees its severities there and in the Vulnerabilities tab, makes a
// proxy-cache project in the create dialog, finds the counts in the security hub, keeps the
// project's trusted keys (a cosign key, a notation root made with openssl), and exports the
// image's CVEs from the project list and downloads the CSV. Each step
// checks what the server did as well as what the page shows; axe finds no serious violation on
// the new pages, and the page reports no script error or CSP violation.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Browser } from 'playwright-core'
import { writeImage, type ImageFixture } from '../fixtures/oci-layout.js'
import { ADMIN_AUTH, TEST_ADMIN_PASSWORD } from '../support/berth-app.js'
import { missingTools } from '../support/berth-process.js'
import { describeViolations, seriousViolations } from '../support/axe.js'
import { launchBrowser, missingBrowser, signedInPage, startConsoleServer, tableRows, type ConsolePage, type ConsoleServer } from '../support/browser.js'
import { runCommand } from '../support/run-command.js'
import { FakeScannerAdapter } from '../support/scanner-adapter.js'
import { notationSigner } from '../../src/http/oci/notation-test-support.js'
import { CSV_COLUMNS } from '../../src/services/scan/cve-export.js'

const VULN = 'application/vnd.security.vulnerability.report; version=1.1'

describe('scanning and the security hub in the console', { skip: missingBrowser() ?? (missingTools(['skopeo', 'openssl']) || false), timeout: 240_000 }, () => {
  let server: ConsoleServer
  let browser: Browser
  let p: ConsolePage
  let work = ''
  let image: ImageFixture
  let projectId = 0
  const adapter = new FakeScannerAdapter()

  const api = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: object) => {
    const res = await server.berth.app.inject({ method, url: `/api/v2.0${path}`, headers: { authorization: ADMIN_AUTH }, ...(body !== undefined ? { payload: body } : {}) })
    assert.ok(res.statusCode < 300, `${method} ${path}: ${res.statusCode} ${res.body}`)
    return res
  }
  const noSeriousViolations = async (what: string) => {
    const vs = await seriousViolations(p.page)
    assert.equal(vs.length, 0, `${what}: ${describeViolations(vs)}`)
  }

  before(async () => {
    server = await startConsoleServer('sqlite', { scanning: { refresh_min_seconds: 0.01, refresh_max_seconds: 0.05, timeout: 60 } } as never)
    server.berth.config.scanning.registry_url = server.url
    await adapter.start()
    adapter.auth = ['X-ScannerAdapter-API-Key', 'k3y']
    browser = await launchBrowser()
    p = await signedInPage(browser, server.url)
    p.page.setDefaultTimeout(20_000)
    work = mkdtempSync(join(tmpdir(), 'berth-security-'))
    image = writeImage(join(work, 'layout'), { seed: 'security-browser', tag: '1.0' })
    execFileSync('tar', ['--create', `--file=${join(work, 'app.tar')}`, '--directory', join(work, 'layout'), 'oci-layout', 'index.json', 'blobs'])
    adapter.vulnerabilities.set(image.manifest.digest, [
      { id: 'CVE-2024-0001', package: 'openssl', version: '1.0.0', fix_version: '1.0.1', severity: 'Critical', description: 'remote code execution', preferred_cvss: { score_v3: 9.8 } },
      { id: 'CVE-2024-0002', package: 'zlib', version: '1.2', severity: 'Low', description: 'a small leak' },
    ])
  })
  after(async () => {
    await browser?.close()
    await adapter.stop()
    await server?.close()
    if (work !== '') rmSync(work, { recursive: true, force: true })
  })

  it('registers the scanner adapter after a connection test, and it becomes the default', async () => {
    const { page } = p
    await page.goto(`${server.url}/admin/scanners`)
    await page.getByRole('heading', { name: 'Interrogation services' }).waitFor()
    await page.getByRole('button', { name: 'New scanner' }).click()
    const dialog = page.getByRole('dialog', { name: 'New scanner' })
    await dialog.locator('#scanner-name').fill('fake')
    await dialog.locator('#scanner-url').fill(adapter.url)
    await dialog.locator('#scanner-auth').selectOption('X-ScannerAdapter-API-Key')
    await dialog.locator('#scanner-secret').fill('wrong')
    await dialog.getByRole('button', { name: 'Test connection' }).click()
    await dialog.getByText('The adapter did not answer').waitFor()
    // The refused test is the browser's one expected failed request.
    assert.deepEqual(p.problems.splice(0), ['console error: Failed to load resource: the server responded with a status of 400 (Bad Request)'])
    await dialog.locator('#scanner-secret').fill('k3y')
    await dialog.getByRole('button', { name: 'Test connection' }).click()
    await dialog.getByText('The adapter answered').waitFor()
    await dialog.getByRole('button', { name: 'Add', exact: true }).click()
    await page.getByText('Scanner fake saved').waitFor()
    const row = (await tableRows(page, 'Interrogation services')).filter({ hasText: 'fake' })
    await row.getByText('Default').waitFor()
    await row.getByText('Healthy').waitFor()
    const [scanner] = (await api('GET', '/scanners')).json() as { name: string; is_default: boolean; auth: string; access_credential: string }[]
    assert.deepEqual([scanner?.name, scanner?.is_default, scanner?.auth, scanner?.access_credential], ['fake', true, 'X-ScannerAdapter-API-Key', '*****'])

    await row.getByRole('button', { name: 'Actions for fake' }).click()
    await page.getByRole('menuitem', { name: 'Adapter details' }).click()
    const details = page.getByRole('dialog', { name: 'Adapter of fake' })
    await details.getByText('vulnerability', { exact: false }).first().waitFor()
    await noSeriousViolations('the scanners page with the adapter details')
    await details.getByRole('button', { name: 'Close' }).click()
    assert.deepEqual(p.problems, [])
  })

  it('scans an image pushed with skopeo from the artifact list, and shows its findings', async () => {
    await api('POST', '/projects', { project_name: 'sec', metadata: { public: 'false' } })
    projectId = (await server.berth.stores.projects.get('sec'))!.id
    const host = new URL(server.url).host
    await runCommand('skopeo', ['--insecure-policy', '--command-timeout', '60s', 'copy', '--dest-tls-verify=false', '--dest-creds', `admin:${TEST_ADMIN_PASSWORD}`, `oci-archive:${join(work, 'app.tar')}`, `docker://${host}/sec/app:1.0`], { timeoutMs: 90_000 })

    const { page } = p
    await page.goto(`${server.url}/projects/${projectId}/scanner`)
    await page.getByTestId('project-scanner-name').getByText('fake').waitFor()
    await noSeriousViolations("the project's scanner tab")

    await page.goto(`${server.url}/projects/${projectId}/repositories/app`)
    const row = (await tableRows(page, 'Artifacts')).first()
    await row.getByText('Not scanned').waitFor()
    await row.getByText('Not signed').waitFor()
    await row.getByRole('checkbox').check()
    await page.getByRole('button', { name: 'Scan (1)', exact: true }).click()
    await page.getByText('Scans started: 1').waitFor()
    // The list polls while the scan runs, with no reload.
    await row.getByText('Critical: 1').waitFor({ timeout: 30_000 })
    await row.getByText('Low: 1').waitFor()
    const artifact = (await api('GET', `/projects/sec/repositories/app/artifacts/${image.manifest.digest}?with_scan_overview=true`)).json() as { scan_overview: Record<string, { scan_status: string; severity: string }> }
    assert.equal(artifact.scan_overview[VULN]?.scan_status, 'Success')
    assert.equal(artifact.scan_overview[VULN]?.severity, 'Critical')
    assert.equal(adapter.scans.length, 1)

    await row.getByRole('link', { name: image.manifest.digest.slice(0, 'sha256:'.length + 12) }).click()
    await page.getByRole('tab', { name: 'Vulnerabilities' }).click()
    const vulns = await tableRows(page, 'Vulnerabilities', 2)
    assert.match(await vulns.first().innerText(), /CVE-2024-0001[\s\S]*Critical[\s\S]*openssl[\s\S]*1\.0\.1/)
    assert.equal(await page.getByRole('link', { name: 'Advisory for CVE-2024-0001 (opens in a new tab)' }).getAttribute('href'), 'https://nvd.nist.gov/vuln/detail/CVE-2024-0001')
    await page.getByRole('combobox', { name: 'Severity' }).selectOption('Low')
    await page.getByText('CVE-2024-0001').waitFor({ state: 'detached' })
    assert.equal(await vulns.count(), 1)
    assert.match(await vulns.first().innerText(), /CVE-2024-0002/)
    await noSeriousViolations("the artifact's vulnerabilities tab")
    assert.deepEqual(p.problems, [])
  })

  it('scans all artifacts from the interrogation services page and shows the run', async () => {
    const { page } = p
    await page.goto(`${server.url}/admin/scanners`)
    await page.getByRole('button', { name: 'Scan now' }).click()
    await page.getByText('Scan of all artifacts started').waitFor()
    await page.getByText('1 of 1 artifacts done').waitFor({ timeout: 30_000 })
    const metrics = (await api('GET', '/scans/all/metrics')).json() as { total: number; completed: number; trigger?: string }
    assert.deepEqual([metrics.total, metrics.completed], [1, 1])
    assert.equal(adapter.scans.length, 2)
    await noSeriousViolations('the scan-all card')
    assert.deepEqual(p.problems, [])
  })

  it('creates a proxy-cache project of a registry endpoint in the create dialog', async () => {
    const registry = await api('POST', '/registries', { name: 'upstream', type: 'docker-registry', url: server.url })
    const registryId = Number(/(\d+)$/.exec(registry.headers.location as string)![1])
    const { page } = p
    await page.goto(`${server.url}/projects`)
    await page.getByRole('button', { name: 'New project' }).click()
    const dialog = page.getByRole('dialog')
    await dialog.locator('#project-name').fill('cache')
    await dialog.getByLabel('Proxy cache').check()
    assert.equal(await dialog.getByRole('button', { name: 'Create', exact: true }).isDisabled(), true, 'no endpoint chosen yet')
    await dialog.locator('#project-registry').selectOption({ label: 'upstream' })
    await dialog.getByText(`Endpoint URL: ${server.url}`).waitFor()
    await dialog.getByRole('button', { name: 'Create', exact: true }).click()
    await page.getByText('Project cache created').waitFor()
    const project = (await api('GET', '/projects/cache')).json() as { registry_id?: number }
    assert.equal(project.registry_id, registryId)
    const row = page.locator('table[aria-label="Projects"] tbody tr').filter({ has: page.getByRole('link', { name: 'cache', exact: true }) })
    await row.getByText('Proxy cache: upstream').waitFor()
    assert.deepEqual(p.problems, [])
  })

  it('shows the scan in the security hub: counts, the most dangerous CVE, the search and the CVE lookup', async () => {
    const { page } = p
    await page.goto(`${server.url}/admin/security-hub`)
    await page.getByTestId('hub-scanned').getByText('1', { exact: true }).waitFor()
    assert.equal(await page.getByTestId('hub-total').innerText(), '2')
    assert.equal(await page.getByTestId('hub-critical').innerText(), '1')
    assert.equal(await page.getByTestId('hub-low').innerText(), '1')
    await tableRows(page, 'Most dangerous CVEs')
    await noSeriousViolations('the security hub')

    await page.locator('#vul-package').fill('ssl')
    await page.getByRole('button', { name: 'Search', exact: true }).click()
    await page.waitForURL(/vul_package=ssl/)
    const found = await tableRows(page, 'Vulnerability search')
    await page.locator('table[aria-label="Vulnerability search"]').getByText('CVE-2024-0002').waitFor({ state: 'detached' })
    assert.equal(await found.count(), 1)
    assert.match(await found.first().innerText(), /CVE-2024-0001[\s\S]*sec\/app@sha256:[\s\S]*1\.0/)

    await page.locator('#cve-lookup').fill('CVE-2024-0002')
    await page.getByRole('button', { name: 'Look up' }).click()
    const affected = await tableRows(page, 'Artifacts and CVE-2024-0002')
    assert.match(await affected.first().innerText(), /sec\/app@sha256:[\s\S]*Low[\s\S]*zlib/)
    assert.deepEqual(p.problems, [])
  })

  it('keeps the system CVE allowlist on the settings page, and the vulnerabilities tab marks what it lists', async () => {
    const { page } = p
    await page.goto(`${server.url}/admin/settings`)
    await page.getByRole('heading', { name: 'System CVE allowlist' }).waitFor()
    await page.locator('#system-allowlist-add-cves').fill('CVE-2024-0002, not valid!')
    await page.getByText('valid! is not a CVE ID.').waitFor()
    assert.equal(await page.getByRole('button', { name: 'Add', exact: true }).isDisabled(), true)
    await page.locator('#system-allowlist-add-cves').fill('CVE-2024-0002')
    await page.getByRole('button', { name: 'Add', exact: true }).click()
    await page.getByRole('button', { name: 'Save allowlist' }).click()
    await page.getByText('System CVE allowlist saved').waitFor()
    const list = (await api('GET', '/system/CVEAllowlist')).json() as { items: { cve_id: string }[] }
    assert.deepEqual(list.items, [{ cve_id: 'CVE-2024-0002' }])

    await page.goto(`${server.url}/projects/${projectId}/repositories/app/artifacts/${encodeURIComponent(image.manifest.digest)}?tab=vulnerabilities`)
    const rows = await tableRows(page, 'Vulnerabilities', 2)
    await rows.filter({ hasText: 'CVE-2024-0002' }).getByText('Allowlisted').waitFor()
    assert.equal(await rows.filter({ hasText: 'CVE-2024-0001' }).getByText('Allowlisted').count(), 0)
    assert.deepEqual(p.problems, [])
  })

  it("keeps the project's trusted keys: a cosign key and a notation root added, listed by kind, the hint on the configuration tab, one removed", async () => {
    const { page } = p
    const cosign = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
    const cosignPem = cosign.publicKey.export({ type: 'spki', format: 'pem' }).toString()
    const root = notationSigner('console')
    const addKey = async (name: string, pem: string) => {
      await page.getByRole('button', { name: 'Add key' }).click()
      const dialog = page.getByRole('dialog', { name: 'Trust a key' })
      await dialog.locator('#trusted-key-name').fill(name)
      await dialog.locator('#trusted-key-pem').fill(pem)
      return dialog
    }

    await page.goto(`${server.url}/projects/${projectId}/trusted-keys`)
    await page.getByText('This project trusts no keys').waitFor()
    // The server's refusal shows in the form, and nothing is stored.
    const refused = await addKey('private', cosign.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())
    await refused.getByRole('button', { name: 'Add', exact: true }).click()
    await refused.getByText('The key was not added').waitFor()
    assert.match(await refused.getByRole('alert').innerText(), /private key/i)
    assert.deepEqual(p.problems.splice(0), ['console error: Failed to load resource: the server responded with a status of 400 (Bad Request)'])
    await noSeriousViolations('the add-key dialog with its error')
    await refused.getByRole('button', { name: 'Cancel' }).click()

    await (await addKey('release', cosignPem)).getByRole('button', { name: 'Add', exact: true }).click()
    await page.getByText('Key release added').waitFor()
    await (await addKey('notary-root', root.rootPem)).getByRole('button', { name: 'Add', exact: true }).click()
    await page.getByText('Key notary-root added').waitFor()
    const rows = await tableRows(page, 'Trusted keys', 2)
    const stored = (await api('GET', '/projects/sec/trusted-keys')).json() as { name: string; algorithm: string; fingerprint: string }[]
    assert.deepEqual(stored.map((k) => [k.name, k.algorithm]).sort(), [['notary-root', 'x509'], ['release', 'ecdsa-p256']])
    const release = rows.filter({ hasText: 'release' })
    await release.getByText('Cosign key').waitFor()
    await release.getByText(`${stored.find((k) => k.name === 'release')!.fingerprint.slice(0, 16)}…`).waitFor()
    await release.getByRole('button', { name: 'Copy fingerprint' }).waitFor()
    await rows.filter({ hasText: 'notary-root' }).getByText('Notation root').waitFor()
    await noSeriousViolations('the trusted keys tab')

    await api('PUT', '/projects/sec', { metadata: { enable_content_trust_cosign: 'true' } })
    await page.goto(`${server.url}/projects/${projectId}/configuration`)
    await page.getByText('Only cosign signatures verified against 1 trusted key count.').waitFor()
    assert.equal(await page.getByText(/Only notation signatures/).count(), 0, 'notation content trust is off')
    await api('PUT', '/projects/sec', { metadata: { enable_content_trust_cosign: 'false' } })

    await page.goto(`${server.url}/projects/${projectId}/trusted-keys`)
    await (await tableRows(page, 'Trusted keys', 2)).filter({ hasText: 'release' }).getByRole('button', { name: 'Actions for release' }).click()
    await page.getByRole('menuitem', { name: 'Delete' }).click()
    await page.getByRole('dialog', { name: 'Stop trusting this key?' }).getByRole('button', { name: 'Delete' }).click()
    await page.getByText('Key release removed').waitFor()
    assert.deepEqual(((await api('GET', '/projects/sec/trusted-keys')).json() as { name: string }[]).map((k) => k.name), ['notary-root'])
    assert.deepEqual(p.problems, [])
  })

  it('exports the CVEs of the scanned image from the project list and downloads the CSV once', async () => {
    const { page } = p
    await page.goto(`${server.url}/projects`)
    const row = page.locator('table[aria-label="Projects"] tbody tr').filter({ has: page.getByRole('link', { name: 'sec', exact: true }) })
    await row.getByRole('button', { name: 'Actions for sec' }).click()
    await page.getByRole('menuitem', { name: 'Export CVEs' }).click()
    const dialog = page.getByRole('dialog', { name: 'Export CVEs of sec' })
    await dialog.locator('#export-repositories').fill('app, other')
    await dialog.locator('#export-cveIds').fill('CVE-2024-0001')
    await noSeriousViolations('the export dialog')
    await dialog.getByRole('button', { name: 'Export', exact: true }).click()
    await page.getByText('CVE export started').waitFor()

    await page.goto(`${server.url}/cve-exports`)
    await page.getByText('A file can be downloaded once').waitFor()
    // The list asks again while the export runs.
    const link = page.getByRole('link', { name: /Download CSV of export \d+/ })
    await link.waitFor({ timeout: 30_000 })
    const [execution] = ((await api('GET', '/export/cve/executions')).json() as { items: { id: number; status: string; file_present: boolean }[] }).items
    assert.deepEqual([execution?.status, execution?.file_present], ['Success', true])
    await noSeriousViolations('the CVE exports page')

    const [download] = await Promise.all([page.waitForEvent('download'), link.click()])
    assert.equal(download.suggestedFilename(), `scandata_export_${execution!.id}.csv`)
    const lines = readFileSync((await download.path())!, 'utf8').trim().split(/\r?\n/)
    assert.equal(lines[0], CSV_COLUMNS.join(','))
    assert.equal(lines.length, 2, 'one row: the CVE filter keeps CVE-2024-0001 only')
    assert.match(lines[1]!, new RegExp(`^sec/app,${image.manifest.digest},1\\.0,CVE-2024-0001,openssl,1\\.0\\.0,1\\.0\\.1,Critical,`))
    // Downloaded in full, the export is gone, and the page says so.
    await page.getByText('No CVE exports').waitFor()
    assert.deepEqual(((await api('GET', '/export/cve/executions')).json() as { items: unknown[] }).items, [])

    await page.goto(`${server.url}/admin/security-hub`)
    await page.getByTestId('hub-exports').getByText('0 exports, 0 ready to download').waitFor()
    assert.deepEqual(p.problems, [])
  })
})
