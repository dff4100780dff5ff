// Tag retention end to end on both databases: Harbor's /retentions API (metadata, roles, the
// project's retention_id, validation, abuse), and runs on a prepared history (push and pull times
// set in the database): what each run deletes, immutable tags never deleted, index children and
// accessories kept with their parent, repositories no rule covers untouched, a dry run reporting
// exactly what the real run then deletes, one run at a time, stop, the schedule, and one
// TAG_RETENTION event per real run with its numbers.
import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import type { InjectOptions } from 'fastify'
import { ADMIN_AUTH, basicAuth } from '../../../test/support/berth-app.js'
import { DIALECTS, dialectSkip } from '../../../test/support/databases.js'
import { waitUntil } from '../../../test/support/until.js'
import type { RegistryEvent } from '../../events/outbox.js'
import { assertError, assertStatus, checkResponse, idFromLocation, totalOf, PROJECT_ROLES } from './api-test-support.js'
import { descriptorOf, manifestText, OCI_CONFIG, OCI_INDEX, OCI_LAYER, OCI_MANIFEST, bytesOf, indexText, pushBlob, pushImage, pushManifest, useBerth, type Descriptor, type Response } from '../oci/oci-test-support.js'

const API = '/api/v2.0'
const PASSWORD = 'Retention-Test-Passw0rd'
const DAY = 86_400_000

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
type Json = any

interface Actor {
  name: string
  headers: Record<string, string>
}

const ANON: Actor = { name: 'anonymous', headers: {} }
const ADMIN: Actor = { name: 'admin', headers: { authorization: ADMIN_AUTH } }
const user = (name: string): Actor => ({ name, headers: { authorization: basicAuth(name, PASSWORD) } })

const sel = (decoration: string, pattern: string, extras?: string) => ({ kind: 'doublestar', decoration, pattern, ...(extras !== undefined ? { extras } : {}) })
function rule(template: string, n: number | undefined, tags = '**', repos = '**'): Json {
  return { disabled: false, action: 'retain', template, params: n === undefined ? {} : { [template]: n }, tag_selectors: [sel('matches', tags)], scope_selectors: { repository: [sel('repoMatches', repos)] } }
}
/** A policy as Harbor's console sends it. */
function policy(projectId: number, rules: Json[], cron = ''): Json {
  return { algorithm: 'or', rules, trigger: { kind: 'Schedule', settings: { cron }, references: {} }, scope: { level: 'project', ref: projectId } }
}

