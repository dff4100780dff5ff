// Garbage collection racing pushes of images that share layers with the garbage: on SQLite (one
// node) and on PostgreSQL with two nodes (two app instances on one database and one storage
// folder). Pushes start before the run, between its mark and its sweep, and while it decides
// each batch (hooks pause the run there); some find an old layer by HEAD and skip its upload,
// some upload a layer whose digest is being collected. Every push must succeed and stay
// pullable, byte for byte, from every node; the garbage no push used must be gone.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, before, describe, it } from 'node:test'
import { Value } from '@sinclair/typebox/value'
import { ConfigSchema, type Config } from '../../app/config.js'
import { createBerth, type Berth } from '../../app/server.js'
import { silentLogger } from '../../lib/logger.js'
import type { Dialect } from '../../metadata/schema.js'
import { DIALECTS, createTestDatabase, dialectSkip, type TestDatabase } from '../../../test/support/databases.js'
import { ADMIN_AUTH, TEST_ADMIN_PASSWORD } from '../../../test/support/berth-app.js'
import { waitUntil } from '../../../test/support/until.js'
import { OCI_MANIFEST, header, sha256 } from '../../http/oci/oci-test-support.js'
import type { GcHooks } from './garbage-collection.js'
import { FilesystemDriver } from '../../storage/drivers/filesystem.js'
import { blobPath } from '../../storage/layout.js'
import type { Digest } from '../../oci/digest.js'

const ROUNDS = 4
const GARBAGE = 40
const PUSHES = 12
const OLD = () => new Date(Date.now() - 3 * 3_600_000).toISOString()

interface Node extends Berth {
  dir: string
}

/** Hooks shared by the nodes: each phase of a run releases the pushes waiting for it. */
class Phases implements GcHooks {
  private waiters = new Map<string, (() => void)[]>()
  /** When set, a run waits after its mark until it is stopped. */
  holdUntilStopped = false
  reset(): void {
    this.waiters.clear()
  }
  at(phase: 'marked' | 'condemning'): Promise<void> {
    return new Promise((resolve) => this.waiters.set(phase, [...(this.waiters.get(phase) ?? []), resolve]))
  }
  private release(phase: string): void {
    for (const w of this.waiters.get(phase) ?? []) w()
    this.waiters.delete(phase)
  }
  async afterMark(signal: AbortSignal): Promise<void> {
    this.release('marked')
    if (this.holdUntilStopped) await waitUntil('the run is stopped', () => signal.aborted, { timeoutMs: 20_000, everyMs: 10 })
    await sleep(5)
  }
  async beforeCondemn(): Promise<void> {
    this.release('condemning')
    // Lets the released pushes reach the database while the batch is being decided.
    await sleep(Math.floor(Math.random() * 8))
  }
}

async function node(dialect: Dialect, databaseUrl: string, storage: string, hooks: GcHooks): Promise<Node> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-gc-race-'))
  const config = Value.Default(ConfigSchema, {}) as Config
  Object.assign(config, { data_dir: dir, secret_key: 'g'.repeat(40), admin: { password: TEST_ADMIN_PASSWORD }, log: { level: 'silent' } })
  config.database = { ...config.database, url: databaseUrl }
  config.storage = { ...config.storage, root: storage }
  config.jobs = { ...config.jobs, workers: 2, lease_seconds: 5 }
  void dialect
  const b = await createBerth(config, { log: silentLogger(), showOnce: () => {}, gcHooks: hooks })
  return Object.assign(b, { dir })
}

