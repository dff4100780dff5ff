// What Harbor's own clients send and expect: whole objects PUT back, Harbor's request models in
// full, every project metadata key, chosen robot secrets, Harbor's shapes in answers, and client
// addresses in the audit log.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { DIALECTS, dialectSkip } from '../../../test/support/databases.js'
import { basicAuth } from '../../../test/support/berth-app.js'
import { harborSwagger, harborValidator, modelOf, type HarborModel, type HarborSwagger } from '../../../test/support/harbor-swagger.js'
import { useBerth, withAuthorization, type App } from '../oci/oci-test-support.js'
import { assertError, assertStatus } from './api-test-support.js'
import { VERSION } from '../../services/system/system-service.js'

const PASSWORD = 'Compat-Passw0rd'

/** Harbor's request models behind each Berth body (Harbor's clients also send back the read-only model). */
const REQUEST_MODELS: [method: string, path: string, models: string[]][] = [
  ['post', '/api/v2.0/users', ['UserCreationReq']],
  ['put', '/api/v2.0/users/{user_id}', ['UserProfile']],
  ['put', '/api/v2.0/users/{user_id}/password', ['PasswordReq']],
  ['put', '/api/v2.0/users/{user_id}/sysadmin', ['UserSysAdminFlag']],
  ['post', '/api/v2.0/projects', ['ProjectReq', 'Project']],
  ['put', '/api/v2.0/projects/{project}', ['ProjectReq', 'Project']],
  ['post', '/api/v2.0/projects/{project}/members', ['ProjectMember']],
  ['put', '/api/v2.0/projects/{project}/members/{mid}', ['RoleRequest']],
  ['post', '/api/v2.0/robots', ['RobotCreate', 'Robot']],
  ['put', '/api/v2.0/robots/{robot_id}', ['Robot']],
  ['patch', '/api/v2.0/robots/{robot_id}', ['RobotSec']],
  ['post', '/api/v2.0/projects/{project}/immutabletagrules', ['ImmutableRule']],
  ['put', '/api/v2.0/projects/{project}/immutabletagrules/{immutable_rule_id}', ['ImmutableRule']],
]

interface JsonSchema {
  properties?: Record<string, JsonSchema>
  items?: JsonSchema
  anyOf?: JsonSchema[]
  'x-harbor-ignored'?: boolean
}

/** The object schema inside a Berth property schema (through unions and arrays), if any. */
function objectIn(s: JsonSchema | undefined): JsonSchema | undefined {
  if (s === undefined) return undefined
  if (s.properties !== undefined) return s
  if (s.items !== undefined) return objectIn(s.items)
  for (const alt of s.anyOf ?? []) {
    const o = objectIn(alt)
    if (o !== undefined) return o
  }
  return undefined
}

/** Fields of Harbor's models that Berth's body schema does not declare, as paths. */
function undeclared(doc: HarborSwagger, harbor: HarborModel[], berth: JsonSchema, at: string): string[] {
  const missing: string[] = []
  for (const model of harbor) {
    for (const [name, prop] of Object.entries(model.properties ?? {})) {
      const mine = berth.properties?.[name]
      if (mine === undefined) {
        missing.push(`${at}${name}`)
        continue
      }
      const nested = modelOf(doc, prop)
      const inner = objectIn(mine)
      if (nested?.properties !== undefined && mine['x-harbor-ignored'] !== true && inner !== undefined) missing.push(...undeclared(doc, [nested], inner, `${at}${name}.`))
    }
  }
  return missing
}

describe("request bodies against Harbor's models", async () => {
  const doc = harborSwagger()
  const t = useBerth('sqlite')

  it("every field of Harbor's request models is declared: used, or accepted and ignored", { skip: doc === null ? 'harbor-swagger.yaml not found' : false }, async () => {
    const api = (await t.app.inject({ method: 'GET', url: '/api/v2.0/openapi.json' })).json() as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: JsonSchema }> } }>> }
    const missing: string[] = []
    for (const [method, path, models] of REQUEST_MODELS) {
      const schema = api.paths[path]?.[method]?.requestBody?.content['application/json']?.schema
      assert.ok(schema !== undefined, `${method} ${path} has no documented body`)
      missing.push(...undeclared(doc!, models.map((m) => doc!.definitions[m]!), schema, `${method.toUpperCase()} ${path}: `))
    }
    assert.deepEqual(missing, [])
  })
})

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

