// Garbage collection (/system/gc) through app.inject() on both databases: who may run it, which
// parameters, what a run removes from a graph of images (index, children, referrers, layers
// shared across repositories and projects), the time window, untagged deletion, a dry run that
// predicts the real one, one run at a time, stop, and a schedule that fires.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ADMIN_AUTH, basicAuth, createTestBerth, type TestBerth } from '../../../test/support/berth-app.js'
import { DIALECTS, dialectSkip } from '../../../test/support/databases.js'
import { waitUntil } from '../../../test/support/until.js'
import { utimes } from 'node:fs/promises'
import { join } from 'node:path'
import { resolvedPaths } from '../../app/config.js'
import { FilesystemDriver } from '../../storage/drivers/filesystem.js'
import { blobPath } from '../../storage/layout.js'
import type { Digest } from '../../oci/digest.js'
import {
  OCI_INDEX,
  OCI_MANIFEST,
  bytesOf,
  descriptorOf,
  indexText,
  pushBlob,
  pushImage,
  pushManifest,
  sha256,
  withAuthorization,
  type App,
} from '../oci/oci-test-support.js'
import { assertError, assertStatus, idFromLocation, totalOf } from './api-test-support.js'

const BASE = '/api/v2.0'
const GC = '/system/gc'
const HOURS_AGO_3 = () => new Date(Date.now() - 3 * 3_600_000).toISOString()

/** Makes everything stored so far older than the default time window (two hours). */
export async function backdate(berth: TestBerth): Promise<void> {
  const old = HOURS_AGO_3()
  const k = berth.db.kysely
  await k.updateTable('blobs').set({ created_at: old, touched_at: old }).execute()
  await k.updateTable('repository_blobs').set({ created_at: old }).execute()
  await k.updateTable('artifacts').set({ created_at: old }).execute()
}

