// The API router's request guards: callers resolved before anything else (401 for routes that
// need one, ahead of validation), and JSON bodies bounded per route, on both dialects.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { InjectOptions } from 'fastify'
import { ADMIN_AUTH, createTestBerth, type TestBerth } from '../../../test/support/berth-app.js'
import { DIALECTS, dialectSkip } from '../../../test/support/databases.js'
import type { Response } from '../oci/oci-test-support.js'
import { assertError, assertStatus, checkResponse } from './api-test-support.js'
import { API, DEFAULT_BODY_LIMIT } from './router.js'

/** The routes that answer callers without credentials; every other route needs a caller. */
const ANONYMOUS_ROUTES = new Set([
  'GET /ping',
  'GET /health',
  'GET /systeminfo',
  'GET /search',
  'GET /projects',
  'GET /projects/:project',
  'GET /projects/:project/summary',
  'GET /projects/:project_name/repositories',
  'GET /projects/:project_name/repositories/:repository_name',
  'GET /projects/:project_name/repositories/:repository_name/artifacts',
  'GET /projects/:project_name/repositories/:repository_name/artifacts/:reference',
  'GET /projects/:project_name/repositories/:repository_name/artifacts/:reference/tags',
  'GET /projects/:project_name/repositories/:repository_name/artifacts/:reference/additions/:addition',
  'GET /projects/:project_name/repositories/:repository_name/artifacts/:reference/accessories',
  'GET /projects/:project_name/repositories/:repository_name/artifacts/:reference/additions/vulnerabilities',
  'GET /projects/:project/trusted-keys',
  'GET /projects/:project/trusted-keys/:key_id',
  'GET /labels',
  'GET /labels/:label_id',
  'POST /users',
])

/** Routes under /api/v2.0 that are not API resources (the OpenAPI document and its viewer). */
const NOT_API = /^\/(docs|openapi\.json)/

/** A concrete URL for a route template: the public `library` project, a repository x, ids 1. */
function urlOf(template: string): string {
  return template
    .replace(/:project_name|:project\b/g, 'library')
    .replace(':repository_name', 'x')
    .replace(':reference', 'latest')
    .replace(/:[a-z_]+/g, '1')
}

/** A JSON body of exactly `size` bytes: `doc` padded with whitespace. */
function padded(doc: object, size: number): string {
  const text = JSON.stringify(doc)
  assert.ok(text.length + 2 <= size)
  return `${text.slice(0, -1)}${' '.repeat(size - text.length)}}`
}

