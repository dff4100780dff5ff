// Replication between Berth processes on loopback, each with its own database and storage:
// a mesh of three instances with event rules in both directions converges without loops; a
// target that was down catches up by itself; a node killed in the middle of a copy leaves its
// task to another node of the same instance, which finishes it once.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it, type TestContext } from 'node:test'
import { freePort, startBerth, type BerthProcess } from '../support/berth-process.js'
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../support/databases.js'
import { randomImage } from '../support/raw-images.js'
import { FAST, Instance, push, until, type Json } from '../support/replication.js'

const KiB = 1024
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

const started: BerthProcess[] = []
const dirs: string[] = []

async function instance(name: string, env: Record<string, string> = {}, place: { dataDir?: string; port?: number } = {}): Promise<Instance> {
  const proc = await startBerth({ env: { ...FAST, ...env }, ...place })
  started.push(proc)
  return new Instance(name, proc)
}


/** On failure, the task logs of each instance (what each copy did). */
const withLogs = (instances: () => Instance[], body: (t: TestContext) => Promise<void>) => async (t: TestContext) => {
  try {
    await body(t)
  } catch (e) {
    for (const i of instances()) {
      for (const task of await i.tasks().catch(() => [])) {
        const log = await i.api('GET', `/replication/executions/${task.execution_id}/tasks/${task.id}/log`).catch(() => null)
        console.error(`--- ${i.name} task ${task.id} ${task.status} ${task.operation} ${task.dst_resource}\n${log === null ? '' : String(log.json)}`)
      }
    }
    throw e
  }
}