for (const dialect of DIALECTS) {
  describe(`garbage collection API on ${dialect}`, await dialectSkip(dialect), () => {
    let berth: TestBerth
    let v2: App
    let fs: FilesystemDriver
    const USER = basicAuth('gcuser', 'Gc-User-Passw0rd')
    let robot = ''

    const call = (auth: string | null, method: 'GET' | 'PUT' | 'POST', url: string, payload?: unknown) =>
      berth.app.inject({ method, url: `${BASE}${url}`, headers: auth === null ? {} : { authorization: auth }, ...(payload === undefined ? {} : { payload: payload as object }) })
    const run = async (parameters: Record<string, unknown>, auth = ADMIN_AUTH) => {
      const res = await call(auth, 'POST', `${GC}/schedule`, { schedule: { type: 'Manual' }, parameters })
      assertStatus(res, 201)
      return idFromLocation(res, `${BASE}${GC}`)
    }
    const finished = async (id: number) => {
      await waitUntil(`gc ${id} ends`, async () => !['Running', 'Pending'].includes((await call(ADMIN_AUTH, 'GET', `${GC}/${id}`)).json().job_status), { timeoutMs: 20_000, everyMs: 25 })
      const r = (await call(ADMIN_AUTH, 'GET', `${GC}/${id}`)).json()
      assert.equal(r.job_status, 'Success', `gc ${id}: ${r.job_status} ${(await call(ADMIN_AUTH, 'GET', `${GC}/${id}/log`)).body}`)
      return JSON.parse(r.job_parameters) as Record<string, number | boolean>
    }
    const results = (p: Record<string, unknown>) => ({ freed_space: p.freed_space, purged_blobs: p.purged_blobs, purged_manifests: p.purged_manifests })
    const stored = async (digest: string) => (await fs.stat(blobPath(digest as Digest))) !== null
    const recorded = async (digest: string) => (await berth.db.kysely.selectFrom('blobs').select('digest').where('digest', '=', digest).executeTakeFirst()) !== undefined
    const pullable = async (repo: string, digest: string) => (await v2.inject({ method: 'GET', url: `/v2/${repo}/blobs/${digest}` })).statusCode === 200
    const deleteManifest = async (repo: string, digest: string) => assertStatus(await v2.inject({ method: 'DELETE', url: `/v2/${repo}/manifests/${digest}` }), 202)
    const project = async (name: string) => assertStatus(await call(ADMIN_AUTH, 'POST', '/projects', { project_name: name, metadata: { public: 'false' } }), 201)
    /** A project's usage as the quota API shows it, and as counted afresh from what its artifacts reference (each digest once). */
    const usage = async (name: string) => {
      const p = (await call(ADMIN_AUTH, 'GET', `/projects/${name}`)).json()
      const shown = (await call(ADMIN_AUTH, 'GET', `/quotas/${p.project_id}`)).json().used.storage as number
      const k = berth.db.kysely
      const inProject = k.selectFrom('artifacts as a').innerJoin('repositories as r', 'r.id', 'a.repository_id').where('r.project_id', '=', p.project_id)
      const digests = inProject.select('a.digest as digest').union(inProject.innerJoin('artifact_references as ar', 'ar.artifact_id', 'a.id').where('ar.kind', '=', 'blob').select('ar.digest as digest'))
      const counted = await k.selectFrom('blobs').select((eb) => eb.fn.coalesce(eb.fn.sum<number>('size'), eb.val(0)).as('n')).where('digest', 'in', digests).executeTakeFirstOrThrow()
      return { shown, counted: Number(counted.n) }
    }

    before(async () => {
      berth = await createTestBerth(dialect, { jobs: { workers: 2, lease_seconds: 5 } })
      v2 = withAuthorization(berth.app, ADMIN_AUTH)
      fs = new FilesystemDriver(resolvedPaths(berth.config).storageRoot)
      assertStatus(await call(ADMIN_AUTH, 'PUT', '/configurations', { self_registration: true }), 200)
      assertStatus(await berth.app.inject({ method: 'POST', url: `${BASE}/users`, payload: { username: 'gcuser', password: 'Gc-User-Passw0rd' } }), 201)
      await project('gcowned')
      assertStatus(await call(ADMIN_AUTH, 'POST', '/projects/gcowned/members', { role_id: 1, member_user: { username: 'gcuser' } }), 201)
      const access = ['create', 'read', 'update', 'stop', 'list'].map((action) => ({ resource: 'garbage-collection', action }))
      const made = await call(ADMIN_AUTH, 'POST', '/robots', { name: 'gc-bot', level: 'system', duration: -1, permissions: [{ kind: 'system', namespace: '/', access }] })
      assertStatus(made, 201)
      robot = basicAuth(made.json().name, made.json().secret)
    })
    after(async () => {
      await berth?.destroy()
    })

    it('system administrators and system robots granted garbage-collection run it; users 403 (a project admin too), anonymous 401', async () => {
      for (const [method, url, body] of [
        ['GET', GC],
        ['GET', `${GC}/1`],
        ['PUT', `${GC}/1`],
        ['GET', `${GC}/1/log`],
        ['GET', `${GC}/schedule`],
        ['POST', `${GC}/schedule`, { schedule: { type: 'Manual' }, parameters: {} }],
        ['PUT', `${GC}/schedule`, { schedule: { type: 'Daily' }, parameters: {} }],
      ] as const) {
        assertError(await call(null, method, url, body), 401, 'UNAUTHORIZED', `${method} ${url} anonymous`)
        assertError(await call(USER, method, url, body), 403, 'FORBIDDEN', `${method} ${url} as a project admin`)
      }
      assert.equal(totalOf(await call(ADMIN_AUTH, 'GET', GC)), 0, 'no run was started')
      const id = await run({ dry_run: true }, robot)
      await finished(id)
      assertStatus(await call(robot, 'GET', GC), 200)
      assertStatus(await call(robot, 'GET', `${GC}/${id}/log`), 200)
      assert.equal((await call(ADMIN_AUTH, 'GET', `${GC}/${id}`)).json().job_name, 'GARBAGE_COLLECTION')
    })

    it('refuses bad parameters and ids precisely and starts nothing', async () => {
      const before = totalOf(await call(ADMIN_AUTH, 'GET', GC))
      for (const [parameters, pattern] of [
        [{ workers: 0 }, /workers must be an integer from 1 to 5/],
        [{ workers: 6 }, /workers must be an integer from 1 to 5/],
        [{ workers: 2.5 }, /workers/],
        [{ workers: '3' }, /workers/],
        [{ dry_run: 'yes' }, /dry_run must be true or false/],
        [{ delete_untagged: 1 }, /delete_untagged must be true or false/],
        [{ time_window: 0 }, /unknown garbage collection parameter "time_window"/],
      ] as const) {
        const res = await call(ADMIN_AUTH, 'POST', `${GC}/schedule`, { schedule: { type: 'Manual' }, parameters })
        assertError(res, 400, 'BAD_REQUEST', JSON.stringify(parameters))
        assert.match(res.json().errors[0].message, pattern)
      }
      assertError(await call(ADMIN_AUTH, 'PUT', `${GC}/schedule`, { schedule: { type: 'Custom', cron: 'often' }, parameters: {} }), 400, 'BAD_REQUEST')
      assertError(await call(ADMIN_AUTH, 'PUT', `${GC}/schedule`, { schedule: { type: 'Daily' }, parameters: { workers: 9 } }), 400, 'BAD_REQUEST')
      assert.equal(totalOf(await call(ADMIN_AUTH, 'GET', GC)), before)
      assert.equal(await berth.jobs.schedules.get('GARBAGE_COLLECTION', 0), null)
      assertError(await call(ADMIN_AUTH, 'GET', `${GC}/999999`), 404, 'NOT_FOUND')
      assertError(await call(ADMIN_AUTH, 'PUT', `${GC}/999999`), 404, 'NOT_FOUND')
      assertError(await call(ADMIN_AUTH, 'GET', `${GC}/999999/log`), 404, 'NOT_FOUND')
      assertError(await call(ADMIN_AUTH, 'GET', `${GC}/x1`), 400, 'BAD_REQUEST')
      // A run of another kind of work is not a collection.
      const other = (await berth.stores.executions.start({ vendorType: 'PURGE_AUDIT', vendorId: 0, trigger: 'MANUAL' }))!
      assertError(await call(ADMIN_AUTH, 'GET', `${GC}/${other}`), 404, 'NOT_FOUND')
      assertError(await call(ADMIN_AUTH, 'PUT', `${GC}/${other}`), 404, 'NOT_FOUND')
      assertError(await call(ADMIN_AUTH, 'GET', `${GC}/${other}/log`), 404, 'NOT_FOUND')
      assert.equal((await berth.stores.executions.get(other))!.status, 'Running', 'untouched')
      await berth.stores.executions.end(other, 'Success')
    })

    it('removes exactly the unreferenced blobs older than the window; a dry run predicts it', async () => {
      await project('gca')
      await project('gcb')
      // A layer shared by two repositories in two projects, and by the image that goes.
      const shared = await pushBlob(v2, 'gca/app', bytesOf('shared', 500))
      await pushBlob(v2, 'gcb/other', bytesOf('shared', 500))
      const sharedDesc = descriptorOf('application/vnd.oci.image.layer.v1.tar', bytesOf('shared', 500))
      const imageOver = async (repo: string, ref: string, label: string, extra: string[] = []) => {
        const config = await pushBlob(v2, repo, JSON.stringify({ label }))
        const own = await pushBlob(v2, repo, bytesOf(`own:${label}`, 400))
        const doc = {
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          config: descriptorOf('application/vnd.oci.image.config.v1+json', JSON.stringify({ label })),
          layers: [sharedDesc, descriptorOf('application/vnd.oci.image.layer.v1.tar', bytesOf(`own:${label}`, 400)), ...extra.map((e) => descriptorOf('application/vnd.oci.image.layer.v1.tar', e))],
        }
        const text = JSON.stringify(doc)
        return { config, own, manifest: await pushManifest(v2, repo, ref, text, OCI_MANIFEST), size: Buffer.byteLength(text) }
      }
      const kept = await imageOver('gca/app', 'keep', 'keep')
      const other = await imageOver('gcb/other', 'keep', 'other')
      // An index with two children pushed by digest, and a signature on the kept image.
      const c1 = await pushImage(v2, 'gca/app', 'tmp1', 'child-1')
      const c2 = await pushImage(v2, 'gca/app', 'tmp2', 'child-2')
      for (const t of ['tmp1', 'tmp2']) assertStatus(await v2.inject({ method: 'DELETE', url: `/v2/gca/app/manifests/${t}` }), 202)
      const index = await pushManifest(v2, 'gca/app', 'multi', indexText(OCI_INDEX, [descriptorOf(OCI_MANIFEST, c1.text), descriptorOf(OCI_MANIFEST, c2.text)]), OCI_INDEX)
      const sig = await pushImage(v2, 'gca/app', 'sha256-sig', 'signature', { subject: { mediaType: OCI_MANIFEST, digest: kept.manifest, size: kept.size } })
      assertStatus(await v2.inject({ method: 'DELETE', url: `/v2/gca/app/manifests/sha256-sig` }), 202)
      // The image that goes, and a blob no manifest ever named.
      const gone = await imageOver('gca/app', 'gone', 'gone')
      await deleteManifest('gca/app', gone.manifest)
      const orphan = await pushBlob(v2, 'gcb/other', bytesOf('orphan', 700))
      await backdate(berth)
      // Pushed within the window: stays although nothing references it.
      const fresh = await pushBlob(v2, 'gcb/other', bytesOf('fresh', 100))

      const garbage = [gone.config, gone.own, gone.manifest, orphan]
      const live = [shared, kept.config, kept.own, kept.manifest, other.config, other.own, other.manifest, c1.digest, c1.config.digest, c1.layers[0]!.digest, c2.digest, index, sig.digest, sig.config.digest]
      const sizes = await berth.db.kysely.selectFrom('blobs').select(['digest', 'size']).where('digest', 'in', garbage).execute()
      const bytes = sizes.reduce((n, r) => n + Number(r.size), 0)

      const dry = await finished(await run({ dry_run: true }))
      assert.deepEqual(results(dry), { freed_space: bytes, purged_blobs: garbage.length, purged_manifests: 0 })
      for (const d of garbage) assert.ok((await recorded(d)) && (await stored(d)), `a dry run deletes nothing (${d})`)

      const id = await run({ workers: 3 })
      const real = await finished(id)
      assert.deepEqual(results(real), results(dry), 'the dry run predicted the real one')
      for (const d of garbage) {
        assert.equal(await recorded(d), false, `record of ${d} removed`)
        assert.equal(await stored(d), false, `bytes of ${d} removed`)
      }
      for (const d of live) assert.ok(await stored(d), `live ${d} stays`)
      for (const d of [shared, kept.config, kept.own, c1.layers[0]!.digest]) assert.ok(await pullable('gca/app', d), `gca/app still serves ${d}`)
      for (const d of [shared, other.config, fresh]) assert.ok(await pullable('gcb/other', d), `gcb/other still serves ${d}`)
      assert.equal(await pullable('gcb/other', orphan), false)
      assertStatus(await v2.inject({ method: 'GET', url: `/v2/gca/app/manifests/multi` }), 200)
      const log = (await call(ADMIN_AUTH, 'GET', `${GC}/${id}/log`)).body
      assert.match(log, /4 blobs were removed/)
      assert.ok(log.includes(orphan), 'the log names what went')
      // Nothing left: a second run frees nothing.
      assert.deepEqual(results(await finished(await run({}))), { freed_space: 0, purged_blobs: 0, purged_manifests: 0 })
    })

    it('delete_untagged keeps index children and accessories, deletes untagged images and untagged indexes with their children; dry == real', async () => {
      await project('gcu')
      const repo = 'gcu/app'
      const tagged = await pushImage(v2, repo, 'v1', 'u-tagged')
      const accessory = await pushImage(v2, repo, 'sha256-acc', 'u-accessory', { subject: { mediaType: OCI_MANIFEST, digest: tagged.digest, size: tagged.size } })
      assertStatus(await v2.inject({ method: 'DELETE', url: `/v2/${repo}/manifests/sha256-acc` }), 202)
      const child = await pushImage(v2, repo, 'c', 'u-child')
      const looseChild = await pushImage(v2, repo, 'lc', 'u-loose-child')
      const untagged = await pushImage(v2, repo, 'x', 'u-untagged')
      for (const t of ['c', 'lc', 'x']) assertStatus(await v2.inject({ method: 'DELETE', url: `/v2/${repo}/manifests/${t}` }), 202)
      await pushManifest(v2, repo, 'multi', indexText(OCI_INDEX, [descriptorOf(OCI_MANIFEST, child.text)]), OCI_INDEX)
      const looseIndex = await pushManifest(v2, repo, 'li', indexText(OCI_INDEX, [descriptorOf(OCI_MANIFEST, looseChild.text)]), OCI_INDEX)
      assertStatus(await v2.inject({ method: 'DELETE', url: `/v2/${repo}/manifests/li` }), 202)
      await backdate(berth)
      const recent = await pushImage(v2, repo, 'r', 'u-recent')
      assertStatus(await v2.inject({ method: 'DELETE', url: `/v2/${repo}/manifests/r` }), 202)

      const dry = await finished(await run({ delete_untagged: true, dry_run: true }))
      assert.equal(dry.purged_manifests, 3, 'the untagged image, the untagged index and its child')
      assert.equal(totalOf(await call(ADMIN_AUTH, 'GET', `/projects/gcu/repositories/app/artifacts`)) > 0, true)
      const real = await finished(await run({ delete_untagged: true }))
      assert.deepEqual(results(real), results(dry), 'the dry run predicted the real one')
      const has = async (digest: string) => (await v2.inject({ method: 'HEAD', url: `/v2/${repo}/manifests/${digest}` })).statusCode === 200
      for (const d of [tagged.digest, accessory.digest, child.digest, recent.digest]) assert.ok(await has(d), `${d} stays`)
      for (const d of [untagged.digest, looseIndex, looseChild.digest]) assert.equal(await has(d), false, `${d} deleted`)
      for (const d of [untagged.layers[0]!.digest, looseChild.layers[0]!.digest, untagged.digest]) assert.equal(await stored(d), false, `${d} freed`)
      for (const d of [child.layers[0]!.digest, accessory.config.digest, recent.layers[0]!.digest]) assert.ok(await stored(d), `${d} kept`)
      // The project's quota usage gave back exactly what the deleted artifacts alone held.
      const u = await usage('gcu')
      assert.equal(u.shown, u.counted)
      assert.ok(u.shown > 0)
      // The deletions went through the registry's path: each wrote its event.
      const events = await berth.db.kysely.selectFrom('jobs').select('payload').where('type', '=', 'EVENT:replication').execute()
      const deleted = events.map((e) => JSON.parse(e.payload as string)).filter((p) => p.type === 'DELETE_ARTIFACT').map((p) => p.digest)
      for (const d of [untagged.digest, looseIndex, looseChild.digest]) assert.ok(deleted.includes(d), `DELETE_ARTIFACT for ${d}`)
    })

    it('at most one run at a time; a stop ends it', async () => {
      await berth.jobs.queues.setPaused('GARBAGE_COLLECTION', true)
      try {
        const id = await run({})
        assertError(await call(ADMIN_AUTH, 'POST', `${GC}/schedule`, { schedule: { type: 'Manual' }, parameters: {} }), 409, 'CONFLICT')
        assertStatus(await call(ADMIN_AUTH, 'PUT', `${GC}/${id}`), 200)
        assert.equal((await call(ADMIN_AUTH, 'GET', `${GC}/${id}`)).json().job_status, 'Stopped')
      } finally {
        await berth.jobs.queues.setPaused('GARBAGE_COLLECTION', false)
      }
      await finished(await run({ dry_run: true }))
    })

    it('a schedule fires as a scheduled run with its parameters', async () => {
      assertStatus(await call(ADMIN_AUTH, 'PUT', `${GC}/schedule`, { schedule: { type: 'Custom', cron: '0 0 */6 * * *' }, parameters: { dry_run: true, workers: 2 } }), 200)
      const s = (await call(ADMIN_AUTH, 'GET', `${GC}/schedule`)).json()
      assert.deepEqual(JSON.parse(s.job_parameters), { delete_untagged: false, dry_run: true, workers: 2 })
      const sched = (await berth.jobs.schedules.get('GARBAGE_COLLECTION', 0))!
      await berth.jobs.schedules.put({ ...sched, nextAt: new Date(Date.now() - 1000) })
      await waitUntil('the scheduled run', async () => totalOf(await call(ADMIN_AUTH, 'GET', `${GC}?q=job_kind=SCHEDULE`)) === 1, { timeoutMs: 15_000, everyMs: 50 })
      const [scheduled] = (await call(ADMIN_AUTH, 'GET', `${GC}?q=job_kind=SCHEDULE`)).json()
      const p = await finished(scheduled.id)
      assert.equal(p.dry_run, true)
      assertStatus(await call(ADMIN_AUTH, 'PUT', `${GC}/schedule`, { schedule: { type: 'None' }, parameters: {} }), 200)
      assert.equal(await berth.jobs.schedules.get('GARBAGE_COLLECTION', 0), null)
    })

    it('removes bytes no record names (a push that never committed) once older than the window', async () => {
      const write = async (bytes: Buffer, mtime: Date) => {
        const digest = sha256(bytes) as Digest
        const w = await fs.write(`staging/${digest.slice(7)}`)
        w.stream.end(bytes)
        await new Promise((r) => w.stream.once('finish', r))
        await w.commit()
        await fs.move(`staging/${digest.slice(7)}`, blobPath(digest))
        await utimes(join(resolvedPaths(berth.config).storageRoot, blobPath(digest)), mtime, mtime)
        return digest
      }
      const old = await write(bytesOf('orphan-old', 123), new Date(Date.now() - 3 * 3_600_000))
      const fresh = await write(bytesOf('orphan-fresh', 45), new Date())
      const dry = await finished(await run({ dry_run: true }))
      assert.ok(await stored(old), 'a dry run removes nothing')
      const real = await finished(await run({}))
      assert.deepEqual(results(real), results(dry))
      assert.ok((real.purged_blobs as number) >= 1 && (real.freed_space as number) >= 123)
      assert.equal(await stored(old), false, 'the old orphan is gone')
      assert.equal(await recorded(old), false, 'and so is the record that guarded its removal')
      assert.ok(await stored(fresh), 'bytes within the window stay: their push may still be committing')
      // The orphan's digest pushed again later is stored afresh.
      await pushBlob(v2, 'gcb/other', bytesOf('orphan-old', 123))
      assert.ok(await pullable('gcb/other', old))
    })

    it('purges upload sessions idle longer than upload_ttl_hours', async () => {
      await project('gcup')
      const res = await v2.inject({ method: 'POST', url: '/v2/gcup/app/blobs/uploads/', headers: { 'content-length': '0' } })
      assertStatus(res, 202)
      const old = new Date(Date.now() - 48 * 3_600_000).toISOString()
      await berth.db.kysely.updateTable('uploads').set({ updated_at: old }).execute()
      const dry = await finished(await run({ dry_run: true }))
      assert.equal(dry.purged_uploads, 1)
      const real = await finished(await run({}))
      assert.equal(real.purged_uploads, 1)
      assertStatus(await v2.inject({ method: 'GET', url: res.headers.location as string }), 404)
    })
  })
}
