// System robots and Harbor's system resources: who may hold kind "system" permissions, which
// pairs are refused, and each caller against each system route. The expected table is written
// out by hand from Harbor's rules (only administrators create system robots; a system robot does
// on system routes exactly what its kind "system" entry grants), not derived from the code.
import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import { DIALECTS, dialectSkip } from '../support/databases.js'
import { ADMIN_AUTH, basicAuth } from '../support/berth-app.js'
import { useBerth, withAuthorization, type App, type Response } from '../../src/http/oci/oci-test-support.js'

const CALLERS = ['anonymous', 'user', 'sysadmin', 'projectRobot', 'systemRobotProjectOnly', 'systemRobotAuditOnly', 'systemRobotAll'] as const
type CallerName = (typeof CALLERS)[number]

/** Every system pair Berth grants, written out (Harbor's robot system policies whose feature Berth has). */
const GRANTED = [
  'audit-log:list',
  'project:create',
  'project:list',
  'registry:create',
  'registry:read',
  'registry:update',
  'registry:delete',
  'registry:list',
  'replication-policy:create',
  'replication-policy:read',
  'replication-policy:update',
  'replication-policy:delete',
  'replication-policy:list',
  'replication:create',
  'replication:read',
  'replication:list',
  'replication-adapter:list',
  'jobservice-monitor:list',
  'jobservice-monitor:stop',
  'label:create',
  'label:read',
  'label:update',
  'label:delete',
  'quota:read',
  'quota:list',
  'garbage-collection:create',
  'garbage-collection:read',
  'garbage-collection:update',
  'garbage-collection:stop',
  'garbage-collection:list',
  'purge-audit:create',
  'purge-audit:read',
  'purge-audit:update',
  'purge-audit:stop',
  'purge-audit:list',
]

const ACTIONS = [
  'readWholeAuditLog',
  'createProject',
  'listAllProjects',
  'createRegistry',
  'listRegistries',
  'listReplicationPolicies',
  'listReplicationExecutions',
  'listReplicationAdapters',
  'listQuotas',
  'listJobQueues',
  'createGlobalLabel',
  'listUsers',
  'createRobot',
] as const
type Action = (typeof ACTIONS)[number]

// y: allowed, n: denied. Columns in CALLERS order:
//                            anon user sys  pRob sPrj sAud sAll
const EXPECTED: Record<Action, string> = {
  readWholeAuditLog:         'n    n    y    n    n    y    y',
  createProject:             'n    y    y    n    n    n    y',
  listAllProjects:           'n    n    y    n    n    n    y',
  createRegistry:            'n    n    y    n    n    n    y',
  listRegistries:            'n    n    y    n    n    n    y',
  listReplicationPolicies:   'n    n    y    n    n    n    y',
  listReplicationExecutions: 'n    n    y    n    n    n    y',
  listReplicationAdapters:   'n    n    y    n    n    n    y',
  listQuotas:                'n    n    y    n    n    n    y',
  listJobQueues:             'n    n    y    n    n    n    y',
  createGlobalLabel:         'n    n    y    n    n    n    y',
  listUsers:                 'n    n    y    n    n    n    n',
  createRobot:               'n    n    y    n    n    n    n',
}

function expected(action: Action, caller: CallerName): boolean {
  const cells = EXPECTED[action].trim().split(/\s+/)
  assert.equal(cells.length, CALLERS.length, `row ${action}`)
  return cells[CALLERS.indexOf(caller)] === 'y'
}

const PASSWORD = 'SysRobot-Passw0rd'
const PRIVATE = 'sr-private'

const access = (pairs: string[]) => pairs.map((p) => ({ resource: p.split(':')[0]!, action: p.split(':')[1]! }))

