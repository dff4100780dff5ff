// Berth in ldap_auth mode against a real slapd: LDAP users sign in on /v2/, /service/token and
// the console; LDAP groups are project members; the admin group makes system administrators.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { basicAuth, createTestBerth, ADMIN_AUTH, type TestBerth } from '../support/berth-app.js'
import { missingSlapd, startSlapd, USERS, GROUPS_DN, type Slapd } from '../support/slapd.js'
import { pushImage, withAuthorization } from '../../src/http/oci/oci-test-support.js'
import { Value } from '@sinclair/typebox/value'
import { ConfigSchema, type Config } from '../../src/app/config.js'

describe('ldap_auth against slapd', { skip: missingSlapd() ?? false }, () => {
  let slapd: Slapd
  let berth: TestBerth
  const as = (user: keyof typeof USERS) => withAuthorization(berth.app, basicAuth(user, USERS[user].password))

  before(async () => {
    slapd = await startSlapd()
    const ldap = slapd.settings({ group_admin_dn: `cn=registry-admins,${GROUPS_DN}` })
    berth = await createTestBerth('sqlite', { auth: { ...createDefaults(), mode: 'ldap_auth', ldap } })
    const res = await berth.app.inject({ method: 'POST', url: '/api/v2.0/projects', headers: { authorization: ADMIN_AUTH }, payload: { project_name: 'team', metadata: { public: 'false' } } })
    assert.equal(res.statusCode, 201, res.body)
  })
  after(async () => {
    await berth?.destroy()
    await slapd?.stop()
  })

  it('an LDAP user signs in with Basic auth and is mirrored into the users table', async () => {
    const me = await as('alice').inject({ method: 'GET', url: '/api/v2.0/users/current' })
    assert.equal(me.statusCode, 200, me.body)
    assert.equal(me.json().username, 'alice')
    assert.equal(me.json().email, USERS.alice.mail)
    assert.equal(me.json().sysadmin_flag, false)
    const listed = await berth.app.inject({ method: 'GET', url: '/api/v2.0/users?q=username=alice', headers: { authorization: ADMIN_AUTH } })
    assert.equal(listed.json().length, 1)
  })

  it('a wrong LDAP password is 401, and the local admin still signs in', async () => {
    const res = await berth.app.inject({ method: 'GET', url: '/api/v2.0/users/current', headers: { authorization: basicAuth('alice', 'Wrong-Pass1') } })
    assert.equal(res.statusCode, 401)
    assert.equal((await berth.app.inject({ method: 'GET', url: '/api/v2.0/users/current', headers: { authorization: ADMIN_AUTH } })).statusCode, 200)
  })

  it('local accounts cannot be created, and LDAP users change their password in LDAP', async () => {
    const res = await berth.app.inject({ method: 'POST', url: '/api/v2.0/users', headers: { authorization: ADMIN_AUTH }, payload: { username: 'local', password: 'Local-Passw0rd' } })
    assert.equal(res.statusCode, 412)
    const me = (await as('alice').inject({ method: 'GET', url: '/api/v2.0/users/current' })).json()
    const pw = await as('alice').inject({ method: 'PUT', url: `/api/v2.0/users/${me.user_id}/password`, payload: { old_password: USERS.alice.password, new_password: 'Other-Passw0rd' } })
    assert.equal(pw.statusCode, 412)
  })

  it('a member of the admin group is a system administrator', async () => {
    const me = await as('carol').inject({ method: 'GET', url: '/api/v2.0/users/current' })
    assert.equal(me.json().admin_role_in_auth, true)
    assert.equal((await as('carol').inject({ method: 'GET', url: '/api/v2.0/users' })).statusCode, 200)
    assert.equal((await as('alice').inject({ method: 'GET', url: '/api/v2.0/users' })).statusCode, 403)
  })

  it('an LDAP group made Developer lets its members push, through Basic auth and through tokens', async () => {
    const bobPull = await as('bob').inject({ method: 'GET', url: '/v2/team/app/tags/list' })
    assert.equal(bobPull.statusCode, 403)
    const added = await berth.app.inject({
      method: 'POST',
      url: '/api/v2.0/projects/team/members',
      headers: { authorization: ADMIN_AUTH },
      payload: { role_id: 2, member_group: { ldap_group_dn: `cn=developers,${GROUPS_DN}` } },
    })
    assert.equal(added.statusCode, 201, added.body)
    const members = (await berth.app.inject({ method: 'GET', url: '/api/v2.0/projects/team/members', headers: { authorization: ADMIN_AUTH } })).json()
    assert.ok(members.some((m: { entity_type: string; entity_name: string }) => m.entity_type === 'g' && m.entity_name === 'developers'))
    // bob is in cn=developers; carol is not (she is an administrator through the admin group).
    await pushImage(as('bob'), 'team/app', 'v1', 'ldap-bob')
    const token = await as('bob').inject({ method: 'GET', url: '/service/token?service=berth-registry&scope=repository:team/app:pull,push,delete' })
    const payload = JSON.parse(Buffer.from(token.json().token.split('.')[1], 'base64url').toString('utf8'))
    assert.deepEqual(payload.access[0].actions.sort(), ['pull', 'push'])
    const viaToken = await berth.app.inject({ method: 'GET', url: '/v2/team/app/tags/list', headers: { authorization: `Bearer ${token.json().token}` } })
    assert.deepEqual(viaToken.json().tags, ['v1'])
  })

  it('a group outside the group base is refused as a member', async () => {
    const res = await berth.app.inject({
      method: 'POST',
      url: '/api/v2.0/projects/team/members',
      headers: { authorization: ADMIN_AUTH },
      payload: { role_id: 3, member_group: { ldap_group_dn: 'cn=developers,dc=elsewhere,dc=test' } },
    })
    assert.equal(res.statusCode, 404)
  })

  it('the console session of an LDAP user works', async () => {
    const login = await berth.app.inject({
      method: 'POST',
      url: '/c/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `principal=alice&password=${encodeURIComponent(USERS.alice.password)}`,
    })
    assert.equal(login.statusCode, 200, login.body)
    const sid = login.cookies.find((c) => c.name === 'sid')!.value
    const me = await berth.app.inject({ method: 'GET', url: '/api/v2.0/users/current', cookies: { sid } })
    assert.equal(me.json().username, 'alice')
  })

  it('an unreachable directory is a server error, never a wrong password or a fallback', async (ctx) => {
    const ldap = slapd.settings({ url: 'ldap://127.0.0.1:1', timeout_seconds: 1 })
    const down = await createTestBerth('sqlite', { auth: { ...createDefaults(), mode: 'ldap_auth', ldap } })
    ctx.after(() => down.destroy())
    const res = await down.app.inject({ method: 'GET', url: '/api/v2.0/users/current', headers: { authorization: basicAuth('alice', USERS.alice.password) } })
    assert.equal(res.statusCode, 500)
    assert.equal(res.json().errors[0].code, 'INTERNAL_SERVER_ERROR')
  })
})

/** The default auth settings, so a patch can replace the whole `auth` object. */
function createDefaults(): Config['auth'] {
  return (Value.Default(ConfigSchema, {}) as Config).auth
}
