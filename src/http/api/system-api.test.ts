// /api/v2.0 system endpoints (ping, health, systeminfo, statistics, search, quotas, project
// summary and _deletable, configurations, the caller's permissions, HEAD /projects), end to end
// through app.inject() on both database dialects.
//
// Users sign in once on the console (cookie + CSRF header): a session costs no password hash per
// request. The fixture is built once per dialect; the tests that change run-time settings put
// them back, and come last, since they create projects.
import assert from 'node:assert/strict'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { InjectOptions } from 'fastify'
import { ADMIN_AUTH, TEST_ADMIN_PASSWORD, createTestBerth, type TestBerth } from '../../../test/support/berth-app.js'
import { DIALECTS, dialectSkip } from '../../../test/support/databases.js'
import { resolvedPaths } from '../../app/config.js'
import { pushImage, useBerth, type App, type Response } from '../oci/oci-test-support.js'
import { assertError, assertStatus } from './api-test-support.js'

const BASE = '/api/v2.0'
const USER_PASSWORD = 'System-Test-Passw0rd'

/** A parsed JSON body, read field by field. */
type Json = any

/** The headers that make a request someone's (none: anonymous). */
type Who = Record<string, string>
const NOBODY: Who = {}

function names(xs: Json[], key: string): string[] {
  return xs.map((x) => x[key] as string).sort()
}

/** The claims of a JWT, unverified. */
function claimsOf(jwt: string): Json {
  const part = jwt.split('.')[1]
  assert.ok(part !== undefined, `not a JWT: ${jwt.slice(0, 40)}`)
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
}

