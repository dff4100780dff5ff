// Harbor's read-only mode (PUT /api/v2.0/configurations {"read_only": true}) through app.inject()
// on both databases: only system administrators switch it; systeminfo and /configurations show
// it; while on, every write route of /api/v2.0 and every write of /v2/ (uploads, mounts, manifest
// PUT and DELETE, blob DELETE) is refused with Harbor's 403 DENIED and message, anonymous or not,
// while reads, console sign-in and the switch itself go on; jobs that change content wait and run
// once it is off; and switched off, writes work again.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ADMIN_AUTH, basicAuth, TEST_ADMIN_PASSWORD } from '../../../test/support/berth-app.js'
import { DIALECTS, dialectSkip } from '../../../test/support/databases.js'
import { READ_ONLY_MESSAGE } from '../../lib/errors.js'
import { header, pushBlob, pushImage, sha256, startUpload, useBerth, withQuery, type Response } from '../oci/oci-test-support.js'
import { assertStatus, checkResponse } from './api-test-support.js'

const BASE = '/api/v2.0'
const PASSWORD = 'ReadOnly-Passw0rd'
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS'])

type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/** Harbor's answer to a write while read-only, on the API. */
function assertReadOnly(res: Response, what: string): void {
  assertStatus(res, 403, what)
  checkResponse(res, what)
  assert.deepEqual(res.json(), { errors: [{ code: 'DENIED', message: READ_ONLY_MESSAGE }] }, what)
}

/** The same on /v2/: the distribution spec's body with the code DENIED. */
function assertOciReadOnly(res: Response, what: string): void {
  assertStatus(res, 403, what)
  assert.equal(header(res, 'docker-distribution-api-version'), 'registry/2.0', what)
  assert.deepEqual(res.json(), { errors: [{ code: 'DENIED', message: READ_ONLY_MESSAGE }] }, what)
}

