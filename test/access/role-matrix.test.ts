// Every role against every protected action, on a private project: allow or deny for each cell.
// The expected table is written out here by hand from Harbor's documented semantics, not
// derived from src/auth/permissions.ts, so a change to the code's table shows up as a failure.
import assert from 'node:assert/strict'
import { describe, it, before } from 'node:test'
import { DIALECTS, dialectSkip } from '../support/databases.js'
import { basicAuth, ADMIN_AUTH } from '../support/berth-app.js'
import { useBerth, withAuthorization, pushImage, sha256, bytesOf, type App, type Response } from '../../src/http/oci/oci-test-support.js'

const ROLES = ['anonymous', 'outsider', 'limitedGuest', 'guest', 'developer', 'maintainer', 'projectAdmin', 'sysadmin', 'projectRobotPull', 'projectRobotPush', 'systemRobot'] as const
type Role = (typeof ROLES)[number]

const ACTIONS = [
  'pull',
  'push',
  'deleteArtifact',
  'catalogShowsRepo',
  'readProject',
  'updateProjectMetadata',
  'deleteProject',
  'listMembers',
  'addMember',
  'listProjectLogs',
  'createProjectRobot',
  'listUsers',
  'createProject',
] as const
type Action = (typeof ACTIONS)[number]

// y: allowed, n: denied. Columns in ROLES order:
//                       anon outs lgst gst  dev  mnt  padm sys  rPul rPsh sRob
const EXPECTED: Record<Action, string> = {
  pull:                  'n    n    y    y    y    y    y    y    y    y    y',
  push:                  'n    n    n    n    y    y    y    y    n    y    y',
  deleteArtifact:        'n    n    n    n    n    y    y    y    n    n    y',
  catalogShowsRepo:      'n    n    y    y    y    y    y    y    y    y    y',
  readProject:           'n    n    y    y    y    y    y    y    n    n    n',
  updateProjectMetadata: 'n    n    n    n    n    n    y    y    n    n    n',
  deleteProject:         'n    n    n    n    n    n    y    y    n    n    n',
  listMembers:           'n    n    n    y    y    y    y    y    n    n    n',
  addMember:             'n    n    n    n    n    n    y    y    n    n    n',
  listProjectLogs:       'n    n    n    y    y    y    y    y    n    n    n',
  createProjectRobot:    'n    n    n    n    n    n    y    y    n    n    n',
  listUsers:             'n    n    n    n    n    n    n    y    n    n    n',
  createProject:         'n    y    y    y    y    y    y    y    n    n    n',
}

function expected(action: Action, role: Role): boolean {
  const cells = EXPECTED[action].trim().split(/\s+/)
  assert.equal(cells.length, ROLES.length, `row ${action} has ${cells.length} cells`)
  return cells[ROLES.indexOf(role)] === 'y'
}

const PASSWORD = 'Matrix-Passw0rd'
const PROJECT = 'mx'
const OTHER = 'mx-other'

function isAllowed(res: Response, allowedStatuses: number[]): boolean {
  if (allowedStatuses.includes(res.statusCode)) return true
  assert.ok([401, 403, 404].includes(res.statusCode), `unexpected ${res.statusCode}: ${res.body}`)
  return false
}

