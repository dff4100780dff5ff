// /api/v2.0 identity endpoints (users, projects, members, robots, audit logs) and the console's
// /c/login and /c/log_out, end to end through app.inject() on both database dialects.
//
// Speed: a password hash costs ~100 ms, and every change that may alter what credentials grant
// empties the Basic-auth cache. So the users are created once per suite (in parallel) and most
// requests use console sessions (cookie + CSRF header), which cost no hash; Basic auth is used
// where it is what is being tested.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { before, describe, it } from 'node:test'
import type { InjectOptions } from 'fastify'
import { ADMIN_AUTH, TEST_ADMIN_PASSWORD, basicAuth } from '../../../test/support/berth-app.js'
import { DIALECTS, dialectSkip } from '../../../test/support/databases.js'
import { ROBOT_GRANTABLE, SYSTEM_GRANTABLE } from '../../auth/permissions.js'
import { header, pushImage, useBerth, type App, type Response } from '../oci/oci-test-support.js'
import { assertError, assertStatus, checkResponse, idFromLocation, linkRels, totalOf } from './api-test-support.js'

const API = '/api/v2.0'
const PASSWORD = 'Berth-Test-Passw0rd'

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
/** A parsed response body: the tests read fields by name and assert their values. */
type Json = any

/** Who sends a request: the headers that authenticate it (none for anonymous). */
interface Actor {
  name: string
  id: number
  headers: Record<string, string>
}

const ANON: Actor = { name: 'anonymous', id: 0, headers: {} }

function basicActor(name: string, password: string, id = 0): Actor {
  return { name, id, headers: { authorization: basicAuth(name, password) } }
}


/** Every key of a JSON value, recursively. */
function keysOf(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) for (const x of v) keysOf(x, out)
  else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      out.push(k)
      keysOf(x, out)
    }
  }
  return out
}

/**
 * What holds for every response: a request id; errors in Harbor's body format; no password
 * field, hash or scrypt string anywhere.
 */
function checkInvariants(res: Response, what: string): void {
  assert.ok(!res.body.includes('scrypt$'), `${what}: a password hash in the body: ${res.body.slice(0, 300)}`)
  let body: unknown
  if (res.body !== '' && /json/.test(header(res, 'content-type') ?? '')) {
    body = res.json()
    const bad = keysOf(body).filter((k) => /password|hash/i.test(k))
    assert.deepEqual(bad, [], `${what}: forbidden keys in ${res.body.slice(0, 300)}`)
  }
  checkResponse(res, what, body)
}