function requests(app: () => App) {
  const send = (who: Who, method: InjectOptions['method'], path: string, payload?: unknown): Promise<Response> =>
    app().inject({ method, url: `${BASE}${path}`, headers: { ...who }, ...(payload === undefined ? {} : { payload: payload as InjectOptions['payload'] }) }) as Promise<Response>

  /** Console sign-in: the session cookie and the CSRF token as request headers. */
  const signIn = async (principal: string, password: string): Promise<Who> => {
    const form = new URLSearchParams({ principal, password }).toString()
    const res = (await app().inject({ method: 'POST', url: '/c/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: form })) as Response
    assertStatus(res, 200, `sign in ${principal}`)
    const sid = res.cookies.find((k) => k.name === 'sid')?.value
    const csrf = res.headers['x-harbor-csrf-token']
    assert.ok(sid !== undefined && typeof csrf === 'string', `no session for ${principal}`)
    return { cookie: `sid=${sid}`, 'x-harbor-csrf-token': csrf }
  }

  /** Creates a project as `who` and returns its id. */
  const project = async (who: Who, name: string, isPublic: boolean): Promise<number> => {
    const res = await send(who, 'POST', '/projects', { project_name: name, metadata: { public: isPublic ? 'true' : 'false' } })
    assertStatus(res, 201, `project ${name}`)
    const id = /\/projects\/(\d+)$/.exec(String(res.headers.location))?.[1]
    assert.ok(id !== undefined, `Location ${String(res.headers.location)}`)
    return Number(id)
  }

  return { send, signIn, project }
}

for (const dialect of DIALECTS) {
  describe(`system API (${dialect})`, await dialectSkip(dialect), () => {
    const t = useBerth(dialect)
    const { send, signIn, project } = requests(() => t.anonymous)

    let admin: Who
    /** Sessions by user name. */
    const as: Record<string, Who> = {}
    /** Project ids by name. */
    const ids: Record<string, number> = {}

    // team-a (private, owner's): dev Developer, guest Guest, limited Limited Guest; repository app.
    // team-b (private, admin's): repository secret-app. empty-a (private, owner's): no repositories.
    // pub-x (public): app-pub, wild_card, wildxcard. wild_proj, wildxproj (public, empty). library (public, empty).
    const USERS = ['owner', 'dev', 'guest', 'limited', 'outsider']
    before(async () => {
      admin = await signIn('admin', TEST_ADMIN_PASSWORD)
      await Promise.all(
        USERS.map(async (name) => assertStatus(await send(admin, 'POST', '/users', { username: name, password: USER_PASSWORD, email: `${name}@example.com`, realname: name }), 201, name)),
      )
      for (const [name, who] of await Promise.all(USERS.map(async (n) => [n, await signIn(n, USER_PASSWORD)] as const))) as[name] = who
      ids['team-a'] = await project(as.owner!, 'team-a', false)
      ids['empty-a'] = await project(as.owner!, 'empty-a', false)
      ids['team-b'] = await project(admin, 'team-b', false)
      ids['pub-x'] = await project(admin, 'pub-x', true)
      ids.wild_proj = await project(admin, 'wild_proj', true)
      ids.wildxproj = await project(admin, 'wildxproj', true)
      for (const [name, role] of [['dev', 2], ['guest', 3], ['limited', 5]] as const) {
        assertStatus(await send(as.owner!, 'POST', '/projects/team-a/members', { role_id: role, member_user: { username: name } }), 201, `member ${name}`)
      }
      await pushImage(t.app, 'team-a/app', 'v1', 'system-team-a')
      await pushImage(t.app, 'team-b/secret-app', 'v1', 'system-team-b')
      await pushImage(t.app, 'pub-x/app-pub', 'v1', 'system-pub-app')
      await pushImage(t.app, 'pub-x/wild_card', 'v1', 'system-pub-wild1')
      await pushImage(t.app, 'pub-x/wildxcard', 'v1', 'system-pub-wild2')
    })

    describe('ping, health, systeminfo', () => {
      it('GET /ping: 200 text Pong, anonymous', async () => {
        const res = await send(NOBODY, 'GET', '/ping')
        assertStatus(res, 200)
        assert.equal(res.body, 'Pong')
        assert.match(String(res.headers['content-type']), /^text\/plain/)
      })

      it('GET /health: healthy core, database and storage, anonymous', async () => {
        const res = await send(NOBODY, 'GET', '/health')
        assertStatus(res, 200)
        const body = res.json()
        assert.equal(body.status, 'healthy')
        assert.deepEqual(names(body.components, 'name'), ['core', 'database', 'storage'])
        for (const c of body.components) {
          assert.equal(c.status, 'healthy', c.name)
          assert.equal(c.error, undefined)
        }
      })

      describe('GET /health with storage whose root is a file', () => {
        let broken: TestBerth
        let health: Response
        before(async () => {
          broken = await createTestBerth(dialect)
          const root = resolvedPaths(broken.config).storageRoot
          assert.equal(root, join(broken.dataDir, 'storage'))
          await rm(root, { recursive: true, force: true })
          await writeFile(root, 'not a folder')
          health = (await broken.app.inject({ method: 'GET', url: `${BASE}/health` })) as Response
        })
        after(() => broken?.destroy())

        it('storage is unhealthy with an error, so is the whole; the database stays healthy', () => {
          assertStatus(health, 200)
          const body = health.json()
          assert.equal(body.status, 'unhealthy')
          const by = Object.fromEntries(body.components.map((c: Json) => [c.name, c]))
          assert.equal(by.storage.status, 'unhealthy')
          assert.equal(typeof by.storage.error, 'string')
          assert.ok(by.storage.error.length > 0)
          assert.equal(by.database.error, undefined)
          assert.equal(by.database.status, 'healthy')
          assert.equal(by.core.status, 'healthy')
        })

        it('anonymous callers are not shown where the server keeps its data', () => {
          assert.ok(!health.body.includes(broken.dataDir), `the data folder is shown: ${health.body}`)
        })
      })

      it('GET /systeminfo: the login page basics for anonymous callers, URLs only when signed in', async () => {
        const open = await send(NOBODY, 'GET', '/systeminfo')
        assertStatus(open, 200)
        const info = open.json()
        assert.equal(info.auth_mode, 'db_auth')
        assert.equal(info.self_registration, false)
        assert.equal(typeof info.harbor_version, 'string')
        assert.ok(info.harbor_version.length > 0)
        for (const key of ['external_url', 'registry_url', 'project_creation_restriction', 'registry_storage_provider_name']) assert.ok(!(key in info), `anonymous sees ${key}`)

        const full = await send(admin, 'GET', '/systeminfo')
        assertStatus(full, 200)
        const more = full.json()
        assert.match(more.external_url, /^https?:\/\/\S+$/)
        assert.equal(more.registry_url, more.external_url.replace(/^https?:\/\//, ''))
        assert.equal(more.project_creation_restriction, 'everyone')
        assert.equal(more.registry_storage_provider_name, 'filesystem')
        assert.equal(more.auth_mode, 'db_auth')
      })
    })

    describe('statistics', () => {
      it('anonymous: 401', async () => {
        assertError(await send(NOBODY, 'GET', '/statistics'), 401, 'UNAUTHORIZED')
      })

      it('a member of one private project: that project and the public ones, no storage total', async () => {
        const res = await send(as.dev!, 'GET', '/statistics')
        assertStatus(res, 200)
        // Public: library, pub-x, wild_proj, wildxproj; their repositories are pub-x's three.
        assert.deepEqual(res.json(), { private_project_count: 1, private_repo_count: 1, public_project_count: 4, public_repo_count: 3, total_project_count: 5, total_repo_count: 4 })
      })

      it('a user in no project: public ones only', async () => {
        const res = await send(as.outsider!, 'GET', '/statistics')
        assertStatus(res, 200)
        assert.deepEqual(res.json(), { private_project_count: 0, private_repo_count: 0, public_project_count: 4, public_repo_count: 3, total_project_count: 4, total_repo_count: 3 })
      })

      it('admin: every project and repository, and the storage in use', async () => {
        const res = await send(admin, 'GET', '/statistics')
        assertStatus(res, 200)
        const s = res.json()
        assert.equal(s.private_project_count, 3)
        assert.equal(s.private_repo_count, 2)
        assert.equal(s.public_project_count, 4)
        assert.equal(s.public_repo_count, 3)
        assert.equal(s.total_project_count, 7)
        assert.equal(s.total_repo_count, 5)
        assert.ok(Number.isInteger(s.total_storage_consumption) && s.total_storage_consumption > 0, `total_storage_consumption ${s.total_storage_consumption}`)
      })
    })

    describe('search', () => {
      const search = async (who: Who, q: string): Promise<{ projects: string[]; repos: string[] }> => {
        const res = await send(who, 'GET', `/search?q=${encodeURIComponent(q)}`)
        assertStatus(res, 200, `search ${q}`)
        const body = res.json()
        return { projects: names(body.project, 'name'), repos: names(body.repository, 'repository_name') }
      }

      it('anonymous callers find public projects and repositories only', async () => {
        assert.deepEqual(await search(NOBODY, 'app'), { projects: [], repos: ['pub-x/app-pub'] })
        assert.deepEqual((await search(NOBODY, 'team')).projects, [])
        assert.deepEqual((await search(NOBODY, 'pub')).projects, ['pub-x'])
      })

      it("a member finds their private project's repositories, never others' private ones", async () => {
        assert.deepEqual(await search(as.dev!, 'app'), { projects: [], repos: ['pub-x/app-pub', 'team-a/app'] })
        assert.deepEqual((await search(as.dev!, 'team')).projects, ['team-a'])
        assert.deepEqual(await search(as.outsider!, 'app'), { projects: [], repos: ['pub-x/app-pub'] })
        assert.deepEqual((await search(as.outsider!, 'team')).projects, [])
      })

      it('admin finds everything; a repository carries its project and artifact count', async () => {
        assert.deepEqual((await search(admin, 'app')).repos, ['pub-x/app-pub', 'team-a/app', 'team-b/secret-app'])
        assert.deepEqual((await search(admin, 'team')).projects, ['team-a', 'team-b'])
        const res = await send(admin, 'GET', '/search?q=secret-app')
        const [repo] = res.json().repository
        assert.equal(repo.project_id, ids['team-b'])
        assert.equal(repo.project_name, 'team-b')
        assert.equal(repo.project_public, false)
        assert.equal(repo.artifact_count, 1)
      })

      it('LIKE wildcards match literally', async () => {
        assert.deepEqual(await search(admin, 'd_c'), { projects: [], repos: ['pub-x/wild_card'] })
        assert.deepEqual((await search(admin, 'd_p')).projects, ['wild_proj'])
        assert.deepEqual(await search(admin, '%'), { projects: [], repos: [] })
        assert.deepEqual(await search(NOBODY, 'wild%card'), { projects: [], repos: [] })
      })

      it('a missing or empty q is 400', async () => {
        assertError(await send(NOBODY, 'GET', '/search'), 400, 'BAD_REQUEST', 'no q')
        assertError(await send(admin, 'GET', '/search?q='), 400, 'BAD_REQUEST', 'empty q')
        assertError(await send(admin, 'GET', '/search?q=%20%20'), 400, 'BAD_REQUEST', 'blank q')
      })
    })

    describe('quotas', () => {
      it('admin: one per project; usage of pushed content, no hard limit', async () => {
        const res = await send(admin, 'GET', '/quotas')
        assertStatus(res, 200)
        const list = res.json() as Json[]
        assert.deepEqual(list.map((q) => q.ref.name).sort(), ['empty-a', 'library', 'pub-x', 'team-a', 'team-b', 'wild_proj', 'wildxproj'])
        assert.equal(res.headers['x-total-count'], String(list.length))
        const a = list.find((q) => q.ref.name === 'team-a')
        assert.equal(a.id, ids['team-a'])
        assert.equal(a.ref.id, ids['team-a'])
        assert.equal(a.ref.owner_name, 'owner')
        assert.equal(a.hard.storage, -1)
        assert.ok(a.used.storage > 0, `used ${a.used.storage}`)
        assert.equal(list.find((q) => q.ref.name === 'empty-a').used.storage, 0)
      })

      it('reference_id picks one project', async () => {
        const res = await send(admin, 'GET', `/quotas?reference=project&reference_id=${ids['team-b']}`)
        assertStatus(res, 200)
        assert.deepEqual(res.json().map((q: Json) => q.ref.name), ['team-b'])
        const none = await send(admin, 'GET', '/quotas?reference_id=999999')
        assertStatus(none, 200)
        assert.deepEqual(none.json(), [])
        assertError(await send(admin, 'GET', '/quotas?reference_id=abc'), 400, 'BAD_REQUEST')
      })

      it('non-admins 403, anonymous 401', async () => {
        assertError(await send(as.owner!, 'GET', '/quotas'), 403, 'FORBIDDEN')
        assertError(await send(NOBODY, 'GET', '/quotas'), 401, 'UNAUTHORIZED')
        assertError(await send(as.owner!, 'GET', `/quotas/${ids['team-a']}`), 403, 'FORBIDDEN')
        assertError(await send(NOBODY, 'GET', `/quotas/${ids['team-a']}`), 401, 'UNAUTHORIZED')
      })

      it('GET /quotas/{id}: 200; unknown 404; not a number 400', async () => {
        const res = await send(admin, 'GET', `/quotas/${ids['team-a']}`)
        assertStatus(res, 200)
        assert.equal(res.json().ref.name, 'team-a')
        assert.ok(res.json().used.storage > 0)
        assertError(await send(admin, 'GET', '/quotas/999999'), 404, 'NOT_FOUND')
        assertError(await send(admin, 'GET', '/quotas/abc'), 400, 'BAD_REQUEST')
      })
    })

    describe('project summary and _deletable', () => {
      it('a guest (member:list) sees repo_count, members by role and usage', async () => {
        const res = await send(as.guest!, 'GET', '/projects/team-a/summary')
        assertStatus(res, 200)
        const s = res.json()
        assert.equal(s.repo_count, 1)
        assert.deepEqual(
          [s.project_admin_count, s.maintainer_count, s.developer_count, s.guest_count, s.limited_guest_count],
          [1, 0, 1, 1, 1],
        )
        assert.equal(s.quota.hard.storage, -1)
        assert.ok(s.quota.used.storage > 0)
        const byId = await send(as.guest!, 'GET', `/projects/${ids['team-a']}/summary`)
        assertStatus(byId, 200)
        assert.equal(byId.json().repo_count, 1)
      })

      it('a limited guest gets no member counts', async () => {
        const res = await send(as.limited!, 'GET', '/projects/team-a/summary')
        assertStatus(res, 200)
        const s = res.json()
        assert.equal(s.repo_count, 1)
        for (const key of ['project_admin_count', 'maintainer_count', 'developer_count', 'guest_count', 'limited_guest_count']) assert.ok(!(key in s), `limited guest sees ${key}`)
      })

      it('a public project: anyone sees it without member counts', async () => {
        const res = await send(NOBODY, 'GET', '/projects/pub-x/summary')
        assertStatus(res, 200)
        assert.equal(res.json().repo_count, 3)
        assert.ok(!('guest_count' in res.json()))
      })

      it("a private project is 404 to a non-member, 401 to anonymous; a missing one 404", async () => {
        assertError(await send(as.outsider!, 'GET', '/projects/team-a/summary'), 404, 'NOT_FOUND')
        assertError(await send(as.outsider!, 'GET', `/projects/${ids['team-a']}/summary`), 404, 'NOT_FOUND')
        assertError(await send(NOBODY, 'GET', '/projects/team-a/summary'), 401, 'UNAUTHORIZED')
        assertError(await send(admin, 'GET', '/projects/no-such-project/summary'), 404, 'NOT_FOUND')
      })

      it('_deletable: false with a repository, true when empty (project admin); 403 for a developer', async () => {
        const full = await send(as.owner!, 'GET', '/projects/team-a/_deletable')
        assertStatus(full, 200)
        assert.equal(full.json().deletable, false)
        assert.ok(full.json().message.length > 0)
        const empty = await send(as.owner!, 'GET', `/projects/${ids['empty-a']}/_deletable`)
        assertStatus(empty, 200)
        assert.deepEqual(empty.json(), { deletable: true, message: '' })
        assertError(await send(as.dev!, 'GET', '/projects/team-a/_deletable'), 403, 'FORBIDDEN')
        assertError(await send(as.outsider!, 'GET', '/projects/team-a/_deletable'), 404, 'NOT_FOUND')
        assertError(await send(NOBODY, 'GET', '/projects/team-a/_deletable'), 401, 'UNAUTHORIZED')
      })
    })

    describe('permissions and HEAD /projects', () => {
      const permsOf = async (who: Who, scope: string): Promise<string[]> => {
        const res = await send(who, 'GET', `/users/current/permissions?scope=${encodeURIComponent(scope)}`)
        assertStatus(res, 200, scope)
        return res.json().map((p: Json) => `${p.resource}:${p.action}`)
      }

      it('a developer may push but not delete repositories', async () => {
        const perms = await permsOf(as.dev!, `/project/${ids['team-a']}`)
        assert.ok(perms.includes('repository:push'), perms.join(' '))
        assert.ok(perms.includes('repository:pull'))
        assert.ok(!perms.includes('repository:delete'), perms.join(' '))
        assert.ok(perms.includes('member:list'))
      })

      it('a limited guest may not list members; a project admin may delete the project', async () => {
        const limited = await permsOf(as.limited!, `/project/${ids['team-a']}`)
        assert.ok(limited.includes('repository:pull'))
        assert.ok(!limited.includes('member:list'), limited.join(' '))
        assert.ok(!limited.includes('repository:push'))
        assert.ok((await permsOf(as.owner!, `/project/${ids['team-a']}`)).includes('project:delete'))
      })

      it('the system scope: administrators get configuration rights, users only project creation', async () => {
        assert.ok((await permsOf(admin, '/')).includes('configuration:update'))
        assert.deepEqual(await permsOf(as.dev!, '/'), ['project:create'])
      })

      it('a bad scope is 400; a private project of others 404; anonymous 401', async () => {
        for (const scope of ['/projects/1', '/project/abc', 'project/1', '/project/']) {
          assertError(await send(as.dev!, 'GET', `/users/current/permissions?scope=${encodeURIComponent(scope)}`), 400, 'BAD_REQUEST', scope)
        }
        assertError(await send(as.dev!, 'GET', `/users/current/permissions?scope=/project/${ids['team-b']}`), 404, 'NOT_FOUND')
        assertError(await send(NOBODY, 'GET', `/users/current/permissions?scope=/project/${ids['pub-x']}`), 401, 'UNAUTHORIZED')
      })

      it('a project id too large for the database is 400 or 404, not 500', async () => {
        const res = await send(as.dev!, 'GET', '/users/current/permissions?scope=/project/99999999999999999999')
        assert.ok([400, 404].includes(res.statusCode), `${res.statusCode}: ${res.body.slice(0, 300)}`)
      })

      it('HEAD /projects?project_name=: 200 taken, 404 free for signed-in callers; anonymous 401', async () => {
        assertStatus(await send(as.outsider!, 'HEAD', '/projects?project_name=team-b'), 200, 'taken')
        assertStatus(await send(as.outsider!, 'HEAD', '/projects?project_name=nobody-has-this'), 404, 'free')
        assertStatus(await send(NOBODY, 'HEAD', '/projects?project_name=team-b'), 401, 'anonymous')
        assertStatus(await send(as.outsider!, 'HEAD', '/projects'), 400, 'no project_name')
      })
    })

    describe('configurations', () => {
      const settingOf = async (key: string): Promise<unknown> => {
        const res = await send(admin, 'GET', '/configurations')
        assertStatus(res, 200)
        return res.json()[key]?.value
      }
      const put = (who: Who, body: unknown) => send(who, 'PUT', '/configurations', body)

      it('GET: {value, editable} per key; berth.yml keys read-only; no secret', async () => {
        const res = await send(admin, 'GET', '/configurations')
        assertStatus(res, 200)
        const all = res.json() as Record<string, Json>
        for (const [k, v] of Object.entries(all)) {
          assert.deepEqual(Object.keys(v).sort(), ['editable', 'value'], k)
          assert.ok(['string', 'number', 'boolean'].includes(typeof v.value), k)
        }
        assert.deepEqual(all.auth_mode, { value: 'db_auth', editable: false })
        assert.deepEqual(all.self_registration, { value: false, editable: true })
        assert.deepEqual(all.project_creation_restriction, { value: 'everyone', editable: true })
        assert.deepEqual(all.token_expiration, { value: 30, editable: true })
        assert.deepEqual(Object.keys(all).filter((k) => /password|secret/i.test(k)), [])
      })

      it('GET: non-admins 403, anonymous 401', async () => {
        assertError(await send(as.owner!, 'GET', '/configurations'), 403, 'FORBIDDEN')
        assertError(await send(NOBODY, 'GET', '/configurations'), 401, 'UNAUTHORIZED')
      })

      it('PUT: unknown, read-only or wrongly typed keys are 400 and change nothing', async () => {
        assertError(await put(admin, { self_registration: true, no_such_setting: 1 }), 400, 'BAD_REQUEST', 'unknown key')
        assertError(await put(admin, { auth_mode: 'ldap_auth' }), 400, 'BAD_REQUEST', 'read-only key')
        assertError(await put(admin, { self_registration: 'yes' }), 400, 'BAD_REQUEST', 'wrong type')
        assertError(await put(admin, { token_expiration: 0 }), 400, 'BAD_REQUEST', 'out of range')
        assertError(await put(admin, { project_creation_restriction: 'nobody' }), 400, 'BAD_REQUEST', 'not a choice')
        assert.equal(await settingOf('self_registration'), false)
        assert.equal(await settingOf('auth_mode'), 'db_auth')
        assert.equal(await settingOf('project_creation_restriction'), 'everyone')
        assert.equal(await settingOf('token_expiration'), 30)
        // What the node caches could hide a write: the database itself holds none of them.
        assert.deepEqual(await t.berth.stores.settings.all(), {})
      })

      it('PUT: non-admins 403, anonymous 401', async () => {
        assertError(await put(as.owner!, { self_registration: true }), 403, 'FORBIDDEN')
        assertError(await put(NOBODY, { self_registration: true }), 401, 'UNAUTHORIZED')
        assert.equal(await settingOf('self_registration'), false)
      })

      it('self_registration applies at once (the PUT clears the cache) and is audited', async () => {
        const signup = (username: string) => send(NOBODY, 'POST', '/users', { username, password: USER_PASSWORD, email: `${username}@example.com`, realname: username })
        // Warm the node's settings cache with the old value first.
        assert.equal((await send(NOBODY, 'GET', '/systeminfo')).json().self_registration, false)
        assertError(await signup('early-bird'), 401, 'UNAUTHORIZED', 'before')
        try {
          assertStatus(await put(admin, { self_registration: true }), 200)
          assertStatus(await signup('self-made'), 201, 'after')
          assert.equal((await send(NOBODY, 'GET', '/systeminfo')).json().self_registration, true)
        } finally {
          assertStatus(await put(admin, { self_registration: false }), 200)
        }
        assertError(await signup('late-bird'), 401, 'UNAUTHORIZED', 'switched off again')
        const log = await send(admin, 'GET', `/audit-logs?page_size=100&q=${encodeURIComponent('resource_type=configuration')}`)
        assertStatus(log, 200)
        const entries = log.json() as Json[]
        assert.ok(entries.length >= 2)
        assert.ok(entries.every((e) => e.resource_type === 'configuration'))
        const change = entries.find((e) => e.resource === 'self_registration')
        assert.ok(change !== undefined, log.body.slice(0, 400))
        assert.equal(change.username, 'admin')
        assert.equal(change.operation, 'update')
        assert.equal(change.operation_result, true)
      })

      it('project_creation_restriction adminonly: users 403, admins 201', async () => {
        try {
          assertStatus(await put(admin, { project_creation_restriction: 'adminonly' }), 200)
          assert.equal((await send(admin, 'GET', '/systeminfo')).json().project_creation_restriction, 'adminonly')
          assertError(await send(as.dev!, 'POST', '/projects', { project_name: 'dev-made', metadata: { public: 'false' } }), 403, 'FORBIDDEN')
          assertStatus(await send(as.dev!, 'HEAD', '/projects?project_name=dev-made'), 404, 'not created')
          await project(admin, 'admin-made', false)
        } finally {
          assertStatus(await put(admin, { project_creation_restriction: 'everyone' }), 200)
        }
        await project(as.dev!, 'dev-made', false)
      })

      it('token_expiration sets the lifetime of /service/token tokens', async () => {
        const token = async () => {
          const res = (await t.anonymous.inject({ method: 'GET', url: '/service/token?scope=repository:team-a/app:pull', headers: { authorization: ADMIN_AUTH } })) as Response
          assertStatus(res, 200, 'token')
          return { body: res.json(), claims: claimsOf(res.json().token) }
        }
        const before = (await token()).claims
        assert.equal(before.exp - before.iat, 30 * 60)
        try {
          assertStatus(await put(admin, { token_expiration: 5 }), 200)
          const { body, claims } = await token()
          assert.equal(claims.exp - claims.iat, 300)
          assert.equal(body.expires_in, 300)
        } finally {
          assertStatus(await put(admin, { token_expiration: 30 }), 200)
        }
      })
    })

    describe('a deleted project', () => {
      it('leaves quotas, statistics, search, summary and HEAD /projects', async () => {
        const id = await project(as.owner!, 'short-lived', true)
        assertStatus(await send(admin, 'GET', `/quotas/${id}`), 200, 'before')
        const before = (await send(as.outsider!, 'GET', '/statistics')).json().public_project_count
        assertStatus(await send(as.owner!, 'DELETE', `/projects/${id}`), 200, 'delete')
        assertError(await send(admin, 'GET', `/quotas/${id}`), 404, 'NOT_FOUND')
        assert.deepEqual((await send(admin, 'GET', `/quotas?reference_id=${id}`)).json(), [])
        assert.equal((await send(as.outsider!, 'GET', '/statistics')).json().public_project_count, before - 1)
        assert.deepEqual((await send(admin, 'GET', '/search?q=short-lived')).json().project, [])
        assertError(await send(as.owner!, 'GET', `/projects/${id}/summary`), 404, 'NOT_FOUND')
        assertStatus(await send(as.owner!, 'HEAD', '/projects?project_name=short-lived'), 404)
      })
    })
  })
}
