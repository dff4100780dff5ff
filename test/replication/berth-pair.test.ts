// Replication between two Berth instances (each its own database and storage, both listening
// on loopback): a push policy fired by events, a manual pull policy, deletions that follow,
// referrers and index children that travel with their artifact, override off, the path that
// keeps content from going back, and the API's executions and task logs.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ADMIN_AUTH, TEST_ADMIN_PASSWORD, createTestBerth, type TestBerth } from '../support/berth-app.js'
import { pushImage, pushManifest, indexText, withAuthorization, OCI_INDEX, OCI_MANIFEST, manifestText, descriptorOf, pushBlob, sha256, type App } from '../../src/http/oci/oci-test-support.js'
import { waitUntil } from '../support/until.js'
import { Receiver } from '../support/webhook-receiver.js'
import { cosignSign, pushCosignSignature, testKey } from '../../src/http/oci/cosign-test-support.js'
import { cosignSignatureTag } from '../../src/oci/accessory.js'

const API = '/api/v2.0'
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

const until = (what: string, fn: () => Promise<boolean>, ms = 20_000) => waitUntil(what, fn, { timeoutMs: ms, everyMs: 50 })

async function served(app: App, repo: string, ref: string): Promise<string | null> {
  const res = await app.inject({ method: 'HEAD', url: `/v2/${repo}/manifests/${ref}`, headers: { accept: `${OCI_MANIFEST}, ${OCI_INDEX}` } })
  return res.statusCode === 200 ? String(res.headers['docker-content-digest']) : null
}