for (const dialect of DIALECTS) {
  describe(`system robots (${dialect})`, await dialectSkip(dialect), () => {
    const t = useBerth(dialect)
    const auth = new Map<CallerName, string>()
    const appFor = (c: CallerName): App => (c === 'anonymous' ? t.anonymous : withAuthorization(t.anonymous, auth.get(c)!))
    const robot = async (body: object): Promise<Response> => t.app.inject({ method: 'POST', url: '/api/v2.0/robots', payload: { duration: -1, ...body } })

    before(async () => {
      const ok = async (res: Response, what: string) => assert.ok(res.statusCode < 300, `${what}: ${res.statusCode} ${res.body}`)
      await ok(await t.app.inject({ method: 'POST', url: '/api/v2.0/users', payload: { username: 'sr-user', password: PASSWORD } }), 'user')
      await ok(await t.app.inject({ method: 'POST', url: '/api/v2.0/projects', payload: { project_name: PRIVATE } }), 'project')
      auth.set('sysadmin', ADMIN_AUTH)
      auth.set('user', basicAuth('sr-user', PASSWORD))
      const pull = [{ kind: 'project', namespace: PRIVATE, access: [{ resource: 'repository', action: 'pull' }] }]
      const robots: [CallerName, object][] = [
        ['projectRobot', { name: 'sr-proj', level: 'project', permissions: pull }],
        ['systemRobotProjectOnly', { name: 'sr-projonly', level: 'system', permissions: pull }],
        ['systemRobotAuditOnly', { name: 'sr-audit', level: 'system', permissions: [{ kind: 'system', namespace: '/', access: access(['audit-log:list']) }] }],
        ['systemRobotAll', { name: 'sr-all', level: 'system', permissions: [{ kind: 'system', namespace: '/', access: access(GRANTED) }, ...pull] }],
      ]
      for (const [name, body] of robots) {
        const res = await robot(body)
        assert.equal(res.statusCode, 201, `${name}: ${res.body}`)
        auth.set(name, basicAuth(res.json().name, res.json().secret))
      }
    })

    let seq = 0
    /** Does the action as the caller; true when it was allowed. */
    const attempt = async (action: Action, c: CallerName): Promise<boolean> => {
      const app = appFor(c)
      const n = ++seq
      const call = (method: 'GET' | 'POST', url: string, payload?: object) => app.inject({ method, url: `/api/v2.0${url}`, ...(payload !== undefined ? { payload } : {}) })
      const allowedBy = (res: Response, statuses: number[]) => {
        if (statuses.includes(res.statusCode)) return true
        assert.ok([401, 403, 404].includes(res.statusCode), `${action} as ${c}: unexpected ${res.statusCode}: ${res.body}`)
        return false
      }
      switch (action) {
        case 'readWholeAuditLog': {
          // Everyone signed in reads the entries of their own projects; the whole log shows the private project's.
          const res = await call('GET', `/audit-logs?page_size=100&q=resource=${PRIVATE}`)
          if (!allowedBy(res, [200])) return false
          return (res.json() as { resource: string }[]).some((e) => e.resource === PRIVATE)
        }
        case 'createProject':
          return allowedBy(await call('POST', '/projects', { project_name: `sr-made-${n}` }), [201])
        case 'listAllProjects': {
          const res = await call('GET', '/projects?page_size=100')
          if (!allowedBy(res, [200])) return false
          return (res.json() as { name: string }[]).some((p) => p.name === PRIVATE)
        }
        case 'createRegistry':
          return allowedBy(await call('POST', '/registries', { name: `sr-reg-${n}`, type: 'docker-registry', url: 'http://127.0.0.1:9' }), [201])
        case 'listRegistries':
          return allowedBy(await call('GET', '/registries'), [200])
        case 'listReplicationPolicies':
          return allowedBy(await call('GET', '/replication/policies'), [200])
        case 'listReplicationExecutions':
          return allowedBy(await call('GET', '/replication/executions'), [200])
        case 'listReplicationAdapters':
          return allowedBy(await call('GET', '/replication/adapters'), [200])
        case 'listQuotas':
          return allowedBy(await call('GET', '/quotas'), [200])
        case 'listJobQueues':
          return allowedBy(await call('GET', '/jobservice/queues'), [200])
        case 'createGlobalLabel':
          return allowedBy(await call('POST', '/labels', { name: `sr-label-${n}`, scope: 'g' }), [201])
        case 'listUsers':
          return allowedBy(await call('GET', '/users'), [200])
        case 'createRobot':
          return allowedBy(await call('POST', '/robots', { name: `sr-child-${n}`, level: 'system', duration: -1, permissions: [{ kind: 'system', namespace: '/', access: access(['audit-log:list']) }] }), [201])
      }
    }

    it('each caller against each system route', async () => {
      const wrong: string[] = []
      for (const action of ACTIONS) {
        for (const c of CALLERS) {
          const got = await attempt(action, c)
          if (got !== expected(action, c)) wrong.push(`${action} as ${c}: ${got ? 'allowed' : 'denied'}, expected ${expected(action, c) ? 'allowed' : 'denied'}`)
        }
      }
      assert.deepEqual(wrong, [])
    })

    it('a system robot lists its system permissions at scope /', async () => {
      const res = await appFor('systemRobotAuditOnly').inject({ method: 'GET', url: '/api/v2.0/users/current/permissions?scope=/' })
      assert.deepEqual(res.json(), [{ resource: 'audit-log', action: 'list' }])
    })

    it('a project created by a system robot belongs to the first administrator', async () => {
      const res = await appFor('systemRobotAll').inject({ method: 'POST', url: '/api/v2.0/projects', payload: { project_name: 'sr-robot-made' } })
      assert.equal(res.statusCode, 201, res.body)
      const p = (await t.app.inject({ method: 'GET', url: '/api/v2.0/projects/sr-robot-made' })).json()
      const admin = (await t.app.inject({ method: 'GET', url: '/api/v2.0/users/current' })).json()
      assert.equal(p.owner_id, admin.user_id)
    })

    it('kind "system" is refused outside system robots, off namespace "/", for pairs Berth does not enforce, and for non-administrators', async () => {
      const sys = (pairs: string[], namespace = '/') => [{ kind: 'system', namespace, access: access(pairs) }]
      const refused: [string, object, number][] = [
        ['on a project robot', { name: 'r1', level: 'project', permissions: [...sys(['audit-log:list']), { kind: 'project', namespace: PRIVATE, access: access(['repository:pull']) }] }, 400],
        ['namespace other than /', { name: 'r2', level: 'system', permissions: sys(['audit-log:list'], PRIVATE) }, 400],
        ['user management (Harbor grants robots none)', { name: 'r3', level: 'system', permissions: sys(['user:create']) }, 400],
        ['a feature Berth has not (P2P preheat)', { name: 'r4', level: 'system', permissions: sys(['preheat-instance:create']) }, 400],
        ['a made-up pair', { name: 'r5', level: 'system', permissions: sys(['registry:pull']) }, 400],
        ['robot management', { name: 'r6', level: 'system', permissions: sys(['robot:create']) }, 400],
        ['an unknown kind', { name: 'r7', level: 'system', permissions: [{ kind: 'cluster', namespace: '/', access: access(['audit-log:list']) }] }, 400],
      ]
      for (const [what, body, status] of refused) {
        const res = await robot(body)
        assert.equal(res.statusCode, status, `${what}: ${res.body}`)
      }
      const byUser = await appFor('user').inject({ method: 'POST', url: '/api/v2.0/robots', payload: { name: 'r8', level: 'system', duration: -1, permissions: sys(['audit-log:list']) } })
      assert.ok([403].includes(byUser.statusCode), byUser.body)
      const list = (await t.app.inject({ method: 'GET', url: '/api/v2.0/robots?page_size=100' })).json() as { name: string }[]
      assert.deepEqual(list.map((r) => r.name).filter((n) => /\$r\d$/.test(n)), [], 'nothing was created by the refused requests')
    })

    it("a system robot's system permissions change with PUT like its project ones", async () => {
      const created = await robot({ name: 'sr-change', level: 'system', permissions: [{ kind: 'system', namespace: '/', access: access(['quota:list']) }] })
      assert.equal(created.statusCode, 201, created.body)
      const app = withAuthorization(t.anonymous, basicAuth(created.json().name, created.json().secret))
      assert.equal((await app.inject({ method: 'GET', url: '/api/v2.0/quotas' })).statusCode, 200)
      const put = await t.app.inject({ method: 'PUT', url: `/api/v2.0/robots/${created.json().id}`, payload: { permissions: [{ kind: 'system', namespace: '/', access: access(['registry:list']) }] } })
      assert.equal(put.statusCode, 200, put.body)
      assert.equal((await app.inject({ method: 'GET', url: '/api/v2.0/quotas' })).statusCode, 403)
      assert.equal((await app.inject({ method: 'GET', url: '/api/v2.0/registries' })).statusCode, 200)
    })
  })
}
