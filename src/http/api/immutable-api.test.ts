// Tag immutability end to end on both databases: the rule API (roles, paging, validation,
// abuse, audit) and the refusals on every path that could move or remove a protected tag
// (/v2/ pushes and deletes, the API's artifact, tag and repository deletes, replication's
// local writes), each leaving everything as it was.
import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import type { InjectOptions } from 'fastify'
import { basicAuth } from '../../../test/support/berth-app.js'
import { DIALECTS, dialectSkip } from '../../../test/support/databases.js'
import { LocalRegistry } from '../../services/replication/local-registry.js'
import { assertError, assertStatus, checkResponse, idFromLocation, linkRels, totalOf, ADMIN, ANON, userActor, type Actor, PROJECT_ROLES } from './api-test-support.js'
import { assertOciError, header, OCI_MANIFEST, pushImage, putManifest, sha256, useBerth, type App, type PushedImage, type Response } from '../oci/oci-test-support.js'

const API = '/api/v2.0'
const PASSWORD = 'Immutable-Test-Passw0rd'

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE'
type Json = any

const user = (name: string): Actor => userActor(name, PASSWORD)

const sel = (decoration: string, pattern: string, extras?: string) => ({ kind: 'doublestar', decoration, pattern, ...(extras !== undefined ? { extras } : {}) })
/** A rule as Harbor's console sends it. */
function ruleBody(tagPattern: string, repoPattern = '**', o: { tagDecoration?: string; repoDecoration?: string; disabled?: boolean } = {}): Json {
  return {
    disabled: o.disabled ?? false,
    action: 'immutable',
    template: 'immutable_template',
    priority: 0,
    params: {},
    tag_selectors: [sel(o.tagDecoration ?? 'matches', tagPattern)],
    scope_selectors: { repository: [sel(o.repoDecoration ?? 'repoMatches', repoPattern)] },
  }
}

