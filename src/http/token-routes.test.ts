// /service/token in process: scopes, grants, errors and the challenges /v2/ answers with.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { DIALECTS, dialectSkip } from '../../test/support/databases.js'
import { basicAuth } from '../../test/support/berth-app.js'
import { useBerth, pushImage } from './oci/oci-test-support.js'
import { parseScope } from './token-routes.js'

function claims(token: string): { access: { type: string; name: string; actions: string[] }[]; sub: string; exp: number; iat: number } {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'))
}

describe('parseScope', () => {
  it('reads type, name and actions, and drops a resource class', () => {
    assert.deepEqual(parseScope('repository:team/app:pull,push'), { type: 'repository', name: 'team/app', actions: ['pull', 'push'] })
    assert.deepEqual(parseScope('repository(plugin):team/app:pull'), { type: 'repository', name: 'team/app', actions: ['pull'] })
    assert.deepEqual(parseScope('registry:catalog:*'), { type: 'registry', name: 'catalog', actions: ['*'] })
    assert.equal(parseScope('repository:pull'), null)
    assert.equal(parseScope('nonsense'), null)
    assert.equal(parseScope('repository::pull'), null)
  })
})

for (const dialect of DIALECTS) {
  describe(`token service (${dialect})`, await dialectSkip(dialect), () => {
    const t = useBerth(dialect)

    it('grants several scopes at once, each to what the caller holds', async () => {
      await pushImage(t.app, 'library/tok', 'v1', 'token-routes')
      const res = await t.app.inject({ method: 'GET', url: '/service/token?service=berth-registry&scope=repository:library/tok:pull,push&scope=repository:nope/x:pull&scope=registry:catalog:*' })
      assert.equal(res.statusCode, 200, res.body)
      assert.equal(res.headers['cache-control'], 'no-store')
      const body = res.json()
      assert.equal(body.token, body.access_token)
      assert.equal(body.expires_in, 1800)
      const c = claims(body.token)
      assert.equal(c.sub, 'admin')
      assert.equal(c.exp - c.iat, 1800)
      assert.deepEqual(c.access, [
        { type: 'repository', name: 'library/tok', actions: ['pull', 'push'] },
        { type: 'repository', name: 'nope/x', actions: [] },
        { type: 'registry', name: 'catalog', actions: ['*'] },
      ])
      const anon = claims((await t.anonymous.inject({ method: 'GET', url: '/service/token?scope=repository:library/tok:pull,push&scope=registry:catalog:*' })).json().token)
      assert.deepEqual(anon.access, [
        { type: 'repository', name: 'library/tok', actions: ['pull'] },
        { type: 'registry', name: 'catalog', actions: [] },
      ])
    })

    it('bad requests: unknown service, malformed scope, too many scopes', async () => {
      const bad = async (url: string) => {
        const res = await t.app.inject({ method: 'GET', url })
        assert.equal(res.statusCode, 400, url)
        assert.equal(res.json().errors[0].code, 'BAD_REQUEST')
      }
      await bad('/service/token?service=other-registry&scope=repository:library/tok:pull')
      await bad('/service/token?scope=repository-only')
      await bad(`/service/token?${Array.from({ length: 51 }, (_, i) => `scope=repository:library/r${i}:pull`).join('&')}`)
    })

    it('wrong credentials are 401 with a Basic challenge, malformed ones too', async () => {
      for (const authorization of [basicAuth('admin', 'Wrong-Passw0rd'), 'Basic !!!', 'Digest abc']) {
        const res = await t.anonymous.inject({ method: 'GET', url: '/service/token?scope=repository:library/tok:pull', headers: { authorization } })
        assert.equal(res.statusCode, 401, authorization)
        assert.equal(res.headers['www-authenticate'], 'Basic realm="berth"')
        assert.equal(res.json().errors[0].code, 'UNAUTHORIZED')
      }
    })

    it('/v2/ tells an invalid token (invalid_token) from one without the scope (insufficient_scope)', async () => {
      const garbage = await t.anonymous.inject({ method: 'GET', url: '/v2/library/tok/tags/list', headers: { authorization: 'Bearer abc.def.ghi' } })
      assert.equal(garbage.statusCode, 401)
      assert.match(String(garbage.headers['www-authenticate']), /error="invalid_token"/)
      const pullOnly = (await t.anonymous.inject({ method: 'GET', url: '/service/token?scope=repository:library/tok:pull' })).json().token
      const ok = await t.anonymous.inject({ method: 'GET', url: '/v2/library/tok/tags/list', headers: { authorization: `Bearer ${pullOnly}` } })
      assert.deepEqual(ok.json().tags, ['v1'])
      const push = await t.anonymous.inject({ method: 'POST', url: '/v2/library/tok/blobs/uploads/', headers: { authorization: `Bearer ${pullOnly}` } })
      assert.equal(push.statusCode, 401)
      assert.equal(push.headers['www-authenticate'], `Bearer realm="http://localhost:80/service/token",service="berth-registry",scope="repository:library/tok:pull,push",error="insufficient_scope"`)
      const catalog = await t.anonymous.inject({ method: 'GET', url: '/v2/_catalog', headers: { authorization: `Bearer ${pullOnly}` } })
      assert.equal(catalog.statusCode, 401)
      assert.match(String(catalog.headers['www-authenticate']), /scope="registry:catalog:\*",error="insufficient_scope"/)
    })

    it('a catalog token lists what its holder may pull', async () => {
      const token = (await t.app.inject({ method: 'GET', url: '/service/token?scope=registry:catalog:*' })).json().token
      const res = await t.anonymous.inject({ method: 'GET', url: '/v2/_catalog', headers: { authorization: `Bearer ${token}` } })
      assert.ok((res.json().repositories as string[]).includes('library/tok'))
    })
  })
}