for (const dialect of DIALECTS) {
  const nodes = dialect === 'postgres' ? 2 : 1
  describe(`garbage collection racing pushes on ${dialect} (${nodes} node${nodes > 1 ? 's' : ''})`, { ...(await dialectSkip(dialect)), timeout: 180_000 }, () => {
    let database: TestDatabase
    let storage: string
    const cluster: Node[] = []
    const phases = new Phases()

    const inject = (n: Node, method: 'GET' | 'HEAD' | 'POST' | 'PUT', url: string, payload?: Buffer | string, contentType?: string) =>
      n.app.inject({ method, url, headers: { authorization: ADMIN_AUTH, ...(contentType ? { 'content-type': contentType } : {}) }, ...(payload !== undefined ? { payload } : {}) })
    const upload = async (n: Node, repo: string, bytes: Buffer) => {
      const res = await inject(n, 'POST', `/v2/${repo}/blobs/uploads/?digest=${sha256(bytes)}`, bytes, 'application/octet-stream')
      assert.equal(res.statusCode, 201, `upload: ${res.body}`)
    }

    /**
     * A client's push: for each shared layer, HEAD and upload only when missing (or, `upload`,
     * upload it anyway); then a config of its own and the manifest.
     */
    const push = async (n: Node, repo: string, tag: string, shared: Buffer[], o: { upload: boolean; waitFor?: Promise<void> }) => {
      const present: boolean[] = []
      for (const layer of shared) present.push(!o.upload && (await inject(n, 'HEAD', `/v2/${repo}/blobs/${sha256(layer)}`)).statusCode === 200)
      await o.waitFor
      for (const [i, layer] of shared.entries()) if (!present[i]) await upload(n, repo, layer)
      const config = Buffer.from(JSON.stringify({ tag, nonce: randomBytes(8).toString('hex') }))
      await upload(n, repo, config)
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
          layers: shared.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(l), size: l.length })),
        }),
      )
      const res = await inject(n, 'PUT', `/v2/${repo}/manifests/${tag}`, manifest, OCI_MANIFEST)
      assert.equal(res.statusCode, 201, `push ${tag}: ${res.body}`)
      return { repo, tag, blobs: [config, ...shared], manifest }
    }

    before(async () => {
      database = await createTestDatabase(dialect)
      storage = await mkdtemp(join(tmpdir(), 'berth-gc-race-storage-'))
      for (let i = 0; i < nodes; i++) cluster.push(await node(dialect, database.url, storage, phases))
      const res = await inject(cluster[0]!, 'POST', '/api/v2.0/projects', JSON.stringify({ project_name: 'race', metadata: { public: 'false' } }), 'application/json')
      assert.equal(res.statusCode, 201, res.body)
    })
    after(async () => {
      for (const n of cluster) {
        await n.close()
        await rm(n.dir, { recursive: true, force: true })
      }
      await database?.drop()
      if (storage !== undefined) await rm(storage, { recursive: true, force: true })
    })

    it('a run stopped between mark and sweep removes nothing; the next run unmarks and frees', async () => {
      const a = cluster[0]!
      phases.reset()
      const garbage = Array.from({ length: 10 }, () => randomBytes(300))
      for (const g of garbage) await upload(a, 'race/stop', g)
      const digests = garbage.map((g) => sha256(g))
      await a.db.kysely.updateTable('blobs').set({ created_at: OLD(), touched_at: OLD() }).where('digest', 'in', digests).execute()
      await a.db.kysely.updateTable('repository_blobs').set({ created_at: OLD() }).where('digest', 'in', digests).execute()
      phases.holdUntilStopped = true
      const marked = phases.at('marked')
      const gc = await inject(a, 'POST', '/api/v2.0/system/gc/schedule', JSON.stringify({ schedule: { type: 'Manual' }, parameters: {} }), 'application/json')
      assert.equal(gc.statusCode, 201, gc.body)
      const id = Number(header(gc, 'location')!.split('/').pop())
      await marked
      assert.equal((await inject(a, 'PUT', `/api/v2.0/system/gc/${id}`)).statusCode, 200)
      assert.equal((await inject(a, 'GET', `/api/v2.0/system/gc/${id}`)).json().job_status, 'Stopped')
      phases.holdUntilStopped = false
      const rows = async () => a.db.kysely.selectFrom('blobs').select(['digest', 'gc_mark']).where('digest', 'in', digests).execute()
      // The task ends once its job saw the stop; nothing was removed.
      const [task] = (await a.executions.tasks.list(id, { conditions: [], sort: [], page: 1, pageSize: 1 })).items
      await waitUntil('the job ends', async () => (await a.jobs.jobs.get(task!.jobId!))!.state === 'stopped', { timeoutMs: 20_000, everyMs: 20 })
      assert.deepEqual((await rows()).map((r) => r.gc_mark), digests.map(() => `run-${id}`), 'a stopped run removes nothing; its marks stay')
      const fs = new FilesystemDriver(storage)
      for (const d of digests) assert.ok(await fs.stat(blobPath(d as Digest)), 'bytes stay')
      const next = await inject(a, 'POST', '/api/v2.0/system/gc/schedule', JSON.stringify({ schedule: { type: 'Manual' }, parameters: {} }), 'application/json')
      assert.equal(next.statusCode, 201, next.body)
      const nextId = Number(header(next, 'location')!.split('/').pop())
      await waitUntil(`gc ${nextId} ends`, async () => !['Running', 'Pending'].includes((await inject(a, 'GET', `/api/v2.0/system/gc/${nextId}`)).json().job_status), { timeoutMs: 30_000, everyMs: 20 })
      assert.deepEqual(await rows(), [], 'freed by a later run')
    })

    it(`${ROUNDS} rounds: every push succeeds and stays pullable from every node; the unused garbage is freed`, async () => {
      const a = cluster[0]!
      const pushed: Awaited<ReturnType<typeof push>>[] = []
      for (let round = 0; round < ROUNDS; round++) {
        phases.reset()
        // Garbage: old layers linked into the repository that no manifest references.
        const garbage = Array.from({ length: GARBAGE }, () => randomBytes(256 + Math.floor(Math.random() * 256)))
        for (const [i, g] of garbage.entries()) await upload(cluster[i % nodes]!, 'race/app', g)
        const digests = garbage.map((g) => sha256(g))
        await a.db.kysely.updateTable('blobs').set({ created_at: OLD(), touched_at: OLD() }).where('digest', 'in', digests).execute()
        await a.db.kysely.updateTable('repository_blobs').set({ created_at: OLD() }).where('digest', 'in', digests).execute()

        // Each push shares two layers with the garbage; they start at different phases of the run.
        const used = new Set<string>()
        const pushes: Promise<Awaited<ReturnType<typeof push>>>[] = []
        const start = async (i: number, when: 'before' | 'marked' | 'condemning') => {
          const shared = [garbage[(i * 2) % GARBAGE]!, garbage[(i * 2 + 1) % GARBAGE]!]
          for (const s of shared) used.add(sha256(s))
          const n = cluster[i % nodes]!
          const tag = `r${round}-p${i}`
          const upload = i % 2 === 0
          if (when === 'before') return push(n, 'race/app', tag, shared, { upload })
          // HEAD before the phase, the rest after it: the layer was found, then the run went on.
          return push(n, 'race/app', tag, shared, { upload, waitFor: phases.at(when) })
        }
        for (let i = 0; i < PUSHES; i++) {
          const when = i % 3 === 0 ? 'before' : i % 3 === 1 ? 'marked' : 'condemning'
          if (when === 'before') pushes.push(start(i, when))
        }
        for (let i = 0; i < PUSHES; i++) if (i % 3 !== 0) pushes.push(start(i, i % 3 === 1 ? 'marked' : 'condemning'))
        // Garbage the pushes do not share is what the run must free.
        const gc = await inject(a, 'POST', '/api/v2.0/system/gc/schedule', JSON.stringify({ schedule: { type: 'Manual' }, parameters: { workers: 1 + (round % 3) } }), 'application/json')
        assert.equal(gc.statusCode, 201, gc.body)
        const id = Number(header(gc, 'location')!.split('/').pop())
        const results = await Promise.all(pushes)
        pushed.push(...results)
        await waitUntil(`gc ${id} ends`, async () => !['Running', 'Pending'].includes((await inject(a, 'GET', `/api/v2.0/system/gc/${id}`)).json().job_status), { timeoutMs: 30_000, everyMs: 20 })
        const run = (await inject(a, 'GET', `/api/v2.0/system/gc/${id}`)).json()
        assert.equal(run.job_status, 'Success', (await inject(a, 'GET', `/api/v2.0/system/gc/${id}/log`)).body)

        const unused = digests.filter((d) => !used.has(d))
        const left = await a.db.kysely.selectFrom('blobs').select('digest').where('digest', 'in', unused).execute()
        assert.deepEqual(left, [], `round ${round}: the garbage no push used is freed`)
        for (const d of unused) assert.equal((await inject(cluster[round % nodes]!, 'GET', `/v2/race/app/blobs/${d}`)).statusCode, 404)
        assert.ok(JSON.parse(run.job_parameters).purged_blobs >= unused.length)
      }
      // Everything pushed in every round is whole, from every node.
      for (const n of cluster) {
        for (const p of pushed) {
          const m = await inject(n, 'GET', `/v2/${p.repo}/manifests/${p.tag}`)
          assert.equal(m.statusCode, 200, `${p.tag} manifest`)
          assert.equal(sha256(m.rawPayload), sha256(p.manifest))
          for (const b of p.blobs) {
            const res = await inject(n, 'GET', `/v2/${p.repo}/blobs/${sha256(b)}`)
            assert.equal(res.statusCode, 200, `${p.tag} blob ${sha256(b)}`)
            assert.equal(sha256(res.rawPayload), sha256(b), `${p.tag} blob bytes`)
          }
        }
      }
    })
  })
}