for (const dialect of DIALECTS) {
  describe(`tag retention (${dialect})`, await dialectSkip(dialect), () => {
    const t = useBerth(dialect, { jobs: { workers: 2, lease_seconds: 5 } })
    const events: RegistryEvent[] = []

    async function api(who: Actor, method: Method, path: string, body?: unknown): Promise<Response> {
      const res = (await t.anonymous.inject({ method, url: `${API}${path}`, headers: { ...who.headers }, ...(body !== undefined ? { payload: body as InjectOptions['payload'] } : {}) })) as Response
      checkResponse(res, `${who.name} ${method} ${path}`)
      return res
    }
    const projectId = async (name: string): Promise<number> => (await api(ADMIN, 'GET', `/projects/${name}`)).json().project_id
    async function createPolicy(who: Actor, body: Json): Promise<number> {
      const res = await api(who, 'POST', '/retentions', body)
      assertStatus(res, 201, `${who.name} create policy`)
      return idFromLocation(res, `${API}/retentions`)
    }
    async function run(id: number, dryRun: boolean): Promise<Json> {
      const res = await api(ADMIN, 'POST', `/retentions/${id}/executions`, { dry_run: dryRun })
      assertStatus(res, 201, 'trigger')
      const eid = idFromLocation(res, `${API}/retentions/${id}/executions`)
      let e: Json
      await waitUntil(`retention run ${eid}`, async () => {
        e = (await api(ADMIN, 'GET', `/retentions/${id}/executions?page_size=100`)).json().find((x: Json) => x.id === eid)
        return e !== undefined && e.status !== 'Running'
      }, { timeoutMs: 20_000, everyMs: 25 })
      const tasks = (await api(ADMIN, 'GET', `/retentions/${id}/executions/${eid}/tasks?page_size=100`)).json()
      const logs: Record<string, string> = {}
      for (const task of tasks) logs[task.repository] = (await api(ADMIN, 'GET', `/retentions/${id}/executions/${eid}/tasks/${task.id}`)).body
      return { ...e, tasks, logs }
    }
    const exists = async (repo: string, ref: string): Promise<boolean> => (await t.app.inject({ method: 'HEAD', url: `/v2/${repo}/manifests/${ref}`, headers: { accept: `${OCI_MANIFEST}, ${OCI_INDEX}` } })).statusCode === 200
    /** Pushes an image by digest only (an index child, an accessory, an untagged artifact). */
    async function pushUntagged(repo: string, label: string, subject?: Descriptor): Promise<{ digest: string; descriptor: Descriptor }> {
      const configBytes = JSON.stringify({ label })
      const layerBytes = bytesOf(`layer:${label}`, 200)
      await pushBlob(t.app, repo, configBytes)
      await pushBlob(t.app, repo, layerBytes)
      const text = manifestText({ schemaVersion: 2, mediaType: OCI_MANIFEST, ...(subject !== undefined ? { artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json' } : {}), config: descriptorOf(OCI_CONFIG, configBytes), layers: [descriptorOf(OCI_LAYER, layerBytes)], ...(subject !== undefined ? { subject } : {}) })
      const descriptor = descriptorOf(OCI_MANIFEST, text)
      await pushManifest(t.app, repo, descriptor.digest, text, OCI_MANIFEST)
      return { digest: descriptor.digest, descriptor }
    }
    /** Sets an artifact's push time (and its tags') and pull time, `days` ago. */
    async function setTimes(repo: string, digest: string, pushedDaysAgo: number, pulledDaysAgo: number | null = null): Promise<void> {
      const k = t.berth.db.kysely
      const r = await k.selectFrom('repositories').select('id').where('name', '=', repo).executeTakeFirstOrThrow()
      const pushed = new Date(Date.now() - pushedDaysAgo * DAY).toISOString()
      const pulled = pulledDaysAgo === null ? null : new Date(Date.now() - pulledDaysAgo * DAY).toISOString()
      await k.updateTable('artifacts').set({ created_at: pushed, pull_time: pulled }).where('repository_id', '=', r.id).where('digest', '=', digest).execute()
      const a = await k.selectFrom('artifacts').select('id').where('repository_id', '=', r.id).where('digest', '=', digest).executeTakeFirstOrThrow()
      await k.updateTable('tags').set({ updated_at: pushed }).where('artifact_id', '=', a.id).execute()
    }
    const metadataOf = async (project: string): Promise<Json> => (await api(ADMIN, 'GET', `/projects/${project}/metadatas/`)).json()

    const roles = PROJECT_ROLES
    let robot: Actor

    before(async () => {
      t.berth.events.subscribe({ name: 'test-retention', types: ['TAG_RETENTION'], handle: async (e) => void events.push(e) })
      for (const name of [...roles.map(([n]) => n), 'other']) {
        assertStatus(await api(ADMIN, 'POST', '/users', { username: name, password: PASSWORD, email: `${name}@example.com`, realname: name }), 201)
      }
      for (const project of ['matrix', 'ret', 'elsewhere', 'doomed']) assertStatus(await api(ADMIN, 'POST', '/projects', { project_name: project, metadata: { public: 'false' } }), 201)
      for (const [name, role] of roles) assertStatus(await api(ADMIN, 'POST', '/projects/matrix/members', { role_id: role, member_user: { username: name } }), 201)
      const access = [...['push', 'pull', 'delete'].map((action) => ({ resource: 'repository', action })), { resource: 'project', action: 'read' }]
      const r = await api(ADMIN, 'POST', '/robots', { name: 'ci', level: 'system', duration: -1, permissions: [{ kind: 'project', namespace: 'matrix', access }] })
      assertStatus(r, 201)
      robot = { name: 'robot', headers: { authorization: basicAuth(r.json().name, r.json().secret) } }
    })

    it("metadatas: Harbor's templates and selectors for signed-in callers; anonymous 401", async () => {
      const res = await api(user('lguest'), 'GET', '/retentions/metadatas')
      assertStatus(res, 200)
      assert.deepEqual(res.json().templates.map((x: Json) => x.rule_template), ['latestPushedK', 'latestPulledN', 'nDaysSinceLastPush', 'nDaysSinceLastPull', 'always'])
      assert.deepEqual(res.json().scope_selectors[0].decorations, ['repoMatches', 'repoExcludes'])
      assertError(await api(ANON, 'GET', '/retentions/metadatas'), 401, 'UNAUTHORIZED')
    })

    it("roles: project admins, maintainers and developers manage and run policies (Harbor's); guests, limited guests and robots 403; non-members 404; anonymous 401", async () => {
      const pid = await projectId('matrix')
      const expected: Record<string, number> = { admin: 0, padm: 0, maint: 0, dev: 0, guest: 403, lguest: 403, robot: 403, other: 404, anonymous: 401 }
      const actors: Actor[] = [ADMIN, ...roles.map(([n]) => user(n)), user('other'), robot, ANON]
      for (const who of actors) {
        const refusal = expected[who.name]!
        const create = await api(who, 'POST', '/retentions', policy(pid, [rule('latestPushedK', 3)]))
        if (refusal === 0) {
          assertStatus(create, 201, `${who.name} create`)
          const id = idFromLocation(create, `${API}/retentions`)
          assert.equal((await metadataOf('matrix')).retention_id, String(id), 'retention_id points at the new policy')
          assertStatus(await api(who, 'GET', `/retentions/${id}`), 200, `${who.name} get`)
          assertStatus(await api(who, 'PUT', `/retentions/${id}`, policy(pid, [rule('always', undefined)])), 200, `${who.name} update`)
          const runRes = await api(who, 'POST', `/retentions/${id}/executions`, { dry_run: true })
          assertStatus(runRes, 201, `${who.name} run`)
          assertStatus(await api(who, 'GET', `/retentions/${id}/executions`), 200, `${who.name} executions`)
          await waitUntil('the run ends', async () => (await api(ADMIN, 'GET', `/retentions/${id}/executions`)).json().every((e: Json) => e.status !== 'Running'), { timeoutMs: 20_000, everyMs: 25 })
          assertStatus(await api(who, 'DELETE', `/retentions/${id}`), 200, `${who.name} delete`)
          assert.equal((await metadataOf('matrix')).retention_id, undefined, 'retention_id is removed with the policy')
        } else {
          const code = refusal === 401 ? 'UNAUTHORIZED' : refusal === 403 ? 'FORBIDDEN' : 'NOT_FOUND'
          assertError(create, refusal, code, `${who.name} create`)
        }
      }
      // Refused callers cannot read, change, run or delete an existing policy either.
      const id = await createPolicy(ADMIN, policy(pid, [rule('latestPushedK', 3)]))
      for (const who of actors.filter((a) => expected[a.name] !== 0)) {
        const refusal = expected[who.name]!
        for (const [method, path, body] of [
          ['GET', `/retentions/${id}`],
          ['PUT', `/retentions/${id}`, policy(pid, [rule('always', undefined)])],
          ['POST', `/retentions/${id}/executions`, { dry_run: false }],
          ['GET', `/retentions/${id}/executions`],
          ['DELETE', `/retentions/${id}`],
        ] as [Method, string, Json?][]) {
          assertStatus(await api(who, method, path, body), refusal, `${who.name} ${method} ${path}`)
        }
      }
      const kept = (await api(ADMIN, 'GET', `/retentions/${id}`)).json()
      assert.equal(kept.rules[0].template, 'latestPushedK')
      assert.equal(totalOf(await api(ADMIN, 'GET', `/retentions/${id}/executions`)), 0, 'no run was started')
      assertStatus(await api(ADMIN, 'DELETE', `/retentions/${id}`), 200)
    })

    it("reads back in Harbor's shape; validation names the field; abuse is refused precisely and changes nothing", async () => {
      const pid = await projectId('elsewhere')
      const body = policy(pid, [{ ...rule('nDaysSinceLastPull', 7, 'v*', 'app/**'), tag_selectors: [sel('matches', 'v*', '{"untagged":false}')] }], '0 0 3 * * *')
      const id = await createPolicy(ADMIN, body)
      const got = (await api(ADMIN, 'GET', `/retentions/${id}`)).json()
      assert.deepEqual(got, { id, algorithm: 'or', rules: [{ id: 1, priority: 0, ...body.rules[0] }], trigger: body.trigger, scope: { level: 'project', ref: pid } })
      assert.equal((await t.berth.jobs.schedules.get('RETENTION', id))?.cron, '0 0 3 * * *')

      const cases: [string, Json, number, RegExp][] = [
        ['unknown template', policy(pid, [rule('latestK', 3)]), 400, /template must be one of/],
        ['missing param', policy(pid, [rule('latestPushedK', undefined)]), 400, /params\.latestPushedK is required/],
        ['negative param', policy(pid, [rule('latestPulledN', -1)]), 400, /less than zero/],
        ['16 rules', policy(pid, Array.from({ length: 16 }, (_, i) => rule('latestPushedK', i))), 400, /at most 15 rules/],
        ['bad cron', policy(pid, [], 'sometimes'), 400, /invalid cron/],
        ['hostile pattern', policy(pid, [rule('always', undefined, '{'.repeat(300))]), 400, /longer than 256/],
        ['wrong decoration', policy(pid, [{ ...rule('always', undefined), tag_selectors: [sel('repoMatches', '**')] }]), 400, /matches or excludes/],
        ['no scope', { ...policy(pid, []), scope: undefined }, 400, /scope is required/],
        ['scope level', { ...policy(pid, []), scope: { level: 'system', ref: 0 } }, 400, /scope\.level must be "project"/],
        ['unknown field', { ...policy(pid, []), owner: 'me' }, 400, /owner|additional/],
      ]
      for (const [what, b, status, message] of cases) {
        const res = await api(ADMIN, 'POST', '/retentions', b)
        assertError(res, status, 'BAD_REQUEST', what)
        assert.match(res.json().errors[0].message, message, what)
      }
      assertError(await api(ADMIN, 'POST', '/retentions', policy(pid, [])), 409, 'CONFLICT', 'a second policy for one project')
      assertError(await api(ADMIN, 'POST', '/retentions', policy(999_999, [])), 404, 'NOT_FOUND', 'scope names no project')
      assertError(await api(ADMIN, 'PUT', `/retentions/${id}`, policy(await projectId('ret'), [])), 400, 'BAD_REQUEST', 'moving a policy to another project')
      assertError(await api(ADMIN, 'PUT', `/retentions/${id}`, { ...policy(pid, []), id: id + 1 }), 400, 'BAD_REQUEST', 'body id differs')
      assertError(await api(user('padm'), 'GET', `/retentions/${id}`), 404, 'NOT_FOUND', 'a member of matrix asks for the policy of elsewhere')
      assertError(await api(user('padm'), 'POST', '/retentions', policy(pid, [])), 404, 'NOT_FOUND', 'a member of matrix creates a policy for elsewhere')
      assertError(await api(ADMIN, 'GET', '/retentions/999999'), 404, 'NOT_FOUND')
      assertError(await api(ADMIN, 'GET', '/retentions/abc'), 400, 'BAD_REQUEST')
      assertError(await api(ADMIN, 'GET', `/retentions/${id}/executions?page=0`), 400, 'BAD_REQUEST')
      assertError(await api(ADMIN, 'GET', `/retentions/${id}/executions/999999/tasks`), 404, 'NOT_FOUND')
      assertError(await api(ADMIN, 'PATCH', `/retentions/${id}/executions/999999`, { action: 'stop' }), 404, 'NOT_FOUND')
      assertError(await api(ADMIN, 'POST', `/retentions/${id}/executions`, { dry_run: 'yes' }), 400, 'BAD_REQUEST')
      const huge = { ...policy(pid, []), rules: Array.from({ length: 60 }, () => ({ ...rule('always', undefined), tag_selectors: [sel('matches', 'x'.repeat(1000))] })) }
      assertStatus(await api(ADMIN, 'PUT', `/retentions/${id}`, huge), 413)
      assert.deepEqual((await api(ADMIN, 'GET', `/retentions/${id}`)).json(), got, 'the policy is unchanged')

      // An execution of one policy is not reachable through another's id.
      const doomed = await createPolicy(ADMIN, policy(await projectId('doomed'), [rule('always', undefined)]))
      const first = await run(doomed, true)
      assertError(await api(ADMIN, 'GET', `/retentions/${id}/executions/${first.id}/tasks`), 404, 'NOT_FOUND', "another policy's execution")
      // A policy of a deleted project is gone with it, its schedule too at its next slot.
      assertStatus(await api(ADMIN, 'DELETE', '/projects/doomed'), 200)
      assertError(await api(ADMIN, 'GET', `/retentions/${doomed}`), 404, 'NOT_FOUND', 'policy of a deleted project')
      assertError(await api(ADMIN, 'POST', `/retentions/${doomed}/executions`, { dry_run: false }), 404, 'NOT_FOUND')
      assertStatus(await api(ADMIN, 'DELETE', `/retentions/${id}`), 200)
      assert.equal(await t.berth.jobs.schedules.get('RETENTION', id), null, 'the schedule goes with the policy')
    })

    it('runs: the dry run reports exactly what the real run deletes; immutable tags, index children, accessories and uncovered repositories stay; one TAG_RETENTION event', async () => {
      const pid = await projectId('ret')
      const repo = 'ret/app'
      const images: Record<string, string> = {}
      for (const [i, tag] of ['v1', 'v2', 'v3', 'v4', 'v5'].entries()) {
        images[tag] = (await pushImage(t.app, repo, tag, `ret-${tag}`)).digest
        await setTimes(repo, images[tag]!, 5 - i)
      }
      const untagged = await pushUntagged(repo, 'ret-untagged')
      await setTimes(repo, untagged.digest, 6)
      const c1 = await pushUntagged(repo, 'ret-child-1')
      const c2 = await pushUntagged(repo, 'ret-child-2')
      const index = await pushManifest(t.app, repo, 'multi', indexText(OCI_INDEX, [c1.descriptor, c2.descriptor]), OCI_INDEX)
      await setTimes(repo, index, 30)
      // An older index no rule keeps: it goes with its own child, not with the one `multi` holds.
      const c3 = await pushUntagged(repo, 'ret-child-3')
      const oldIndex = await pushManifest(t.app, repo, 'old-multi', indexText(OCI_INDEX, [c1.descriptor, c3.descriptor]), OCI_INDEX)
      await setTimes(repo, oldIndex, 40)
      const v5 = (await t.app.inject({ method: 'GET', url: `/v2/${repo}/manifests/v5`, headers: { accept: OCI_MANIFEST } })).body
      const signature = await pushUntagged(repo, 'ret-sig', descriptorOf(OCI_MANIFEST, v5))
      const elsewhere = (await pushImage(t.app, 'ret/tools', 'old', 'ret-tools-old')).digest
      await setTimes('ret/tools', elsewhere, 400)
      // v1 is immutable: retention skips it and says so.
      assertStatus(await api(ADMIN, 'POST', '/projects/ret/immutabletagrules', { tag_selectors: [sel('matches', 'v1')], scope_selectors: { repository: [sel('repoMatches', '**')] } }), 201)

      // The two most recently pushed v* (untagged artifacts compete), and the index always (that
      // rule leaves untagged artifacts out: by default a `matches` selector takes them too).
      const always = { ...rule('always', undefined, 'multi', 'app'), tag_selectors: [sel('matches', 'multi', '{"untagged":false}')] }
      const id = await createPolicy(ADMIN, policy(pid, [rule('latestPushedK', 2, 'v*', 'app'), always]))
      const artifactsBefore = totalOf(await api(ADMIN, 'GET', '/projects/ret/repositories/app/artifacts'))

      const dry = await run(id, true)
      assert.equal(dry.status, 'Success')
      assert.equal(dry.dry_run, true)
      assert.deepEqual(dry.tasks.map((x: Json) => [x.repository, x.total, x.retained]), [[repo, 8, 4]], dry.logs[repo])
      const doomedDigests = [images.v2!, images.v3!, untagged.digest, oldIndex, c3.digest].sort()
      const reported = (log: string) => [...log.matchAll(/(sha256:[0-9a-f]{64}) \[[^\]]*\]: (?:would be deleted|deleted)/g)].map((m) => m[1]!).sort()
      assert.deepEqual(reported(dry.logs[repo]), doomedDigests, dry.logs[repo])
      assert.match(dry.logs[repo], new RegExp(`${images.v1} \\[v1\\]: retained, .*immutable`))
      assert.equal(totalOf(await api(ADMIN, 'GET', '/projects/ret/repositories/app/artifacts')), artifactsBefore, 'a dry run changes nothing')
      for (const d of doomedDigests) assert.ok(await exists(repo, d))

      const real = await run(id, false)
      assert.equal(real.status, 'Success')
      assert.deepEqual(real.tasks.map((x: Json) => [x.repository, x.total, x.retained]), [[repo, 8, 4]])
      assert.deepEqual(reported(real.logs[repo]), doomedDigests, 'the real run deletes what the dry run reported')
      for (const d of doomedDigests) assert.equal(await exists(repo, d), false, `${d} deleted`)
      for (const d of [images.v1!, images.v4!, images.v5!, index, c1.digest, c2.digest, signature.digest]) assert.ok(await exists(repo, d), `${d} kept`)
      assert.ok(await exists('ret/tools', 'old'), 'a repository no rule covers is untouched')

      await waitUntil('the TAG_RETENTION event', () => events.length > 0, { timeoutMs: 10_000, everyMs: 25 })
      const mine = events.filter((e) => e.type === 'TAG_RETENTION' && e.executionId === real.id)
      assert.equal(mine.length, 1, 'one event for the real run')
      assert.equal(events.filter((e) => e.type === 'TAG_RETENTION' && e.executionId === dry.id).length, 0, 'none for the dry run')
      const e = mine[0] as Extract<RegistryEvent, { type: 'TAG_RETENTION' }>
      assert.deepEqual([e.project, e.policyId, e.total, e.retained, e.deletedCount, e.operator, e.status], ['ret', id, 8, 4, 5, 'admin', 'Success'])
      assert.deepEqual(e.deleted.map((d) => d.digest).sort(), doomedDigests)
      assert.deepEqual(e.deleted.find((d) => d.digest === images.v2)?.tags, ['v2'])

      // Pull times: keep what was pulled within 5 days.
      const pulls: Record<string, string> = {}
      for (const [tag, pulled] of [['p1', 1], ['p2', 10], ['p3', null]] as const) {
        pulls[tag] = (await pushImage(t.app, 'ret/pulls', tag, `ret-${tag}`)).digest
        await setTimes('ret/pulls', pulls[tag]!, 1, pulled)
      }
      assertStatus(await api(ADMIN, 'PUT', `/retentions/${id}`, policy(pid, [rule('nDaysSinceLastPull', 5, '**', 'pulls')])), 200)
      const byPull = await run(id, false)
      assert.deepEqual(byPull.tasks.map((x: Json) => [x.repository, x.total, x.retained]), [['ret/pulls', 3, 1]])
      assert.deepEqual([await exists('ret/pulls', 'p1'), await exists('ret/pulls', 'p2'), await exists('ret/pulls', 'p3')], [true, false, false])
      assertStatus(await api(ADMIN, 'DELETE', `/retentions/${id}`), 200)
    })

    it('one run at a time, stoppable; the schedule fires as a SCHEDULE run', async () => {
      const pid = await projectId('matrix')
      await pushImage(t.app, 'matrix/busy', 'b1', 'matrix-busy-1')
      const id = await createPolicy(ADMIN, policy(pid, [rule('latestPushedK', 0)]))
      // Hold the tasks in their queue: the run stays Running until stopped.
      await t.berth.jobs.queues.setPaused('RETENTION', true)
      try {
        const started = await api(ADMIN, 'POST', `/retentions/${id}/executions`, { dry_run: false })
        assertStatus(started, 201)
        const eid = idFromLocation(started, `${API}/retentions/${id}/executions`)
        assertError(await api(ADMIN, 'POST', `/retentions/${id}/executions`, { dry_run: true }), 409, 'CONFLICT', 'a second run while one is going')
        assertError(await api(ADMIN, 'PATCH', `/retentions/${id}/executions/${eid}`, { action: 'pause' }), 400, 'BAD_REQUEST')
        assertStatus(await api(user('dev'), 'PATCH', `/retentions/${id}/executions/${eid}`, { action: 'stop' }), 200)
        const e = (await api(ADMIN, 'GET', `/retentions/${id}/executions`)).json().find((x: Json) => x.id === eid)
        assert.equal(e.status, 'Stopped')
        const tasks = (await api(ADMIN, 'GET', `/retentions/${id}/executions/${eid}/tasks`)).json()
        assert.deepEqual(tasks.map((x: Json) => x.status), ['Stopped'])
        // A stopped run ends like any other: one TAG_RETENTION event, with what it did (nothing).
        await waitUntil('the stopped run\'s event', () => events.some((x) => x.type === 'TAG_RETENTION' && x.executionId === eid), { timeoutMs: 10_000, everyMs: 25 })
        const stopped = events.filter((x) => x.type === 'TAG_RETENTION' && x.executionId === eid) as Extract<RegistryEvent, { type: 'TAG_RETENTION' }>[]
        assert.deepEqual(stopped.map((x) => [x.status, x.deletedCount, x.operator]), [['Stopped', 0, 'admin']])
      } finally {
        await t.berth.jobs.queues.setPaused('RETENTION', false)
      }
      assert.ok(await exists('matrix/busy', 'b1'), 'a stopped run deleted nothing')

      assertStatus(await api(ADMIN, 'PUT', `/retentions/${id}`, policy(pid, [rule('always', undefined)], '0 */5 * * * *')), 200)
      const sched = (await t.berth.jobs.schedules.get('RETENTION', id))!
      await t.berth.jobs.schedules.put({ ...sched, nextAt: new Date(Date.now() - 1000) })
      await waitUntil('the scheduled run', async () => (await api(ADMIN, 'GET', `/retentions/${id}/executions`)).json().some((x: Json) => x.trigger === 'SCHEDULE' && x.status === 'Success'), { timeoutMs: 20_000, everyMs: 50 })
      assertStatus(await api(ADMIN, 'PUT', `/retentions/${id}`, policy(pid, [rule('always', undefined)])), 200)
      assert.equal(await t.berth.jobs.schedules.get('RETENTION', id), null, 'an empty cron removes the schedule')
      assertStatus(await api(ADMIN, 'DELETE', `/retentions/${id}`), 200)
      const left = await t.berth.db.kysely.selectFrom('executions').select('id').where('vendor_type', '=', 'RETENTION').where('vendor_id', '=', id).execute()
      assert.deepEqual(left, [], 'the runs go with their policy')
    })
  })
}