for (const dialect of DIALECTS) {
  describe(`tag immutability (${dialect})`, await dialectSkip(dialect), () => {
    const t = useBerth(dialect)

    async function inject(opts: InjectOptions, what: string): Promise<Response> {
      const res = (await t.anonymous.inject(opts)) as Response
      checkResponse(res, what)
      return res
    }
    function api(who: Actor, method: Method, path: string, body?: unknown): Promise<Response> {
      return inject({ method, url: `${API}${path}`, headers: { ...who.headers }, ...(body !== undefined ? { payload: body as InjectOptions['payload'] } : {}) }, `${who.name} ${method} ${path}`)
    }
    async function createRule(who: Actor, project: string, body: Json): Promise<number> {
      const res = await api(who, 'POST', `/projects/${project}/immutabletagrules`, body)
      assertStatus(res, 201, `${who.name} create rule in ${project}`)
      return idFromLocation(res, `${API}/projects/${project}/immutabletagrules`)
    }
    const rulesOf = async (project: string): Promise<Json[]> => (await api(ADMIN, 'GET', `/projects/${project}/immutabletagrules?page_size=100`)).json()
    const digestAt = async (repo: string, tag: string): Promise<string | undefined> => {
      const res = await t.app.inject({ method: 'HEAD', url: `/v2/${repo}/manifests/${tag}`, headers: { accept: OCI_MANIFEST } })
      return res.statusCode === 200 ? header(res, 'docker-content-digest') : undefined
    }

    const roles = PROJECT_ROLES
    let robot: Actor

    before(async () => {
      for (const name of [...roles.map(([n]) => n), 'other']) {
        assertStatus(await api(ADMIN, 'POST', '/users', { username: name, password: PASSWORD, email: `${name}@example.com`, realname: name }), 201)
      }
      for (const project of ['matrix', 'imm', 'elsewhere']) assertStatus(await api(ADMIN, 'POST', '/projects', { project_name: project, metadata: { public: 'false' } }), 201)
      for (const [name, role] of roles) assertStatus(await api(ADMIN, 'POST', '/projects/matrix/members', { role_id: role, member_user: { username: name } }), 201)
      // The robot sees the projects (project:read) and pushes and deletes, but holds no rule rights.
      const access = [...['push', 'pull', 'delete'].map((action) => ({ resource: 'repository', action })), { resource: 'project', action: 'read' }]
      const r = await api(ADMIN, 'POST', '/robots', { name: 'ci', level: 'system', duration: -1, permissions: [{ kind: 'project', namespace: 'matrix', access }, { kind: 'project', namespace: 'imm', access }] })
      assertStatus(r, 201)
      robot = { name: 'robot', headers: { authorization: basicAuth(r.json().name, r.json().secret) } }
    })

    // ------------------------------------------------------------------------------------------
    describe('rule API', () => {
      it('roles: project admins and maintainers manage rules (as in Harbor); developers, guests, limited guests and robots 403; non-members 404; anonymous 401', async () => {
        const expected: Record<string, number> = { admin: 0, padm: 0, maint: 0, dev: 403, guest: 403, lguest: 403, robot: 403, other: 404, anonymous: 401 }
        const actors: Actor[] = [ADMIN, ...roles.map(([n]) => user(n)), user('other'), robot, ANON]
        for (const who of actors) {
          const refusal = expected[who.name === 'robot' ? 'robot' : who.name]!
          const list = await api(who, 'GET', '/projects/matrix/immutabletagrules')
          const create = await api(who, 'POST', '/projects/matrix/immutabletagrules', ruleBody(`by-${who.name}-*`))
          if (refusal === 0) {
            assertStatus(list, 200, `${who.name} list`)
            assertStatus(create, 201, `${who.name} create`)
            const id = idFromLocation(create, `${API}/projects/matrix/immutabletagrules`)
            assertStatus(await api(who, 'PUT', `/projects/matrix/immutabletagrules/${id}`, { disabled: true }), 200, `${who.name} disable`)
            assertStatus(await api(who, 'PUT', `/projects/matrix/immutabletagrules/${id}`, { ...ruleBody(`by-${who.name}-v*`), id }), 200, `${who.name} replace`)
            assertStatus(await api(who, 'DELETE', `/projects/matrix/immutabletagrules/${id}`), 200, `${who.name} delete`)
          } else {
            const code = refusal === 401 ? 'UNAUTHORIZED' : refusal === 403 ? 'FORBIDDEN' : 'NOT_FOUND'
            assertError(list, refusal, code, `${who.name} list`)
            assertError(create, refusal, code, `${who.name} create`)
          }
        }
        // Refused callers cannot change an existing rule either.
        const id = await createRule(ADMIN, 'matrix', ruleBody('kept'))
        for (const who of actors.filter((a) => expected[a.name] !== 0)) {
          const refusal = expected[who.name]!
          assertStatus(await api(who, 'PUT', `/projects/matrix/immutabletagrules/${id}`, { disabled: true }), refusal, `${who.name} update`)
          assertStatus(await api(who, 'DELETE', `/projects/matrix/immutabletagrules/${id}`), refusal, `${who.name} delete`)
        }
        const rules = await rulesOf('matrix')
        assert.deepEqual(rules.map((r: Json) => [r.id, r.disabled, r.tag_selectors[0].pattern]), [[id, false, 'kept']])
        assertStatus(await api(ADMIN, 'DELETE', `/projects/matrix/immutabletagrules/${id}`), 200)
      })

      it("reads back in Harbor's shape, by project name or id, paged with X-Total-Count and Link", async () => {
        const ids = [await createRule(ADMIN, 'matrix', ruleBody('a*')), await createRule(ADMIN, 'matrix', { ...ruleBody('b*', 'web/**'), priority: 3 })]
        const extras = '{"untagged":true}'
        ids.push(await createRule(ADMIN, 'matrix', { tag_selectors: [sel('excludes', 'c*', extras)], scope_selectors: { repository: [sel('repoExcludes', 'tmp')] } }))
        const projectId = (await api(ADMIN, 'GET', '/projects/matrix')).json().project_id
        const page1 = await api(ADMIN, 'GET', `/projects/${projectId}/immutabletagrules?page=1&page_size=2`)
        assertStatus(page1, 200)
        assert.equal(totalOf(page1), 3)
        assert.ok(linkRels(page1).next !== undefined)
        assert.deepEqual(page1.json().map((r: Json) => r.id), ids.slice(0, 2))
        const all = await rulesOf('matrix')
        const second = all.find((r: Json) => r.id === ids[1])
        assert.deepEqual(second, { id: ids[1], priority: 3, disabled: false, action: 'immutable', template: 'immutable_template', params: {}, tag_selectors: [sel('matches', 'b*')], scope_selectors: { repository: [sel('repoMatches', 'web/**')] } })
        // Template and action default to Harbor's; extras read back as written.
        const third = all.find((r: Json) => r.id === ids[2])
        assert.equal(third.template, 'immutable_template')
        assert.equal(third.action, 'immutable')
        assert.deepEqual(third.tag_selectors, [sel('excludes', 'c*', extras)])
        const sorted = (await api(ADMIN, 'GET', '/projects/matrix/immutabletagrules?sort=-priority')).json()
        assert.equal(sorted[0].id, ids[1])
        for (const id of ids) assertStatus(await api(ADMIN, 'DELETE', `/projects/matrix/immutabletagrules/${id}`), 200)
      })

      it('refuses malformed rules with 400 and a message naming the problem; nothing is created', async () => {
        const cases: [string, Json, RegExp][] = [
          ['no tag selectors', { scope_selectors: ruleBody('x').scope_selectors }, /tag_selectors is required/],
          ['no scope selectors', { tag_selectors: ruleBody('x').tag_selectors }, /scope_selectors is required/],
          ['empty tag selectors', { ...ruleBody('x'), tag_selectors: [] }, /at least one selector/],
          ['wrong kind', { ...ruleBody('x'), tag_selectors: [{ ...sel('matches', 'x'), kind: 'regexp' }] }, /tag_selectors\[0\]\.kind must be "doublestar"/],
          ['wrong tag decoration', { ...ruleBody('x'), tag_selectors: [sel('repoMatches', 'x')] }, /matches or excludes/],
          ['wrong repository decoration', { ...ruleBody('x'), scope_selectors: { repository: [sel('matches', 'x')] } }, /repoMatches or repoExcludes/],
          ['another scope', { ...ruleBody('x'), scope_selectors: { namespace: [sel('nsMatches', 'x')] } }, /only "repository"/],
          ['pattern too long', ruleBody('v'.repeat(300)), /longer than 256/],
          ['bad extras', { ...ruleBody('x'), tag_selectors: [sel('matches', 'x', 'untagged')] }, /extras is not JSON/],
          ['wrong template', { ...ruleBody('x'), template: 'latestPushedK' }, /template must be "immutable_template"/],
          ['wrong action', { ...ruleBody('x'), action: 'retain' }, /action must be "immutable"/],
          ['unknown field', { ...ruleBody('x'), project_id: 5 }, /project_id|additional/],
          ['negative priority', { ...ruleBody('x'), priority: -1 }, /priority/],
          ['not an object', [1, 2], /object/],
        ]
        for (const [what, body, message] of cases) {
          const res = await api(ADMIN, 'POST', '/projects/matrix/immutabletagrules', body)
          assertError(res, 400, 'BAD_REQUEST', what)
          assert.match(res.json().errors[0].message, message, what)
        }
        assert.deepEqual(await rulesOf('matrix'), [])
      })

      it('abuse: 15 rules at most, duplicates 409, a rule of another project 404, bad ids and queries 400, huge bodies 413; nothing changes', async () => {
        const ids: number[] = []
        for (let i = 0; i < 15; i++) ids.push(await createRule(ADMIN, 'matrix', ruleBody(`t${i}-*`)))
        const sixteenth = await api(ADMIN, 'POST', '/projects/matrix/immutabletagrules', ruleBody('t15-*'))
        assertError(sixteenth, 400, 'BAD_REQUEST')
        assert.match(sixteenth.json().errors[0].message, /15 immutable tag rules/)
        assertStatus(await api(ADMIN, 'DELETE', `/projects/matrix/immutabletagrules/${ids.pop()}`), 200)
        assertError(await api(ADMIN, 'POST', '/projects/matrix/immutabletagrules', ruleBody('t0-*')), 409, 'CONFLICT', 'duplicate')
        // Replacing a rule with another rule's selectors is a duplicate too.
        assertError(await api(ADMIN, 'PUT', `/projects/matrix/immutabletagrules/${ids[1]}`, ruleBody('t0-*')), 409, 'CONFLICT')

        const foreign = await createRule(ADMIN, 'elsewhere', ruleBody('foreign'))
        assertError(await api(ADMIN, 'PUT', `/projects/matrix/immutabletagrules/${foreign}`, { disabled: true }), 404, 'NOT_FOUND', 'PUT foreign')
        assertError(await api(ADMIN, 'DELETE', `/projects/matrix/immutabletagrules/${foreign}`), 404, 'NOT_FOUND', 'DELETE foreign')
        assertError(await api(user('padm'), 'DELETE', `/projects/elsewhere/immutabletagrules/${foreign}`), 404, 'NOT_FOUND', 'non-member of elsewhere')
        assertError(await api(ADMIN, 'DELETE', '/projects/matrix/immutabletagrules/999999'), 404, 'NOT_FOUND')
        assertError(await api(ADMIN, 'DELETE', '/projects/matrix/immutabletagrules/abc'), 400, 'BAD_REQUEST')
        assertError(await api(ADMIN, 'PUT', `/projects/matrix/immutabletagrules/${ids[0]}`, { ...ruleBody('z'), id: ids[1] }), 400, 'BAD_REQUEST', 'body id differs')
        assertError(await api(ADMIN, 'PUT', `/projects/matrix/immutabletagrules/${ids[0]}`, {}), 400, 'BAD_REQUEST', 'nothing to change')
        assertError(await api(ADMIN, 'GET', '/projects/matrix/immutabletagrules?page=0'), 400, 'BAD_REQUEST')
        assertError(await api(ADMIN, 'GET', '/projects/matrix/immutabletagrules?sort=secret'), 400, 'BAD_REQUEST')
        assertError(await api(ADMIN, 'GET', '/projects/matrix/immutabletagrules?q=rule=~x'), 400, 'BAD_REQUEST')
        assertError(await api(ADMIN, 'GET', '/projects/no-such-project/immutabletagrules'), 404, 'NOT_FOUND')
        assertError(await api(ADMIN, 'GET', `/projects/${encodeURIComponent('../../users')}/immutabletagrules`), 404, 'NOT_FOUND')
        const huge = { ...ruleBody('x'), params: { pad: 'x'.repeat(20_000) } }
        assertStatus(await api(ADMIN, 'POST', '/projects/elsewhere/immutabletagrules', huge), 413)
        assertError(await api(ADMIN, 'POST', '/projects/elsewhere/immutabletagrules', { ...ruleBody('y'), params: { pad: 'x'.repeat(2_000) } }), 400, 'BAD_REQUEST', 'large params')

        assert.equal((await rulesOf('matrix')).length, 14)
        assert.deepEqual((await rulesOf('elsewhere')).map((r: Json) => r.id), [foreign])
        for (const id of ids) assertStatus(await api(ADMIN, 'DELETE', `/projects/matrix/immutabletagrules/${id}`), 200)
        assertStatus(await api(ADMIN, 'DELETE', `/projects/elsewhere/immutabletagrules/${foreign}`), 200)
      })

      it("changes are in the project's audit log", async () => {
        const id = await createRule(user('maint'), 'matrix', ruleBody('audited'))
        assertStatus(await api(user('maint'), 'PUT', `/projects/matrix/immutabletagrules/${id}`, { disabled: true }), 200)
        assertStatus(await api(user('maint'), 'DELETE', `/projects/matrix/immutabletagrules/${id}`), 200)
        await t.berth.audit.flush()
        const logs = (await api(ADMIN, 'GET', '/projects/matrix/logs?page_size=100')).json() as Json[]
        const mine = logs.filter((l) => l.resource_type === 'immutable-rule' && l.resource === `matrix/immutabletagrules/${id}`)
        assert.deepEqual(mine.map((l) => [l.operation, l.username]).sort(), [['create', 'maint'], ['delete', 'maint'], ['update', 'maint']])
      })
    })

    // ------------------------------------------------------------------------------------------
    describe('enforcement', () => {
      let v1: PushedImage
      let other: PushedImage
      let ruleId: number

      before(async () => {
        v1 = await pushImage(t.app, 'imm/app', 'v1', 'imm-app-v1')
        await putManifest(t.app, 'imm/app', 'v1.0', v1.text, OCI_MANIFEST)
        other = await pushImage(t.app, 'imm/app', 'latest', 'imm-app-other')
        await pushImage(t.app, 'imm/tools', 'v1', 'imm-tools-v1')
        // Before any rule, tags move freely.
        assertStatus(await putManifest(t.app, 'imm/app', 'scratch', v1.text, OCI_MANIFEST), 201)
        assertStatus(await putManifest(t.app, 'imm/app', 'scratch', other.text, OCI_MANIFEST), 201)
        ruleId = await createRule(ADMIN, 'imm', ruleBody('v*', 'app'))
      })

      /** Everything the refusals must leave as it was. */
      async function unchanged(): Promise<void> {
        assert.equal(await digestAt('imm/app', 'v1'), v1.digest, 'imm/app:v1 still points where it did')
        assert.equal(await digestAt('imm/app', 'v1.0'), v1.digest)
        const tags = (await t.app.inject({ method: 'GET', url: '/v2/imm/app/tags/list' })).json().tags
        assert.deepEqual(tags, ['latest', 'scratch', 'v1', 'v1.0'])
      }

      it('/v2/ PUT over a protected tag with another digest: 412 DENIED with a clear message, nothing stored; the same digest again is accepted', async () => {
        const moved = await putManifest(t.app, 'imm/app', 'v1', other.text, OCI_MANIFEST)
        const e = assertOciError(moved, 412, 'DENIED')
        assert.match(e.message ?? '', /the tag imm\/app:v1 is immutable, cannot be overwritten/)
        // A manifest never pushed before is not stored by a refused push.
        const fresh = await pushImage(t.app, 'imm/app', 'fresh', 'imm-app-fresh')
        const untagged = fresh.text.replace('"schemaVersion": 2', '"schemaVersion": 2, "annotations": {"x": "y"}')
        assertOciError(await putManifest(t.app, 'imm/app', 'v1', untagged, OCI_MANIFEST), 412, 'DENIED')
        assert.equal((await t.app.inject({ method: 'HEAD', url: `/v2/imm/app/manifests/${sha256(untagged)}` })).statusCode, 404)
        assertStatus(await t.app.inject({ method: 'DELETE', url: '/v2/imm/app/manifests/fresh' }), 202)
        await unchanged()
        assertStatus(await putManifest(t.app, 'imm/app', 'v1', v1.text, OCI_MANIFEST), 201)
        await unchanged()
      })

      it('a new tag is free until it exists; tags the rule does not select, and other repositories, move freely', async () => {
        assertStatus(await putManifest(t.app, 'imm/app', 'v2', other.text, OCI_MANIFEST), 201)
        assertOciError(await putManifest(t.app, 'imm/app', 'v2', v1.text, OCI_MANIFEST), 412, 'DENIED')
        assertStatus(await putManifest(t.app, 'imm/app', 'scratch', v1.text, OCI_MANIFEST), 201)
        const tools = await pushImage(t.app, 'imm/tools', 'v1', 'imm-tools-v1b')
        assert.equal(await digestAt('imm/tools', 'v1'), tools.digest)
        assertStatus(await t.app.inject({ method: 'DELETE', url: '/v2/imm/app/manifests/v2' }), 412)
        // Tidy: the rule is disabled for a moment to take v2 away.
        assertStatus(await api(ADMIN, 'PUT', `/projects/imm/immutabletagrules/${ruleId}`, { disabled: true }), 200)
        assertStatus(await t.app.inject({ method: 'DELETE', url: '/v2/imm/app/manifests/v2' }), 202)
        assertStatus(await api(ADMIN, 'PUT', `/projects/imm/immutabletagrules/${ruleId}`, { disabled: false }), 200)
        await unchanged()
      })

      it('deletes by /v2/ (tag, digest) and by the API (artifact by tag or digest, tag, repository) are refused: 412, nothing changes', async () => {
        const v2del = await t.app.inject({ method: 'DELETE', url: '/v2/imm/app/manifests/v1' })
        assert.match(assertOciError(v2del, 412, 'DENIED').message ?? '', /imm\/app:v1 is immutable, cannot be deleted/)
        assertOciError(await t.app.inject({ method: 'DELETE', url: `/v2/imm/app/manifests/${v1.digest}` }), 412, 'DENIED')
        for (const reference of ['v1', v1.digest]) {
          const res = await api(ADMIN, 'DELETE', `/projects/imm/repositories/app/artifacts/${reference}`)
          assertError(res, 412, 'PRECONDITION', `artifact ${reference}`)
          assert.match(res.json().errors[0].message, /is immutable, cannot be deleted/)
        }
        assertError(await api(ADMIN, 'DELETE', `/projects/imm/repositories/app/artifacts/${v1.digest}/tags/v1.0`), 412, 'PRECONDITION', 'tag')
        assertError(await api(ADMIN, 'DELETE', '/projects/imm/repositories/app'), 412, 'PRECONDITION', 'repository')
        // The robot's delete right does not get past the rule either.
        assertOciError(await t.anonymous.inject({ method: 'DELETE', url: '/v2/imm/app/manifests/v1', headers: robot.headers }), 412, 'DENIED')
        await unchanged()
        // What the rule does not protect is deleted as before.
        const loose = await pushImage(t.app, 'imm/app', 'nightly', 'imm-app-nightly')
        assertStatus(await api(ADMIN, 'DELETE', `/projects/imm/repositories/app/artifacts/${loose.digest}`), 200)
        assertStatus(await api(ADMIN, 'DELETE', '/projects/imm/repositories/app/artifacts/scratch/tags/scratch'), 200)
        assertStatus(await putManifest(t.app, 'imm/app', 'scratch', other.text, OCI_MANIFEST), 201)
        await unchanged()
      })

      it('with_immutable_status=true marks the protected tags on artifacts and tag listings (false without it, as Harbor)', async () => {
        const status = (tags: Json[]) => Object.fromEntries(tags.map((x: Json) => [x.name, x.immutable]))
        const listed = (await api(ADMIN, 'GET', '/projects/imm/repositories/app/artifacts?with_immutable_status=true')).json() as Json[]
        assert.deepEqual(status(listed.find((a) => a.digest === v1.digest).tags), { v1: true, 'v1.0': true })
        assert.deepEqual(status(listed.find((a) => a.digest === other.digest).tags), { latest: false, scratch: false })
        const plain = (await api(ADMIN, 'GET', '/projects/imm/repositories/app/artifacts')).json() as Json[]
        assert.deepEqual(status(plain.find((a) => a.digest === v1.digest).tags), { v1: false, 'v1.0': false })
        const tags = (await api(ADMIN, 'GET', `/projects/imm/repositories/app/artifacts/${v1.digest}/tags?with_immutable_status=true`)).json()
        assert.deepEqual(status(tags), { v1: true, 'v1.0': true })
        const one = (await api(ADMIN, 'GET', '/projects/imm/repositories/app/artifacts/v1?with_immutable_status=true')).json()
        assert.deepEqual(status(one.tags), { v1: true, 'v1.0': true })
      })

      it("replication's local writes are refused the same way", async () => {
        const s = t.berth
        const local = new LocalRegistry({ manifests: s.manifestService, blobs: s.blobService, stores: s.stores, ensureProject: async () => {} })
        await assert.rejects(local.putManifest('imm/app', 'v1', { digest: other.digest, mediaType: OCI_MANIFEST, body: Buffer.from(other.text) }), (e: Error & { code?: string }) => e.code === 'PRECONDITION' && /cannot be overwritten/.test(e.message))
        await assert.rejects(local.deleteManifest('imm/app', 'v1'), (e: Error & { code?: string }) => e.code === 'PRECONDITION')
        await assert.rejects(local.deleteManifest('imm/app', v1.digest), (e: Error & { code?: string }) => e.code === 'PRECONDITION')
        await local.putManifest('imm/app', 'v1', { digest: v1.digest, mediaType: OCI_MANIFEST, body: Buffer.from(v1.text) })
        await unchanged()
      })

      it('a rule change takes effect at once: disabled rules do not apply, enabled ones do, a deleted one no longer does', async () => {
        assertStatus(await api(user('other'), 'GET', '/projects/imm/immutabletagrules'), 404)
        assertStatus(await api(ADMIN, 'PUT', `/projects/imm/immutabletagrules/${ruleId}`, { disabled: true }), 200)
        assertStatus(await putManifest(t.app, 'imm/app', 'v1', other.text, OCI_MANIFEST), 201)
        assertStatus(await api(ADMIN, 'PUT', `/projects/imm/immutabletagrules/${ruleId}`, { disabled: false }), 200)
        assertOciError(await putManifest(t.app, 'imm/app', 'v1', v1.text, OCI_MANIFEST), 412, 'DENIED')
        // A replaced rule protects what it now selects.
        assertStatus(await api(ADMIN, 'PUT', `/projects/imm/immutabletagrules/${ruleId}`, ruleBody('latest', 'app')), 200)
        assertStatus(await putManifest(t.app, 'imm/app', 'v1', v1.text, OCI_MANIFEST), 201)
        assertOciError(await putManifest(t.app, 'imm/app', 'latest', v1.text, OCI_MANIFEST), 412, 'DENIED')
        // An excludes rule protects every tag but those it names, in every repository it covers.
        const excl = await createRule(ADMIN, 'imm', ruleBody('dev-*', '**', { tagDecoration: 'excludes' }))
        await pushImage(t.app, 'imm/tools', 'dev-1', 'imm-tools-dev-a')
        const devB = await pushImage(t.app, 'imm/tools', 'dev-1', 'imm-tools-dev-b')
        assertOciError(await putManifest(t.app, 'imm/tools', 'v1', devB.text, OCI_MANIFEST), 412, 'DENIED')
        assertError(await api(ADMIN, 'DELETE', '/projects/imm/repositories/tools'), 412, 'PRECONDITION')
        assertStatus(await api(ADMIN, 'DELETE', `/projects/imm/immutabletagrules/${excl}`), 200)
        assertStatus(await api(ADMIN, 'DELETE', `/projects/imm/immutabletagrules/${ruleId}`), 200)
        assertStatus(await t.app.inject({ method: 'DELETE', url: '/v2/imm/app/manifests/latest' }), 202)
        assertStatus(await api(ADMIN, 'DELETE', '/projects/imm/repositories/tools'), 200)
      })
    })
  })
}