for (const dialect of DIALECTS) {
  describe(`API router guards (${dialect})`, await dialectSkip(dialect), () => {
    let berth: TestBerth
    before(async () => {
      berth = await createTestBerth(dialect)
    })
    after(() => berth?.destroy())

    const send = async (o: InjectOptions): Promise<Response> => {
      const res = (await berth.app.inject(o)) as Response
      if (o.method !== 'HEAD') checkResponse(res, `${o.method} ${o.url}`)
      return res
    }
    const admin = (method: InjectOptions['method'], path: string, payload: string | object) =>
      send({ method, url: `${API}${path}`, headers: { authorization: ADMIN_AUTH, 'content-type': 'application/json' }, payload })

    const apiRoutes = () =>
      berth.routes
        .filter((r) => r.url.startsWith(`${API}/`) && !NOT_API.test(r.url.slice(API.length)))
        .map((r) => ({ method: r.method, path: r.url.slice(API.length) }))

    it('every route that needs a caller answers 401 to anonymous callers, before validating query or body', async () => {
      const guarded = apiRoutes().filter((r) => !ANONYMOUS_ROUTES.has(`${r.method} ${r.path}`))
      assert.ok(guarded.length > 50, `only ${guarded.length} routes`)
      for (const r of guarded) {
        const withBody = ['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method)
        const res = await send({
          method: r.method as InjectOptions['method'],
          url: `${API}${urlOf(r.path)}`,
          ...(withBody ? { headers: { 'content-type': 'application/json' }, payload: '{"not valid json' } : {}),
        })
        assert.equal(res.statusCode, 401, `${r.method} ${r.path}: ${res.statusCode} ${res.body.slice(0, 200)}`)
        if (r.method !== 'HEAD') assert.equal(res.json().errors[0].code, 'UNAUTHORIZED', `${r.method} ${r.path}`)
      }
    })

    it('the routes declared anonymous answer anonymous callers', async () => {
      const declared = apiRoutes().filter((r) => ANONYMOUS_ROUTES.has(`${r.method} ${r.path}`))
      assert.equal(declared.length, ANONYMOUS_ROUTES.size, 'every route of the list exists')
      for (const r of declared.filter((x) => x.method === 'GET')) {
        const query = r.path === '/search' ? '?q=lib' : r.path === '/labels' ? '?scope=p&project_id=1' : ''
        const res = await send({ method: 'GET', url: `${API}${urlOf(r.path)}${query}` })
        assert.notEqual(res.statusCode, 401, `${r.method} ${r.path}: ${res.body.slice(0, 200)}`)
      }
      // Self-registration: anonymous, when the setting allows it.
      assertStatus(await admin('PUT', '/configurations', { self_registration: true }), 200)
      const res = await send({
        method: 'POST',
        url: `${API}/users`,
        headers: { 'content-type': 'application/json' },
        payload: { username: 'newcomer', password: 'Newcomer-Passw0rd', email: 'newcomer@example.com', realname: 'New Comer' },
      })
      assertStatus(res, 201, 'self-registration')
      assertStatus(await admin('PUT', '/configurations', { self_registration: false }), 200)
    })

    it('a body over the route limit is 413 in Harbor format; one just under it works', async () => {
      const over = await admin('POST', '/projects', padded({ project_name: 'padded-over' }, DEFAULT_BODY_LIMIT + 1))
      assertStatus(over, 413, 'over the limit')
      const e = over.json().errors[0]
      assert.equal(e.code, 'BAD_REQUEST')
      assert.match(e.message, new RegExp(`larger than ${DEFAULT_BODY_LIMIT} bytes`))
      assertStatus(await admin('POST', '/projects', padded({ project_name: 'padded-under' }, DEFAULT_BODY_LIMIT)), 201, 'at the limit')
    })

    it('robot bodies may be larger: up to 256 permissions', async () => {
      const body = {
        name: 'wide',
        level: 'system',
        duration: -1,
        permissions: [{ kind: 'project', namespace: 'library', access: [{ resource: 'repository', action: 'pull' }] }],
      }
      const res = await admin('POST', '/robots', padded(body, 4 * DEFAULT_BODY_LIMIT))
      assertStatus(res, 201, 'a 256 KiB robot body')
    })

    it('an optional body is documented as an optional requestBody and checked by its handler, not the router', async () => {
      const doc = (await send({ method: 'GET', url: `${API}/openapi.json` })).json() as { paths: Record<string, Record<string, { requestBody?: { required?: boolean; content: Record<string, { schema: { properties: Record<string, { anyOf: { enum: string[] }[] }> } }> } }>> }
      const artifact = `${API}/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}`
      const scan = doc.paths[`${artifact}/scan`]?.post
      assert.equal(scan?.requestBody?.required, false)
      assert.deepEqual(scan?.requestBody?.content['application/json']?.schema.properties.scan_type?.anyOf.flatMap((a) => a.enum), ['vulnerability', 'sbom'])
      assert.equal(doc.paths[`${artifact}/scan/stop`]?.post?.requestBody?.required, true, 'a declared body stays required')
      assert.doesNotMatch(JSON.stringify(doc), /x-optional-body/)
      const scanOf = (payload?: object) => send({ method: 'POST', url: `${API}/projects/library/repositories/x/artifacts/latest/scan`, headers: { authorization: ADMIN_AUTH, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(payload !== undefined ? { payload } : {}) })
      // No body, or an empty one, passes the router: the missing artifact (or scanner) is what answers.
      assertError(await scanOf(), 404, 'NOT_FOUND')
      assertError(await scanOf({}), 404, 'NOT_FOUND')
      const bad = await scanOf({ scan_type: 'malware' })
      assertError(bad, 400, 'BAD_REQUEST')
      assert.match(bad.json().errors[0].message, /scan_type must be vulnerability or sbom/)
      const unknown = await scanOf({ scan_type: 'sbom', extra: 1 })
      assertError(unknown, 400, 'BAD_REQUEST')
      assert.match(unknown.json().errors[0].message, /unknown field "extra"/)
    })

    it('console login bodies are bounded too', async () => {
      const res = await send({ method: 'POST', url: '/c/login', headers: { 'content-type': 'application/json' }, payload: padded({ principal: 'admin', password: 'x' }, 32 << 10) })
      assertError(res, 413, 'BAD_REQUEST', 'a 32 KiB login')
    })
  })
}