for (const dialect of DIALECTS) {
  describe(`role x action matrix (${dialect})`, await dialectSkip(dialect), () => {
    const t = useBerth(dialect)
    const auth = new Map<Role, string | undefined>()
    const appFor = (role: Role): App => {
      const a = auth.get(role)
      return a === undefined ? t.anonymous : withAuthorization(t.anonymous, a)
    }
    let projectId = 0

    before(async () => {
      const admin = t.app
      const post = async (url: string, payload: object) => {
        const res = await admin.inject({ method: 'POST', url, payload })
        assert.equal(res.statusCode, 201, `${url}: ${res.body}`)
        return res
      }
      await post('/api/v2.0/projects', { project_name: PROJECT, metadata: { public: 'false' } })
      await post('/api/v2.0/projects', { project_name: OTHER, metadata: { public: 'false' } })
      projectId = (await admin.inject({ method: 'GET', url: `/api/v2.0/projects/${PROJECT}` })).json().project_id
      const roleIds: Partial<Record<Role, number>> = { projectAdmin: 1, developer: 2, guest: 3, maintainer: 4, limitedGuest: 5, outsider: 0 }
      for (const [role, roleId] of Object.entries(roleIds) as [Role, number][]) {
        const username = `u-${role.toLowerCase()}`
        await post('/api/v2.0/users', { username, password: PASSWORD, email: `${username}@example.com` })
        if (roleId > 0) await post(`/api/v2.0/projects/${PROJECT}/members`, { role_id: roleId, member_user: { username } })
        auth.set(role, basicAuth(username, PASSWORD))
      }
      auth.set('sysadmin', ADMIN_AUTH)
      const robot = async (role: Role, body: object) => {
        const created = (await post('/api/v2.0/robots', body)).json()
        auth.set(role, basicAuth(created.name, created.secret))
      }
      const access = (...actions: string[]) => actions.map((action) => ({ resource: 'repository', action }))
      await robot('projectRobotPull', { name: 'puller', level: 'project', duration: -1, permissions: [{ kind: 'project', namespace: PROJECT, access: access('pull') }] })
      await robot('projectRobotPush', { name: 'pusher', level: 'project', duration: -1, permissions: [{ kind: 'project', namespace: PROJECT, access: access('pull', 'push') }] })
      await robot('systemRobot', { name: 'everywhere', level: 'system', duration: -1, permissions: [{ kind: 'project', namespace: '*', access: access('pull', 'push', 'delete') }] })
      await pushImage(admin, `${PROJECT}/app`, 'v1', 'matrix-app')
    })

    /** Runs one action as one role; returns whether it was allowed. */
    const attempts: Record<Action, (role: Role, app: App) => Promise<boolean>> = {
      pull: async (_r, app) => isAllowed(await app.inject({ method: 'GET', url: `/v2/${PROJECT}/app/manifests/v1` }), [200]),
      push: async (role, app) => {
        const bytes = bytesOf(`matrix-push-${role}`)
        const res = await app.inject({ method: 'POST', url: `/v2/${PROJECT}/pushed-${role.toLowerCase()}/blobs/uploads/?digest=${sha256(bytes)}`, payload: bytes })
        return isAllowed(res, [201])
      },
      deleteArtifact: async (role, app) => {
        const image = await pushImage(t.app, `${PROJECT}/victim`, `for-${role.toLowerCase()}`, `matrix-victim-${role}`)
        return isAllowed(await app.inject({ method: 'DELETE', url: `/v2/${PROJECT}/victim/manifests/${image.digest}` }), [202])
      },
      catalogShowsRepo: async (_r, app) => {
        const res = await app.inject({ method: 'GET', url: '/v2/_catalog' })
        if (!isAllowed(res, [200])) return false
        return (res.json().repositories as string[]).includes(`${PROJECT}/app`)
      },
      readProject: async (_r, app) => isAllowed(await app.inject({ method: 'GET', url: `/api/v2.0/projects/${PROJECT}` }), [200]),
      updateProjectMetadata: async (_r, app) =>
        isAllowed(await app.inject({ method: 'PUT', url: `/api/v2.0/projects/${PROJECT}`, payload: { metadata: { public: 'false' } } }), [200]),
      // The project holds repositories, so an allowed caller is told to empty it first (412).
      deleteProject: async (_r, app) => isAllowed(await app.inject({ method: 'DELETE', url: `/api/v2.0/projects/${PROJECT}` }), [412]),
      listMembers: async (_r, app) => isAllowed(await app.inject({ method: 'GET', url: `/api/v2.0/projects/${PROJECT}/members` }), [200]),
      // Adding the admin again: an allowed caller gets past the permission check to the conflict.
      addMember: async (_r, app) =>
        isAllowed(await app.inject({ method: 'POST', url: `/api/v2.0/projects/${PROJECT}/members`, payload: { role_id: 3, member_user: { username: 'u-projectadmin' } } }), [409]),
      listProjectLogs: async (_r, app) => isAllowed(await app.inject({ method: 'GET', url: `/api/v2.0/projects/${PROJECT}/logs` }), [200]),
      createProjectRobot: async (role, app) =>
        isAllowed(
          await app.inject({
            method: 'POST',
            url: '/api/v2.0/robots',
            payload: { name: `r-${role.toLowerCase()}`, level: 'project', duration: 30, permissions: [{ kind: 'project', namespace: PROJECT, access: [{ resource: 'repository', action: 'pull' }] }] },
          }),
          [201],
        ),
      listUsers: async (_r, app) => isAllowed(await app.inject({ method: 'GET', url: '/api/v2.0/users' }), [200]),
      createProject: async (role, app) =>
        isAllowed(await app.inject({ method: 'POST', url: '/api/v2.0/projects', payload: { project_name: `by-${role.toLowerCase()}` } }), [201]),
    }

    for (const action of ACTIONS) {
      it(`${action}: ${ROLES.map((r) => `${r}=${expected(action, r) ? 'allow' : 'deny'}`).join(' ')}`, async () => {
        const wrong: string[] = []
        for (const role of ROLES) {
          const allowed = await attempts[action](role, appFor(role))
          if (allowed !== expected(action, role)) wrong.push(`${role} was ${allowed ? 'allowed' : 'denied'}`)
        }
        assert.deepEqual(wrong, [])
      })
    }

    it('denials answer anonymous callers 401 with a challenge, signed-in callers 403', async () => {
      const anon = await t.anonymous.inject({ method: 'GET', url: `/v2/${PROJECT}/app/manifests/v1` })
      assert.equal(anon.statusCode, 401)
      assert.match(String(anon.headers['www-authenticate']), /^Bearer realm="[^"]+\/service\/token",service="berth-registry",scope="repository:mx\/app:pull"$/)
      const outsider = await appFor('outsider').inject({ method: 'GET', url: `/v2/${PROJECT}/app/manifests/v1` })
      assert.equal(outsider.statusCode, 403)
      assert.equal(outsider.json().errors[0].code, 'DENIED')
    })

    it('tokens grant each role exactly the registry actions of the table', async () => {
      const want: Record<Role, string[]> = {
        anonymous: [],
        outsider: [],
        limitedGuest: ['pull'],
        guest: ['pull'],
        developer: ['pull', 'push'],
        maintainer: ['pull', 'push', 'delete'],
        projectAdmin: ['pull', 'push', 'delete'],
        sysadmin: ['pull', 'push', 'delete'],
        projectRobotPull: ['pull'],
        projectRobotPush: ['pull', 'push'],
        systemRobot: ['pull', 'push', 'delete'],
      }
      for (const role of ROLES) {
        const res = await appFor(role).inject({ method: 'GET', url: `/service/token?service=berth-registry&scope=repository:${PROJECT}/app:pull,push,delete` })
        assert.equal(res.statusCode, 200, `${role}: ${res.body}`)
        const payload = JSON.parse(Buffer.from(res.json().token.split('.')[1], 'base64url').toString('utf8'))
        assert.deepEqual([...payload.access[0].actions].sort(), [...want[role]].sort(), role)
      }
    })

    it('no role reaches another private project through its grants in this one', async () => {
      await pushImage(t.app, `${OTHER}/app`, 'v1', 'matrix-other')
      for (const role of ROLES.filter((r) => !['sysadmin', 'systemRobot'].includes(r))) {
        const res = await appFor(role).inject({ method: 'GET', url: `/v2/${OTHER}/app/manifests/v1` })
        assert.ok([401, 403].includes(res.statusCode), `${role} got ${res.statusCode}`)
      }
      assert.ok(projectId > 0)
    })
  })
}
