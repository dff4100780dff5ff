// Two nodes (in process) sharing one PostgreSQL database and one storage folder, as a cluster
// does: pushes racing a project's storage limit through both nodes let exactly as many through
// as fit and usage stays their sum; a system job started on both nodes at once runs once.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Berth } from '../../src/app/server.js'
import { inProcessNode } from '../support/in-process-node.js'
import { createTestDatabase, dialectSkip, type TestDatabase } from '../support/databases.js'
import { basicAuth, TEST_ADMIN_PASSWORD } from '../support/berth-app.js'
import { assertOciError, bytesOf, descriptorOf, manifestText, OCI_CONFIG, OCI_LAYER, OCI_MANIFEST, pushBlob, putManifest, withAuthorization, type App } from '../../src/http/oci/oci-test-support.js'

const ADMIN = basicAuth('admin', TEST_ADMIN_PASSWORD)

const node = (databaseUrl: string, storage: string) => inProcessNode(databaseUrl, storage)

describe('lifecycle across two nodes on PostgreSQL', { ...(await dialectSkip('postgres')), timeout: 120_000 }, () => {
  let database: TestDatabase
  let storage: string
  let a: Berth & { dir: string }
  let b: Berth & { dir: string }
  let appA: App
  let appB: App

  before(async () => {
    database = await createTestDatabase('postgres')
    storage = await mkdtemp(join(tmpdir(), 'berth-ha-storage-'))
    a = await node(database.url, storage)
    b = await node(database.url, storage)
    appA = withAuthorization(a.app, ADMIN)
    appB = withAuthorization(b.app, ADMIN)
  })
  after(async () => {
    for (const n of [a, b]) {
      await n?.close()
      if (n) await rm(n.dir, { recursive: true, force: true })
    }
    await database?.drop()
    await rm(storage, { recursive: true, force: true })
  })

  it('pushes racing the storage limit through both nodes: exactly as many as fit pass, usage is their sum', async () => {
    const N = 10
    const images = Array.from({ length: N }, (_, i) => {
      const config = JSON.stringify({ label: `two-node-race-${i}`, architecture: 'amd64', os: 'linux' })
      const layer = bytesOf(`two-node-race-layer-${i}`, 256 << 10)
      const text = manifestText({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: descriptorOf(OCI_CONFIG, config), layers: [descriptorOf(OCI_LAYER, layer)] })
      return { config, layer, text, bytes: Buffer.byteLength(text) + Buffer.byteLength(config) + layer.length }
    })
    const biggest = Math.max(...images.map((x) => x.bytes))
    const created = await a.app.inject({ method: 'POST', url: '/api/v2.0/projects', headers: { authorization: ADMIN }, payload: { project_name: 'race2', storage_limit: 4 * biggest + Math.floor(biggest / 2) } })
    assert.equal(created.statusCode, 201, created.body)
    const id = Number(/(\d+)$/.exec(String(created.headers.location))![1])
    for (const [i, x] of images.entries()) {
      const via = i % 2 === 0 ? appA : appB
      await pushBlob(via, `race2/app${i}`, x.config)
      await pushBlob(via, `race2/app${i}`, x.layer)
    }
    // Each manifest goes to the node that did not take its blobs.
    const results = await Promise.all(images.map((x, i) => putManifest(i % 2 === 0 ? appB : appA, `race2/app${i}`, 'v1', x.text, OCI_MANIFEST)))
    const passed = results.flatMap((r, i) => (r.statusCode === 201 ? [i] : []))
    for (const r of results) if (r.statusCode !== 201) assertOciError(r, 403, 'DENIED')
    assert.equal(passed.length, 4, results.map((r) => r.statusCode).join(','))
    for (const n of [a, b]) {
      const q = await n.app.inject({ method: 'GET', url: `/api/v2.0/quotas/${id}`, headers: { authorization: ADMIN } })
      assert.equal(q.json().used.storage, passed.reduce((s, i) => s + images[i]!.bytes, 0), 'both nodes see the exact sum')
    }
    // Deleting through the other node gives back exactly what the artifact counted.
    const first = passed[0]!
    const del = await (first % 2 === 0 ? appA : appB).inject({ method: 'DELETE', url: `/api/v2.0/projects/race2/repositories/app${first}` })
    assert.equal(del.statusCode, 200, del.body)
    const after = await b.app.inject({ method: 'GET', url: `/api/v2.0/quotas/${id}`, headers: { authorization: ADMIN } })
    assert.equal(after.json().used.storage, passed.slice(1).reduce((s, i) => s + images[i]!.bytes, 0))
  })

  it('a system job started on both nodes at once runs once; the other node is told it is running', async () => {
    // Its queue paused, the run stays in progress while both nodes are asked.
    await a.jobs.queues.setPaused('PURGE_AUDIT', true)
    try {
      const body = { schedule: { type: 'Manual' }, parameters: { audit_retention_hour: 1 } }
      const answers = await Promise.all([a, b, a, b].map((n) => n.app.inject({ method: 'POST', url: '/api/v2.0/system/purgeaudit/schedule', headers: { authorization: ADMIN }, payload: body })))
      assert.deepEqual(answers.map((r) => r.statusCode).sort(), [201, 409, 409, 409])
      const location = String(answers.find((r) => r.statusCode === 201)!.headers.location)
      const stop = await b.app.inject({ method: 'PUT', url: location, headers: { authorization: ADMIN } })
      assert.equal(stop.statusCode, 200)
      assert.equal((await a.app.inject({ method: 'GET', url: location, headers: { authorization: ADMIN } })).json().job_status, 'Stopped')
    } finally {
      await a.jobs.queues.setPaused('PURGE_AUDIT', false)
    }
  })
})