for (const dialect of DIALECTS) {
  describe(`read-only mode (${dialect})`, await dialectSkip(dialect), () => {
    const t = useBerth(dialect)
    const send = (authorization: string | undefined, method: Method, url: string, payload?: unknown, headers: Record<string, string> = {}): Promise<Response> =>
      t.anonymous.inject({ method, url, headers: { ...headers, ...(authorization === undefined ? {} : { authorization }) }, ...(payload === undefined ? {} : { payload: payload as object }) }) as Promise<Response>
    const api = (authorization: string | undefined, method: Method, path: string, payload?: unknown) => send(authorization, method, `${BASE}${path}`, payload)
    const setReadOnly = async (on: boolean) => assertStatus(await api(ADMIN_AUTH, 'PUT', '/configurations', { read_only: on }), 200, `read_only ${on}`)
    const info = async (authorization: string) => (await api(authorization, 'GET', '/systeminfo')).json() as { read_only?: boolean }

    it('only a system administrator switches it; systeminfo and /configurations show it', async () => {
      assertStatus(await api(ADMIN_AUTH, 'POST', '/users', { username: 'owner', password: PASSWORD, email: 'owner@example.com', realname: 'owner' }), 201)
      assertStatus(await api(ADMIN_AUTH, 'POST', '/users', { username: 'plain', password: PASSWORD, email: 'plain@example.com', realname: 'plain' }), 201)
      assertStatus(await api(basicAuth('owner', PASSWORD), 'POST', '/projects', { project_name: 'owned', metadata: { public: 'false' } }), 201)
      const who: [string, string | undefined, number][] = [
        ['anonymous', undefined, 401],
        ['a user', basicAuth('plain', PASSWORD), 403],
        ['a project admin', basicAuth('owner', PASSWORD), 403],
      ]
      for (const [name, auth, status] of who) {
        const res = await api(auth, 'PUT', '/configurations', { read_only: true })
        assertStatus(res, status, name)
        checkResponse(res, name)
      }
      assert.equal((await info(ADMIN_AUTH)).read_only, false)
      for (const bad of ['true', 1, null]) assertStatus(await api(ADMIN_AUTH, 'PUT', '/configurations', { read_only: bad }), 400, `read_only ${JSON.stringify(bad)}`)
      await setReadOnly(true)
      assert.equal((await info(ADMIN_AUTH)).read_only, true)
      assert.equal((await info(basicAuth('plain', PASSWORD))).read_only, true, 'any signed-in user sees it (the console shows a banner)')
      assert.deepEqual(((await api(ADMIN_AUTH, 'GET', '/configurations')).json() as Record<string, unknown>).read_only, { value: true, editable: true })
      // Anonymous callers get what a login page needs, as in Harbor: not this.
      assert.equal((await info(undefined as unknown as string)).read_only, undefined)
      await setReadOnly(false)
    })

    it('while on, every write route of the API is refused with Harbor 403 DENIED, whoever asks, before the body is looked at', async () => {
      await setReadOnly(true)
      const writes = t.berth.routes.filter((r) => r.url.startsWith(`${BASE}/`) && !SAFE.has(r.method) && !(r.method === 'PUT' && r.url === `${BASE}/configurations`))
      assert.ok(writes.length > 50, `only ${writes.length} write routes found`)
      for (const r of writes) {
        const url = r.url.replace(/:[a-z_]+/g, '1').replace(/\*$/, 'x')
        for (const auth of [ADMIN_AUTH, undefined]) assertReadOnly(await send(auth, r.method as Method, url, {}), `${r.method} ${r.url} as ${auth === undefined ? 'anonymous' : 'admin'}`)
      }
      // A write to no route at all is refused the same way (nothing is told about what exists).
      assertReadOnly(await api(ADMIN_AUTH, 'PATCH', '/no/such/route', {}), 'PATCH unknown')
      await setReadOnly(false)
    })

    it('while on, every write of /v2/ is refused with DENIED; pulls, the catalog and tokens go on', async () => {
      const image = await pushImage(t.app, 'library/ro', 'v1', `ro-${dialect}`)
      const layer = image.layers[0]!.digest
      const upload = await startUpload(t.app, 'library/ro')
      await setReadOnly(true)
      const blob = Buffer.from(`blob while read-only ${dialect}`)
      const v2Writes: [Method, string, Buffer | string | undefined, Record<string, string>][] = [
        ['POST', '/v2/library/ro/blobs/uploads/', undefined, { 'content-length': '0' }],
        ['POST', `/v2/library/ro/blobs/uploads/?digest=${sha256(blob)}`, blob, { 'content-type': 'application/octet-stream' }],
        ['POST', `/v2/library/other/blobs/uploads/?mount=${layer}&from=library/ro`, undefined, { 'content-length': '0' }],
        ['PATCH', upload, blob, { 'content-type': 'application/octet-stream' }],
        ['PUT', withQuery(upload, { digest: sha256(blob) }), blob, { 'content-type': 'application/octet-stream' }],
        ['DELETE', upload, undefined, {}],
        ['PUT', '/v2/library/ro/manifests/v2', image.text, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }],
        ['DELETE', `/v2/library/ro/manifests/${image.digest}`, undefined, {}],
        ['DELETE', '/v2/library/ro/manifests/v1', undefined, {}],
        ['DELETE', `/v2/library/ro/blobs/${layer}`, undefined, {}],
      ]
      for (const [method, url, body, headers] of v2Writes) {
        for (const auth of [ADMIN_AUTH, undefined]) {
          const res = (await t.anonymous.inject({ method, url, headers: { ...headers, ...(auth === undefined ? {} : { authorization: auth }) }, ...(body === undefined ? {} : { payload: body }) })) as Response
          assertOciReadOnly(res, `${method} ${url} as ${auth === undefined ? 'anonymous' : 'admin'}`)
        }
      }
      // Reads go on.
      assertStatus((await t.app.inject({ method: 'GET', url: '/v2/library/ro/manifests/v1', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })) as Response, 200)
      assertStatus((await t.app.inject({ method: 'HEAD', url: `/v2/library/ro/manifests/${image.digest}`, headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })) as Response, 200)
      assertStatus((await t.app.inject({ method: 'GET', url: `/v2/library/ro/blobs/${layer}` })) as Response, 200)
      assertStatus((await t.app.inject({ method: 'GET', url: '/v2/_catalog' })) as Response, 200)
      assertStatus((await t.app.inject({ method: 'GET', url: '/v2/library/ro/tags/list' })) as Response, 200)
      assertStatus((await t.app.inject({ method: 'GET', url: `${upload}` })) as Response, 204)
      assertStatus((await send(ADMIN_AUTH, 'GET', '/service/token?service=berth-registry&scope=repository:library/ro:pull')) as Response, 200)
      // Nothing changed: the tag is still there, the upload still open, nothing was written to `other`.
      assertStatus((await t.app.inject({ method: 'GET', url: '/v2/library/ro/manifests/v1', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })) as Response, 200)
      assertStatus((await t.app.inject({ method: 'HEAD', url: `/v2/library/other/blobs/${layer}` })) as Response, 404)
      await setReadOnly(false)
    })

    it('while on, API reads, console sign-in and the configurations PUT go on', async () => {
      await setReadOnly(true)
      for (const path of ['/projects', '/projects/library', '/projects/library/repositories', '/users/current', '/audit-logs', '/statistics', '/system/gc', '/configurations', '/health']) {
        assertStatus(await api(ADMIN_AUTH, 'GET', path), 200, `GET ${path}`)
      }
      const login = await t.anonymous.inject({ method: 'POST', url: '/c/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ principal: 'admin', password: TEST_ADMIN_PASSWORD }).toString() })
      assertStatus(login as Response, 200, 'sign in')
      // Another setting changes too: Harbor lets the whole configurations PUT through.
      assertStatus(await api(ADMIN_AUTH, 'PUT', '/configurations', { banner_message: 'maintenance until noon' }), 200)
      assertStatus(await api(ADMIN_AUTH, 'PUT', '/configurations', { banner_message: '' }), 200)
      await setReadOnly(false)
    })

    it('switched off, writes work again', async () => {
      await setReadOnly(true)
      assertReadOnly(await api(ADMIN_AUTH, 'POST', '/projects', { project_name: 'after-ro', metadata: { public: 'false' } }), 'POST /projects while on')
      await setReadOnly(false)
      assertStatus(await api(ADMIN_AUTH, 'POST', '/projects', { project_name: 'after-ro', metadata: { public: 'false' } }), 201, 'POST /projects after')
      await pushBlob(t.app, 'after-ro/app', 'bytes after read-only')
      await pushImage(t.app, 'after-ro/app', 'v1', `after-${dialect}`)
      assertStatus((await t.app.inject({ method: 'DELETE', url: '/v2/after-ro/app/manifests/v1' })) as Response, 202)
    })

    it('a garbage collection that comes due while read-only waits, and runs once it is off', async () => {
      await setReadOnly(true)
      // What a schedule's firing does: enqueue the schedule job, which starts a run.
      await t.berth.jobs.enqueue({ type: 'GARBAGE_COLLECTION_SCHEDULE', payload: { type: 'Custom', parameters: { dry_run: true } } })
      type Run = { id: number; job_status: string }
      const runs = async () => (await api(ADMIN_AUTH, 'GET', '/system/gc')).json() as Run[]
      let run: Run | undefined
      for (const until = Date.now() + 20_000; run === undefined && Date.now() < until; ) {
        run = (await runs())[0]
        if (run === undefined) await new Promise((r) => setTimeout(r, 100))
      }
      assert.ok(run !== undefined, 'the schedule started a run')
      // Its task stays pending while workers keep polling (they claimed the schedule's job meanwhile).
      const task = async () => {
        const [first] = (await t.berth.executions.tasks.list(run!.id, { conditions: [], sort: [], page: 1, pageSize: 1 })).items
        return first?.jobId == null ? null : t.berth.jobs.jobs.get(first.jobId)
      }
      await new Promise((r) => setTimeout(r, 2_500))
      assert.equal((await task())?.state, 'pending')
      assert.notEqual((await runs()).find((r) => r.id === run!.id)?.job_status, 'Success')
      await setReadOnly(false)
      let status = ''
      for (const until = Date.now() + 30_000; status !== 'Success' && Date.now() < until; ) {
        status = (await runs()).find((r) => r.id === run!.id)?.job_status ?? ''
        if (status !== 'Success') await new Promise((r) => setTimeout(r, 100))
      }
      assert.equal(status, 'Success')
    })
  })
}