after(async () => {
  for (const p of started) await p.stop()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

describe('a mesh of three Berth instances with event rules both ways', { timeout: 120_000 }, () => {
  let nodes: Instance[] = []

  it('converges: every push reaches all three, and the number of copy tasks stays bounded', withLogs(() => nodes, async (t) => {
    nodes = await Promise.all(['a', 'b', 'c'].map((n) => instance(n)))
    for (const from of nodes) for (const to of nodes) if (from !== to) await from.replicateTo(to)
    const images = nodes.map((n, i) => randomImage(`library/mesh-${n.name}`, `v${i}`, [64 * KiB + i]))
    await Promise.all(nodes.map((n, i) => push(n, images[i]!)))
    await until('every image on every instance', async () => {
      for (const n of nodes) for (const img of images) if ((await n.digestOf(img.repo, img.tag)) !== img.manifestDigest) return false
      return true
    })
    // A tag moved on b travels too.
    const moved = randomImage('library/mesh-a', 'v0', [32 * KiB])
    await push(nodes[1]!, moved)
    await until('the moved tag on every instance', async () => {
      for (const n of nodes) if ((await n.digestOf(moved.repo, moved.tag)) !== moved.manifestDigest) return false
      return true
    })
    // Quiet: give a loop time to show itself, then count.
    await sleep(3_000)
    const count = async () => (await Promise.all(nodes.map((n) => n.tasks()))).flat().length
    const copies = await count()
    await sleep(2_000)
    assert.equal(await count(), copies, 'tasks keep appearing: a replication loop')
    // 4 pushes; each is sent at most once over each of the 6 links (in practice fewer: the path
    // stops the way back).
    const pushes = images.length + 1
    assert.ok(copies <= pushes * 6, `${copies} copy tasks for ${pushes} pushes`)
    t.diagnostic(`mesh: ${pushes} pushes, ${copies} copy tasks (${(copies / pushes).toFixed(1)} per push; 6 links)`)
    // A deletion travels to all of them as well.
    const res = await fetch(`${nodes[2]!.url}/v2/library/mesh-c/manifests/v2`, { method: 'DELETE', headers: { authorization: nodes[2]!.proc.authorization } })
    assert.equal(res.status, 202)
    await until('the deletion on every instance', async () => {
      for (const n of nodes) if ((await n.digestOf('library/mesh-c', 'v2')) !== null) return false
      return true
    })
  }))
})

describe('a hierarchy: HQ to a region to a branch', { timeout: 120_000 }, () => {
  let sites: Instance[] = []

  it('relays what HQ pushes down to the branch, and one master feeds two replicas', withLogs(() => sites, async () => {
    sites = await Promise.all(['hq', 'region', 'branch', 'other-region'].map((n) => instance(n)))
    const [hq, region, branch, otherRegion] = sites as [Instance, Instance, Instance, Instance]
    await hq.replicateTo(region)
    await hq.replicateTo(otherRegion)
    await region.replicateTo(branch)
    const img = randomImage('library/release', '1.0', [48 * KiB])
    await push(hq, img)
    await until('the release on every site', async () => {
      for (const s of [region, branch, otherRegion]) if ((await s.digestOf(img.repo, img.tag)) !== img.manifestDigest) return false
      return true
    })
    // Nothing flows up: the branch has no policy, the region none towards HQ.
    const local = randomImage('library/branch-only', '1.0', [8 * KiB])
    await push(branch, local)
    await sleep(1_500)
    for (const s of [hq, region]) assert.equal(await s.digestOf(local.repo, local.tag), null)
  }))
})

describe('a target that was down', { timeout: 120_000 }, () => {
  let source: Instance | undefined
  let target: Instance | undefined

  it('catches up by itself when it returns, with no change to the policy', withLogs(() => [source!, target!].filter(Boolean), async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-repl-target-'))
    dirs.push(dir)
    const port = await freePort()
    target = await instance('target', {}, { dataDir: dir, port })
    source = await instance('source', { BERTH_REPLICATION_RECONCILE_SECONDS: '3' })
    await source.replicateTo(target)
    const first = randomImage('library/catch-up', 'before', [40 * KiB])
    await push(source, first)
    await until('the first image on the target', async () => (await target!.digestOf(first.repo, first.tag)) === first.manifestDigest)

    await target.proc.stop()
    const t0 = Date.now()
    const during = [1, 2, 3].map((i) => randomImage('library/catch-up', `during-${i}`, [30 * KiB + i]))
    for (const img of during) await push(source, img)
    // The copies fail while the target is away (2 attempts each), and the executions end Failed.
    await until('the copies fail', async () => (await source!.tasks()).filter((x) => x.status === 'Failed').length >= during.length, 60_000)

    target.proc = await startBerth({ env: FAST, dataDir: dir, port })
    started.push(target.proc)
    const back = Date.now()
    await until('every image pushed meanwhile on the target', async () => {
      for (const img of during) if ((await target!.digestOf(img.repo, img.tag)) !== img.manifestDigest) return false
      return true
    })
    const reconciled = (await source.api('GET', '/replication/executions?trigger=reconcile')).json as Json[]
    assert.ok(reconciled.some((e) => e.status === 'Succeed' && e.succeed >= 1), JSON.stringify(reconciled))
    t.diagnostic(`target down ${Math.round((back - t0) / 1000)} s; caught up ${Date.now() - back} ms after it returned`)
  }))
})

describe('a node killed in the middle of a replication task', { timeout: 150_000, skip: (await postgresAvailable()) ? false : 'PostgreSQL not reachable' }, () => {
  let database: TestDatabase | undefined
  let nodes: Instance[] = []
  let target: Instance | undefined
  after(async () => {
    await database?.drop()
  })

  it('leaves the task to another node after the lease lapses, and it completes once', withLogs(() => [...nodes, ...(target ? [target] : [])], async (t) => {
    database = await createTestDatabase('postgres')
    const storage = mkdtempSync(join(tmpdir(), 'berth-repl-shared-'))
    dirs.push(storage)
    const shared = { BERTH_DATABASE_URL: database.url, BERTH_STORAGE_ROOT: storage, BERTH_SECRET_KEY: 'r'.repeat(40) }
    nodes = [await instance('n0', shared), await instance('n1', shared)]
    target = await instance('slow-target')
    // 256 KiB/s: the 1.5 MiB layer takes about 6 s, long enough to kill the node copying it.
    const { policy } = await nodes[0]!.replicateTo(target, { speed: 256, trigger: 'manual' })
    const img = randomImage('library/big', 'v1', [1536 * KiB])
    await push(nodes[0]!, img)
    const execution = await nodes[0]!.create('/replication/executions', { policy_id: policy })

    // Which node runs the task: its worker pool's pid.
    let victim: Instance | undefined
    let jobId = ''
    await until('the task running on a node', async () => {
      const workers = (await nodes[0]!.api('GET', '/jobservice/pools/all/workers')).json as Json[]
      const busy = workers.find((w) => w.job_name === 'REPLICATION')
      if (busy === undefined) return false
      jobId = busy.job_id
      const pools = (await nodes[0]!.api('GET', '/jobservice/pools')).json as Json[]
      const pid = pools.find((p) => p.worker_pool_id === busy.pool_id)?.pid
      victim = nodes.find((n) => n.proc.pid === pid)
      return victim !== undefined
    })
    await sleep(1_500)
    process.kill(victim!.proc.pid, 'SIGKILL')
    const survivor = nodes.find((n) => n !== victim)!
    const killedAt = Date.now()
    await until('the execution ends', async () => (await survivor.api('GET', `/replication/executions/${execution}`)).json.status !== 'InProgress', 90_000)
    const e = (await survivor.api('GET', `/replication/executions/${execution}`)).json
    assert.deepEqual([e.status, e.total, e.succeed], ['Succeed', 1, 1])
    assert.equal(await target.digestOf(img.repo, img.tag), img.manifestDigest)
    const log = (await survivor.api('GET', `/jobservice/jobs/${jobId}/log`)).json as unknown
    const text = String(log ?? '')
    const attempts = [...text.matchAll(/attempt (\d+) of \d+ on (\S+)#/g)]
    assert.equal(attempts.length, 2, text)
    assert.notEqual(attempts[0]![2], attempts[1]![2], 'the second attempt ran on another node')
    t.diagnostic(`killed the copying node; the other node finished the task ${Date.now() - killedAt} ms later`)
  }))
})
