// The attack classes Harbor has had, each tried against Berth: mass assignment, robot
// escalation, IDOR, injection through list parameters, enumeration and catalog path tricks.
import assert from 'node:assert/strict'
import { describe, it, before } from 'node:test'
import { DIALECTS, dialectSkip } from '../support/databases.js'
import { basicAuth } from '../support/berth-app.js'
import { useBerth, withAuthorization, pushImage, type App, type Response } from '../../src/http/oci/oci-test-support.js'

const PASSWORD = 'Attack-Passw0rd'

function errorOf(res: Response): { status: number; code: string; message: string } {
  const e = res.json().errors[0]
  return { status: res.statusCode, code: e.code, message: e.message }
}

for (const dialect of DIALECTS) {
  describe(`attack classes (${dialect})`, await dialectSkip(dialect), () => {
    const t = useBerth(dialect)
    let alice: App // Project Admin of "alpha"
    let mallory: App // Maintainer of "alpha"
    let aliceId = 0

    const post = async (app: App, url: string, payload: object, status = 201) => {
      const res = await app.inject({ method: 'POST', url, payload })
      assert.equal(res.statusCode, status, `${url}: ${res.body}`)
      return res
    }

    before(async () => {
      for (const u of ['alice', 'mallory']) await post(t.app, '/api/v2.0/users', { username: u, password: PASSWORD, email: `${u}@example.com` })
      alice = withAuthorization(t.anonymous, basicAuth('alice', PASSWORD))
      mallory = withAuthorization(t.anonymous, basicAuth('mallory', PASSWORD))
      aliceId = (await alice.inject({ method: 'GET', url: '/api/v2.0/users/current' })).json().user_id
      await post(alice, '/api/v2.0/projects', { project_name: 'alpha' })
      await post(alice, '/api/v2.0/projects/alpha/members', { role_id: 4, member_user: { username: 'mallory' } })
      await post(t.app, '/api/v2.0/projects', { project_name: 'bravo', metadata: { public: 'false' } })
      await post(t.app, '/api/v2.0/projects', { project_name: 'charlie', metadata: { public: 'true' } })
      await pushImage(t.app, 'bravo/secret', 'v1', 'attacks-bravo')
      await pushImage(t.app, 'alpha/app', 'v1', 'attacks-alpha')
    })

    describe('mass assignment (CVE-2019-16097)', () => {
      it('creating a user with sysadmin_flag or has_admin_role is refused and creates nothing', async () => {
        for (const field of ['sysadmin_flag', 'has_admin_role', 'admin_role_in_auth', 'user_id', 'password_hash']) {
          const res = await t.app.inject({ method: 'POST', url: '/api/v2.0/users', payload: { username: `mass-${field.replace(/_/g, '-')}`, password: PASSWORD, [field]: true } })
          assert.equal(res.statusCode, 400, field)
          const search = await t.app.inject({ method: 'GET', url: `/api/v2.0/users?q=username=mass-${field.replace(/_/g, '-')}` })
          assert.deepEqual(search.json(), [], field)
        }
      })

      it('self-registration can never create an administrator', async (ctx) => {
        const { createTestBerth, ADMIN_AUTH } = await import('../support/berth-app.js')
        const open = await createTestBerth(dialect, { auth: { ...t.berth.config.auth, self_registration: true } })
        ctx.after(() => open.destroy())
        const refused = await open.app.inject({ method: 'POST', url: '/api/v2.0/users', payload: { username: 'eve', password: PASSWORD, sysadmin_flag: true } })
        assert.equal(refused.statusCode, 400)
        const ok = await open.app.inject({ method: 'POST', url: '/api/v2.0/users', payload: { username: 'eve', password: PASSWORD } })
        assert.equal(ok.statusCode, 201, ok.body)
        const me = await open.app.inject({ method: 'GET', url: '/api/v2.0/users/current', headers: { authorization: basicAuth('eve', PASSWORD) } })
        assert.equal(me.json().sysadmin_flag, false)
        const users = await open.app.inject({ method: 'GET', url: '/api/v2.0/users', headers: { authorization: basicAuth('eve', PASSWORD) } })
        assert.equal(users.statusCode, 403)
        assert.equal((await open.app.inject({ method: 'GET', url: '/api/v2.0/users', headers: { authorization: ADMIN_AUTH } })).statusCode, 200)
      })

      it('a profile update cannot set privileged fields', async () => {
        const res = await alice.inject({ method: 'PUT', url: `/api/v2.0/users/${aliceId}`, payload: { realname: 'Alice', sysadmin_flag: true } })
        assert.equal(res.statusCode, 400)
        const me = (await alice.inject({ method: 'GET', url: '/api/v2.0/users/current' })).json()
        assert.equal(me.sysadmin_flag, false)
        assert.equal(me.realname, '')
        assert.equal((await alice.inject({ method: 'PUT', url: `/api/v2.0/users/${aliceId}/sysadmin`, payload: { sysadmin_flag: true } })).statusCode, 403)
      })
    })

    describe('robot escalation (CVE-2019-16919)', () => {
      const robot = (namespace: string, level = 'project', actions = ['pull', 'push']) => ({
        name: `esc-${namespace.replace('*', 'all')}-${level}`,
        level,
        duration: -1,
        permissions: [{ kind: 'project', namespace, access: actions.map((action) => ({ resource: 'repository', action })) }],
      })

      it('a project admin cannot create a robot with rights on another project', async () => {
        for (const target of ['bravo', 'charlie']) {
          const res = await alice.inject({ method: 'POST', url: '/api/v2.0/robots', payload: robot(target) })
          assert.ok([403, 404].includes(res.statusCode), `${target}: ${res.statusCode}`)
        }
        const twoProjects = { ...robot('alpha'), permissions: [...robot('alpha').permissions, ...robot('bravo').permissions] }
        assert.equal((await alice.inject({ method: 'POST', url: '/api/v2.0/robots', payload: twoProjects })).statusCode, 400)
        assert.equal((await alice.inject({ method: 'POST', url: '/api/v2.0/robots', payload: robot('*') })).statusCode, 400)
        const robots = (await t.app.inject({ method: 'GET', url: '/api/v2.0/robots?q=name=~esc-' })).json()
        assert.deepEqual(robots, [])
      })

      it('only system administrators create system robots', async () => {
        const res = await alice.inject({ method: 'POST', url: '/api/v2.0/robots', payload: robot('alpha', 'system') })
        assert.equal(res.statusCode, 403)
      })

      it('a maintainer cannot create robots, and nobody grants what they do not hold', async () => {
        assert.equal((await mallory.inject({ method: 'POST', url: '/api/v2.0/robots', payload: robot('alpha') })).statusCode, 403)
        const unknown = { ...robot('alpha'), permissions: [{ kind: 'project', namespace: 'alpha', access: [{ resource: 'user', action: 'create' }] }] }
        assert.equal((await alice.inject({ method: 'POST', url: '/api/v2.0/robots', payload: unknown })).statusCode, 400)
      })

      it('a system robot is known by its stored level, not by its name', async () => {
        // A project robot's name cannot be shaped like a system robot's ...
        for (const name of ['x$y', 'robot$evil', 'a+b']) {
          const res = await alice.inject({ method: 'POST', url: '/api/v2.0/robots', payload: { ...robot('alpha'), name } })
          assert.equal(res.statusCode, 400, name)
        }
        // ... nor can a user take a robot-like name ...
        assert.equal((await t.app.inject({ method: 'POST', url: '/api/v2.0/users', payload: { username: 'robot$admin', password: PASSWORD } })).statusCode, 400)
        // ... and a project robot with '*' access stored would still only act in its project.
        const created = (await post(alice, '/api/v2.0/robots', { ...robot('alpha'), name: 'scoped' })).json()
        const asRobot = withAuthorization(t.anonymous, basicAuth(created.name, created.secret))
        assert.equal((await asRobot.inject({ method: 'GET', url: '/v2/bravo/secret/manifests/v1' })).statusCode, 403)
        assert.equal((await asRobot.inject({ method: 'GET', url: '/v2/alpha/app/manifests/v1' })).statusCode, 200)
      })
    })

    describe('IDOR (CVE-2022-31666..31671, CVE-2024-22278)', () => {
      it('a member id of one project cannot be read or changed through another project', async () => {
        const bravoMembers = (await t.app.inject({ method: 'GET', url: '/api/v2.0/projects/bravo/members' })).json()
        const adminMember = bravoMembers[0].id
        for (const method of ['GET', 'PUT', 'DELETE'] as const) {
          const res = await alice.inject({ method, url: `/api/v2.0/projects/alpha/members/${adminMember}`, ...(method === 'PUT' ? { payload: { role_id: 5 } } : {}) })
          assert.equal(res.statusCode, 404, method)
        }
        const after = (await t.app.inject({ method: 'GET', url: '/api/v2.0/projects/bravo/members' })).json()
        assert.deepEqual(after, bravoMembers)
      })

      it('a robot id of another project is not found for a project admin', async () => {
        const foreign = (
          await post(t.app, '/api/v2.0/robots', {
            name: 'bravo-bot',
            level: 'project',
            duration: -1,
            permissions: [{ kind: 'project', namespace: 'bravo', access: [{ resource: 'repository', action: 'pull' }] }],
          })
        ).json()
        for (const [method, payload] of [['GET'], ['PUT', { disable: true }], ['PATCH', {}], ['DELETE']] as const) {
          const res = await alice.inject({ method, url: `/api/v2.0/robots/${foreign.id}`, ...(payload !== undefined ? { payload } : {}) })
          assert.equal(res.statusCode, 404, method)
        }
        const still = (await t.app.inject({ method: 'GET', url: `/api/v2.0/robots/${foreign.id}` })).json()
        assert.equal(still.disable, false)
      })

      it('a maintainer cannot change project metadata (CVE-2024-22278)', async () => {
        const res = await mallory.inject({ method: 'PUT', url: '/api/v2.0/projects/alpha', payload: { metadata: { public: 'true' } } })
        assert.equal(res.statusCode, 403)
        assert.equal((await t.app.inject({ method: 'GET', url: '/api/v2.0/projects/alpha' })).json().metadata.public, 'false')
      })

      it('a project id in the path is checked like a name', async () => {
        const bravoId = (await t.app.inject({ method: 'GET', url: '/api/v2.0/projects/bravo' })).json().project_id
        assert.equal((await alice.inject({ method: 'GET', url: `/api/v2.0/projects/${bravoId}` })).statusCode, 404)
        assert.equal((await alice.inject({ method: 'DELETE', url: `/api/v2.0/projects/${bravoId}` })).statusCode, 404)
        assert.equal((await alice.inject({ method: 'GET', url: `/api/v2.0/projects/${bravoId}/members` })).statusCode, 404)
      })
    })

    describe('injection and leaks through list parameters (CVE-2019-19026/19029, CVE-2024-22261)', () => {
      it('q values are bound parameters: quotes and wildcards match literally', async () => {
        for (const q of ["username=' OR '1'='1", "username=~' OR 1=1 --", 'username=~%', 'username=~_']) {
          const res = await t.app.inject({ method: 'GET', url: `/api/v2.0/users?q=${encodeURIComponent(q)}` })
          assert.equal(res.statusCode, 200, q)
          assert.deepEqual(res.json(), [], q)
        }
      })

      it('q and sort keys outside the allowlist are refused, secrets above all', async () => {
        const cases = [
          '/api/v2.0/users?q=password_hash=~s',
          '/api/v2.0/users?sort=password_hash',
          '/api/v2.0/users?sort=username;drop table users',
          '/api/v2.0/users?q=' + encodeURIComponent('username) or (1=1'),
          '/api/v2.0/robots?q=secret_hash=~a',
          '/api/v2.0/robots?sort=secret_hash',
          '/api/v2.0/audit-logs?sort=' + encodeURIComponent('(select 1)'),
          '/api/v2.0/projects?q=owner_name=~a',
        ]
        for (const url of cases) {
          const res = await t.app.inject({ method: 'GET', url })
          assert.equal(res.statusCode, 400, url)
          assert.equal(res.json().errors[0].code, 'BAD_REQUEST')
        }
        assert.equal((await t.app.inject({ method: 'GET', url: '/api/v2.0/users' })).json().length > 0, true)
      })
    })

    describe('enumeration (GHSA-q9x4-q76f-5h5j, CVE-2019-3990)', () => {
      it('anonymous callers get the same answer for a private project and a missing one', async () => {
        const pairs: [string, string][] = [
          ['/api/v2.0/projects/bravo', '/api/v2.0/projects/no-such'],
          ['/api/v2.0/projects/bravo/members', '/api/v2.0/projects/no-such/members'],
          ['/v2/bravo/secret/tags/list', '/v2/no-such/secret/tags/list'],
          ['/v2/bravo/secret/manifests/v1', '/v2/no-such/secret/manifests/v1'],
        ]
        for (const [privateUrl, missingUrl] of pairs) {
          const a = await t.anonymous.inject({ method: 'GET', url: privateUrl })
          const b = await t.anonymous.inject({ method: 'GET', url: missingUrl })
          assert.deepEqual(errorOf(a), errorOf(b), privateUrl)
          assert.equal(a.statusCode, 401)
          assert.equal(String(a.headers['www-authenticate'] ?? '').replace('bravo', 'X'), String(b.headers['www-authenticate'] ?? '').replace('no-such', 'X'))
        }
      })

      it('signed-in users get the same answer for a project they cannot see and a missing one', async () => {
        const a = await alice.inject({ method: 'GET', url: '/api/v2.0/projects/bravo' })
        const b = await alice.inject({ method: 'GET', url: '/api/v2.0/projects/no-such' })
        assert.deepEqual(errorOf(a), errorOf(b))
        const c = await alice.inject({ method: 'GET', url: '/v2/bravo/secret/tags/list' })
        const d = await alice.inject({ method: 'GET', url: '/v2/no-such/secret/tags/list' })
        assert.deepEqual(errorOf(c), errorOf(d))
      })

      it('user search returns ids and names only', async () => {
        const res = await mallory.inject({ method: 'GET', url: '/api/v2.0/users/search?username=ali' })
        assert.deepEqual(res.json(), [{ user_id: aliceId, username: 'alice' }])
      })
    })

    describe('input no query may see (NUL and other control characters, mistyped q values)', () => {
      const bad = async (app: App, url: string, what = url) => {
        const res = await app.inject({ method: 'GET', url })
        assert.deepEqual([res.statusCode, res.json().errors[0].code], [400, 'BAD_REQUEST'], `${what}: ${res.body}`)
      }

      it('control characters in path names and q values are 400 BAD_REQUEST, also for anonymous callers', async () => {
        for (const url of ['/api/v2.0/projects/a%00b', '/api/v2.0/projects/a%00b/repositories', '/api/v2.0/search?q=a%00', '/api/v2.0/projects?q=name=~a%00', '/api/v2.0/projects?q=name=a%01', '/api/v2.0/projects?name=a%1f', '/api/v2.0/projects/alpha/repositories/app%00/artifacts']) {
          await bad(t.anonymous, url)
          await bad(t.app, url)
        }
        await bad(t.app, '/api/v2.0/users?q=username=~a%00')
        await bad(t.app, '/api/v2.0/audit-logs?q=resource=~a%7f')
      })

      it('a q value that is not of its key\'s type is 400, for administrators and project admins alike', async () => {
        for (const app of [t.app, alice]) {
          await bad(app, '/api/v2.0/robots?q=project_id=abc')
          await bad(app, '/api/v2.0/robots?q=ProjectID=1e3')
        }
        await bad(t.app, '/api/v2.0/projects?q=public=maybe')
      })

      it('a NUL in a JSON body is 400 and changes nothing', async () => {
        const url = '/api/v2.0/projects/alpha/repositories/app'
        const res = await alice.inject({ method: 'PUT', url, payload: { description: 'a\u0000b' } })
        assert.deepEqual([res.statusCode, res.json().errors[0].code], [400, 'BAD_REQUEST'], res.body)
        assert.equal((await alice.inject({ method: 'GET', url })).json().description, '')
      })

      it('a user name with NUL is a failed login (401) on /api/v2.0, /v2/ and /service/token, and is audited', async () => {
        for (const name of ['a\u0000b', 'robot$a\u0000b', 'x\u0001']) {
          const headers = { authorization: basicAuth(name, PASSWORD) }
          for (const url of ['/api/v2.0/users/current', '/v2/', '/service/token?scope=repository:alpha/app:pull', '/api/v2.0/projects']) {
            const res = await t.anonymous.inject({ method: 'GET', url, headers })
            assert.deepEqual([res.statusCode, res.json().errors[0].code], [401, 'UNAUTHORIZED'], `${url} ${JSON.stringify(name)}: ${res.body}`)
          }
        }
        await t.berth.audit.flush()
        const logs = await t.app.inject({ method: 'GET', url: `/api/v2.0/audit-logs?q=${encodeURIComponent('operation=login')}&page_size=100` })
        assert.equal(logs.statusCode, 200, logs.body)
        assert.ok((logs.json() as { resource: string }[]).some((e) => e.resource === 'a\\u0000b'), 'the failed login with NUL is not in the audit log')
      })

      it("a deleted project's tombstone name, and names no project can have, are 404 on every route under them", async () => {
        const created = await post(t.app, '/api/v2.0/projects', { project_name: 'tomb' })
        const id = Number(String(created.headers.location).split('/').pop())
        assert.equal((await t.app.inject({ method: 'DELETE', url: '/api/v2.0/projects/tomb' })).statusCode, 200)
        for (const name of [`tomb%23${id}`, 'tomb%23', 'UPPER', 'a%20b', '%23']) {
          for (const suffix of ['', '/repositories', '/repositories/x', '/repositories/x/artifacts', '/repositories/x/artifacts/latest/tags', '/members', '/summary']) {
            const url = `/api/v2.0/projects/${name}${suffix}`
            const res = await t.app.inject({ method: 'GET', url, headers: { 'x-is-resource-name': 'true' } })
            assert.deepEqual([res.statusCode, res.json().errors[0].code], [404, 'NOT_FOUND'], `${url}: ${res.body}`)
          }
        }
        await post(t.app, '/api/v2.0/projects', { project_name: 'tomb' })
        assert.equal((await t.app.inject({ method: 'GET', url: '/api/v2.0/projects/tomb' })).json().project_id > id, true)
      })
    })

    describe('the Host header', () => {
      const hostile = ['evil.example.com"/><x', 'a b', 'evil.example.com,other', 'x/y', 'a@b', "x'y", 'exa mple:80', '[::1', 'host:port', 'host:123456']

      it('a Host that is not host[:port] is 400, in the OCI format on /v2/ and in Harbor\'s elsewhere; nothing of it reaches a header', async () => {
        for (const host of hostile) {
          for (const [url, code] of [['/v2/', 'UNSUPPORTED'], ['/v2/alpha/app/manifests/v1', 'UNSUPPORTED'], ['/api/v2.0/projects', 'BAD_REQUEST'], ['/api/v2.0/systeminfo', 'BAD_REQUEST'], ['/service/token', 'BAD_REQUEST']] as const) {
            const res = await t.anonymous.inject({ method: 'GET', url, headers: { host } })
            assert.deepEqual([res.statusCode, res.json().errors[0].code], [400, code], `${url} Host ${host}: ${res.body}`)
            for (const [name, value] of Object.entries(res.headers)) assert.ok(!String(value).includes(host), `${url}: ${name} reflects the Host`)
          }
        }
      })

      it('valid hosts still build the challenge realm', async () => {
        for (const host of ['registry.example.com', 'registry.example.com:5000', '127.0.0.1:8080', '[::1]:5000', '[2001:db8::1]', 'my_registry:5000', 'localhost.']) {
          const res = await t.anonymous.inject({ method: 'GET', url: '/v2/', headers: { host } })
          assert.equal(res.statusCode, 401, `${host}: ${res.body}`)
          assert.equal(res.headers['www-authenticate'], `Bearer realm="http://${host}/service/token",service="berth-registry"`)
        }
      })
    })

    describe('_catalog on every path variant (CVE-2020-29662)', () => {
      it('no variant lists repositories to an anonymous caller', async () => {
        const variants = ['/v2/_catalog', '/v2/_catalog/', '/v2//_catalog', '/v2/_CATALOG', '/v2/_catalog?n=1', '/v2/%5Fcatalog', '/v2/_catalog%2F', '/v2/./_catalog', '/v2/_catalog#x', '//v2/_catalog']
        for (const url of variants) {
          const res = await t.anonymous.inject({ method: 'GET', url })
          assert.notEqual(res.statusCode, 200, url)
          assert.ok(!res.body.includes('bravo/secret') && !res.body.includes('alpha/app'), url)
        }
      })

      it('paging with n=1 walks only what the caller may pull, and no header or body names anything else', async () => {
        // Names interleaved in byte order, so that every hidden one sits next to a visible one.
        await post(t.app, '/api/v2.0/projects', { project_name: 'walk-open', metadata: { public: 'true' } })
        await post(t.app, '/api/v2.0/projects', { project_name: 'walk-mine' })
        await post(t.app, '/api/v2.0/projects', { project_name: 'walk-hidden' })
        await post(t.app, '/api/v2.0/users', { username: 'walker', password: PASSWORD, email: 'walker@example.com' })
        await post(t.app, '/api/v2.0/projects/walk-mine/members', { role_id: 5, member_user: { username: 'walker' } })
        for (const r of ['walk-hidden/a', 'walk-mine/b', 'walk-hidden/c', 'walk-open/d', 'walk-hidden/e']) await pushImage(t.app, r, 'v1', `walk-${r}`)
        const walker = withAuthorization(t.anonymous, basicAuth('walker', PASSWORD))
        const token = (await walker.inject({ method: 'GET', url: '/service/token?service=berth-registry&scope=registry:catalog:*' })).json().token as string
        const bearer = withAuthorization(t.anonymous, `Bearer ${token}`)
        const hidden = ['walk-hidden', 'bravo/', 'alpha/']
        for (const [how, app] of [['Basic', walker], ['Bearer', bearer]] as const) {
          const seen: string[] = []
          let url: string | undefined = '/v2/_catalog?n=1'
          for (let i = 0; url !== undefined; i++) {
            assert.ok(i < 20, 'the walk does not end')
            const res: Response = await app.inject({ method: 'GET', url })
            assert.equal(res.statusCode, 200, res.body)
            const page = res.json().repositories as string[]
            assert.ok(page.length <= 1)
            seen.push(...page)
            const everything = JSON.stringify(res.headers) + res.body
            for (const h of hidden) assert.ok(!everything.includes(h) && !everything.includes(encodeURIComponent(h)), `${how}: ${h} leaks in ${everything}`)
            const link = res.headers.link as string | undefined
            if (link !== undefined) assert.equal(new URL(/^<([^>]+)>/.exec(link)![1]!, 'http://x').searchParams.get('last'), page[0], `${how}: Link last is not the page's last`)
            url = link === undefined ? undefined : /^<([^>]+)>/.exec(link)![1]!
          }
          assert.deepEqual(seen.filter((r) => r.startsWith('walk-')), ['walk-mine/b', 'walk-open/d'], how)
          // Starting from a hidden name shows nothing more.
          const from = await app.inject({ method: 'GET', url: '/v2/_catalog?n=1&last=walk-hidden/a' })
          assert.deepEqual(from.json().repositories, ['walk-mine/b'], how)
        }
      })

      it('a signed-in user sees only what they may pull', async () => {
        const repos = (await alice.inject({ method: 'GET', url: '/v2/_catalog' })).json().repositories as string[]
        assert.ok(repos.includes('alpha/app'))
        assert.ok(!repos.includes('bravo/secret'))
        const all = (await t.app.inject({ method: 'GET', url: '/v2/_catalog' })).json().repositories as string[]
        assert.ok(all.includes('bravo/secret'))
      })
    })
  })
}
