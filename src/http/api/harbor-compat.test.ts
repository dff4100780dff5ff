// What Harbor's own clients send: whole robots PUT back, chosen robot secrets, and client addresses in the audit log.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { DIALECTS, dialectSkip } from '../../../test/support/databases.js'
import { basicAuth } from '../../../test/support/berth-app.js'
import { useBerth } from '../oci/oci-test-support.js'

const perms = [{ kind: 'project', namespace: 'library', access: [{ resource: 'repository', action: 'pull' }] }]

for (const dialect of DIALECTS) {
  describe(`Harbor client habits (${dialect})`, await dialectSkip(dialect), () => {
    const t = useBerth(dialect)

    it('a robot created with a chosen secret signs in with it; a weak one is refused', async () => {
      const weak = await t.app.inject({ method: 'POST', url: '/api/v2.0/robots', payload: { name: 'weak', level: 'project', duration: -1, secret: 'short', permissions: perms } })
      assert.equal(weak.statusCode, 400)
      const res = await t.app.inject({ method: 'POST', url: '/api/v2.0/robots', payload: { name: 'chosen', level: 'project', duration: -1, secret: 'Chosen-Secret1', permissions: perms } })
      assert.equal(res.statusCode, 201, res.body)
      assert.equal(res.json().secret, 'Chosen-Secret1')
      const me = await t.anonymous.inject({ method: 'GET', url: '/v2/', headers: { authorization: basicAuth('robot$library+chosen', 'Chosen-Secret1') } })
      assert.equal(me.statusCode, 200)
    })

    it('PUT of the whole robot as GET returned it is accepted; its read-only fields change nothing', async () => {
      const created = (await t.app.inject({ method: 'POST', url: '/api/v2.0/robots', payload: { name: 'roundtrip', level: 'project', duration: 30, permissions: perms } })).json()
      const robot = (await t.app.inject({ method: 'GET', url: `/api/v2.0/robots/${created.id}` })).json()
      const res = await t.app.inject({ method: 'PUT', url: `/api/v2.0/robots/${created.id}`, payload: { ...robot, description: 'changed', expires_at: 1, id: 999_999, editable: false } })
      assert.equal(res.statusCode, 200, res.body)
      const after = (await t.app.inject({ method: 'GET', url: `/api/v2.0/robots/${created.id}` })).json()
      assert.equal(after.description, 'changed')
      assert.equal(after.id, created.id)
      assert.equal(after.expires_at, robot.expires_at)
      const unknown = await t.app.inject({ method: 'PUT', url: `/api/v2.0/robots/${created.id}`, payload: { level: 'system', secret_hash: 'x' } })
      assert.equal(unknown.statusCode, 400)
    })

    it('API changes are audited with the client address', async () => {
      await t.app.inject({ method: 'POST', url: '/api/v2.0/projects', payload: { project_name: 'audited' }, remoteAddress: '192.0.2.7' })
      const logs = (await t.app.inject({ method: 'GET', url: '/api/v2.0/audit-logs?q=resource_type=project,resource=audited' })).json()
      assert.equal(logs.length, 1)
      assert.deepEqual([logs[0].operation, logs[0].username, logs[0].client_ip], ['create', 'admin', '192.0.2.7'])
    })
  })
}

describe('behind a load balancer (http.trust_proxy)', async () => {
  const trusting = useBerth('sqlite', { http: { trust_proxy: '10.0.0.0/8' } })
  const audited = async (app: typeof trusting.app, remoteAddress: string, project: string) => {
    await app.inject({ method: 'POST', url: '/api/v2.0/projects', payload: { project_name: project }, remoteAddress, headers: { 'x-forwarded-for': '203.0.113.9' } })
    const logs = (await app.inject({ method: 'GET', url: `/api/v2.0/audit-logs?q=resource=${project}` })).json()
    return logs[0].client_ip as string
  }

  it('believes X-Forwarded-For from a trusted proxy only', async () => {
    assert.equal(await audited(trusting.app, '10.1.2.3', 'via-proxy'), '203.0.113.9')
    assert.equal(await audited(trusting.app, '192.0.2.50', 'not-a-proxy'), '192.0.2.50')
  })
})