describe('replication between two Berth instances', { timeout: 120_000 }, () => {
  let a: TestBerth
  let b: TestBerth
  let urlA = ''
  let urlB = ''
  let onA: App
  let onB: App

  const api = (app: App, method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, payload?: unknown) =>
    app.inject({ method, url: `${API}${path}`, ...(payload === undefined ? {} : { payload: payload as object }) })
  const idFrom = (res: { headers: Record<string, unknown> }) => Number(/\/(\d+)$/.exec(String(res.headers.location))![1])

  before(async () => {
    const patch = { jobs: { workers: 3, lease_seconds: 5 }, replication: { reconcile_seconds: 0, task_attempts: 3 } }
    a = await createTestBerth('sqlite', patch)
    b = await createTestBerth('sqlite', patch)
    urlA = await a.app.listen({ host: '127.0.0.1', port: 0 })
    urlB = await b.app.listen({ host: '127.0.0.1', port: 0 })
    onA = withAuthorization(a.app, ADMIN_AUTH)
    onB = withAuthorization(b.app, ADMIN_AUTH)
  })
  after(async () => {
    await a?.destroy()
    await b?.destroy()
  })

  let registryOfB = 0
  let pushPolicy = 0

  it('registries: create, ping, list without the secret, refuse bad input', async () => {
    const res = await api(onA, 'POST', '/registries', { name: 'b', type: 'berth', url: urlB, credential: { type: 'basic', access_key: 'admin', access_secret: TEST_ADMIN_PASSWORD } })
    assert.equal(res.statusCode, 201, res.body)
    registryOfB = idFrom(res)
    const got = await api(onA, 'GET', `/registries/${registryOfB}`)
    assert.equal(got.statusCode, 200)
    assert.deepEqual([got.json().status, got.json().credential.access_secret, got.json().credential.access_key], ['healthy', '*****', 'admin'])
    assert.equal((await api(onA, 'POST', '/registries/ping', { id: registryOfB })).statusCode, 200)
    const wrong = await api(onA, 'POST', '/registries/ping', { type: 'berth', url: urlB, access_key: 'admin', access_secret: 'Wrong-Passw0rd' })
    assert.equal(wrong.statusCode, 400, wrong.body)
    assert.equal((await api(onA, 'POST', '/registries', { name: 'b', type: 'berth', url: urlB })).statusCode, 409)
    assert.equal((await api(onA, 'POST', '/registries', { name: 'x', type: 'quay', url: urlB })).statusCode, 400)
    assert.equal((await api(onA, 'POST', '/registries', { name: 'x', type: 'berth', url: 'ftp://example.com' })).statusCode, 400)
    const meta = await api(onA, 'POST', '/registries', { name: 'meta', type: 'docker-registry', url: 'http://169.254.169.254' })
    assert.equal(meta.statusCode, 400)
    assert.match(meta.body, /169\.254\.169\.254/)
    assert.equal((await api(onA, 'GET', '/registries')).json().length, 1, 'nothing was created by the refused requests')
    assert.equal((await api(a.app as App, 'GET', '/registries')).statusCode, 401)
  })

  it('an event-based push policy copies a pushed image, its tags and its signature to the other instance; the project\'s webhooks hear of the run', async () => {
    const hook = await new Receiver().start()
    const webhook = await api(onA, 'POST', '/projects/library/webhook/policies', { name: 'replications', event_types: ['REPLICATION'], targets: [{ address: hook.url }] })
    assert.equal(webhook.statusCode, 201, webhook.body)
    const res = await api(onA, 'POST', '/replication/policies', {
      name: 'to-b',
      src_registry: null,
      dest_registry: { id: registryOfB },
      dest_namespace: '',
      trigger: { type: 'event_based', trigger_settings: { cron: '' } },
      filters: [{ type: 'name', value: 'library/**' }, { type: 'tag', value: 'v*' }],
      replicate_deletion: true,
      override: true,
      enabled: true,
    })
    assert.equal(res.statusCode, 201, res.body)
    pushPolicy = idFrom(res)
    const img = await pushImage(onA, 'library/app', 'v1', 'pair-1')
    await until('v1 on b', async () => (await served(onB, 'library/app', 'v1')) === img.digest)
    // A tag the filter excludes stays home.
    const other = await pushImage(onA, 'library/app', 'latest', 'pair-2')
    // A signature pushed later by digest, with the image as its subject, follows it.
    const sigConfig = '{}'
    await pushBlob(onA, 'library/app', sigConfig)
    const sig = manifestText({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: 'application/vnd.example.signature',
      config: descriptorOf('application/vnd.oci.empty.v1+json', sigConfig),
      layers: [],
      subject: descriptorOf(OCI_MANIFEST, img.text),
    })
    const sigDigest = await pushManifest(onA, 'library/app', sha256(sig), sig, OCI_MANIFEST)
    await until('signature on b', async () => (await served(onB, 'library/app', sigDigest)) === sigDigest)
    const referrers = await onB.inject({ method: 'GET', url: `/v2/library/app/referrers/${img.digest}` })
    assert.deepEqual(referrers.json().manifests.map((m: { digest: string }) => m.digest), [sigDigest])
    assert.equal(await served(onB, 'library/app', 'latest'), null)
    assert.equal(await served(onA, 'library/app', 'latest'), other.digest)
    // The execution shows its tasks and logs.
    const execs = (await api(onA, 'GET', `/replication/executions?policy_id=${pushPolicy}`)).json()
    assert.ok(execs.length >= 1)
    const tasks = (await api(onA, 'GET', `/replication/executions/${execs[execs.length - 1].id}/tasks`)).json()
    assert.ok(tasks.some((t: { dst_resource: string; status: string }) => t.dst_resource === 'library/app:v1' && t.status === 'Succeed'), JSON.stringify(tasks))
    const log = await api(onA, 'GET', `/replication/executions/${execs[execs.length - 1].id}/tasks/${tasks[0].id}/log`)
    assert.equal(log.statusCode, 200)
    assert.match(log.body, /library\/app:v1/)
    // A REPLICATION event per run, to the webhooks of the project it copied from.
    await until('a REPLICATION delivery naming v1', async () => hook.received.some((r) => JSON.stringify(JSON.parse(r.body).event_data).includes('library/app:v1')))
    const told = hook.received.map((r) => JSON.parse(r.body)).find((p) => JSON.stringify(p.event_data).includes('library/app:v1'))
    assert.equal(told.type, 'REPLICATION')
    assert.equal(told.event_data.replication.policy_name, 'to-b')
    assert.ok(['Succeed', 'Failed'].includes(told.event_data.replication.job_status))
    assert.ok(told.event_data.replication.successful_artifact.some((x: { name_tag: string }) => x.name_tag === 'library/app:v1'))
    await hook.stop()
  })

  it("cosign's sha256-<hex>.sig signature travels with its subject, though the tag filter would not take it", async () => {
    const key = testKey()
    const img0 = await pushImage(onA, 'library/scratch', 'x', 'pair-signed')
    // Signed before the subject arrives, so the subject's copy is what brings the signature.
    const sig = await pushCosignSignature(onA, 'library/app', img0.digest, [cosignSign(key, 'library/app', img0.digest)])
    const img = await pushImage(onA, 'library/app', 'v9', 'pair-signed')
    assert.equal(img.digest, img0.digest)
    await until('v9 and its signature on b', async () => (await served(onB, 'library/app', cosignSignatureTag(img.digest))) === sig.digest)
    assert.equal(await served(onB, 'library/app', 'v9'), img.digest)
    const listed = (await api(onB, 'GET', '/projects/library/repositories/app/artifacts?with_accessory=true&q=tags%3Dv9')).json()
    assert.deepEqual(listed[0].accessories.map((x: { digest: string; type: string }) => [x.digest, x.type]), [[sig.digest, 'signature.cosign']])
  })

  it('an index travels with its children, digests unchanged', async () => {
    const amd = await pushImage(onA, 'library/multi', 'amd64-only', 'multi-amd')
    const arm = await pushImage(onA, 'library/multi', 'arm64-only', 'multi-arm')
    const index = indexText(OCI_INDEX, [descriptorOf(OCI_MANIFEST, amd.text), descriptorOf(OCI_MANIFEST, arm.text)])
    const digest = await pushManifest(onA, 'library/multi', 'v2', index, OCI_INDEX)
    await until('index on b', async () => (await served(onB, 'library/multi', 'v2')) === digest)
    assert.equal(await served(onB, 'library/multi', amd.digest), amd.digest)
    assert.equal(await served(onB, 'library/multi', arm.digest), arm.digest)
  })

  it('a deleted tag is deleted on the other instance too', async () => {
    assert.equal((await onA.inject({ method: 'DELETE', url: '/v2/library/app/manifests/v1' })).statusCode, 202)
    await until('v1 gone from b', async () => (await served(onB, 'library/app', 'v1')) === null)
  })

  it('content that came from b is never sent back to b (the path), and a pull policy copies from b', async () => {
    // b -> a, by a pull policy on a.
    const img = await pushImage(onB, 'library/from-b', 'v1', 'from-b')
    const res = await api(onA, 'POST', '/replication/policies', {
      name: 'from-b',
      src_registry: { id: registryOfB },
      dest_registry: null,
      trigger: { type: 'manual' },
      filters: [{ type: 'name', value: 'library/from-b' }],
      enabled: true,
    })
    assert.equal(res.statusCode, 201, res.body)
    const exec = await api(onA, 'POST', '/replication/executions', { policy_id: idFrom(res) })
    assert.equal(exec.statusCode, 201, exec.body)
    const execId = idFrom(exec)
    await until('execution done', async () => (await api(onA, 'GET', `/replication/executions/${execId}`)).json().status !== 'InProgress')
    const e = (await api(onA, 'GET', `/replication/executions/${execId}`)).json()
    if (e.status !== 'Succeed') {
      for (const t of (await api(onA, 'GET', `/replication/executions/${execId}/tasks`)).json()) {
        console.error(`task ${t.id}: ${(await api(onA, 'GET', `/replication/executions/${execId}/tasks/${t.id}/log`)).body}`)
      }
    }
    assert.deepEqual([e.status, e.total, e.succeed, e.trigger], ['Succeed', 1, 1, 'manual'])
    assert.equal(await served(onA, 'library/from-b', 'v1'), img.digest)
    // The copy arrived on a with b on its path; a's push policy (library/**, v*) matches it,
    // but b is on the path: no task goes back.
    await sleep(1_500)
    const back = (await api(onA, 'GET', `/replication/executions?policy_id=${pushPolicy}`)).json()
    const tasks = (await Promise.all(back.map((x: { id: number }) => api(onA, 'GET', `/replication/executions/${x.id}/tasks`).then((r) => r.json())))).flat()
    assert.equal(tasks.filter((t: { dst_resource: string }) => t.dst_resource.startsWith('library/from-b')).length, 0, JSON.stringify(tasks))
  })

  it('a second manual run is refused while one is in progress; stop ends it and its tasks', async () => {
    // Tags outside the to-b policy's v* filter, so only the policies of these tests move them.
    await pushImage(onA, 'library/held', 'h1', 'held-1')
    const res = await api(onA, 'POST', '/replication/policies', { name: 'held', dest_registry: { id: registryOfB }, trigger: { type: 'manual' }, filters: [{ type: 'name', value: 'library/held' }] })
    const policy = idFrom(res)
    // With the copy queue paused the execution stays in progress.
    assert.equal((await api(onA, 'PUT', '/jobservice/queues/REPLICATION', { action: 'pause' })).statusCode, 200)
    try {
      const first = idFrom(await api(onA, 'POST', '/replication/executions', { policy_id: policy }))
      await until('planned', async () => (await api(onA, 'GET', `/replication/executions/${first}`)).json().total === 1)
      const second = await api(onA, 'POST', '/replication/executions', { policy_id: policy })
      assert.equal(second.statusCode, 409, second.body)
      assert.equal((await api(onA, 'PUT', `/replication/executions/${first}`)).statusCode, 200)
      const e = (await api(onA, 'GET', `/replication/executions/${first}`)).json()
      assert.deepEqual([e.status, e.stopped, e.in_progress], ['Stopped', 1, 0])
      assert.equal((await api(onA, 'PUT', `/replication/executions/${first}`)).statusCode, 412, 'an ended execution cannot be stopped')
    } finally {
      await api(onA, 'PUT', '/jobservice/queues/REPLICATION', { action: 'resume' })
    }
    await sleep(500)
    assert.equal(await served(onB, 'library/held', 'h1'), null, 'the stopped task never ran')
  })

  it('failed tasks run again on request, once the target is fixed', async () => {
    const broken = idFrom(await api(onA, 'POST', '/registries', { name: 'b-later', type: 'berth', url: 'http://127.0.0.1:9', credential: { access_key: 'admin', access_secret: TEST_ADMIN_PASSWORD } }))
    const img = await pushImage(onA, 'library/retry', 'r1', 'retry-1')
    const policy = idFrom(await api(onA, 'POST', '/replication/policies', { name: 'retry', dest_registry: { id: broken }, trigger: { type: 'manual' }, filters: [{ type: 'name', value: 'library/retry' }] }))
    const exec = idFrom(await api(onA, 'POST', '/replication/executions', { policy_id: policy }))
    await until('failed', async () => (await api(onA, 'GET', `/replication/executions/${exec}`)).json().status === 'Failed')
    assert.equal((await api(onA, 'GET', `/replication/executions/${exec}`)).json().failed, 1)
    // A stored secret does not follow the registry to another URL: it is given again.
    assert.equal((await api(onA, 'PUT', `/registries/${broken}`, { url: urlB })).statusCode, 400)
    const moved = await api(onA, 'PUT', `/registries/${broken}`, { url: urlB, access_key: 'admin', access_secret: TEST_ADMIN_PASSWORD })
    assert.equal(moved.statusCode, 200, moved.body)
    const retried = await api(onA, 'POST', `/replication/executions/${exec}/retry`)
    assert.deepEqual(retried.json(), { retried: 1 })
    await until('succeeded', async () => (await api(onA, 'GET', `/replication/executions/${exec}`)).json().status === 'Succeed')
    assert.equal(await served(onB, 'library/retry', 'r1'), img.digest)
  })

  it('a scheduled policy runs by itself; with override off a different tag at the target is left alone', async () => {
    const mine = await pushImage(onA, 'library/kept', 'k1', 'kept-a')
    const theirs = await pushImage(onB, 'library/kept', 'k1', 'kept-b')
    const policy = idFrom(await api(onA, 'POST', '/replication/policies', { name: 'cron', dest_registry: { id: registryOfB }, trigger: { type: 'scheduled', trigger_settings: { cron: '* * * * * *' } }, filters: [{ type: 'name', value: 'library/kept' }], override: false }))
    await until('a scheduled execution', async () => (await api(onA, 'GET', `/replication/executions?policy_id=${policy}&trigger=scheduled&status=Succeed`)).json().length > 0)
    assert.equal((await api(onA, 'PUT', `/replication/policies/${policy}`, { name: 'cron', dest_registry: { id: registryOfB }, trigger: { type: 'manual' }, filters: [{ type: 'name', value: 'library/kept' }], override: false })).statusCode, 200)
    assert.equal(await served(onB, 'library/kept', 'k1'), theirs.digest)
    assert.notEqual(mine.digest, theirs.digest)
    // A finished one: a later firing may still have been running when the policy changed.
    const e = (await api(onA, 'GET', `/replication/executions?policy_id=${policy}&trigger=scheduled&status=Succeed`)).json()[0]
    const task = (await api(onA, 'GET', `/replication/executions/${e.id}/tasks`)).json()[0]
    assert.match((await api(onA, 'GET', `/replication/executions/${e.id}/tasks/${task.id}/log`)).body, /override is off: left as it is/)
  })

  it('while this registry is read-only a scheduled pull policy does not copy into it; once off, it does', async () => {
    const policy = idFrom(await api(onA, 'POST', '/replication/policies', { name: 'pull-ro', src_registry: { id: registryOfB }, dest_registry: null, trigger: { type: 'scheduled', trigger_settings: { cron: '* * * * * *' } }, filters: [{ type: 'name', value: 'library/ro-pull' }] }))
    assert.equal((await api(onA, 'PUT', '/configurations', { read_only: true })).statusCode, 200)
    try {
      // Pushed to b after a went read-only: whatever copies it, copies it while a is read-only.
      const img = await pushImage(onB, 'library/ro-pull', 'v1', 'ro-pull')
      await sleep(3_000)
      assert.equal(await served(onA, 'library/ro-pull', 'v1'), null, 'nothing copied into a read-only registry')
      assert.equal((await api(onA, 'PUT', '/configurations', { read_only: false })).statusCode, 200)
      await until('copied once a is writable again', async () => (await served(onA, 'library/ro-pull', 'v1')) === img.digest)
    } finally {
      await api(onA, 'PUT', '/configurations', { read_only: false })
      // Manual from now on, then gone once its last run ended (a policy in use cannot be deleted).
      await api(onA, 'PUT', `/replication/policies/${policy}`, { name: 'pull-ro', src_registry: { id: registryOfB }, dest_registry: null, trigger: { type: 'manual' }, filters: [{ type: 'name', value: 'library/ro-pull' }] })
      await until('the pull-ro policy deleted', async () => (await api(onA, 'DELETE', `/replication/policies/${policy}`)).statusCode === 200)
    }
  })

  it('policies: validation, 409 for a taken name, 412 for a registry in use', async () => {
    const bad = [
      { name: 'x', src_registry: null, dest_registry: null, trigger: { type: 'manual' } },
      { name: 'x', dest_registry: { id: registryOfB }, trigger: { type: 'scheduled', trigger_settings: { cron: 'every day' } } },
      { name: 'x', dest_registry: { id: registryOfB }, trigger: { type: 'manual' }, filters: [{ type: 'colour', value: 'red' }] },
      { name: 'x', dest_registry: { id: 999 }, trigger: { type: 'manual' } },
      { name: 'to-b', dest_registry: { id: registryOfB }, trigger: { type: 'manual' } },
    ]
    const codes = []
    for (const p of bad) codes.push((await api(onA, 'POST', '/replication/policies', p)).statusCode)
    assert.deepEqual(codes, [400, 400, 400, 400, 409])
    assert.equal((await api(onA, 'GET', '/replication/policies')).json().length, 5)
    assert.equal((await api(onA, 'DELETE', `/registries/${registryOfB}`)).statusCode, 412)
    const one = await api(onA, 'GET', `/replication/policies/${pushPolicy}`)
    assert.deepEqual([one.json().src_registry.id, one.json().dest_registry.id, one.json().trigger.type], [0, registryOfB, 'event_based'])
  })
})
