// Scanning end to end on both databases with a spec-conformant fake adapter on loopback that
// really pulls from Berth: scanner registrations (roles, masking, guard), the project scanner,
// auto scan on push, reports, scan_overview and the vulnerabilities addition, the credential's
// reach, slow, failing and stopped scans, indexes, and SBOM generation as a referrer.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { InjectOptions } from 'fastify'
import type { AddressInfo } from 'node:net'
import { DIALECTS, dialectSkip } from '../../../test/support/databases.js'
import { waitUntil } from '../../../test/support/until.js'
import { FakeScannerAdapter, type ScanSeen } from '../../../test/support/scanner-adapter.js'
import { assertError, assertStatus, checkResponse, ADMIN, ANON, userActor, type Actor, PROJECT_ROLES } from './api-test-support.js'
import { pushImage, pushManifest, indexText, OCI_INDEX, OCI_MANIFEST, useBerth, type Response } from '../oci/oci-test-support.js'

const API = '/api/v2.0'
const PASSWORD = 'Scan-Test-Passw0rd'
const VULN = 'application/vnd.security.vulnerability.report; version=1.1'
type Json = any
const user = (name: string): Actor => userActor(name, PASSWORD)

for (const dialect of DIALECTS) {
  describe(`scanning (${dialect})`, await dialectSkip(dialect), () => {
    const t = useBerth(dialect, { scanning: { refresh_min_seconds: 0.01, refresh_max_seconds: 0.05, timeout: 60 } as never })
    const adapter = new FakeScannerAdapter()
    let base = ''
    let scannerId = ''

    async function api(who: Actor, method: InjectOptions['method'], path: string, body?: unknown): Promise<Response> {
      const res = (await t.anonymous.inject({ method, url: `${API}${path}`, headers: { ...who.headers }, ...(body !== undefined ? { payload: body as InjectOptions['payload'] } : {}) })) as Response
      checkResponse(res, `${who.name} ${method} ${path}`)
      return res
    }
    const until = (what: string, fn: () => Promise<boolean> | boolean) => waitUntil(what, fn, { timeoutMs: 20_000, everyMs: 25 })
    const artifact = async (repo: string, ref: string, q = 'with_scan_overview=true'): Promise<Json> => {
      const res = await api(ADMIN, 'GET', `/projects/scans/repositories/${repo}/artifacts/${ref}?${q}`)
      assertStatus(res, 200)
      return res.json()
    }
    const overview = async (repo: string, ref: string): Promise<Json> => (await artifact(repo, ref)).scan_overview?.[VULN]
    /** Starts a scan once the previous run of the artifact has ended (its reports end a moment before it does). */
    const scanNow = async (repo: string, ref: string, body?: Json) => {
      let res: Response | undefined
      await until(`a scan of ${repo}:${ref} starts`, async () => (res = await api(ADMIN, 'POST', `/projects/scans/repositories/${repo}/artifacts/${ref}/scan`, body)).statusCode !== 409)
      return res!
    }
    const finished = (repo: string, ref: string) => until(`scan of ${repo}:${ref} ended`, async () => ['Success', 'Error', 'Stopped'].includes((await overview(repo, ref))?.scan_status))

    before(async () => {
      await adapter.start()
      await t.berth.app.listen({ host: '127.0.0.1', port: 0 })
      base = `http://127.0.0.1:${(t.berth.app.server.address() as AddressInfo).port}`
      t.berth.config.scanning.registry_url = base
      for (const [name] of [...PROJECT_ROLES, ['other', 0] as const]) assertStatus(await api(ADMIN, 'POST', '/users', { username: name, password: PASSWORD, email: `${name}@example.com`, realname: name }), 201)
      for (const project of ['scans', 'elsewhere']) assertStatus(await api(ADMIN, 'POST', '/projects', { project_name: project, metadata: { public: 'false' } }), 201)
      for (const [name, role] of PROJECT_ROLES) assertStatus(await api(ADMIN, 'POST', '/projects/scans/members', { role_id: role, member_user: { username: name } }), 201)
    })
    after(async () => {
      await adapter.stop()
    })

    it('registers scanners: ping, create (first is default), masked credential, metadata, default, refusals, roles', async () => {
      assertStatus(await api(ADMIN, 'POST', '/scanners/ping', { url: adapter.url }), 200)
      assertError(await api(ADMIN, 'POST', '/scanners/ping', { url: 'http://169.254.169.254/' }), 400, 'BAD_REQUEST', 'metadata address')
      for (const [body, pattern] of [
        [{ name: 'x', url: 'ftp://127.0.0.1/' }, /http/],
        [{ name: 'x', url: 'http://u:p@127.0.0.1/' }, /credentials/],
        [{ name: 'x', url: adapter.url, auth: 'Digest' }, /auth must be/],
        [{ name: 'x', url: adapter.url, auth: 'Bearer' }, /access_credential is required/],
        [{ name: 'x\n', url: adapter.url }, /control character/],
        [{ name: 'x', url: adapter.url, surprise: 1 }, /surprise/],
      ] as const) {
        const res = await api(ADMIN, 'POST', '/scanners', body)
        assertError(res, 400, 'BAD_REQUEST')
        assert.match(res.json().errors[0].message, pattern)
      }
      adapter.auth = ['X-ScannerAdapter-API-Key', 'k3y']
      const created = await api(ADMIN, 'POST', '/scanners', { name: 'fake', url: adapter.url, auth: 'X-ScannerAdapter-API-Key', access_credential: 'k3y' })
      assertStatus(created, 201)
      scannerId = /\/scanners\/([0-9a-f-]{36})$/.exec(created.headers.location as string)![1]!
      const got = (await api(ADMIN, 'GET', `/scanners/${scannerId}`)).json()
      assert.equal(got.is_default, true, 'the first scanner is the default')
      assert.equal(got.access_credential, '*****')
      assert.ok(!JSON.stringify((await api(ADMIN, 'GET', '/scanners')).json()).includes('k3y'))
      const meta = (await api(ADMIN, 'GET', `/scanners/${scannerId}/metadata`)).json()
      assert.equal(meta.scanner.name, 'Fake')
      assertError(await api(ADMIN, 'POST', '/scanners', { name: 'fake', url: adapter.url }), 409, 'CONFLICT')
      assertError(await api(ADMIN, 'DELETE', `/scanners/${scannerId}`), 412, 'PRECONDITION', 'the default cannot be deleted')
      const second = await api(ADMIN, 'POST', '/scanners', { name: 'second', url: adapter.url, auth: 'Basic', access_credential: 'u:p' })
      const secondId = /([0-9a-f-]{36})$/.exec(second.headers.location as string)![1]!
      assertStatus(await api(ADMIN, 'PATCH', `/scanners/${secondId}`, { is_default: true }), 200)
      assertStatus(await api(ADMIN, 'PATCH', `/scanners/${scannerId}`, { is_default: true }), 200)
      // The masked credential sent back keeps the stored one.
      assertStatus(await api(ADMIN, 'PUT', `/scanners/${scannerId}`, { ...got, description: 'changed' }), 200)
      assertStatus(await api(ADMIN, 'GET', `/scanners/${scannerId}/metadata`), 200)
      for (const who of [...PROJECT_ROLES.map(([n]) => user(n)), user('other')]) {
        assertError(await api(who, 'GET', '/scanners'), 403, 'FORBIDDEN', who.name)
        assertError(await api(who, 'POST', '/scanners', { name: 'evil', url: adapter.url }), 403, 'FORBIDDEN', who.name)
        assertError(await api(who, 'DELETE', `/scanners/${secondId}`), 403, 'FORBIDDEN', who.name)
        assertError(await api(who, 'PATCH', `/scanners/${secondId}`, { is_default: true }), 403, 'FORBIDDEN', who.name)
      }
      assertError(await api(ANON, 'GET', '/scanners'), 401, 'UNAUTHORIZED')
      assertStatus(await api(ADMIN, 'DELETE', `/scanners/${secondId}`), 200)
    })

    it('project scanner: guests and up read it, project admins set it; candidates', async () => {
      for (const [name, role] of PROJECT_ROLES) {
        const res = await api(user(name), 'GET', '/projects/scans/scanner')
        if (role === 5) assertError(res, 403, 'FORBIDDEN', name)
        else assert.equal(res.json().uuid, scannerId, name)
        const set = await api(user(name), 'PUT', '/projects/scans/scanner', { uuid: scannerId })
        if (role === 1) assertStatus(set, 200)
        else assertError(set, 403, 'FORBIDDEN', name)
      }
      assertError(await api(user('other'), 'GET', '/projects/scans/scanner'), 404, 'NOT_FOUND')
      assertError(await api(ADMIN, 'PUT', '/projects/scans/scanner', { uuid: 'nope' }), 400, 'BAD_REQUEST')
      assert.equal((await api(user('padm'), 'GET', '/projects/scans/scanner/candidates')).json().length, 1)
    })

    it('auto scan on push: the adapter pulls with a credential for that repository only, findings stored, overview and addition', async () => {
      assertStatus(await api(ADMIN, 'PUT', '/projects/scans', { metadata: { auto_scan: 'true' } }), 200)
      const other = await pushImage(t.app, 'elsewhere/secret', 'v1', 'secret')
      const checks: Record<string, number> = {}
      adapter.onScan = async (s: ScanSeen) => {
        const h = { authorization: s.authorization }
        checks.same = (await fetch(`${base}/v2/${s.repository}/manifests/${s.digest}`, { headers: h })).status
        checks.other = (await fetch(`${base}/v2/elsewhere/secret/manifests/${other.digest}`, { headers: h })).status
        checks.push = (await fetch(`${base}/v2/${s.repository}/blobs/uploads/`, { method: 'POST', headers: h })).status
      }
      const img = await pushImage(t.app, 'scans/app', 'v1', 'app')
      adapter.vulnerabilities.set(img.digest, [
        { id: 'CVE-2024-0001', package: 'openssl', version: '3.0.0', fix_version: '3.0.1', severity: 'Critical', preferred_cvss: { score_v3: 9.8 } },
        { id: 'CVE-2024-0002', package: 'zlib', version: '1.2', severity: 'Low' },
      ])
      await finished('app', 'v1')
      const seen = adapter.scans.at(-1)!
      assert.equal(seen.pulled, true, seen.pullError)
      assert.equal(seen.registryUrl, base)
      assert.match(seen.authorization, /^Bearer /)
      assert.deepEqual(checks, { same: 200, other: 401, push: 401 })
      const ov = await overview('app', 'v1')
      assert.equal(ov.scan_status, 'Success')
      assert.equal(ov.severity, 'Critical')
      assert.deepEqual(ov.summary, { total: 2, fixable: 1, summary: { Critical: 1, Low: 1 } })
      assert.deepEqual(ov.scanner, { name: 'Fake', vendor: 'Berth tests', version: '1.2.3' })
      const after = await fetch(`${base}/v2/scans/app/manifests/${img.digest}`, { headers: { authorization: seen.authorization } })
      assert.equal(after.status, 401, 'the credential stops working when the scan ends')
      const add = await api(user('lguest'), 'GET', '/projects/scans/repositories/app/artifacts/v1/additions/vulnerabilities')
      assertStatus(add, 200)
      const report = add.json()[VULN]
      assert.deepEqual(report.vulnerabilities.map((v: Json) => v.id).sort(), ['CVE-2024-0001', 'CVE-2024-0002'])
      assert.equal(report.severity, 'Critical')
      const rows = await t.berth.db.kysely.selectFrom('scan_vulnerabilities').select(['cve_id', 'severity_rank']).orderBy('cve_id').execute()
      assert.deepEqual(rows.map((r) => [r.cve_id, Number(r.severity_rank)]), [['CVE-2024-0001', 5], ['CVE-2024-0002', 2]])
      const log = await api(ADMIN, 'GET', `/projects/scans/repositories/app/artifacts/v1/scan/${ov.report_id}/log`)
      assert.match(log.body, /report received after 1 poll/)
      assertError(await api(user('other'), 'GET', `/projects/scans/repositories/app/artifacts/v1/scan/${ov.report_id}/log`), 404, 'NOT_FOUND')
      adapter.onScan = null
    })

    it('manual scans by role; slow (Refresh-After honoured), error, stop; another project and hostile names refused', async () => {
      assertStatus(await api(ADMIN, 'PUT', '/projects/scans', { metadata: { auto_scan: 'false' } }), 200)
      await pushImage(t.app, 'scans/manual', 'v1', 'manual')
      for (const [name, role] of PROJECT_ROLES) {
        const res = await api(user(name), 'POST', '/projects/scans/repositories/manual/artifacts/v1/scan')
        if (role === 3 || role === 5) assertError(res, 403, 'FORBIDDEN', name)
        else {
          assert.ok(res.statusCode === 202 || res.statusCode === 409, `${name}: ${res.statusCode}`)
          await finished('manual', 'v1')
        }
      }
      assertError(await api(user('other'), 'POST', '/projects/scans/repositories/manual/artifacts/v1/scan'), 404, 'NOT_FOUND')
      assertError(await api(ANON, 'POST', '/projects/scans/repositories/manual/artifacts/v1/scan'), 401, 'UNAUTHORIZED')
      assertError(await api(ADMIN, 'POST', '/projects/elsewhere/repositories/manual/artifacts/v1/scan'), 404, 'NOT_FOUND')
      assertError(await api(ADMIN, 'POST', '/projects/scans/repositories/..%2F..%2Fx/artifacts/v1/scan'), 400, 'BAD_REQUEST')

      adapter.slow = 3
      const before = adapter.polls.size
      assertStatus(await scanNow('manual', 'v1', { scan_type: 'vulnerability' }), 202)
      await until('a new scan request', () => adapter.polls.size > before)
      await finished('manual', 'v1')
      assert.equal((await overview('manual', 'v1')).scan_status, 'Success')
      assert.equal([...adapter.polls.values()].at(-1), 4, 'three 302s, then the report')

      adapter.slow = 0
      adapter.error = 'database of CVEs is corrupt'
      assertStatus(await scanNow('manual', 'v1'), 202)
      await finished('manual', 'v1')
      const failed = await overview('manual', 'v1')
      assert.equal(failed.scan_status, 'Error')
      assert.match((await api(ADMIN, 'GET', `/projects/scans/repositories/manual/artifacts/v1/scan/${failed.report_id}/log`)).body, /database of CVEs is corrupt/)
      adapter.error = ''

      adapter.slow = 1_000_000
      adapter.refreshAfter = 1
      assertStatus(await scanNow('manual', 'v1'), 202)
      await until('the scan runs', async () => (await overview('manual', 'v1'))?.scan_status === 'Running')
      assertError(await api(ADMIN, 'POST', '/projects/scans/repositories/manual/artifacts/v1/scan'), 409, 'CONFLICT')
      assertError(await api(user('guest'), 'POST', '/projects/scans/repositories/manual/artifacts/v1/scan/stop', { scan_type: 'vulnerability' }), 403, 'FORBIDDEN')
      assertStatus(await api(user('dev'), 'POST', '/projects/scans/repositories/manual/artifacts/v1/scan/stop', { scan_type: 'vulnerability' }), 202)
      await finished('manual', 'v1')
      assert.equal((await overview('manual', 'v1')).scan_status, 'Stopped')
      adapter.slow = 0
    })

    it('an index is scanned as its children; the overview aggregates them', async () => {
      const a = await pushImage(t.app, 'scans/multi', 'amd64', 'amd64')
      const b = await pushImage(t.app, 'scans/multi', 'arm64', 'arm64')
      adapter.vulnerabilities.set(a.digest, [{ id: 'CVE-1', package: 'p', version: '1', severity: 'High' }])
      adapter.vulnerabilities.set(b.digest, [{ id: 'CVE-2', package: 'q', version: '1', severity: 'Medium', fix_version: '2' }])
      const index = indexText(OCI_INDEX, [
        { mediaType: OCI_MANIFEST, digest: a.digest, size: a.size, platform: { os: 'linux', architecture: 'amd64' } } as never,
        { mediaType: OCI_MANIFEST, digest: b.digest, size: b.size, platform: { os: 'linux', architecture: 'arm64' } } as never,
      ])
      await pushManifest(t.app, 'scans/multi', 'latest', index, OCI_INDEX)
      assertStatus(await api(ADMIN, 'POST', '/projects/scans/repositories/multi/artifacts/latest/scan'), 202)
      await until('both children scanned', async () => ['Success', 'Error'].includes((await overview('multi', 'latest'))?.scan_status))
      const ov = await overview('multi', 'latest')
      assert.equal(ov.scan_status, 'Success', JSON.stringify(ov))
      assert.equal(ov.total_count, 2)
      assert.equal(ov.severity, 'High')
      assert.deepEqual(ov.summary, { total: 2, fixable: 1, summary: { High: 1, Medium: 1 } })
      const add = (await api(ADMIN, 'GET', '/projects/scans/repositories/multi/artifacts/latest/additions/vulnerabilities')).json()[VULN]
      assert.equal(add.vulnerabilities.length, 2)
    })

    it('SBOM generation stores a referrer accessory and sbom_overview; regenerating replaces it', async () => {
      adapter.sbom = true
      await pushImage(t.app, 'scans/sbom', 'v1', 'sbom')
      assertError(await api(user('guest'), 'POST', '/projects/scans/repositories/sbom/artifacts/v1/scan', { scan_type: 'sbom' }), 403, 'FORBIDDEN')
      const sbomOf = async () => (await artifact('sbom', 'v1', 'with_sbom_overview=true&with_accessory=true'))
      for (const round of [1, 2]) {
        assertStatus(await api(ADMIN, 'POST', '/projects/scans/repositories/sbom/artifacts/v1/scan', { scan_type: 'sbom' }), 202)
        await until('the SBOM run ended', async () => (await t.berth.db.kysely.selectFrom('executions').select('id').where('vendor_type', '=', 'SBOM').where('status', '=', 'Running').execute()).length === 0)
        await until(`SBOM ${round}`, async () => ['Success', 'Error'].includes((await sbomOf()).sbom_overview?.scan_status) && (await sbomOf()).sbom_overview.end_time > '1')
        const a = await sbomOf()
        const log = (await api(ADMIN, 'GET', `/projects/scans/repositories/sbom/artifacts/v1/scan/${a.sbom_overview.report_id}/log`)).body
        assert.equal(a.sbom_overview.scan_status, 'Success', log)
        assert.match(a.sbom_overview.sbom_digest, /^sha256:/)
        const accessories = a.accessories.filter((x: Json) => x.digest === a.sbom_overview.sbom_digest)
        assert.equal(accessories.length, 1)
        const all = (await api(ADMIN, 'GET', '/projects/scans/repositories/sbom/artifacts?with_accessory=true')).json()
        assert.equal(all.length, 1, 'the accessory is listed under its subject')
        assert.equal(all[0].accessories.length, 1, `round ${round}: one SBOM accessory`)
        const m = await t.app.inject({ method: 'GET', url: `/v2/scans/sbom/manifests/${a.sbom_overview.sbom_digest}`, headers: { accept: OCI_MANIFEST } })
        assert.equal(JSON.parse(m.body).artifactType, 'application/vnd.goharbor.harbor.sbom.v1')
      }
      adapter.sbom = false
    })

    it('adapter down: the scan is refused with the reason; oversized reports fail the scan', async () => {
      adapter.down = true
      const res = await api(ADMIN, 'POST', '/projects/scans/repositories/manual/artifacts/v1/scan')
      assertError(res, 400, 'BAD_REQUEST')
      assert.match(res.json().errors[0].message, /503/)
      adapter.down = false
      adapter.reportBytes = 17 << 20
      assertStatus(await scanNow('manual', 'v1'), 202)
      await finished('manual', 'v1')
      const ov = await overview('manual', 'v1')
      assert.equal(ov.scan_status, 'Error')
      assert.match((await api(ADMIN, 'GET', `/projects/scans/repositories/manual/artifacts/v1/scan/${ov.report_id}/log`)).body, /larger than/)
      adapter.reportBytes = 0
    })
  })
}