function byteSorted(xs: string[]): string[] {
  return [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
}

/** Request helpers over one test Berth. */
function clientOf(get: () => App) {
  async function inject(opts: InjectOptions, what: string): Promise<Response> {
    const res = (await get().inject(opts)) as Response
    checkInvariants(res, what)
    return res
  }
  /** A request under /api/v2.0 as `who`. */
  function api(who: Actor, method: Method, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return inject(
      { method, url: `${API}${path}`, headers: { ...who.headers, ...headers }, ...(body !== undefined ? { payload: body as InjectOptions['payload'] } : {}) },
      `${who.name} ${method} ${path}`,
    )
  }
  function login(principal: string, password: string, headers: Record<string, string> = {}): Promise<Response> {
    return inject(
      {
        method: 'POST',
        url: '/c/login',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        payload: new URLSearchParams({ principal, password }).toString(),
      },
      `login ${principal}`,
    )
  }
  /** Signs in on the console; the actor sends the session cookie and the CSRF header. */
  async function session(name: string, password: string): Promise<Actor> {
    const res = await login(name, password)
    assertStatus(res, 200, `login ${name}`)
    const sid = res.cookies.find((c) => c.name === 'sid')?.value
    const csrf = header(res, 'x-harbor-csrf-token')
    assert.ok(sid !== undefined && csrf !== undefined)
    const me = await api({ name, id: 0, headers: { cookie: `sid=${sid}` } }, 'GET', '/users/current')
    assertStatus(me, 200)
    return { name, id: me.json().user_id, headers: { cookie: `sid=${sid}`, 'x-harbor-csrf-token': csrf } }
  }
  /** Creates a user as `by` (201, Location /api/v2.0/users/<id>); returns the id. */
  async function createUser(by: Actor, username: string, extra: Record<string, unknown> = {}): Promise<number> {
    const res = await api(by, 'POST', '/users', { username, password: PASSWORD, email: `${username}@example.com`, realname: username, ...extra })
    assertStatus(res, 201, `create user ${username}`)
    assert.equal(res.body, '')
    return idFromLocation(res, `${API}/users`)
  }
  async function createProject(by: Actor, name: string, isPublic = false): Promise<number> {
    const res = await api(by, 'POST', '/projects', { project_name: name, metadata: { public: String(isPublic) } })
    assertStatus(res, 201, `create project ${name}`)
    return idFromLocation(res, `${API}/projects`)
  }
  async function addMember(by: Actor, project: string, username: string, roleId: number): Promise<number> {
    const res = await api(by, 'POST', `/projects/${project}/members`, { role_id: roleId, member_user: { username } })
    assertStatus(res, 201, `add ${username} to ${project}`)
    return idFromLocation(res, `${API}/projects/${project}/members`)
  }
  /** GET /v2/... with Basic credentials. */
  function registry(auth: string | undefined, method: 'GET' | 'HEAD', url: string): Promise<Response> {
    return inject({ method, url, headers: auth === undefined ? {} : { authorization: auth } }, `${method} ${url}`)
  }
  return { inject, api, login, session, createUser, createProject, addMember, registry }
}

function robotBody(project: string, name: string, o: { duration?: number; access?: [string, string][]; disable?: boolean } = {}) {
  return {
    name,
    description: `robot ${name}`,
    level: 'project',
    duration: o.duration ?? -1,
    ...(o.disable !== undefined ? { disable: o.disable } : {}),
    permissions: [{ kind: 'project', namespace: project, access: (o.access ?? [['repository', 'pull'], ['repository', 'push']]).map(([resource, action]) => ({ resource, action })) }],
  }
}

for (const dialect of DIALECTS) {
  describe(`identity API (${dialect})`, await dialectSkip(dialect), () => {
    const t = useBerth(dialect)
    const c = clientOf(() => t.anonymous)
    const { api } = c

    let admin: Actor
    /** Signed-in users by name (sessions). */
    const u: Record<string, Actor> = {}
    /** Project ids by name. */
    const pid: Record<string, number> = {}
    /** Member ids in team-a by user name. */
    const mid: Record<string, number> = {}

    // team-a (private): alice Project Admin, bob Developer, carol Guest, dave Maintainer, erin Limited Guest.
    // team-b (private): mallory Project Admin. library: public, nobody's.
    const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'mallory', 'grace', 'frank', 'pwuser', 'locky', 'locky2', 'lockrace', 'lockpw', 'sessy']
    before(async () => {
      admin = await c.session('admin', TEST_ADMIN_PASSWORD)
      await Promise.all(USERS.map((n) => c.createUser(admin, n)))
      for (const [n, a] of await Promise.all(USERS.filter((n) => !n.startsWith('lock') && n !== 'pwuser').map(async (n) => [n, await c.session(n, PASSWORD)] as const))) u[n] = a
      pid['team-a'] = await c.createProject(u.alice!, 'team-a')
      pid['team-b'] = await c.createProject(u.mallory!, 'team-b')
      const roles: [string, number][] = [
        ['bob', 2],
        ['carol', 3],
        ['dave', 4],
        ['erin', 5],
      ]
      for (const [n, role] of roles) mid[n] = await c.addMember(u.alice!, 'team-a', n, role)
    })

    // ------------------------------------------------------------------------------------------
    describe('users', () => {
      it('POST /users as admin: 201 with Location /api/v2.0/users/<id>; the user exists, unprivileged', async () => {
        const id = await c.createUser(admin, 'newbie', { comment: 'hello' })
        const res = await api(admin, 'GET', `/users/${id}`)
        assertStatus(res, 200)
        const body = res.json()
        assert.equal(body.user_id, id)
        assert.equal(body.username, 'newbie')
        assert.equal(body.email, 'newbie@example.com')
        assert.equal(body.comment, 'hello')
        assert.equal(body.sysadmin_flag, false)
        assert.deepEqual(Object.keys(body).sort(), ['admin_role_in_auth', 'comment', 'creation_time', 'email', 'realname', 'sysadmin_flag', 'update_time', 'user_id', 'username'])
      })

      it('a duplicate username or e-mail is 409 CONFLICT', async () => {
        assertError(await api(admin, 'POST', '/users', { username: 'alice', password: PASSWORD, email: 'other-alice@example.com' }), 409, 'CONFLICT', 'username')
        assertError(await api(admin, 'POST', '/users', { username: 'alice-two', password: PASSWORD, email: 'alice@example.com' }), 409, 'CONFLICT', 'email')
        const left = await api(admin, 'GET', '/users?q=username=alice-two')
        assert.equal(totalOf(left), 0)
      })

      it('weak passwords and bad usernames are 400 BAD_REQUEST', async () => {
        for (const password of ['Sh0rt', 'alllowercase1', 'ALLUPPERCASE1', 'NoDigitsHere', 'x'.repeat(129)]) {
          assertError(await api(admin, 'POST', '/users', { username: 'weakling', password }), 400, 'BAD_REQUEST', password)
        }
        for (const username of ['a$b', 'a b', '', 'robot$x', 'a:b']) {
          assertError(await api(admin, 'POST', '/users', { username, password: PASSWORD }), 400, 'BAD_REQUEST', JSON.stringify(username))
        }
        assertError(await api(admin, 'POST', '/users', { username: 'bad-mail', password: PASSWORD, email: 'not an address' }), 400, 'BAD_REQUEST', 'email')
        const res = await api(admin, 'GET', `/users?q=${encodeURIComponent('username={weakling bad-mail}')}`)
        assert.equal(totalOf(res), 0)
      })

      it('an unknown field is 400 and creates nothing (no mass assignment of sysadmin_flag)', async () => {
        for (const extra of [{ sysadmin_flag: true }, { admin_role_in_auth: true }, { user_id: 1 }]) {
          assertError(await api(admin, 'POST', '/users', { username: 'sneaky', password: PASSWORD, ...extra }), 400, 'BAD_REQUEST', JSON.stringify(extra))
        }
        const res = await api(admin, 'GET', '/users?q=username=sneaky')
        assertStatus(res, 200)
        assert.equal(totalOf(res), 0)
        assert.deepEqual(res.json(), [])
      })

      it('POST /users by a non-admin is 403; anonymous with self-registration off is 401', async () => {
        assertError(await api(u.alice!, 'POST', '/users', { username: 'by-alice', password: PASSWORD }), 403, 'FORBIDDEN')
        assertError(await api(ANON, 'POST', '/users', { username: 'by-anon', password: PASSWORD }), 401, 'UNAUTHORIZED')
        assert.equal(totalOf(await api(admin, 'GET', `/users?q=${encodeURIComponent('username={by-alice by-anon}')}`)), 0)
      })

      it('GET /users pages with X-Total-Count and Link', async () => {
        const all = await api(admin, 'GET', '/users?page_size=100')
        assertStatus(all, 200)
        const total = totalOf(all)
        assert.equal(all.json().length, total)
        assert.ok(total >= USERS.length + 1)
        assert.equal(header(all, 'link'), undefined, 'one page needs no Link')

        const first = await api(admin, 'GET', '/users?page=1&page_size=2')
        assertStatus(first, 200)
        assert.equal(first.json().length, 2)
        assert.equal(totalOf(first), total)
        const links = linkRels(first)
        assert.equal(links.prev, undefined)
        assert.ok(links.next !== undefined, `no rel=next in ${header(first, 'link')}`)
        const next = new URL(links.next, 'http://x')
        assert.equal(next.pathname, `${API}/users`)
        assert.equal(next.searchParams.get('page'), '2')
        assert.equal(next.searchParams.get('page_size'), '2')

        const second = await api(admin, 'GET', next.pathname.slice(API.length) + next.search)
        assertStatus(second, 200)
        assert.ok(linkRels(second).prev !== undefined)
        const ids = [...first.json(), ...second.json()].map((x: Json) => x.user_id)
        assert.equal(new Set(ids).size, 4, 'pages overlap')
        assert.deepEqual(ids, all.json().slice(0, 4).map((x: Json) => x.user_id))

        const last = await api(admin, 'GET', `/users?page=${Math.ceil(total / 2)}&page_size=2`)
        assert.equal(linkRels(last).next, undefined)
        assertError(await api(admin, 'GET', '/users?page=0'), 400, 'BAD_REQUEST')
        assertError(await api(admin, 'GET', '/users?page_size=-1'), 400, 'BAD_REQUEST')
        // As Harbor's API says: page_size is at most 100.
        assertError(await api(admin, 'GET', '/users?page_size=101'), 400, 'BAD_REQUEST')
        assertStatus(await api(admin, 'GET', '/users?page_size=100'), 200)
      })

      it('GET /users filters with q and sorts with sort', async () => {
        const fuzzy = await api(admin, 'GET', `/users?q=${encodeURIComponent('username=~ali')}`)
        assertStatus(fuzzy, 200)
        assert.deepEqual(fuzzy.json().map((x: Json) => x.username), ['alice'])
        assert.equal(totalOf(fuzzy), 1)

        const exact = await api(admin, 'GET', '/users?q=username=bob')
        assert.deepEqual(exact.json().map((x: Json) => x.username), ['bob'])
        const set = await api(admin, 'GET', `/users?q=${encodeURIComponent('username={bob carol}')}`)
        assert.deepEqual(set.json().map((x: Json) => x.username).sort(), ['bob', 'carol'])

        const desc = await api(admin, 'GET', '/users?sort=-username&page_size=100')
        assertStatus(desc, 200)
        const names = desc.json().map((x: Json) => x.username)
        assert.deepEqual(names, byteSorted(names).reverse())
        const asc = await api(admin, 'GET', '/users?sort=username&page_size=100')
        assert.deepEqual(asc.json().map((x: Json) => x.username), byteSorted(names))
      })

      it('GET /users: unknown or secret q keys are 400; non-admins 403; anonymous 401', async () => {
        assertError(await api(admin, 'GET', '/users?q=nope=1'), 400, 'BAD_REQUEST', 'unknown key')
        assertError(await api(admin, 'GET', '/users?q=password_hash=x'), 400, 'BAD_REQUEST', 'password_hash')
        assertError(await api(admin, 'GET', `/users?q=${encodeURIComponent('password_hash=~scrypt')}`), 400, 'BAD_REQUEST', 'password_hash fuzzy')
        assertError(await api(admin, 'GET', '/users?sort=password_hash'), 400, 'BAD_REQUEST', 'sort by password_hash')
        assertError(await api(admin, 'GET', '/users?q=garbage'), 400, 'BAD_REQUEST', 'no =')
        assertError(await api(u.alice!, 'GET', '/users'), 403, 'FORBIDDEN')
        assertError(await api(ANON, 'GET', '/users'), 401, 'UNAUTHORIZED')
      })

      it('GET /users/current is the caller, without password fields', async () => {
        const me = await api(u.alice!, 'GET', '/users/current')
        assertStatus(me, 200)
        assert.equal(me.json().username, 'alice')
        assert.equal(me.json().user_id, u.alice!.id)
        assert.equal(me.json().sysadmin_flag, false)
        const viaBasic = await api(basicActor('bob', PASSWORD), 'GET', '/users/current')
        assertStatus(viaBasic, 200)
        assert.equal(viaBasic.json().username, 'bob')
        const root = await api(admin, 'GET', '/users/current')
        assert.equal(root.json().username, 'admin')
        assert.equal(root.json().sysadmin_flag, true)
        assertError(await api(ANON, 'GET', '/users/current'), 401, 'UNAUTHORIZED')
      })

      it('GET /users/{id}: self 200; another user as non-admin 404; missing 404; non-numeric 400', async () => {
        const self = await api(u.alice!, 'GET', `/users/${u.alice!.id}`)
        assertStatus(self, 200)
        assert.equal(self.json().username, 'alice')
        assertError(await api(u.alice!, 'GET', `/users/${u.bob!.id}`), 404, 'NOT_FOUND', 'other user')
        assertError(await api(u.alice!, 'GET', '/users/999999'), 404, 'NOT_FOUND', 'missing, non-admin')
        assertError(await api(admin, 'GET', '/users/999999'), 404, 'NOT_FOUND', 'missing, admin')
        assertError(await api(admin, 'GET', '/users/abc'), 400, 'BAD_REQUEST', 'non-numeric')
        assertError(await api(admin, 'GET', '/users/-1'), 400, 'BAD_REQUEST', 'negative')
        assertError(await api(ANON, 'GET', `/users/${u.alice!.id}`), 401, 'UNAUTHORIZED')
        const other = await api(admin, 'GET', `/users/${u.bob!.id}`)
        assertStatus(other, 200)
        assert.equal(other.json().username, 'bob')
      })

      it('PUT /users/{id}: own profile 200; another user as non-admin 404; duplicate e-mail 409; unknown field 400', async () => {
        const profile = { email: 'carol.new@example.com', realname: 'Carol C', comment: 'updated' }
        assertStatus(await api(u.carol!, 'PUT', `/users/${u.carol!.id}`, profile), 200)
        const got = (await api(u.carol!, 'GET', '/users/current')).json()
        assert.deepEqual({ email: got.email, realname: got.realname, comment: got.comment }, profile)

        assertError(await api(u.carol!, 'PUT', `/users/${u.bob!.id}`, { comment: 'hacked' }), 404, 'NOT_FOUND')
        assert.notEqual((await api(admin, 'GET', `/users/${u.bob!.id}`)).json().comment, 'hacked')
        assertError(await api(u.carol!, 'PUT', `/users/${u.carol!.id}`, { email: 'bob@example.com' }), 409, 'CONFLICT')
        assertError(await api(u.carol!, 'PUT', `/users/${u.carol!.id}`, { sysadmin_flag: true }), 400, 'BAD_REQUEST')
        assertError(await api(u.carol!, 'PUT', `/users/${u.carol!.id}`, { email: 'nope' }), 400, 'BAD_REQUEST')
        assert.equal((await api(u.carol!, 'GET', '/users/current')).json().sysadmin_flag, false)
        assertError(await api(ANON, 'PUT', `/users/${u.carol!.id}`, { comment: 'x' }), 401, 'UNAUTHORIZED')

        assertStatus(await api(admin, 'PUT', `/users/${u.carol!.id}`, { comment: 'by admin' }), 200)
        assert.equal((await api(u.carol!, 'GET', '/users/current')).json().comment, 'by admin')
      })

      it('PUT /users/{id}/password: own with the old password; wrong old 403; weak new 400; admin resets without it', async () => {
        const id = (await api(admin, 'GET', '/users?q=username=pwuser')).json()[0].user_id as number
        const first = basicActor('pwuser', PASSWORD, id)
        const next = 'Next-Passw0rd-1'
        assertError(await api(first, 'PUT', `/users/${id}/password`, { old_password: 'Wrong-Passw0rd', new_password: next }), 403, 'FORBIDDEN', 'wrong old')
        assertError(await api(first, 'PUT', `/users/${id}/password`, { new_password: next }), 403, 'FORBIDDEN', 'no old')
        assertError(await api(first, 'PUT', `/users/${id}/password`, { old_password: PASSWORD, new_password: 'weak' }), 400, 'BAD_REQUEST', 'weak new')
        assertError(await api(first, 'PUT', `/users/${id}/password`, { old_password: PASSWORD, new_password: PASSWORD }), 400, 'BAD_REQUEST', 'same as old')
        assertError(await api(u.alice!, 'PUT', `/users/${id}/password`, { old_password: PASSWORD, new_password: next }), 404, 'NOT_FOUND', 'other user')

        assertStatus(await api(first, 'PUT', `/users/${id}/password`, { old_password: PASSWORD, new_password: next }), 200)
        const withNew = await api(basicActor('pwuser', next), 'GET', '/users/current')
        assertStatus(withNew, 200, 'new password')
        assert.equal(withNew.json().username, 'pwuser')
        assertError(await api(first, 'GET', '/users/current'), 401, 'UNAUTHORIZED', 'old password')

        const reset = 'Reset-Passw0rd-2'
        assertStatus(await api(admin, 'PUT', `/users/${id}/password`, { new_password: reset }), 200, 'admin reset')
        assertStatus(await api(basicActor('pwuser', reset), 'GET', '/users/current'), 200, 'reset password')
        assertError(await api(basicActor('pwuser', next), 'GET', '/users/current'), 401, 'UNAUTHORIZED', 'replaced password')
        assertError(await api(admin, 'PUT', `/users/${id}/password`, { new_password: 'weak' }), 400, 'BAD_REQUEST', 'admin weak')
        assertError(await api(admin, 'PUT', '/users/999999/password', { new_password: reset }), 404, 'NOT_FOUND')
      })

      it('PUT /users/{id}/sysadmin: admin grants and revokes; own flag 403; non-admin 403', async () => {
        const grace = u.grace!
        assertError(await api(grace, 'GET', '/users'), 403, 'FORBIDDEN', 'before')
        assertError(await api(u.alice!, 'PUT', `/users/${grace.id}/sysadmin`, { sysadmin_flag: true }), 403, 'FORBIDDEN', 'non-admin')
        assertError(await api(grace, 'PUT', `/users/${grace.id}/sysadmin`, { sysadmin_flag: true }), 403, 'FORBIDDEN', 'self-promotion')
        assertError(await api(admin, 'PUT', `/users/${admin.id}/sysadmin`, { sysadmin_flag: false }), 403, 'FORBIDDEN', 'own flag')
        assertError(await api(admin, 'PUT', `/users/${grace.id}/sysadmin`, { sysadmin_flag: 'yes' }), 400, 'BAD_REQUEST', 'not a boolean')
        assertError(await api(admin, 'PUT', '/users/999999/sysadmin', { sysadmin_flag: true }), 404, 'NOT_FOUND')

        assertStatus(await api(admin, 'PUT', `/users/${grace.id}/sysadmin`, { sysadmin_flag: true }), 200)
        assertStatus(await api(grace, 'GET', '/users'), 200, 'session after grant')
        assertStatus(await api(basicActor('grace', PASSWORD), 'GET', '/users'), 200, 'Basic after grant')
        assert.equal((await api(grace, 'GET', '/users/current')).json().sysadmin_flag, true)
        assertStatus(await api(admin, 'PUT', `/users/${grace.id}/sysadmin`, { sysadmin_flag: false }), 200)
        assertError(await api(grace, 'GET', '/users'), 403, 'FORBIDDEN', 'session after revoke')
        assertError(await api(basicActor('grace', PASSWORD), 'GET', '/users'), 403, 'FORBIDDEN', 'Basic after revoke')
      })

      it('DELETE /users/{id}: admin 200, then 404 and the credentials stop working; self 403; non-admin 403', async () => {
        const frank = u.frank!
        assertError(await api(u.alice!, 'DELETE', `/users/${frank.id}`), 403, 'FORBIDDEN', 'non-admin')
        assertError(await api(frank, 'DELETE', `/users/${frank.id}`), 403, 'FORBIDDEN', 'self, non-admin')
        assertError(await api(admin, 'DELETE', `/users/${admin.id}`), 403, 'FORBIDDEN', 'admin self')
        assertError(await api(ANON, 'DELETE', `/users/${frank.id}`), 401, 'UNAUTHORIZED')
        assertStatus(await api(basicActor('frank', PASSWORD), 'GET', '/users/current'), 200, 'Basic before')

        assertStatus(await api(admin, 'DELETE', `/users/${frank.id}`), 200)
        assertError(await api(admin, 'GET', `/users/${frank.id}`), 404, 'NOT_FOUND', 'after')
        assertError(await api(admin, 'DELETE', `/users/${frank.id}`), 404, 'NOT_FOUND', 'twice')
        assertError(await api(frank, 'GET', '/users/current'), 401, 'UNAUTHORIZED', 'session after')
        assertError(await api(basicActor('frank', PASSWORD), 'GET', '/users/current'), 401, 'UNAUTHORIZED', 'Basic after')
        assert.equal(totalOf(await api(admin, 'GET', '/users?q=username=frank')), 0)
      })

      it('GET /users/search: only user_id and username; anonymous 401; no username 400', async () => {
        const res = await api(u.bob!, 'GET', '/users/search?username=al')
        assertStatus(res, 200)
        const items = res.json() as Json[]
        assert.ok(items.some((x) => x.username === 'alice'))
        for (const item of items) {
          assert.deepEqual(Object.keys(item).sort(), ['user_id', 'username'])
          assert.match(item.username, /al/)
        }
        assert.equal(totalOf(res), items.length)
        const paged = await api(u.bob!, 'GET', '/users/search?username=e&page_size=1')
        assert.equal(paged.json().length, 1)
        assert.ok(totalOf(paged) > 1)
        assert.ok(linkRels(paged).next !== undefined)
        assertError(await api(ANON, 'GET', '/users/search?username=al'), 401, 'UNAUTHORIZED')
        assertError(await api(u.bob!, 'GET', '/users/search'), 400, 'BAD_REQUEST')
        assertError(await api(u.bob!, 'GET', '/users/search?username='), 400, 'BAD_REQUEST')
      })
    })

    // ------------------------------------------------------------------------------------------
    describe('projects', () => {
      it('POST /projects by any user: 201 with Location; the creator is its Project Admin', async () => {
        const id = await c.createProject(u.bob!, 'bob-proj')
        const got = await api(u.bob!, 'GET', '/projects/bob-proj')
        assertStatus(got, 200)
        const p = got.json()
        assert.equal(p.project_id, id)
        assert.equal(p.name, 'bob-proj')
        assert.equal(p.owner_name, 'bob')
        assert.equal(p.owner_id, u.bob!.id)
        assert.equal(p.repo_count, 0)
        assert.deepEqual(p.metadata, { public: 'false' })
        assert.deepEqual(p.current_user_role_ids, [1])
        assert.equal(p.current_user_role_id, 1)
        const members = await api(u.bob!, 'GET', '/projects/bob-proj/members')
        assertStatus(members, 200)
        assert.deepEqual(
          members.json().map((m: Json) => ({ entity_name: m.entity_name, entity_type: m.entity_type, role_id: m.role_id, entity_id: m.entity_id, project_id: m.project_id })),
          [{ entity_name: 'bob', entity_type: 'u', role_id: 1, entity_id: u.bob!.id, project_id: id }],
        )
        // Harbor's deprecated top-level `public` still works.
        await api(u.bob!, 'POST', '/projects', { project_name: 'bob-public', public: true }).then((r) => assertStatus(r, 201))
        assert.equal((await api(ANON, 'GET', '/projects/bob-public')).json().metadata.public, 'true')
      })

      it('a duplicate name is 409; bad names 400; anonymous 401', async () => {
        assertError(await api(u.carol!, 'POST', '/projects', { project_name: 'team-a' }), 409, 'CONFLICT')
        for (const name of ['UPPER', 'a..b', '', '-x', 'x_', 'a/b', 'a b', 'x'.repeat(256)]) {
          assertError(await api(u.carol!, 'POST', '/projects', { project_name: name }), 400, 'BAD_REQUEST', JSON.stringify(name))
        }
        // owner_id is read-only in Harbor's model: accepted, never stored; a field Harbor has not is refused.
        assertStatus(await api(u.carol!, 'POST', '/projects', { project_name: 'owned', owner_id: 1, owner_name: 'admin' }), 201)
        assert.equal((await api(admin, 'GET', '/projects/owned')).json().owner_name, 'carol')
        assertError(await api(u.carol!, 'POST', '/projects', { project_name: 'extra', owner: 1 }), 400, 'BAD_REQUEST', 'unknown field')
        assertError(await api(u.carol!, 'POST', '/projects', { project_name: 'meta', metadata: { public: 'maybe' } }), 400, 'BAD_REQUEST', 'bad public')
        assertError(await api(ANON, 'POST', '/projects', { project_name: 'anon-proj' }), 401, 'UNAUTHORIZED')
        const none = await api(admin, 'GET', '/projects?name=anon-proj')
        assert.equal(totalOf(none), 0)
        assertError(await api(admin, 'GET', '/projects/extra'), 404, 'NOT_FOUND')
      })

      it('GET /projects: anonymous sees public ones, users public + theirs, admin all, with their role ids', async () => {
        const names = async (who: Actor, query = '') => {
          const res = await api(who, 'GET', `/projects?page_size=100${query}`)
          assertStatus(res, 200, who.name)
          assert.equal(totalOf(res), res.json().length)
          return res.json() as Json[]
        }
        const anon = await names(ANON)
        assert.ok(anon.length > 0)
        assert.ok(anon.every((p) => p.metadata.public === 'true'), 'anonymous sees a private project')
        assert.ok(anon.some((p) => p.name === 'library'))
        assert.ok(!anon.some((p) => p.name === 'team-a' || p.name === 'team-b'))
        assert.ok(anon.every((p) => p.current_user_role_ids.length === 0 && p.current_user_role_id === 0))

        const alice = await names(u.alice!)
        const aliceNames = alice.map((p) => p.name)
        assert.ok(aliceNames.includes('team-a') && aliceNames.includes('library') && !aliceNames.includes('team-b') && !aliceNames.includes('bob-proj'))
        assert.deepEqual(alice.find((p) => p.name === 'team-a').current_user_role_ids, [1])
        assert.deepEqual(alice.find((p) => p.name === 'library').current_user_role_ids, [])
        assert.deepEqual(aliceNames, byteSorted(aliceNames), 'default order is by name')

        for (const [who, role] of [
          ['bob', 2],
          ['carol', 3],
          ['dave', 4],
          ['erin', 5],
        ] as const) {
          const mine = (await names(u[who]!)).find((p) => p.name === 'team-a')
          assert.ok(mine !== undefined, `${who} does not see team-a`)
          assert.deepEqual(mine.current_user_role_ids, [role], who)
          assert.equal(mine.current_user_role_id, role, who)
        }
        assert.ok(!(await names(u.mallory!)).some((p) => p.name === 'team-a'))

        const all = (await names(admin)).map((p) => p.name)
        for (const n of ['team-a', 'team-b', 'bob-proj', 'library']) assert.ok(all.includes(n), n)
      })

      it('GET /projects: name= and public= filters, q, sort, and paging headers', async () => {
        const byName = await api(admin, 'GET', '/projects?name=team')
        assert.deepEqual(byName.json().map((p: Json) => p.name).sort(), ['team-a', 'team-b'])
        const pub = await api(admin, 'GET', '/projects?public=true&page_size=100')
        assert.ok(pub.json().length > 0 && pub.json().every((p: Json) => p.metadata.public === 'true'))
        const priv = await api(admin, 'GET', '/projects?public=false&page_size=100')
        assert.ok(priv.json().some((p: Json) => p.name === 'team-a') && priv.json().every((p: Json) => p.metadata.public === 'false'))
        assert.equal(totalOf(pub) + totalOf(priv), totalOf(await api(admin, 'GET', '/projects')))
        assertError(await api(admin, 'GET', '/projects?public=maybe'), 400, 'BAD_REQUEST')
        const q = await api(u.alice!, 'GET', `/projects?q=${encodeURIComponent('name=~team')}`)
        assert.deepEqual(q.json().map((p: Json) => p.name), ['team-a'], 'q on a user listing stays within their projects')
        const desc = await api(admin, 'GET', '/projects?sort=-name&page_size=100')
        const names = desc.json().map((p: Json) => p.name)
        assert.deepEqual(names, byteSorted(names).reverse())
        assertError(await api(admin, 'GET', '/projects?sort=owner_id'), 400, 'BAD_REQUEST')

        const page = await api(admin, 'GET', '/projects?page=1&page_size=1')
        assertStatus(page, 200)
        assert.equal(page.json().length, 1)
        assert.ok(totalOf(page) >= 4)
        const next = linkRels(page).next
        assert.ok(next !== undefined)
        assert.match(next, /page=2/)
        const second = await api(admin, 'GET', '/projects?page=2&page_size=1')
        assert.notEqual(second.json()[0].name, page.json()[0].name)
      })

      it('GET /projects/{name} and /projects/{id}; X-Is-Resource-Name for numeric names', async () => {
        const byName = await api(u.alice!, 'GET', '/projects/team-a')
        const byId = await api(u.alice!, 'GET', `/projects/${pid['team-a']}`)
        assertStatus(byName, 200)
        assertStatus(byId, 200)
        assert.deepEqual(byId.json(), byName.json())
        assert.equal(byName.json().project_id, pid['team-a'])

        const numericId = await c.createProject(u.alice!, '424242')
        assertError(await api(u.alice!, 'GET', '/projects/424242'), 404, 'NOT_FOUND', 'numeric is an id')
        const named = await api(u.alice!, 'GET', '/projects/424242', undefined, { 'x-is-resource-name': 'true' })
        assertStatus(named, 200)
        assert.equal(named.json().name, '424242')
        assert.equal(named.json().project_id, numericId)
        assertStatus(await api(u.alice!, 'GET', `/projects/${numericId}`), 200)
        assertError(await api(u.alice!, 'GET', `/projects/${pid['team-a']}`, undefined, { 'x-is-resource-name': 'true' }), 404, 'NOT_FOUND', 'id as a name')
      })

      it('a private project answers exactly like a missing one: 401 to anonymous, 404 to non-members', async () => {
        for (const ref of ['team-a', String(pid['team-a'])]) {
          const hidden = await api(ANON, 'GET', `/projects/${ref}`)
          const missing = await api(ANON, 'GET', '/projects/no-such-project')
          assertError(hidden, 401, 'UNAUTHORIZED', `anonymous ${ref}`)
          assertError(missing, 401, 'UNAUTHORIZED', 'anonymous missing')
          assert.equal(hidden.json().errors[0].message, missing.json().errors[0].message)
          const hiddenToMallory = await api(u.mallory!, 'GET', `/projects/${ref}`)
          const missingToMallory = await api(u.mallory!, 'GET', '/projects/no-such-project')
          assertError(hiddenToMallory, 404, 'NOT_FOUND', `mallory ${ref}`)
          assertError(missingToMallory, 404, 'NOT_FOUND', 'mallory missing')
          assert.equal(hiddenToMallory.json().errors[0].message, missingToMallory.json().errors[0].message)
        }
        assertError(await api(u.mallory!, 'GET', '/projects/999999'), 404, 'NOT_FOUND')
        // The same holds for the other project paths.
        for (const path of ['/projects/team-a/members', '/projects/team-a/logs']) {
          assertError(await api(u.mallory!, 'GET', path), 404, 'NOT_FOUND', path)
          assertError(await api(ANON, 'GET', path), 401, 'UNAUTHORIZED', path)
        }
        assertError(await api(u.mallory!, 'PUT', '/projects/team-a', { metadata: { public: 'true' } }), 404, 'NOT_FOUND')
        assertError(await api(u.mallory!, 'DELETE', '/projects/team-a'), 404, 'NOT_FOUND')
      })

      it('PUT /projects/{p} metadata.public: Project Admin only (maintainer and developer 403, CVE-2024-22278)', async () => {
        await c.createProject(u.alice!, 'flip-d')
        await c.addMember(u.alice!, 'flip-d', 'dave', 4)
        await c.addMember(u.alice!, 'flip-d', 'bob', 2)
        const body = { metadata: { public: 'true' } }
        assertError(await api(u.dave!, 'PUT', '/projects/flip-d', body), 403, 'FORBIDDEN', 'maintainer')
        assertError(await api(u.bob!, 'PUT', '/projects/flip-d', body), 403, 'FORBIDDEN', 'developer')
        assertError(await api(ANON, 'PUT', '/projects/flip-d', body), 401, 'UNAUTHORIZED', 'anonymous')
        assertError(await api(ANON, 'GET', '/projects/flip-d'), 401, 'UNAUTHORIZED', 'still private')
        assertError(await api(u.alice!, 'PUT', '/projects/flip-d', { metadata: { public: 'true', owner: 'x' } }), 400, 'BAD_REQUEST', 'unknown metadata')

        assertStatus(await api(u.alice!, 'PUT', '/projects/flip-d', body), 200)
        const seen = await api(ANON, 'GET', '/projects/flip-d')
        assertStatus(seen, 200, 'public now')
        assert.equal(seen.json().metadata.public, 'true')
        assert.ok((await api(ANON, 'GET', '/projects?page_size=100')).json().some((p: Json) => p.name === 'flip-d'))
        assertStatus(await api(admin, 'PUT', `/projects/${pid['team-b']}`, { metadata: { public: false } }), 200, 'admin, boolean, by id')
      })

      it('DELETE /projects/{p}: 412 with repositories, 200 when empty (then 404); maintainer 403', async () => {
        await c.createProject(u.alice!, 'full-e')
        await c.addMember(u.alice!, 'full-e', 'dave', 4)
        await pushImage(t.app, 'full-e/app', 'v1', 'identity-delete')
        assertError(await api(u.dave!, 'DELETE', '/projects/full-e'), 403, 'FORBIDDEN', 'maintainer')
        assertError(await api(u.alice!, 'DELETE', '/projects/full-e'), 412, 'PRECONDITION', 'with a repository')
        const still = await api(u.alice!, 'GET', '/projects/full-e')
        assertStatus(still, 200)
        assert.equal(still.json().repo_count, 1)

        const emptyId = await c.createProject(u.alice!, 'empty-f')
        assertError(await api(ANON, 'DELETE', '/projects/empty-f'), 401, 'UNAUTHORIZED')
        assertStatus(await api(u.alice!, 'DELETE', `/projects/${emptyId}`), 200)
        assertError(await api(u.alice!, 'GET', '/projects/empty-f'), 404, 'NOT_FOUND')
        assertError(await api(admin, 'GET', `/projects/${emptyId}`), 404, 'NOT_FOUND')
        assertError(await api(u.alice!, 'DELETE', '/projects/empty-f'), 404, 'NOT_FOUND', 'twice')
      })

      // SQLite's INTEGER PRIMARY KEY (without AUTOINCREMENT) hands the id of a deleted last row to the next row.

      it("a new project never inherits a deleted project's audit entries", async () => {
        const goneId = await c.createProject(u.alice!, 'secret-g')
        await c.addMember(u.alice!, 'secret-g', 'carol', 3)
        assertStatus(await api(u.alice!, 'DELETE', '/projects/secret-g'), 200)
        const newId = await c.createProject(u.mallory!, 'mallory-h')
        const logs = await api(u.mallory!, 'GET', '/projects/mallory-h/logs?page_size=100')
        assertStatus(logs, 200)
        const leaked = logs.json().filter((e: Json) => e.resource === 'secret-g' || e.resource === 'carol')
        assert.deepEqual(leaked, [], `deleted project id ${goneId}, new project id ${newId}: mallory reads alice's entries`)
        const all = await api(u.mallory!, 'GET', '/audit-logs?page_size=100')
        assert.ok(!all.body.includes('secret-g'), 'GET /audit-logs shows the deleted project to the new one')
      })

      it("a deleted user's projects do not pass to the next user created", async () => {
        const goneId = await c.createUser(admin, 'temp-owner')
        const owner = await c.session('temp-owner', PASSWORD)
        await c.createProject(owner, 'orphan-i')
        assertStatus(await api(admin, 'DELETE', `/users/${goneId}`), 200)
        const heirId = await c.createUser(admin, 'heir')
        const p = (await api(admin, 'GET', '/projects/orphan-i')).json()
        assert.notEqual(p.owner_name, 'heir', `deleted user id ${goneId}, new user id ${heirId}: the new user owns orphan-i`)
        assert.notEqual(p.owner_id, heirId)
      })
    })

    // ------------------------------------------------------------------------------------------
    describe('members', () => {
      it('GET members as Project Admin: every member, paged, filtered by entityname', async () => {
        const res = await api(u.alice!, 'GET', '/projects/team-a/members')
        assertStatus(res, 200)
        const byName = Object.fromEntries(res.json().map((m: Json) => [m.entity_name, m]))
        assert.deepEqual(
          Object.fromEntries(Object.entries(byName).map(([n, m]) => [n, [(m as Json).role_id, (m as Json).role_name]])),
          { alice: [1, 'projectAdmin'], bob: [2, 'developer'], carol: [3, 'guest'], dave: [4, 'maintainer'], erin: [5, 'limitedGuest'] },
        )
        assert.equal(totalOf(res), 5)
        const m = byName.bob as Json
        assert.deepEqual(Object.keys(m).sort(), ['entity_id', 'entity_name', 'entity_type', 'id', 'project_id', 'role_id', 'role_name'])
        assert.equal(m.id, mid.bob)
        assert.equal(m.entity_id, u.bob!.id)
        assert.equal(m.project_id, pid['team-a'])

        const paged = await api(u.alice!, 'GET', '/projects/team-a/members?page=2&page_size=2')
        assert.equal(paged.json().length, 2)
        assert.equal(totalOf(paged), 5)
        assert.ok(linkRels(paged).prev !== undefined && linkRels(paged).next !== undefined)
        const filtered = await api(u.alice!, 'GET', '/projects/team-a/members?entityname=ro')
        assert.deepEqual(filtered.json().map((x: Json) => x.entity_name), ['carol'])
        const byId = await api(u.alice!, 'GET', `/projects/${pid['team-a']}/members/${mid.bob}`)
        assertStatus(byId, 200)
        assert.deepEqual(byId.json(), m)
      })

      it('developers and guests list members; limited guests 403; non-members 404', async () => {
        assertStatus(await api(u.bob!, 'GET', '/projects/team-a/members'), 200, 'developer')
        assertStatus(await api(u.carol!, 'GET', '/projects/team-a/members'), 200, 'guest')
        assertStatus(await api(u.carol!, 'GET', `/projects/team-a/members/${mid.bob}`), 200, 'guest reads one')
        assertError(await api(u.erin!, 'GET', '/projects/team-a/members'), 403, 'FORBIDDEN', 'limited guest')
        assertError(await api(u.erin!, 'GET', `/projects/team-a/members/${mid.bob}`), 403, 'FORBIDDEN', 'limited guest one')
        assertError(await api(u.mallory!, 'GET', '/projects/team-a/members'), 404, 'NOT_FOUND', 'non-member')
        // Anyone may read a public project, but its members only with a role in it.
        assertError(await api(u.mallory!, 'GET', '/projects/library/members'), 403, 'FORBIDDEN', 'public project')
      })

      it('POST members: 201 with Location; bad role, user, or entity 400/404; duplicate 409; groups without LDAP 412', async () => {
        const res = await api(u.alice!, 'POST', '/projects/team-a/members', { role_id: 3, member_user: { user_id: u.grace!.id } })
        assertStatus(res, 201)
        const graceMid = idFromLocation(res, `${API}/projects/team-a/members`)
        const got = await api(u.alice!, 'GET', `/projects/team-a/members/${graceMid}`)
        assert.equal(got.json().entity_name, 'grace')
        assert.equal(got.json().role_id, 3)

        const post = (body: unknown) => api(u.alice!, 'POST', '/projects/team-a/members', body)
        assertError(await post({ role_id: 9, member_user: { username: 'mallory' } }), 400, 'BAD_REQUEST', 'role 9')
        assertError(await post({ role_id: 0, member_user: { username: 'mallory' } }), 400, 'BAD_REQUEST', 'role 0')
        assertError(await post({ role_id: 2, member_user: { username: 'nobody-here' } }), 404, 'NOT_FOUND', 'unknown user')
        assertError(await post({ role_id: 2, member_user: { user_id: 999999 } }), 404, 'NOT_FOUND', 'unknown user id')
        assertError(await post({ role_id: 2, member_user: { username: 'mallory' }, member_group: { ldap_group_dn: 'cn=g,dc=example,dc=com' } }), 400, 'BAD_REQUEST', 'both')
        assertError(await post({ role_id: 2 }), 400, 'BAD_REQUEST', 'neither')
        assertError(await post({ role_id: 2, member_user: { username: 'mallory' }, extra: 1 }), 400, 'BAD_REQUEST', 'unknown field')
        assertError(await post({ role_id: 2, member_user: { username: 'bob' } }), 409, 'CONFLICT', 'duplicate')
        assertError(await post({ role_id: 2, member_group: { ldap_group_dn: 'cn=g,dc=example,dc=com' } }), 412, 'PRECONDITION', 'group without LDAP')
        assertError(await api(u.dave!, 'POST', '/projects/team-a/members', { role_id: 2, member_user: { username: 'mallory' } }), 403, 'FORBIDDEN', 'maintainer')
        assertError(await api(ANON, 'POST', '/projects/team-a/members', { role_id: 2, member_user: { username: 'mallory' } }), 401, 'UNAUTHORIZED')
        assertError(await api(u.mallory!, 'POST', '/projects/team-a/members', { role_id: 1, member_user: { username: 'mallory' } }), 404, 'NOT_FOUND', 'outsider adds self')
        const names = (await api(u.alice!, 'GET', '/projects/team-a/members?page_size=100')).json().map((m: Json) => m.entity_name)
        assert.ok(!names.includes('mallory'))
      })

      it('PUT and DELETE members; a member id is only found under its own project', async () => {
        const graceMid = (await api(u.alice!, 'GET', '/projects/team-a/members?entityname=grace')).json()[0].id as number
        assertError(await api(u.alice!, 'PUT', `/projects/team-a/members/${graceMid}`, { role_id: 9 }), 400, 'BAD_REQUEST')
        assertError(await api(u.dave!, 'PUT', `/projects/team-a/members/${graceMid}`, { role_id: 1 }), 403, 'FORBIDDEN', 'maintainer')
        assertStatus(await api(u.alice!, 'PUT', `/projects/team-a/members/${graceMid}`, { role_id: 2 }), 200)
        assert.equal((await api(u.alice!, 'GET', `/projects/team-a/members/${graceMid}`)).json().role_id, 2)
        assert.deepEqual((await api(u.grace!, 'GET', '/projects/team-a')).json().current_user_role_ids, [2])

        // mallory administers team-b and uses team-a's member id under team-b's path.
        const underB = `/projects/team-b/members/${graceMid}`
        assertError(await api(u.mallory!, 'GET', underB), 404, 'NOT_FOUND', 'GET under B')
        assertError(await api(u.mallory!, 'PUT', underB, { role_id: 5 }), 404, 'NOT_FOUND', 'PUT under B')
        assertError(await api(u.mallory!, 'DELETE', underB), 404, 'NOT_FOUND', 'DELETE under B')
        assertError(await api(admin, 'PUT', underB, { role_id: 5 }), 404, 'NOT_FOUND', 'admin PUT under B')
        const unchanged = await api(u.alice!, 'GET', `/projects/team-a/members/${graceMid}`)
        assertStatus(unchanged, 200)
        assert.equal(unchanged.json().role_id, 2)

        assertError(await api(u.alice!, 'GET', '/projects/team-a/members/999999'), 404, 'NOT_FOUND')
        assertError(await api(u.alice!, 'GET', '/projects/team-a/members/x'), 400, 'BAD_REQUEST')
        assertError(await api(u.dave!, 'DELETE', `/projects/team-a/members/${graceMid}`), 403, 'FORBIDDEN', 'maintainer')
        assertStatus(await api(u.alice!, 'DELETE', `/projects/team-a/members/${graceMid}`), 200)
        assertError(await api(u.alice!, 'GET', `/projects/team-a/members/${graceMid}`), 404, 'NOT_FOUND', 'deleted')
        assertError(await api(u.grace!, 'GET', '/projects/team-a'), 404, 'NOT_FOUND', 'no longer a member')
      })

      it('a Project Admin cannot change or remove their own membership (403)', async () => {
        const own = (await api(u.alice!, 'GET', '/projects/team-a/members?entityname=alice')).json()[0].id as number
        assertError(await api(u.alice!, 'PUT', `/projects/team-a/members/${own}`, { role_id: 3 }), 403, 'FORBIDDEN')
        assertError(await api(u.alice!, 'DELETE', `/projects/team-a/members/${own}`), 403, 'FORBIDDEN')
        assert.equal((await api(u.alice!, 'GET', `/projects/team-a/members/${own}`)).json().role_id, 1)
      })
    })

    // ------------------------------------------------------------------------------------------
    describe('robots', () => {
      let robotId = 0
      let robotName = ''
      let secret = ''
      const tagsOf = (auth: string | undefined) => c.registry(auth, 'GET', '/v2/team-a/x/tags/list')

      it('POST /robots by a Project Admin: 201 with robot$<project>+<name> and a secret that signs in to /v2/', async () => {
        const res = await api(u.alice!, 'POST', '/robots', robotBody('team-a', 'ci'))
        assertStatus(res, 201)
        const body = res.json()
        assert.deepEqual(Object.keys(body).sort(), ['creation_time', 'expires_at', 'id', 'name', 'secret'])
        assert.equal(body.name, 'robot$team-a+ci')
        assert.equal(typeof body.secret, 'string')
        assert.ok(body.secret.length >= 16)
        assert.equal(body.expires_at, -1)
        assert.equal(idFromLocation(res, `${API}/robots`), body.id)
        ;({ id: robotId, name: robotName, secret } = body)

        const v2 = await tagsOf(basicAuth(robotName, secret))
        assertStatus(v2, 404, 'robot on /v2/')
        assert.equal(v2.json().errors[0].code, 'NAME_UNKNOWN')
        assertStatus(await tagsOf(basicAuth(robotName, 'wrong-secret')), 401, 'wrong secret')
        assertError(await api(u.alice!, 'POST', '/robots', robotBody('team-a', 'ci')), 409, 'CONFLICT', 'duplicate')
      })

      it('POST /robots: developers 403, other projects 404, bad durations and permissions 400', async () => {
        assertError(await api(u.bob!, 'POST', '/robots', robotBody('team-a', 'by-dev')), 403, 'FORBIDDEN', 'developer')
        assertError(await api(u.dave!, 'POST', '/robots', robotBody('team-a', 'by-maint')), 403, 'FORBIDDEN', 'maintainer')
        assertError(await api(u.alice!, 'POST', '/robots', robotBody('team-b', 'foreign')), 404, 'NOT_FOUND', 'other project')
        assertError(await api(ANON, 'POST', '/robots', robotBody('team-a', 'anon')), 401, 'UNAUTHORIZED')
        assertError(await api(u.alice!, 'POST', '/robots', robotBody('team-a', 'zero', { duration: 0 })), 400, 'BAD_REQUEST', 'duration 0')
        assertError(await api(u.alice!, 'POST', '/robots', robotBody('team-a', 'neg', { duration: -2 })), 400, 'BAD_REQUEST', 'duration -2')
        assertError(await api(u.alice!, 'POST', '/robots', robotBody('team-a', 'admin-perm', { access: [['member', 'create']] })), 400, 'BAD_REQUEST', 'ungrantable')
        assertError(await api(u.alice!, 'POST', '/robots', { ...robotBody('team-a', 'sys'), level: 'system' }), 403, 'FORBIDDEN', 'system robot')
        assertError(await api(u.alice!, 'POST', '/robots', robotBody('team-a', 'Bad Name')), 400, 'BAD_REQUEST', 'name')
        const timed = await api(u.alice!, 'POST', '/robots', robotBody('team-a', 'timed', { duration: 30 }))
        assertStatus(timed, 201)
        const expected = Date.now() / 1000 + 30 * 86_400
        assert.ok(Math.abs(timed.json().expires_at - expected) < 120, `expires_at ${timed.json().expires_at}`)
      })

      it('GET /robots/{id} never shows the secret or a hash', async () => {
        const res = await api(u.alice!, 'GET', `/robots/${robotId}`)
        assertStatus(res, 200)
        const r = res.json()
        assert.equal(r.name, robotName)
        assert.equal(r.level, 'project')
        assert.equal(r.duration, -1)
        assert.equal(r.expires_at, -1)
        assert.equal(r.disable, false)
        assert.deepEqual(r.permissions[0].namespace, 'team-a')
        assert.ok(!keysOf(r).some((k) => /secret|hash/i.test(k)), res.body)
        assert.ok(!res.body.includes(secret))
        assertStatus(await api(u.carol!, 'GET', `/robots/${robotId}`), 200, 'guest reads')
        assertError(await api(u.erin!, 'GET', `/robots/${robotId}`), 404, 'NOT_FOUND', 'limited guest')
        assertError(await api(u.mallory!, 'GET', `/robots/${robotId}`), 404, 'NOT_FOUND', 'outsider')
        assertError(await api(ANON, 'GET', `/robots/${robotId}`), 401, 'UNAUTHORIZED')
        assertError(await api(admin, 'GET', '/robots/999999'), 404, 'NOT_FOUND')
        assertError(await api(admin, 'GET', '/robots/x'), 400, 'BAD_REQUEST')
      })

      it('GET /permissions: the grantable pairs, system ones for admins only; 403 for non-admins and robots', async () => {
        const pairs = (xs: Json[]) => xs.map((x: Json) => `${x.resource}:${x.action}`)
        const all = await api(admin, 'GET', '/permissions')
        assertStatus(all, 200, 'admin')
        assert.deepEqual(Object.keys(all.json()).sort(), ['project', 'system'])
        // Exactly what the robot API accepts.
        assert.deepEqual(pairs(all.json().system), [...SYSTEM_GRANTABLE])
        assert.deepEqual(pairs(all.json().project), [...ROBOT_GRANTABLE])
        for (const who of [u.alice!, u.mallory!]) {
          const res = await api(who, 'GET', '/permissions')
          assertStatus(res, 200, who.name)
          assert.deepEqual(res.json().system, [], `${who.name}: no system pairs`)
          assert.deepEqual(res.json().project, all.json().project, who.name)
        }
        // Dave is a maintainer in team-a, erin a limited guest, grace in no project.
        for (const who of [u.dave!, u.erin!, u.grace!]) assertError(await api(who, 'GET', '/permissions'), 403, 'FORBIDDEN', who.name)
        assertError(await api({ name: 'robot', id: 0, headers: { authorization: basicAuth(robotName, secret) } }, 'GET', '/permissions'), 403, 'FORBIDDEN', 'robot')
        assertError(await api(ANON, 'GET', '/permissions'), 401, 'UNAUTHORIZED')
      })

      it('GET /robots: admins list all; others only with q=project_id=<id> (or Harbor\'s Level=project,ProjectID=<id>)', async () => {
        const b = await api(u.mallory!, 'POST', '/robots', robotBody('team-b', 'bee'))
        assertStatus(b, 201)
        assertError(await api(u.alice!, 'GET', '/robots'), 403, 'FORBIDDEN', 'no q')
        assertError(await api(ANON, 'GET', '/robots'), 401, 'UNAUTHORIZED')
        for (const q of [`project_id=${pid['team-a']}`, `Level=project,ProjectID=${pid['team-a']}`]) {
          const res = await api(u.alice!, 'GET', `/robots?q=${encodeURIComponent(q)}`)
          assertStatus(res, 200, q)
          const names = res.json().map((r: Json) => r.name).sort()
          assert.deepEqual(names, ['robot$team-a+ci', 'robot$team-a+timed'], q)
          assert.equal(totalOf(res), 2)
          assert.ok(!res.body.includes(secret) && !keysOf(res.json()).includes('secret'))
        }
        assertStatus(await api(u.carol!, 'GET', `/robots?q=project_id=${pid['team-a']}`), 200, 'guest')
        assertError(await api(u.erin!, 'GET', `/robots?q=project_id=${pid['team-a']}`), 403, 'FORBIDDEN', 'limited guest')
        assertError(await api(u.alice!, 'GET', `/robots?q=project_id=${pid['team-b']}`), 404, 'NOT_FOUND', 'other project')
        const mixed = await api(u.alice!, 'GET', `/robots?q=${encodeURIComponent(`project_id=${pid['team-a']},project_id=${pid['team-b']}`)}`)
        assert.ok(!mixed.body.includes('team-b'), 'a second project_id widened the list')

        const all = await api(admin, 'GET', '/robots?page_size=1')
        assertStatus(all, 200)
        assert.equal(totalOf(all), 3)
        assert.ok(linkRels(all).next !== undefined)
        const named = await api(admin, 'GET', `/robots?q=${encodeURIComponent('name=~bee')}`)
        assert.deepEqual(named.json().map((r: Json) => r.name), ['robot$team-b+bee'])
        assertError(await api(admin, 'GET', '/robots?q=secret_hash=x'), 400, 'BAD_REQUEST')
      })

      it('PUT /robots/{id} disable: the robot can no longer sign in; enabling restores it', async () => {
        assertError(await api(u.bob!, 'PUT', `/robots/${robotId}`, { disable: true }), 403, 'FORBIDDEN', 'developer')
        assertError(await api(u.mallory!, 'PUT', `/robots/${robotId}`, { disable: true }), 404, 'NOT_FOUND', 'outsider')
        assertStatus(await api(u.alice!, 'PUT', `/robots/${robotId}`, { name: 'ci', level: 'project', duration: -1, disable: true, description: 'off' }), 200)
        const r = (await api(u.alice!, 'GET', `/robots/${robotId}`)).json()
        assert.equal(r.disable, true)
        assert.equal(r.description, 'off')
        assertStatus(await tagsOf(basicAuth(robotName, secret)), 401, 'disabled robot')
        assertError(await c.login(robotName, secret), 401, 'UNAUTHORIZED', 'disabled robot, console')
        assertStatus(await api(u.alice!, 'PUT', `/robots/${robotId}`, { disable: false }), 200)
        assertStatus(await tagsOf(basicAuth(robotName, secret)), 404, 'enabled again')
      })

      it('PATCH /robots/{id}: {} issues a new secret (the old one stops working); a weak secret is 400', async () => {
        assertError(await api(u.carol!, 'PATCH', `/robots/${robotId}`, {}), 403, 'FORBIDDEN', 'guest')
        assertError(await api(u.alice!, 'PATCH', `/robots/${robotId}`, { secret: 'weak' }), 400, 'BAD_REQUEST', 'weak')
        assertStatus(await tagsOf(basicAuth(robotName, secret)), 404, 'weak secret not applied')
        const res = await api(u.alice!, 'PATCH', `/robots/${robotId}`, {})
        assertStatus(res, 200)
        assert.deepEqual(Object.keys(res.json()), ['secret'])
        const fresh = res.json().secret as string
        assert.notEqual(fresh, secret)
        assertStatus(await tagsOf(basicAuth(robotName, fresh)), 404, 'new secret')
        assertStatus(await tagsOf(basicAuth(robotName, secret)), 401, 'old secret')
        const chosen = 'Chosen-Secret-9'
        const set = await api(u.alice!, 'PATCH', `/robots/${robotId}`, { secret: chosen })
        assertStatus(set, 200)
        assert.equal(set.json().secret, chosen)
        assertStatus(await tagsOf(basicAuth(robotName, chosen)), 404, 'chosen secret')
        assertStatus(await tagsOf(basicAuth(robotName, fresh)), 401, 'replaced secret')
        secret = chosen
      })

      it("another project's robot id is 404 to a Project Admin, whatever the method", async () => {
        const bee = (await api(admin, 'GET', `/robots?q=${encodeURIComponent('name=robot$team-b+bee')}`)).json()[0].id as number
        assertError(await api(u.alice!, 'GET', `/robots/${bee}`), 404, 'NOT_FOUND', 'GET')
        assertError(await api(u.alice!, 'PUT', `/robots/${bee}`, { disable: true }), 404, 'NOT_FOUND', 'PUT')
        assertError(await api(u.alice!, 'PATCH', `/robots/${bee}`, {}), 404, 'NOT_FOUND', 'PATCH')
        assertError(await api(u.alice!, 'DELETE', `/robots/${bee}`), 404, 'NOT_FOUND', 'DELETE')
        assert.equal((await api(admin, 'GET', `/robots/${bee}`)).json().disable, false)
        // Nor can a robot be moved into another project.
        assertError(
          await api(u.alice!, 'PUT', `/robots/${robotId}`, { permissions: robotBody('team-b', 'x').permissions }),
          404,
          'NOT_FOUND',
          'move to team-b',
        )
      })

      it("a system robot's grant binds to the project, not its name: after the project is deleted and created again the robot can neither pull nor push there", async () => {
        const grant = (namespace: string, actions: string[]) => ({ kind: 'project', namespace, access: actions.map((action) => ({ resource: 'repository', action })) })
        const first = await c.createProject(admin, 'reborn')
        const made = await api(admin, 'POST', '/robots', { name: 'reborn-ci', level: 'system', duration: -1, permissions: [grant('reborn', ['pull', 'push']), grant('team-a', ['pull'])] })
        assertStatus(made, 201)
        const { id, name, secret: robotSecret } = made.json()
        const auth = basicAuth(name, robotSecret)
        const pull = () => c.registry(auth, 'GET', '/v2/reborn/app/tags/list')
        const push = () => c.inject({ method: 'POST', url: '/v2/reborn/app/blobs/uploads/', headers: { authorization: auth } }, 'push reborn')
        const tokenActions = async () => {
          const res = await c.inject({ method: 'GET', url: '/service/token?service=berth-registry&scope=repository:reborn/app:pull,push', headers: { authorization: auth } }, 'token')
          assertStatus(res, 200, 'token')
          const claims = JSON.parse(Buffer.from(res.json().token.split('.')[1], 'base64url').toString('utf8'))
          return (claims.access as { actions: string[] }[]).flatMap((a) => a.actions).sort()
        }
        assertStatus(await pull(), 404, 'pull before (allowed; no such repository)')
        const upload = await push()
        assertStatus(upload, 202, 'push before')
        assertStatus(await c.inject({ method: 'DELETE', url: header(upload, 'location')!, headers: { authorization: auth } }, 'cancel upload'), 204, 'cancel upload')
        assert.deepEqual(await tokenActions(), ['pull', 'push'])

        assertStatus(await api(admin, 'DELETE', '/projects/reborn'), 200, 'delete project')
        const second = await c.createProject(u.alice!, 'reborn')
        assert.notEqual(second, first)
        for (const [res, what] of [
          [await pull(), 'pull after'],
          [await push(), 'push after'],
        ] as const) {
          assert.ok([401, 403].includes(res.statusCode), `${what}: ${res.statusCode} ${res.body}`)
        }
        assert.deepEqual(await tokenActions(), [], 'token after')
        assertStatus(await c.registry(auth, 'GET', '/v2/team-a/x/tags/list'), 404, 'the grant on team-a still holds')

        // The answers show the grant on the deleted project as gone, on both GET and the list.
        const shown = (await api(admin, 'GET', `/robots/${id}`)).json()
        assert.deepEqual(shown.permissions.map((p: Json) => p.namespace), ['team-a'])
        const listed = (await api(admin, 'GET', `/robots?q=${encodeURIComponent(`name=${name}`)}`)).json()
        assert.deepEqual(listed[0].permissions.map((p: Json) => p.namespace), ['team-a'])
        // Granting the new project is an explicit act, and binds to it.
        assertStatus(await api(admin, 'PUT', `/robots/${id}`, { ...shown, permissions: [...shown.permissions, grant('reborn', ['pull'])] }), 200, 'grant the new reborn')
        assertStatus(await pull(), 404, 'pull after the new grant')
        assert.deepEqual(await tokenActions(), ['pull'])
        assert.deepEqual((await api(admin, 'GET', `/robots/${id}`)).json().permissions.map((p: Json) => p.namespace), ['team-a', 'reborn'])
        // A system robot cannot be granted a deleted project by its stored name#id.
        assertError(await api(admin, 'PUT', `/robots/${id}`, { permissions: [grant(`reborn#${first}`, ['pull'])] }), 404, 'NOT_FOUND', 'tombstone name')
        assertStatus(await api(admin, 'DELETE', `/robots/${id}`), 200)
      })

      it('project robots go with their project: deleted with it, never carried to a new project of the same name', async () => {
        await c.createProject(u.alice!, 'reborn-p')
        const made = await api(u.alice!, 'POST', '/robots', robotBody('reborn-p', 'ci'))
        assertStatus(made, 201)
        const { id, name, secret: robotSecret } = made.json()
        assertStatus(await c.registry(basicAuth(name, robotSecret), 'GET', '/v2/reborn-p/app/tags/list'), 404, 'before')
        assertStatus(await api(u.alice!, 'DELETE', '/projects/reborn-p'), 200)
        await c.createProject(u.alice!, 'reborn-p')
        assertError(await api(admin, 'GET', `/robots/${id}`), 404, 'NOT_FOUND', 'robot after')
        assertStatus(await c.registry(basicAuth(name, robotSecret), 'GET', '/v2/reborn-p/app/tags/list'), 401, 'after')
      })

      it('robot secrets at rest: a chosen one meets the password policy and is kept as scrypt; a generated one as a keyed hash; a bare SHA-256 from before still signs in', async () => {
        const stores = t.berth.stores
        assertError(await api(u.alice!, 'POST', '/robots', { ...robotBody('team-a', 'chosen-weak'), secret: 'alllowercase1' }), 400, 'BAD_REQUEST', 'weak chosen secret on create')
        assert.equal(await stores.robots.getByName('robot$team-a+chosen-weak'), null, 'nothing created')

        const chosen = 'Chosen-Secret-42'
        const made = await api(u.alice!, 'POST', '/robots', { ...robotBody('team-a', 'chosen'), secret: chosen })
        assertStatus(made, 201)
        const { id, name } = made.json()
        assert.equal(made.json().secret, chosen)
        assert.match((await stores.robots.get(id))!.secretHash, /^scrypt\$/, 'chosen secret on create')
        assertStatus(await tagsOf(basicAuth(name, chosen)), 404, 'chosen secret signs in')
        assertStatus(await tagsOf(basicAuth(name, 'Chosen-Secret-43')), 401, 'another secret')

        assertError(await api(u.alice!, 'PATCH', `/robots/${id}`, { secret: 'NoDigitsHere' }), 400, 'BAD_REQUEST', 'weak chosen secret on refresh')
        const other = 'Other-Chosen-7'
        assertStatus(await api(u.alice!, 'PATCH', `/robots/${id}`, { secret: other }), 200)
        assert.match((await stores.robots.get(id))!.secretHash, /^scrypt\$/, 'chosen secret on refresh')
        assertStatus(await tagsOf(basicAuth(name, other)), 404, 'refreshed chosen secret signs in')

        const generated = (await api(u.alice!, 'PATCH', `/robots/${id}`, {})).json().secret as string
        const keyed = (await stores.robots.get(id))!.secretHash
        assert.match(keyed, /^hmac-sha256\$[A-Za-z0-9_-]{43}$/, 'generated secret')
        assert.ok(!keyed.includes(createHash('sha256').update(generated).digest('hex')), 'not a bare SHA-256')
        assertStatus(await tagsOf(basicAuth(name, generated)), 404, 'generated secret signs in')

        // A hash written before this version: bare SHA-256 in hex.
        const legacy = 'Legacy-Secret-1'
        await stores.robots.update(id, { secretHash: createHash('sha256').update(legacy).digest('hex') })
        assertStatus(await tagsOf(basicAuth(name, legacy)), 404, 'old-format hash verifies')
        assertStatus(await tagsOf(basicAuth(name, 'Legacy-Secret-2')), 401, 'old-format hash, wrong secret')
        assertStatus(await api(u.alice!, 'DELETE', `/robots/${id}`), 200)
      })

      it('DELETE /robots/{id}: 200, then 404 and its secret stops working', async () => {
        assertError(await api(u.bob!, 'DELETE', `/robots/${robotId}`), 403, 'FORBIDDEN', 'developer')
        assertStatus(await api(u.alice!, 'DELETE', `/robots/${robotId}`), 200)
        assertError(await api(u.alice!, 'GET', `/robots/${robotId}`), 404, 'NOT_FOUND')
        assertError(await api(u.alice!, 'DELETE', `/robots/${robotId}`), 404, 'NOT_FOUND', 'twice')
        assertStatus(await tagsOf(basicAuth(robotName, secret)), 401, 'deleted robot')
      })
    })

    // ------------------------------------------------------------------------------------------
    describe('audit logs', () => {
      let from = ''
      let to = ''
      before(async () => {
        from = new Date(Date.now() - 1000).toISOString()
        await pushImage(t.app, 'team-a/app', 'v1', 'identity-audit')
        assertStatus(await t.app.inject({ method: 'GET', url: '/v2/team-a/app/manifests/v1' }), 200)
        assertError(await c.login('audit-nobody', 'Wrong-Passw0rd1'), 401, 'UNAUTHORIZED')
        await pushImage(t.app, 'library/audited', 'v1', 'identity-audit-library')
        to = new Date(Date.now() + 1000).toISOString()
      })

      it('GET /audit-logs as admin: newest first, with user, resource, type, operation, result and client address', async () => {
        const res = await api(admin, 'GET', '/audit-logs?page_size=100')
        assertStatus(res, 200)
        const entries = res.json() as Json[]
        assert.deepEqual(Object.keys(entries[0]).sort(), ['client_ip', 'id', 'op_time', 'operation', 'operation_result', 'resource', 'resource_type', 'username'])
        const ids = entries.map((e) => e.id)
        assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'not newest first')
        const times = entries.map((e) => e.op_time)
        assert.deepEqual(times, byteSorted(times).reverse(), 'op_time not descending')

        const push = entries.find((e) => e.operation === 'create' && e.resource === 'team-a/app:v1')
        assert.ok(push !== undefined, 'no push entry')
        assert.equal(push.username, 'admin')
        assert.equal(push.resource_type, 'artifact')
        assert.equal(push.operation_result, true)
        assert.equal(push.client_ip, '127.0.0.1')
        const pull = entries.find((e) => e.operation === 'pull' && e.resource === 'team-a/app:v1')
        assert.ok(pull !== undefined, 'no pull entry')
        assert.equal(pull.username, 'admin')
        assert.ok(pull.id > push.id)
        const failed = entries.find((e) => e.operation === 'login' && e.username === 'audit-nobody')
        assert.ok(failed !== undefined, 'no failed login entry')
        assert.equal(failed.operation_result, false)
        assert.equal(failed.client_ip, '127.0.0.1')
        assert.ok(entries.some((e) => e.operation === 'login' && e.username === 'admin' && e.operation_result === true))
        assert.ok(entries.some((e) => e.operation === 'create' && e.resource_type === 'project' && e.resource === 'team-a' && e.username === 'alice'))
      })

      it('filters with q (operation, username, op_time range) and pages', async () => {
        const pulls = await api(admin, 'GET', '/audit-logs?q=operation=pull&page_size=100')
        assert.ok(pulls.json().length > 0 && pulls.json().every((e: Json) => e.operation === 'pull'))
        const mine = await api(admin, 'GET', '/audit-logs?q=username=admin&page_size=100')
        assert.ok(mine.json().length > 0 && mine.json().every((e: Json) => e.username === 'admin'))
        const both = await api(admin, 'GET', `/audit-logs?q=${encodeURIComponent('operation=create,resource=~team-a/app')}`)
        assert.deepEqual(both.json().map((e: Json) => e.resource), ['team-a/app:v1'])

        const inRange = await api(admin, 'GET', `/audit-logs?page_size=100&q=${encodeURIComponent(`op_time=[${from}~${to}]`)}`)
        assertStatus(inRange, 200)
        const ranged = inRange.json() as Json[]
        assert.ok(ranged.some((e) => e.resource === 'team-a/app:v1' && e.operation === 'pull'))
        assert.ok(ranged.every((e) => e.op_time >= from && e.op_time <= to))
        assert.ok(!ranged.some((e) => e.resource === 'team-a' && e.resource_type === 'project'), 'an entry from before the range')
        // Harbor's own spelling: 'YYYY-MM-DD hh:mm:ss', in UTC.
        const harborTime = (iso: string) => iso.slice(0, 19).replace('T', ' ')
        const spaced = await api(admin, 'GET', `/audit-logs?page_size=100&q=${encodeURIComponent(`op_time=[${harborTime(from)}~${harborTime(new Date(Date.parse(to) + 1000).toISOString())}]`)}`)
        assertStatus(spaced, 200)
        assert.ok(spaced.json().some((e: Json) => e.resource === 'team-a/app:v1'))
        const past = await api(admin, 'GET', `/audit-logs?q=${encodeURIComponent('op_time=[2000-01-01T00:00:00Z~2000-01-02T00:00:00Z]')}`)
        assert.deepEqual(past.json(), [])
        assert.equal(totalOf(past), 0)
        assertError(await api(admin, 'GET', `/audit-logs?q=${encodeURIComponent('op_time=[yesterday~]')}`), 400, 'BAD_REQUEST', 'bad time')

        const page1 = await api(admin, 'GET', '/audit-logs?page=1&page_size=2')
        const page2 = await api(admin, 'GET', '/audit-logs?page=2&page_size=2')
        assert.equal(page1.json().length, 2)
        assert.equal(page2.json().length, 2)
        assert.ok(page1.json()[1].id > page2.json()[0].id)
        assert.ok(totalOf(page1) > 4)
        assert.ok(linkRels(page1).next !== undefined)
      })

      it('sort and q keys outside the allowlist are 400; anonymous 401', async () => {
        assertError(await api(admin, 'GET', '/audit-logs?sort=password'), 400, 'BAD_REQUEST', 'sort=password')
        assertError(await api(admin, 'GET', '/audit-logs?q=password=x'), 400, 'BAD_REQUEST', 'q=password')
        const asc = await api(admin, 'GET', '/audit-logs?sort=op_time&page_size=3')
        assertStatus(asc, 200)
        const times = asc.json().map((e: Json) => e.op_time)
        assert.deepEqual(times, byteSorted(times))
        assertError(await api(ANON, 'GET', '/audit-logs'), 401, 'UNAUTHORIZED')
      })

      it('a non-admin sees only the entries of projects whose logs they may list', async () => {
        const res = await api(u.alice!, 'GET', '/audit-logs?page_size=100')
        assertStatus(res, 200)
        const entries = res.json() as Json[]
        assert.ok(entries.some((e) => e.resource === 'team-a/app:v1' && e.operation === 'create'), "team-a's push is missing")
        assert.ok(!entries.some((e) => e.resource.startsWith('library/')), 'library entries leak (alice has no role there)')
        assert.ok(!entries.some((e) => e.operation === 'login'), 'login entries leak')
        assert.ok(!entries.some((e) => e.resource.startsWith('team-b') || e.resource.startsWith('robot$team-b')), 'team-b entries leak')
        assert.equal(totalOf(res), entries.length)
        const filtered = await api(u.alice!, 'GET', '/audit-logs?q=username=admin&page_size=100')
        assert.ok(filtered.json().every((e: Json) => e.username === 'admin' && e.operation !== 'login'))
        const lg = await api(u.erin!, 'GET', '/audit-logs?page_size=100')
        assertStatus(lg, 200)
        assert.ok(!lg.json().some((e: Json) => e.resource.startsWith('team-a')), 'a limited guest sees team-a entries')
      })

      it('GET /projects/{p}/logs: guests 200 (only that project), limited guests 403', async () => {
        const res = await api(u.carol!, 'GET', '/projects/team-a/logs?page_size=100')
        assertStatus(res, 200)
        const entries = res.json() as Json[]
        assert.ok(entries.some((e) => e.resource === 'team-a/app:v1' && e.operation === 'pull'))
        assert.ok(!entries.some((e) => e.resource.startsWith('library/') || e.operation === 'login'))
        const byOp = await api(u.carol!, 'GET', '/projects/team-a/logs?q=operation=pull')
        assert.ok(byOp.json().length > 0 && byOp.json().every((e: Json) => e.operation === 'pull'))
        assertStatus(await api(u.carol!, 'GET', `/projects/${pid['team-a']}/logs`), 200, 'by id')
        assertError(await api(u.erin!, 'GET', '/projects/team-a/logs'), 403, 'FORBIDDEN', 'limited guest')
        assertError(await api(u.carol!, 'GET', '/projects/team-a/logs?sort=password'), 400, 'BAD_REQUEST')
        // library is public: anyone may read it, but not its logs.
        assertError(await api(u.carol!, 'GET', '/projects/library/logs'), 403, 'FORBIDDEN', 'public project')
        assertStatus(await api(admin, 'GET', '/projects/library/logs'), 200, 'admin')
      })
    })

    // ------------------------------------------------------------------------------------------
    describe('console login, sessions and CSRF', () => {
      it('POST /c/login: 200, an httpOnly sid cookie and the X-Harbor-CSRF-Token header; the cookie alone reads', async () => {
        const res = await c.login('sessy', PASSWORD)
        assertStatus(res, 200)
        const sid = res.cookies.find((k) => k.name === 'sid')
        assert.ok(sid !== undefined, `no sid cookie in ${JSON.stringify(res.headers['set-cookie'])}`)
        assert.equal(sid.httpOnly, true)
        assert.equal(sid.path, '/')
        assert.ok(sid.value.length >= 32)
        assert.ok((header(res, 'x-harbor-csrf-token') ?? '').length >= 16)
        const me = await api({ name: 'cookie', id: 0, headers: { cookie: `sid=${sid.value}` } }, 'GET', '/users/current')
        assertStatus(me, 200)
        assert.equal(me.json().username, 'sessy')
        assertError(await api({ name: 'forged', id: 0, headers: { cookie: `sid=${'A'.repeat(43)}` } }, 'GET', '/users/current'), 401, 'UNAUTHORIZED', 'forged cookie')
      })

      it('a state change with the session cookie needs the CSRF header (403 without or wrong, and nothing happens)', async () => {
        const res = await c.login('sessy', PASSWORD)
        const sid = res.cookies.find((k) => k.name === 'sid')!.value
        const csrf = header(res, 'x-harbor-csrf-token')!
        const cookieOnly: Actor = { name: 'cookie', id: 0, headers: { cookie: `sid=${sid}` } }
        assertError(await api(cookieOnly, 'POST', '/projects', { project_name: 'csrf-none' }), 403, 'FORBIDDEN', 'no header')
        assertError(await api(cookieOnly, 'POST', '/projects', { project_name: 'csrf-wrong' }, { 'x-harbor-csrf-token': 'x'.repeat(csrf.length) }), 403, 'FORBIDDEN', 'wrong header')
        assertError(await api(cookieOnly, 'POST', '/projects', { project_name: 'csrf-other' }, { 'x-harbor-csrf-token': u.alice!.headers['x-harbor-csrf-token']! }), 403, 'FORBIDDEN', "another session's token")
        for (const n of ['csrf-none', 'csrf-wrong', 'csrf-other']) assertError(await api(admin, 'GET', `/projects/${n}`), 404, 'NOT_FOUND', n)
        const ok = await api(cookieOnly, 'POST', '/projects', { project_name: 'csrf-ok' }, { 'x-harbor-csrf-token': csrf })
        assertStatus(ok, 201)
        assert.equal((await api(admin, 'GET', '/projects/csrf-ok')).json().owner_name, 'sessy')
        assertError(await api(cookieOnly, 'DELETE', '/projects/csrf-ok'), 403, 'FORBIDDEN', 'DELETE without header')
        assertStatus(await api(admin, 'GET', '/projects/csrf-ok'), 200)
      })

      it('a Basic-auth client needs no CSRF header', async () => {
        const res = await api(basicActor('sessy', PASSWORD), 'POST', '/projects', { project_name: 'basic-proj' })
        assertStatus(res, 201)
        assertStatus(await api(admin, 'GET', '/projects/basic-proj'), 200)
        assertStatus(await api({ name: 'admin-basic', id: 0, headers: { authorization: ADMIN_AUTH } }, 'DELETE', '/projects/basic-proj'), 200)
      })

      it('robot credentials, wrong passwords and malformed bodies cannot sign in', async () => {
        const made = await api(admin, 'POST', '/robots', robotBody('team-a', 'console'))
        assertStatus(made, 201)
        const { name, secret } = made.json()
        assertStatus(await c.registry(basicAuth(name, secret), 'GET', '/v2/team-a/x/tags/list'), 404, 'robot is valid')
        const robot = await c.login(name, secret)
        assertError(robot, 401, 'UNAUTHORIZED', 'robot')
        assert.equal(robot.cookies.find((k) => k.name === 'sid'), undefined)
        const wrong = await c.login('sessy', 'Wrong-Passw0rd')
        assertError(wrong, 401, 'UNAUTHORIZED', 'wrong password')
        assert.equal(wrong.cookies.find((k) => k.name === 'sid'), undefined)
        assertError(await c.login('no-such-user', PASSWORD), 401, 'UNAUTHORIZED', 'unknown user')
        const missing = await c.inject({ method: 'POST', url: '/c/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'principal=sessy' }, 'no password')
        assertError(missing, 400, 'BAD_REQUEST', 'no password')
      })

      it('/c/log_out ends the session: the cookie is then 401', async () => {
        const s = await c.session('sessy', PASSWORD)
        assertStatus(await api(s, 'GET', '/users/current'), 200)
        const out = await c.inject({ method: 'GET', url: '/c/log_out', headers: s.headers }, 'log_out')
        assertStatus(out, 200)
        const cleared = out.cookies.find((k) => k.name === 'sid')
        assert.ok(cleared !== undefined && (cleared.value === '' || (cleared.expires !== undefined && cleared.expires.getTime() < Date.now())), 'sid not cleared')
        assertError(await api(s, 'GET', '/users/current'), 401, 'UNAUTHORIZED', 'after log_out')
        assertError(await api(s, 'POST', '/projects', { project_name: 'after-logout' }), 401, 'UNAUTHORIZED', 'POST after log_out')
      })

      it("a password change ends the user's other sessions (the one that made it stays); an admin reset and a Basic-auth change end them all", async () => {
        const id = await c.createUser(admin, 'sesspw')
        const one = await c.session('sesspw', PASSWORD)
        const two = await c.session('sesspw', PASSWORD)
        const bystander = await c.session('sessy', PASSWORD)
        const next = 'Next-Passw0rd-7'
        assertStatus(await api(one, 'PUT', `/users/${id}/password`, { old_password: PASSWORD, new_password: next }), 200)
        assertStatus(await api(one, 'GET', '/users/current'), 200, 'the session that made the change')
        assertError(await api(two, 'GET', '/users/current'), 401, 'UNAUTHORIZED', 'another session of the user')
        assertStatus(await api(bystander, 'GET', '/users/current'), 200, "another user's session")

        const three = await c.session('sesspw', next)
        const reset = 'Reset-Passw0rd-8'
        assertStatus(await api(admin, 'PUT', `/users/${id}/password`, { new_password: reset }), 200, 'admin reset')
        assertError(await api(one, 'GET', '/users/current'), 401, 'UNAUTHORIZED', 'after reset: one')
        assertError(await api(three, 'GET', '/users/current'), 401, 'UNAUTHORIZED', 'after reset: three')
        assertStatus(await api(admin, 'GET', '/users/current'), 200, "the admin's own session")

        const four = await c.session('sesspw', reset)
        assertStatus(await api(basicActor('sesspw', reset), 'PUT', `/users/${id}/password`, { old_password: reset, new_password: 'Third-Passw0rd-9' }), 200, 'Basic change')
        assertError(await api(four, 'GET', '/users/current'), 401, 'UNAUTHORIZED', 'after a change without a session')
        assertStatus(await api(bystander, 'GET', '/users/current'), 200, "another user's session, at the end")
      })

      it('5 failed logins lock the user out (429 with Retry-After, even with the right password); others are unaffected', async () => {
        const failures = await Promise.all([0, 1, 2, 3, 4].map((i) => c.login('locky', `Wrong-Passw0rd${i}`)))
        for (const res of failures) assertError(res, 401, 'UNAUTHORIZED', 'wrong password')
        const locked = await c.login('locky', PASSWORD)
        assertError(locked, 429, 'TOO_MANY_REQUESTS', 'right password while locked')
        const retry = Number(header(locked, 'retry-after'))
        assert.ok(Number.isInteger(retry) && retry > 0 && retry <= 15 * 60, `Retry-After ${header(locked, 'retry-after')}`)
        assertError(await api(basicActor('locky', PASSWORD), 'GET', '/users/current'), 429, 'TOO_MANY_REQUESTS', 'Basic while locked')
        assertStatus(await c.login('sessy', PASSWORD), 200, 'another user')
        assertStatus(await api(basicActor('carol', PASSWORD), 'GET', '/users/current'), 200, 'another user, Basic')
      })

      it(
        'the lockout also holds for credentials that were recently accepted (and cached)',
        async () => {
          assertStatus(await api(basicActor('locky2', PASSWORD), 'GET', '/users/current'), 200, 'before')
          const failures = await Promise.all([0, 1, 2, 3, 4].map((i) => c.login('locky2', `Wrong-Passw0rd${i}`)))
          for (const res of failures) assertError(res, 401, 'UNAUTHORIZED', 'wrong password')
          assertError(await c.login('locky2', PASSWORD), 429, 'TOO_MANY_REQUESTS', 'console login, right password')
          assertError(await api(basicActor('locky2', PASSWORD), 'GET', '/users/current'), 429, 'TOO_MANY_REQUESTS', 'Basic, right password (cached)')
        },
      )
      it('25 concurrent Basic guesses get at most 5 password checks (the rest 429); the right password sent as guess 18 is not accepted', async () => {
        const guesses = Array.from({ length: 25 }, (_, i) => (i === 17 ? PASSWORD : `Guess-Passw0rd${i}`))
        const answers = await Promise.all(guesses.map((g) => api(basicActor('lockrace', g), 'GET', '/users/current')))
        const statuses = answers.map((r) => r.statusCode)
        assert.ok(statuses.filter((s) => s === 401).length <= 5, statuses.join(' '))
        assert.equal(statuses.filter((s) => s === 401 || s === 429).length, 25, statuses.join(' '))
        assert.equal(statuses[17], 429)
        for (const r of answers.filter((r) => r.statusCode === 429)) assert.ok(Number(header(r, 'retry-after')) > 0)
        assertError(await api(basicActor('lockrace', PASSWORD), 'GET', '/users/current'), 429, 'TOO_MANY_REQUESTS', 'right password after the race')
      })

      it('a wrong old_password in PUT /users/{id}/password counts like a failed login: the sixth try is 429, and so is a login', async () => {
        const s = await c.session('lockpw', PASSWORD)
        const id = (await api(s, 'GET', '/users/current')).json().user_id as number
        for (let i = 0; i < 5; i++) {
          assertError(await api(s, 'PUT', `/users/${id}/password`, { old_password: `Wrong-Passw0rd${i}`, new_password: 'Other-Passw0rd-9' }), 403, 'FORBIDDEN', `wrong old ${i}`)
        }
        assertError(await api(s, 'PUT', `/users/${id}/password`, { old_password: PASSWORD, new_password: 'Other-Passw0rd-9' }), 429, 'TOO_MANY_REQUESTS', 'right old while locked')
        assertError(await api(basicActor('lockpw', PASSWORD), 'GET', '/users/current'), 429, 'TOO_MANY_REQUESTS', 'Basic while locked')
      })
    })

    // ------------------------------------------------------------------------------------------
    describe('error bodies', () => {
      it('unknown API paths, malformed credentials and bodies answer in Harbor\'s error format with a request id', async () => {
        assertError(await api(admin, 'GET', '/nothing-here'), 404, 'NOT_FOUND')
        assertError(await api({ name: 'bad-auth', id: 0, headers: { authorization: 'Basic' } }, 'GET', '/users/current'), 401, 'UNAUTHORIZED', 'malformed Authorization')
        assertError(await api({ name: 'bearer', id: 0, headers: { authorization: 'Bearer abc' } }, 'GET', '/users/current'), 401, 'UNAUTHORIZED', 'bearer on the API')
        assertError(await api(admin, 'POST', '/projects', '{"project_name":', { 'content-type': 'application/json' }), 400, 'BAD_REQUEST', 'invalid JSON')
        assertError(await api(admin, 'POST', '/projects', '[]', { 'content-type': 'application/json' }), 400, 'BAD_REQUEST', 'not an object')
        const echoed = await api(admin, 'GET', '/users/999999', undefined, { 'x-request-id': 'trace-identity-1' })
        assert.equal(header(echoed, 'x-request-id'), 'trace-identity-1')
      })
    })
  })

  describe(`identity API with self-registration (${dialect})`, await dialectSkip(dialect), () => {
    const t = useBerth(dialect, { auth: { self_registration: true } })
    const c = clientOf(() => t.anonymous)

    it('anonymous POST /users creates an unprivileged user who can sign in', async () => {
      const res = await c.api(ANON, 'POST', '/users', { username: 'selfie', password: PASSWORD, email: 'selfie@example.com' })
      assertStatus(res, 201)
      const id = idFromLocation(res, `${API}/users`)
      const me = await c.api(basicActor('selfie', PASSWORD), 'GET', '/users/current')
      assertStatus(me, 200)
      assert.equal(me.json().user_id, id)
      assert.equal(me.json().sysadmin_flag, false)
      assertError(await c.api(basicActor('selfie', PASSWORD), 'GET', '/users'), 403, 'FORBIDDEN')
      assertStatus(await c.login('selfie', PASSWORD), 200, 'console login')
    })

    it('self-registration cannot grant privileges or skip the rules', async () => {
      assertError(await c.api(ANON, 'POST', '/users', { username: 'selfadmin', password: PASSWORD, sysadmin_flag: true }), 400, 'BAD_REQUEST', 'sysadmin_flag')
      assertError(await c.api(ANON, 'POST', '/users', { username: 'weakself', password: 'weak' }), 400, 'BAD_REQUEST', 'weak')
      assertError(await c.api(ANON, 'POST', '/users', { username: 'selfie', password: PASSWORD }), 409, 'CONFLICT', 'taken')
      assertError(await c.api(ANON, 'POST', '/users', { username: 'admin', password: PASSWORD }), 409, 'CONFLICT', 'admin')
      assertError(await c.api(basicActor('selfie', PASSWORD), 'POST', '/users', { username: 'byself', password: PASSWORD }), 403, 'FORBIDDEN', 'a signed-in non-admin')
      const users = await t.app.inject({ method: 'GET', url: `${API}/users?page_size=100` })
      assert.deepEqual(users.json().map((x: Json) => x.username).sort(), ['admin', 'selfie'])
    })
  })
}
