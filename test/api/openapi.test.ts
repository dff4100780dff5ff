// The OpenAPI document: every /api/v2.0 route is in it, each with a summary, a tag and its
// responses; and the contract check that every in-process test runs really catches a mismatch.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createTestBerth, type TestBerth } from '../support/berth-app.js'
import { ApiContract } from '../support/api-contract.js'

describe('OpenAPI document', () => {
  let berth: TestBerth
  let doc: { openapi: string; paths: Record<string, Record<string, { summary?: string; tags?: string[]; responses?: Record<string, unknown> }>> }
  before(async () => {
    berth = await createTestBerth('sqlite')
    const res = await berth.app.inject({ method: 'GET', url: '/api/v2.0/openapi.json' })
    assert.equal(res.statusCode, 200)
    doc = res.json()
  })
  after(() => berth.destroy())

  const apiRoutes = () =>
    berth.routes.filter((r) => r.url.startsWith('/api/v2.0/') && !r.url.startsWith('/api/v2.0/docs') && r.url !== '/api/v2.0/openapi.json' && r.method !== 'HEAD')

  it('documents every /api/v2.0 route, and nothing that is not one', () => {
    const contract = new ApiContract(doc)
    const missing = apiRoutes().filter((r) => !contract.documents(r.method, r.url))
    assert.deepEqual(missing, [])
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
    const registered = new Set(apiRoutes().map((r) => `${r.method} ${r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`))
    assert.deepEqual(documented.filter((d) => !registered.has(d)), [])
    assert.ok(documented.length >= 40, `only ${documented.length} operations`)
  })

  it('every operation has a summary, a tag, a success response and the error body', () => {
    assert.match(doc.openapi, /^3\./)
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const where = `${method.toUpperCase()} ${path}`
        assert.ok(op.summary, `${where}: summary`)
        assert.equal(op.tags?.length, 1, `${where}: tag`)
        const statuses = Object.keys(op.responses ?? {})
        assert.ok(statuses.some((s) => /^2\d\d$/.test(s)), `${where}: success response`)
        assert.ok(statuses.includes('4XX') || statuses.includes('4xx'), `${where}: error response (${statuses})`)
      }
    }
  })

  it('the contract check rejects a body that does not match, and accepts one that does', () => {
    const contract = new ApiContract(doc)
    const user = { user_id: 1, username: 'a', email: '', realname: '', comment: '', sysadmin_flag: false, admin_role_in_auth: false, creation_time: 't', update_time: 't' }
    assert.equal(contract.check('GET', '/api/v2.0/users/:user_id', 200, JSON.stringify(user)), null)
    assert.match(contract.check('GET', '/api/v2.0/users/:user_id', 200, JSON.stringify({ ...user, user_id: 'one' }))!, /user_id/)
    assert.match(contract.check('GET', '/api/v2.0/users/:user_id', 200, JSON.stringify({ username: 'a' }))!, /required/)
    assert.equal(contract.check('GET', '/api/v2.0/users/:user_id', 404, JSON.stringify({ errors: [{ code: 'NOT_FOUND', message: 'x' }] })), null)
    assert.match(contract.check('GET', '/api/v2.0/users/:user_id', 404, JSON.stringify({ error: 'x' }))!, /errors/)
    assert.match(contract.check('DELETE', '/api/v2.0/users/:user_id', 200, '{"unexpected":true}')!, /none is documented/)
  })

  it('answers of this Berth match the document (the check runs on every in-process test)', async () => {
    for (const url of ['/api/v2.0/users', '/api/v2.0/users/current', '/api/v2.0/projects', '/api/v2.0/projects/library', '/api/v2.0/projects/library/repositories', '/api/v2.0/labels', '/api/v2.0/audit-logs', '/api/v2.0/users/999999']) {
      const res = await berth.app.inject({ method: 'GET', url, headers: { authorization: `Basic ${Buffer.from(`admin:${berth.config.admin.password}`).toString('base64')}` } })
      assert.notEqual(res.json().errors?.[0]?.code, 'CONTRACT_VIOLATION', `${url}: ${res.body}`)
      assert.ok(res.statusCode < 500, `${url}: ${res.statusCode}`)
    }
  })

  it('serves an interactive page', async () => {
    const res = await berth.app.inject({ method: 'GET', url: '/api/v2.0/docs/' })
    assert.equal(res.statusCode, 200)
    assert.match(String(res.headers['content-type']), /text\/html/)
    assert.match(res.body, /swagger/i)
  })

  it("compiles a route's schemas on its first request, and every schema of every route compiles", async () => {
    // A fresh server: the one above has served requests.
    const fresh = await createTestBerth('sqlite')
    try {
      await fresh.app.ready()
      const before = fresh.schemas.pendingCount
      assert.ok(before > 100, `only ${before} schemas waiting at start: are they compiled eagerly again?`)
      // A validated body: a bad one is refused with the field named, so its validator compiled and ran.
      const bad = await fresh.app.inject({
        method: 'POST',
        url: '/api/v2.0/projects',
        headers: { authorization: `Basic ${Buffer.from(`admin:${fresh.config.admin.password}`).toString('base64')}`, 'content-type': 'application/json' },
        payload: { project_name: 'lazy', surprise: 1 },
      })
      assert.equal(bad.statusCode, 400, bad.body)
      assert.match(bad.json().errors[0].message, /unknown field "surprise"/)
      assert.ok(fresh.schemas.pendingCount < before, 'the request compiled nothing')
      // What no request has needed yet still compiles: a broken schema fails here, not in production.
      fresh.schemas.compileAll()
      assert.equal(fresh.schemas.pendingCount, 0)
    } finally {
      await fresh.destroy()
    }
  })
})