/** Every metadata key Harbor's ProjectMetadata names, as Harbor's clients send them (strings). */
const ALL_METADATA = {
  public: 'false',
  auto_scan: 'true',
  auto_sbom_generation: 'false',
  enable_content_trust: 'false',
  enable_content_trust_cosign: 'true',
  prevent_vul: 'true',
  severity: 'high',
  reuse_sys_cve_allowlist: 'false',
  retention_id: '7',
  proxy_speed_kb: '-1',
  max_upstream_conn: '10',
  proxy_cache_local_on_not_found: 'false',
  proxy_referrer_api: 'false',
  proxy_cache_filter_pattern: 'library/**',
  proxy_cache_filter_kind: 'doublestar',
}

for (const dialect of DIALECTS) {
  describe(`what Harbor's clients send (${dialect})`, await dialectSkip(dialect), () => {
    const t = useBerth(dialect)
    const as = (user: string): App => withAuthorization(t.anonymous, basicAuth(user, PASSWORD))
    const user = async (username: string) => assertStatus(await t.app.inject({ method: 'POST', url: '/api/v2.0/users', payload: { username, password: PASSWORD, email: `${username}@example.com` } }), 201)
    const member = async (project: string, username: string, role: number) =>
      assertStatus(await t.app.inject({ method: 'POST', url: `/api/v2.0/projects/${project}/members`, payload: { role_id: role, member_user: { username } } }), 201)

    it('a full UserCreationReq creates the user', async () => {
      const res = await t.app.inject({ method: 'POST', url: '/api/v2.0/users', payload: { username: 'fulluser', password: PASSWORD, email: 'full@example.com', realname: 'Full User', comment: 'from the Harbor client' } })
      assertStatus(res, 201)
      const found = (await t.app.inject({ method: 'GET', url: '/api/v2.0/users?q=username=fulluser' })).json()
      assert.deepEqual([found[0].email, found[0].realname, found[0].comment], ['full@example.com', 'Full User', 'from the Harbor client'])
    })

    it("a full Harbor Robot object is accepted on create; its read-only fields change nothing; an unknown field is refused by name", async () => {
      const body = {
        id: 999_999,
        name: 'whole',
        description: 'sent whole',
        secret: 'Whole-Robot-Secret1',
        level: 'project',
        duration: 30,
        editable: false,
        disable: false,
        expires_at: 1,
        creator_type: 'local',
        creator_ref: 42,
        creation_time: '2001-01-01T00:00:00.000Z',
        update_time: '2001-01-01T00:00:00.000Z',
        permissions: [{ kind: 'project', namespace: 'library', access: [{ resource: 'repository', action: 'pull', effect: 'allow' }] }],
      }
      const res = await t.app.inject({ method: 'POST', url: '/api/v2.0/robots', payload: body })
      assertStatus(res, 201)
      const robot = (await t.app.inject({ method: 'GET', url: `/api/v2.0/robots/${res.json().id}` })).json()
      assert.notEqual(robot.id, 999_999)
      assert.notEqual(robot.creation_time, '2001-01-01T00:00:00.000Z')
      assert.equal(robot.editable, true)
      assert.ok(robot.expires_at > Date.now() / 1000)
      // PUT back whole, with its full name; a changed level is refused.
      assertStatus(await t.app.inject({ method: 'PUT', url: `/api/v2.0/robots/${robot.id}`, payload: { ...robot, description: 'again' } }), 200)
      assertError(await t.app.inject({ method: 'PUT', url: `/api/v2.0/robots/${robot.id}`, payload: { ...robot, level: 'system' } }), 400, 'BAD_REQUEST')
      const unknown = await t.app.inject({ method: 'POST', url: '/api/v2.0/robots', payload: { ...body, name: 'typo', secret_hash: 'x' } })
      assertError(unknown, 400, 'BAD_REQUEST')
      assert.match(unknown.json().errors[0].message, /secret_hash/)
      assertError(await t.app.inject({ method: 'POST', url: '/api/v2.0/robots', payload: { ...body, name: 'typo2', editable: 'no' } }), 400, 'BAD_REQUEST', 'a tolerated field keeps its type')
    })

    it('a full ProjectReq with every metadata key and a CVE allowlist is stored and returned as Harbor returns it', async () => {
      await user('pa-full')
      const body = {
        project_name: 'full-req',
        public: false,
        metadata: { ...ALL_METADATA, auto_scan: true, proxy_speed_kb: 2048, severity: 'HIGH' },
        cve_allowlist: { id: 77, project_id: 77, expires_at: 4_102_444_800, items: [{ cve_id: 'CVE-2024-1234' }, { cve_id: 'GHSA-abcd-efgh-ijkl' }, { cve_id: 'CVE-2024-1234' }], creation_time: '2001-01-01T00:00:00.000Z', update_time: '2001-01-01T00:00:00.000Z' },
        storage_limit: -1,
        registry_id: null,
        // Harbor's Project model, read-only: a client copying a project sends these too.
        project_id: 424_242,
        owner_id: 1,
        owner_name: 'admin',
        creation_time: '2001-01-01T00:00:00.000Z',
        repo_count: 5,
      }
      assertStatus(await as('pa-full').inject({ method: 'POST', url: '/api/v2.0/projects', payload: body }), 201)
      const p = (await t.app.inject({ method: 'GET', url: '/api/v2.0/projects/full-req' })).json()
      assert.notEqual(p.project_id, 424_242)
      assert.equal(p.owner_name, 'pa-full')
      assert.notEqual(p.creation_time, '2001-01-01T00:00:00.000Z')
      assert.equal(p.repo_count, 0)
      assert.deepEqual(p.metadata, { ...ALL_METADATA, auto_scan: 'true', proxy_speed_kb: '2048', severity: 'high' })
      assert.deepEqual(p.cve_allowlist.items, [{ cve_id: 'CVE-2024-1234' }, { cve_id: 'GHSA-abcd-efgh-ijkl' }])
      assert.equal(p.cve_allowlist.expires_at, 4_102_444_800)
      assert.equal(p.cve_allowlist.project_id, p.project_id)
    })

    it('bad metadata values are refused by key and create nothing', async () => {
      const bad: [string, unknown][] = [
        ['auto_scan', 'yes'],
        ['severity', 'extreme'],
        ['proxy_speed_kb', -2],
        ['proxy_speed_kb', '1.5'],
        ['retention_id', 'abc'],
        ['retention_id', 0],
        ['proxy_cache_filter_kind', 'glob'],
        ['no_such_key', 'true'],
      ]
      for (const [key, value] of bad) {
        const res = await t.app.inject({ method: 'POST', url: '/api/v2.0/projects', payload: { project_name: 'bad-meta', metadata: { [key]: value } } })
        assertError(res, 400, 'BAD_REQUEST', `${key}=${JSON.stringify(value)}`)
        assert.match(res.json().errors[0].message, new RegExp(key), `${key}: ${res.body}`)
      }
      const tooMany = Array.from({ length: 1001 }, (_, i) => ({ cve_id: `CVE-2024-${10_000 + i}` }))
      assertError(await t.app.inject({ method: 'POST', url: '/api/v2.0/projects', payload: { project_name: 'bad-meta', cve_allowlist: { items: tooMany } } }), 400, 'BAD_REQUEST', 'too many CVE ids')
      for (const cve_id of ['', 'x'.repeat(65), 'CVE 2024', '<script>']) {
        assertError(await t.app.inject({ method: 'POST', url: '/api/v2.0/projects', payload: { project_name: 'bad-meta', cve_allowlist: { items: [{ cve_id }] } } }), 400, 'BAD_REQUEST', `cve_id ${JSON.stringify(cve_id)}`)
      }
      assertStatus(await t.app.inject({ method: 'GET', url: '/api/v2.0/projects/bad-meta' }), 404)
    })

    it('PUT /projects changes the given keys only and replaces the allowlist; the whole project as GET returned it is accepted', async () => {
      assertStatus(await t.app.inject({ method: 'POST', url: '/api/v2.0/projects', payload: { project_name: 'upd', metadata: { auto_scan: 'true', severity: 'low' } } }), 201)
      const before = (await t.app.inject({ method: 'GET', url: '/api/v2.0/projects/upd' })).json()
      const res = await t.app.inject({ method: 'PUT', url: '/api/v2.0/projects/upd', payload: { ...before, metadata: { severity: 'critical', prevent_vul: true }, cve_allowlist: { items: [{ cve_id: 'CVE-2023-0001' }] } } })
      assertStatus(res, 200)
      const after = (await t.app.inject({ method: 'GET', url: '/api/v2.0/projects/upd' })).json()
      assert.deepEqual(after.metadata, { public: 'false', auto_scan: 'true', severity: 'critical', prevent_vul: 'true' })
      assert.deepEqual(after.cve_allowlist.items, [{ cve_id: 'CVE-2023-0001' }])
      assert.equal(after.cve_allowlist.expires_at, undefined)
      assert.equal(after.name, 'upd')
      assertError(await t.app.inject({ method: 'PUT', url: '/api/v2.0/projects/upd', payload: { metadata: { severity: 'bogus' } } }), 400, 'BAD_REQUEST')
      assert.equal((await t.app.inject({ method: 'GET', url: '/api/v2.0/projects/upd' })).json().metadata.severity, 'critical')
    })

    it("Harbor's metadata routes: list, add, get, change, delete", async () => {
      assertStatus(await t.app.inject({ method: 'POST', url: '/api/v2.0/projects', payload: { project_name: 'metas' } }), 201)
      const url = '/api/v2.0/projects/metas/metadatas/'
      assert.deepEqual((await t.app.inject({ method: 'GET', url })).json(), { public: 'false' })
      assertStatus(await t.app.inject({ method: 'POST', url, payload: { auto_scan: 'true', severity: 'medium' } }), 200)
      assertError(await t.app.inject({ method: 'POST', url, payload: { auto_scan: 'false' } }), 409, 'CONFLICT')
      assert.deepEqual((await t.app.inject({ method: 'GET', url: `${url}severity` })).json(), { severity: 'medium' })
      assertStatus(await t.app.inject({ method: 'PUT', url: `${url}severity`, payload: { severity: 'critical' } }), 200)
      assertError(await t.app.inject({ method: 'PUT', url: `${url}severity`, payload: { auto_scan: 'false' } }), 400, 'BAD_REQUEST', 'body must name the key of the path')
      assertStatus(await t.app.inject({ method: 'PUT', url: `${url}public`, payload: { public: 'true' } }), 200)
      assert.deepEqual((await t.app.inject({ method: 'GET', url })).json(), { public: 'true', auto_scan: 'true', severity: 'critical' })
      assertStatus(await t.app.inject({ method: 'DELETE', url: `${url}auto_scan` }), 200)
      assertError(await t.app.inject({ method: 'GET', url: `${url}auto_scan` }), 404, 'NOT_FOUND')
      assertError(await t.app.inject({ method: 'DELETE', url: `${url}no_such_key` }), 404, 'NOT_FOUND')
      assert.equal((await t.app.inject({ method: 'GET', url: '/api/v2.0/projects/metas' })).json().metadata.auto_scan, undefined)
    })

    it('metadata of every key changes only with metadata:update: Project Admins yes, Maintainers and Developers no (CVE-2024-22278)', async () => {
      assertStatus(await t.app.inject({ method: 'POST', url: '/api/v2.0/projects', payload: { project_name: 'guarded' } }), 201)
      for (const [name, role] of [['g-admin', 1], ['g-maint', 4], ['g-dev', 2]] as const) {
        await user(name)
        await member('guarded', name, role)
      }
      for (const key of Object.keys(ALL_METADATA)) {
        const value = (ALL_METADATA as Record<string, string>)[key]
        for (const who of ['g-maint', 'g-dev']) {
          assertError(await as(who).inject({ method: 'PUT', url: '/api/v2.0/projects/guarded', payload: { metadata: { [key]: value } } }), 403, 'FORBIDDEN', `${who} PUT ${key}`)
          assertError(await as(who).inject({ method: 'PUT', url: `/api/v2.0/projects/guarded/metadatas/${key}`, payload: { [key]: value } }), 403, 'FORBIDDEN', `${who} PUT metadatas/${key}`)
        }
        assertStatus(await as('g-admin').inject({ method: 'PUT', url: '/api/v2.0/projects/guarded', payload: { metadata: { [key]: value } } }), 200)
      }
      for (const who of ['g-maint', 'g-dev']) {
        assertError(await as(who).inject({ method: 'PUT', url: '/api/v2.0/projects/guarded', payload: { cve_allowlist: { items: [{ cve_id: 'CVE-2020-0001' }] } } }), 403, 'FORBIDDEN', `${who} allowlist`)
        assertError(await as(who).inject({ method: 'POST', url: '/api/v2.0/projects/guarded/metadatas/', payload: { auto_scan: 'true' } }), 403, 'FORBIDDEN', `${who} POST metadatas`)
        assertError(await as(who).inject({ method: 'DELETE', url: '/api/v2.0/projects/guarded/metadatas/severity' }), 403, 'FORBIDDEN', `${who} DELETE metadatas`)
        // Reading is for every member, as in Harbor.
        assertStatus(await as(who).inject({ method: 'GET', url: '/api/v2.0/projects/guarded/metadatas/' }), 200)
      }
      assert.equal((await t.app.inject({ method: 'GET', url: '/api/v2.0/projects/guarded' })).json().metadata.severity, 'high')
    })

    it("library's owner_id is the admin's id, and GET /projects passes Harbor's Project schema", async () => {
      const admin = (await t.app.inject({ method: 'GET', url: '/api/v2.0/users/current' })).json()
      const library = (await t.app.inject({ method: 'GET', url: '/api/v2.0/projects/library' })).json()
      assert.equal(library.owner_id, admin.user_id)
      assert.equal(library.owner_name, 'admin')
      const doc = harborSwagger()
      if (doc === null) return
      const validate = harborValidator(doc, 'Project')
      const list = (await t.app.inject({ method: 'GET', url: '/api/v2.0/projects?page_size=100' })).json() as unknown[]
      assert.ok(list.length >= 3)
      for (const p of list) assert.ok(validate(p), `${JSON.stringify(p)}: ${JSON.stringify(validate.errors)}`)
      const single = (await t.app.inject({ method: 'GET', url: '/api/v2.0/projects/full-req' })).json()
      assert.ok(validate(single), JSON.stringify(validate.errors))
    })

    it("systeminfo names the Harbor API level in Harbor's format, and Berth's own version apart", async () => {
      for (const app of [t.anonymous, t.app]) {
        const info = (await app.inject({ method: 'GET', url: '/api/v2.0/systeminfo' })).json()
        // Harbor's form is v<major>.<minor>.<patch>-<build>; tools compare the part before '-'.
        assert.match(info.harbor_version, /^v2\.\d+\.\d+-[0-9A-Za-z.]+$/)
        const [major, minor] = info.harbor_version.slice(1).split('-')[0].split('.').map(Number)
        assert.ok(major === 2 && minor >= 9, info.harbor_version)
        assert.equal(info.berth_version, VERSION)
      }
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
