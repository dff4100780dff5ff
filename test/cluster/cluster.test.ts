// Three Berth nodes on one PostgreSQL database, one Redis and one shared storage (a folder, then
// S3), behind HAProxy: clients through the load balancer, uploads and sessions that hop between
// nodes, a node killed with SIGKILL in the middle of a batch of pushes, Redis stopped and
// restarted in the middle of another, a node replaced by an empty machine, and a rolling
// restart under a pull loop.
import { after, before, describe, it, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import {
  layoutManifestFor,
  manifestAccept,
  readLayoutBlob,
  writeImage,
  writeMultiArchIndex,
  type Descriptor,
  type ImageFixture,
} from '../fixtures/oci-layout.js'
import { missingTools } from '../support/berth-process.js'
import { postgresAvailable } from '../support/databases.js'
import { missingHaproxy } from '../support/haproxy.js'
import { startCluster, type Cluster } from '../support/cluster.js'
import { berthS3Env, driverFor, startS3Process, type S3Endpoint } from '../support/s3-server.js'
import { runCommand } from '../support/run-command.js'
import { assertPullable, getBlob, getManifest, pushRaw, randomImage, sha256, type PushOutcome, type RawImage } from '../support/raw-images.js'
import { startPrivateRedis, type PrivateRedis } from '../support/redis.js'

const NODES = 3
const skip = missingTools(['skopeo']) || missingHaproxy() || ((await postgresAvailable()) ? false : 'PostgreSQL not reachable') || missingTools(['redis-server'])

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
const KiB = 1024
const skopeoFlags = ['--insecure-policy', '--command-timeout', '60s']
const skopeo = (args: readonly string[]) => runCommand('skopeo', [...skopeoFlags, ...args], { timeoutMs: 90_000 })

/** Same for a fixture image written by writeImage (pushed by skopeo). */
async function assertFixturePullable(base: string, authorization: string, repo: string, tag: string, src: string, img: ImageFixture): Promise<void> {
  const { res, bytes } = await getManifest(base, authorization, repo, tag)
  assert.equal(res.status, 200, `GET ${base} ${repo}:${tag}: ${bytes.toString('utf8').slice(0, 300)}`)
  assert.equal(sha256(bytes), img.manifest.digest)
  for (const b of img.blobs) assert.ok((await getBlob(base, authorization, repo, b.digest)).equals(readLayoutBlob(src, b.digest)))
}

/** Every file under <storage>/blobs, hashed: path digest -> content digest and size. */
function scanStorage(root: string): Map<string, { actual: string; size: number }> {
  const out = new Map<string, { actual: string; size: number }>()
  const blobsDir = join(root, 'blobs')
  let algs: string[] = []
  try {
    algs = readdirSync(blobsDir)
  } catch {
    return out
  }
  for (const alg of algs) {
    for (const prefix of readdirSync(join(blobsDir, alg))) {
      for (const hex of readdirSync(join(blobsDir, alg, prefix))) {
        const file = join(blobsDir, alg, prefix, hex)
        const bytes = readFileSync(file)
        const actual = `${alg}:${createHash(alg).update(bytes).digest('hex')}`
        out.set(`${alg}:${hex}`, { actual, size: bytes.length })
      }
    }
  }
  return out
}

/** The same check as scanStorage, over the blobs a cluster wrote to S3. */
async function scanBucket(s3: S3Endpoint): Promise<Map<string, { actual: string; size: number }>> {
  const driver = driverFor(s3, { prefix: '' })
  const out = new Map<string, { actual: string; size: number }>()
  try {
    for await (const path of driver.list('blobs')) {
      const [, alg, , hex] = path.split('/')
      const hash = createHash(alg!)
      let size = 0
      for await (const chunk of await driver.read(path)) {
        hash.update(chunk as Buffer)
        size += (chunk as Buffer).length
      }
      out.set(`${alg}:${hex}`, { actual: `${alg}:${hash.digest('hex')}`, size })
    }
  } finally {
    driver.destroy()
  }
  return out
}

function assertDescriptorsSame(srcDir: string, dstDir: string, descriptors: readonly Descriptor[]): void {
  for (const d of descriptors) {
    const got = readLayoutBlob(dstDir, d.digest)
    assert.equal(sha256(got), d.digest, `${d.digest} after the round trip`)
    assert.ok(got.equals(readLayoutBlob(srcDir, d.digest)))
  }
}

/**
 * What HAProxy's request log says about the requests it did not answer with 2xx: counts by
 * `status termination-state server` (e.g. "503 SC-- node1": connection refused by node1).
 */
function failuresInHaproxyLog(log: string): Record<string, number> {
  const out: Record<string, number> = {}
  // ... registry berth/node1 0/0/-1/-1/0 503 217 - - SC-- 6/6/5/0/0 0/0 "GET /v2/... HTTP/1.1"
  const re = / berth\/(\S+) [-\d/]+ (-1|\d{3}) \d+ \S+ \S+ (\S{4}) /g
  for (const m of log.matchAll(re)) {
    if (m[2]!.startsWith('2')) continue
    const key = `${m[2]} ${m[3]} ${m[1]}`
    out[key] = (out[key] ?? 0) + 1
  }
  return out
}

/** Figures for docs/ha.md, printed by the suite (t.diagnostic) and at the end. */
const figures: Record<string, unknown> = {}

/** The suite, once on a shared folder and once on S3 (a fake S3 server in its own process). */
function clusterSuite(storage: 'folder' | 's3'): void {
describe(`a ${NODES}-node Berth cluster on PostgreSQL, Redis and ${storage === 's3' ? 'S3' : 'a shared folder'}, behind HAProxy`, { skip, timeout: 180_000 }, () => {
  let cluster: Cluster | undefined
  let s3: Awaited<ReturnType<typeof startS3Process>> | undefined
  // A Redis of the cluster's own, so that a test can stop and restart it.
  let redis: PrivateRedis | undefined
  let work = ''
  let auth = ''
  const c = () => cluster!

  /** Runs a test body; on failure prints the cluster's logs (every node and haproxy). */
  const withLogs = (body: (t: TestContext) => Promise<void>) => async (t: TestContext) => {
    try {
      await body(t)
    } catch (e) {
      console.error(`--- test failed; last lines of the cluster's output ---\n${cluster?.logs(60) ?? '(no cluster)'}\n--- end ---`)
      throw e
    }
  }

  // Filled by earlier tests, pulled again by later ones.
  let single: { src: string; img: ImageFixture; repo: string; tag: string } | undefined
  const pushed: RawImage[] = []

  before(async () => {
    const t0 = Date.now()
    work = mkdtempSync(join(tmpdir(), 'berth-cluster-test-'))
    redis = await startPrivateRedis()
    const redisEnv = { BERTH_REDIS_URL: redis.url }
    if (storage === 's3') {
      s3 = await startS3Process()
      cluster = await startCluster(NODES, { env: { ...berthS3Env(s3), ...redisEnv } })
    } else {
      cluster = await startCluster(NODES, { env: redisEnv })
    }
    auth = cluster.authorization
    figures.clusterStartMs = Date.now() - t0
  })

  after(async () => {
    await cluster?.stop()
    await s3?.stop()
    await redis?.stop()
    if (work !== '') rmSync(work, { recursive: true, force: true })
    console.log(`cluster figures: ${JSON.stringify(figures)}`)
  })

  it('skopeo pushes and pulls an image and a multi-arch index through the load balancer, digests intact', withLogs(async (t) => {
    const before = await c().lb.servers()
    const src = join(work, 'skopeo-src')
    const img = writeImage(src, { seed: 'cluster-single', tag: 'v1' })
    const ref = `docker://${c().host}/library/cluster-single:v1`
    await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', c().creds, `oci:${src}:v1`, ref])
    const back = join(work, 'skopeo-back')
    await skopeo(['copy', '--src-tls-verify=false', '--src-creds', c().creds, ref, `oci:${back}:v1`])
    assert.equal(layoutManifestFor(back, 'v1')?.digest, img.manifest.digest)
    assertDescriptorsSame(src, back, [img.manifest, ...img.blobs])
    single = { src, img, repo: 'library/cluster-single', tag: 'v1' }

    const msrc = join(work, 'multi-src')
    const idx = writeMultiArchIndex(msrc, { seed: 'cluster-multi', tag: 'multi' })
    const mref = `docker://${c().host}/library/cluster-multi:v1`
    await skopeo(['copy', '--all', '--dest-tls-verify=false', '--dest-creds', c().creds, `oci:${msrc}:multi`, mref])
    const mback = join(work, 'multi-back')
    await skopeo(['copy', '--all', '--src-tls-verify=false', '--src-creds', c().creds, mref, `oci:${mback}:multi`])
    assert.equal(layoutManifestFor(mback, 'multi')?.digest, idx.index.digest)
    assertDescriptorsSame(msrc, mback, [idx.index, ...idx.images.flatMap((i) => [i.manifest, ...i.blobs])])

    // Round robin: every node took part in those copies.
    const afterward = await c().lb.servers()
    const perNode = afterward.map((s, i) => s.total - (before[i]?.total ?? 0))
    t.diagnostic(`requests per node during the skopeo copies: ${perNode.join(', ')}`)
    figures.skopeoRequestsPerNode = perNode
    for (const [i, n] of perNode.entries()) assert.ok(n > 0, `node${i} served none of the skopeo requests`)
  }))

  it('continues a chunked upload on whichever node gets the next request', withLogs(async (t) => {
    const [n0, n1, n2] = [c().nodes[0]!, c().nodes[1]!, c().nodes[2]!]
    const repo = 'library/chunked'
    const parts = [randomBytes(700 * KiB), randomBytes(900 * KiB), randomBytes(300 * KiB)]
    const whole = Buffer.concat(parts)
    const digest = sha256(whole)
    const onNode = (location: string, node: { url: string }) => {
      const u = new URL(location)
      assert.equal(`${u.protocol}//${u.host}`, c().url, `Location ${location} should point at the load balancer (external_url)`)
      return `${node.url}${u.pathname}${u.search}`
    }

    const post = await fetch(`${n0.url}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: { authorization: auth } })
    assert.equal(post.status, 202, await post.text())
    let location = post.headers.get('location')!

    let offset = 0
    for (const [node, part] of [
      [n1, parts[0]!],
      [n2, parts[1]!],
    ] as const) {
      const res = await fetch(onNode(location, node), {
        method: 'PATCH',
        headers: { authorization: auth, 'content-type': 'application/octet-stream', 'content-range': `${offset}-${offset + part.length - 1}` },
        body: part,
      })
      assert.equal(res.status, 202, `PATCH on ${node.url}: ${await res.text()}`)
      offset += part.length
      assert.equal(res.headers.get('range'), `0-${offset - 1}`, `Range after the PATCH on ${node.url}`)
      location = res.headers.get('location')!
    }
    // Any node knows how far the upload got.
    const status = await fetch(onNode(location, n0), { headers: { authorization: auth } })
    assert.equal(status.status, 204)
    assert.equal(status.headers.get('range'), `0-${offset - 1}`)

    const sep = location.includes('?') ? '&' : '?'
    const put = await fetch(`${onNode(location, n0)}${sep}digest=${digest}`, {
      method: 'PUT',
      headers: { authorization: auth, 'content-type': 'application/octet-stream', 'content-range': `${offset}-${whole.length - 1}` },
      body: parts[2]!,
    })
    assert.equal(put.status, 201, `PUT on node0: ${await put.text()}`)
    assert.equal(put.headers.get('docker-content-digest'), digest)
    assert.ok(put.headers.get('location')?.startsWith(`${c().url}/v2/`), `blob Location ${put.headers.get('location')}`)

    // Through the LB, three times: round robin sends one GET to each node.
    for (let i = 0; i < NODES; i++) assert.ok((await getBlob(c().url, auth, repo, digest)).equals(whole))
    t.diagnostic(`chunked upload of ${whole.length} bytes: POST node0, PATCH node1, PATCH node2, PUT node0; served by the LB`)
  }))

  it('accepts a token and a console session on every node, whichever node issued it', withLogs(async () => {
    const [n0, n1, n2] = [c().nodes[0]!, c().nodes[1]!, c().nodes[2]!]
    const tok = await fetch(`${n0.url}/service/token?service=berth-registry&scope=repository:library/x:pull,push`, { headers: { authorization: auth } })
    const tokBody = (await tok.json()) as { token?: string }
    assert.equal(tok.status, 200, JSON.stringify(tokBody))
    assert.ok(typeof tokBody.token === 'string')
    for (const node of [n1, n2, n0]) {
      const res = await fetch(`${node.url}/v2/library/x/tags/list`, { headers: { authorization: `Bearer ${tokBody.token}` } })
      const body = await res.text()
      assert.ok(res.status === 200 || (res.status === 404 && body.includes('NAME_UNKNOWN')), `Bearer from node0 on ${node.url}: ${res.status} ${body}`)
    }
    // A made-up token is refused, so the 200/404 above is the token's doing.
    const forged = await fetch(`${n1.url}/v2/library/x/tags/list`, { headers: { authorization: `Bearer ${tokBody.token!.slice(0, -4)}AAAA` } })
    await forged.arrayBuffer()
    assert.equal(forged.status, 401)

    const login = await fetch(`${n1.url}/c/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ principal: 'admin', password: c().creds.slice('admin:'.length) }).toString(),
    })
    assert.equal(login.status, 200, await login.text())
    const csrf = login.headers.get('x-harbor-csrf-token')
    assert.ok(csrf)
    const cookie = login.headers
      .getSetCookie()
      .map((s) => s.split(';')[0]!)
      .join('; ')
    assert.match(cookie, /(^|; )sid=/)
    for (const node of [n0, n2]) {
      const res = await fetch(`${node.url}/api/v2.0/users/current`, { headers: { cookie } })
      const body = await res.text()
      assert.equal(res.status, 200, `session from node1 on ${node.url}: ${body}`)
      assert.equal((JSON.parse(body) as { username: string }).username, 'admin')
    }
    const project = `cluster-csrf-${randomBytes(3).toString('hex')}`
    const create = (headers: Record<string, string>) =>
      fetch(`${n2.url}/api/v2.0/projects`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ project_name: project }),
      })
    const without = await create({})
    assert.equal(without.status, 403, `POST without the CSRF token: ${await without.text()}`)
    const withToken = await create({ 'x-harbor-csrf-token': csrf })
    assert.equal(withToken.status, 201, `POST with node1's CSRF token on node2: ${await withToken.text()}`)
    const seen = await fetch(`${n0.url}/api/v2.0/projects/${project}`, { headers: { authorization: auth } })
    assert.equal(seen.status, 200, await seen.text())
  }))

  it(
    'refuses a changed password on every node within moments (Redis pub/sub), not after the 30 s cache',
    withLogs(async () => {
      const [n0, n1, n2] = [c().nodes[0]!, c().nodes[1]!, c().nodes[2]!]
      const username = `cluster-pw-${randomBytes(3).toString('hex')}`
      const basic = (password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`
      const created = await fetch(`${n0.url}/api/v2.0/users`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify({ username, password: 'Old-Passw0rd', email: `${username}@berth.test`, realname: username }),
      })
      assert.equal(created.status, 201, await created.text())
      const users = (await (await fetch(`${n0.url}/api/v2.0/users`, { headers: { authorization: auth } })).json()) as { user_id: number; username: string }[]
      const id = users.find((u) => u.username === username)?.user_id
      assert.ok(id !== undefined)
      const v2 = async (node: { url: string }, password: string) => {
        const res = await fetch(`${node.url}/v2/`, { headers: { authorization: basic(password) } })
        await res.arrayBuffer()
        return res.status
      }
      // Every node has checked (and remembered) the old password.
      for (const node of [n0, n1, n2]) assert.equal(await v2(node, 'Old-Passw0rd'), 200)
      const changed = await fetch(`${n0.url}/api/v2.0/users/${id}/password`, {
        method: 'PUT',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify({ new_password: 'New-Passw0rd' }),
      })
      assert.equal(changed.status, 200, await changed.text())
      // The change reaches the other nodes through Redis pub/sub, which the answer does not wait
      // for beyond the publish: allow it a moment (measured: milliseconds), not the cache's 30 s.
      // Each node is asked until it refuses (a refusal counts towards the lockout; 200s do not).
      const deadline = Date.now() + 2_000
      const statuses: number[] = []
      for (const node of [n0, n1, n2]) {
        let status = await v2(node, 'Old-Passw0rd')
        while (status !== 401 && Date.now() < deadline) {
          await sleep(20)
          status = await v2(node, 'Old-Passw0rd')
        }
        statuses.push(status)
      }
      assert.deepEqual(statuses, [401, 401, 401], 'the old password after the change, on node0 (where it was changed), node1, node2')
      // One node after another: with three failures in the window, only two more checks may be in
      // flight at once (checks in flight count towards max_failed_logins across nodes).
      const fresh: number[] = []
      for (const node of [n0, n1, n2]) fresh.push(await v2(node, 'New-Passw0rd'))
      assert.deepEqual(fresh, [200, 200, 200])
    }),
  )

  it('takes the same layer pushed at once through every node, and one tag raced by three manifests', withLogs(async (t) => {
    const layer = randomBytes(1536 * KiB)
    const digest = sha256(layer)
    const repos = ['library/same-a', 'library/same-b', 'library/same-c']
    // 3 nodes x 3 repositories, all at once: the same bytes land on the same path in shared storage.
    const posts = await Promise.all(
      c().nodes.flatMap((node) =>
        repos.map(async (repo) => {
          const res = await fetch(`${node.url}/v2/${repo}/blobs/uploads/?digest=${digest}`, { method: 'POST', headers: { authorization: auth }, body: layer })
          return `${res.status}${res.status === 201 ? '' : ` ${await res.text()}`}`
        }),
      ),
    )
    assert.deepEqual(posts, posts.map(() => '201'))
    // Three manifests for one tag, one per node, at once: all accepted, and afterwards every node
    // names the same one (whichever won).
    const images = c().nodes.map((_, i) => {
      const img = randomImage(repos[0]!, 'latest', [])
      const manifest = JSON.parse(img.manifest.toString('utf8')) as { layers: unknown[] }
      manifest.layers = [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest, size: layer.length, annotations: { node: String(i) } }]
      const bytes = Buffer.from(JSON.stringify(manifest))
      return { ...img, blobs: [...img.blobs, { digest, bytes: layer }], manifest: bytes, manifestDigest: sha256(bytes) }
    })
    for (const img of images) {
      const res = await fetch(`${c().url}/v2/${img.repo}/blobs/uploads/?digest=${img.blobs[0]!.digest}`, { method: 'POST', headers: { authorization: auth }, body: img.blobs[0]!.bytes })
      assert.equal(res.status, 201, await res.text())
    }
    const puts = await Promise.all(
      images.map(async (img, i) => {
        const res = await fetch(`${c().nodes[i]!.url}/v2/${img.repo}/manifests/latest`, {
          method: 'PUT',
          headers: { authorization: auth, 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
          body: img.manifest,
        })
        return `${res.status}${res.status === 201 ? '' : ` ${await res.text()}`}`
      }),
    )
    assert.deepEqual(puts, ['201', '201', '201'])
    const served = await Promise.all(c().nodes.map(async (node) => (await getManifest(node.url, auth, repos[0]!, 'latest')).res.headers.get('docker-content-digest')))
    assert.equal(new Set(served).size, 1, `nodes disagree on library/same-a:latest: ${served.join(', ')}`)
    const winner = images.find((img) => img.manifestDigest === served[0])
    assert.ok(winner, `latest names none of the pushed manifests: ${served[0]}`)
    for (const node of c().nodes) await assertPullable(node.url, auth, winner)
    // The losers are still there by digest (a tag moved; nothing was deleted).
    for (const img of images) assert.equal((await getManifest(c().url, auth, img.repo, img.manifestDigest)).res.status, 200)
    t.diagnostic(`same layer pushed 9 times at once: all 201; tag raced by 3 manifests: every node serves ${served[0]}`)
  }))

  /**
   * Pushes `images` through the load balancer, `parallel` at a time; `onAck(n)` runs after the
   * n-th acknowledged push (to inject a fault). Outcomes and failure times (ms after t0) by index.
   */
  async function pushBatch(images: RawImage[], parallel: number, t0: number, onAck: (acks: number) => void | Promise<void>) {
    const outcomes = new Map<number, PushOutcome>()
    const failedAt = new Map<number, number>()
    let acks = 0
    let next = 0
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (next < images.length) {
          const i = next++
          const outcome = await pushRaw(c().url, auth, images[i]!)
          outcomes.set(i, outcome)
          if (!outcome.ok) failedAt.set(i, Date.now() - t0)
          if (outcome.ok) await onAck(++acks)
        }
      }),
    )
    return { outcomes, failedAt }
  }

  /**
   * After a faulty batch: nothing half-visible, every push that was not acknowledged succeeds on
   * a retry, every push is pullable whole (lost = acknowledged and not pullable: must be 0), and
   * storage holds no blob whose bytes do not match its name or the database's size.
   */
  async function checkBatch(t: TestContext, images: RawImage[], outcomes: Map<number, PushOutcome>) {
    const acknowledged = [...outcomes].filter(([, o]) => o.ok).map(([i]) => i)
    const failed = [...outcomes].filter(([, o]) => !o.ok) as [number, Extract<PushOutcome, { ok: false }>][]
    for (const [i, o] of failed) t.diagnostic(`push ${i} not acknowledged: ${o.step}: ${o.detail}`)

    // Nothing half-visible: every blob or manifest of the batch the registry answers 200 to is whole.
    let visibleChecked = 0
    for (const img of images) {
      for (const b of img.blobs) {
        const res = await fetch(`${c().url}/v2/${img.repo}/blobs/${b.digest}`, { headers: { authorization: auth } })
        const bytes = Buffer.from(await res.arrayBuffer())
        if (res.status === 200) {
          visibleChecked++
          assert.equal(sha256(bytes), b.digest, `blob ${b.digest} is served with other bytes`)
        } else assert.equal(res.status, 404, `GET blob ${b.digest}: ${res.status} ${bytes.toString('utf8')}`)
      }
      const m = await getManifest(c().url, auth, img.repo, img.manifestDigest)
      if (m.res.status === 200) assert.equal(sha256(m.bytes), img.manifestDigest)
      else assert.equal(m.res.status, 404, `GET manifest ${img.manifestDigest}: ${m.res.status} ${m.bytes.toString('utf8')}`)
    }

    // Every push that was not acknowledged goes through on a retry.
    for (const [i] of failed) {
      const again = await pushRaw(c().url, auth, images[i]!)
      assert.ok(again.ok, `retry of push ${i}: ${JSON.stringify(again)}`)
    }

    // Every push, acknowledged the first time or on the retry, is there whole: nothing lost.
    let lost = 0
    for (const [i, img] of images.entries()) {
      try {
        await assertPullable(c().url, auth, img)
      } catch (e) {
        if (acknowledged.includes(i)) lost++
        throw e
      }
    }

    // In storage: no file under blobs/ whose bytes do not hash to its name, and every blob the
    // database knows has its file, of the recorded size.
    const files = storage === 's3' ? await scanBucket(s3!) : scanStorage(c().storageRoot)
    const corrupt = [...files].filter(([name, f]) => name !== f.actual)
    assert.deepEqual(corrupt, [], 'files under blobs/ whose content does not match their name')
    const db = new pg.Client({ connectionString: c().database.url })
    await db.connect()
    let blobRowsChecked = 0
    try {
      const rows = (await db.query<{ digest: string; size: string }>('select digest, size from blobs')).rows
      for (const r of rows) {
        const f = files.get(r.digest)
        assert.ok(f !== undefined, `blob ${r.digest} is in the database but not in storage`)
        assert.equal(f.size, Number(r.size), `size of ${r.digest}`)
      }
      blobRowsChecked = rows.length
    } finally {
      await db.end()
    }
    return {
      attempted: images.length,
      acknowledged: acknowledged.length,
      notAcknowledged: failed.length,
      lost,
      retried: failed.length,
      retriedOk: failed.length,
      servedBlobsChecked: visibleChecked,
      storageFilesChecked: files.size,
      blobRowsChecked,
      failures: failed.map(([i, o]) => `${i}: ${o.step}: ${o.detail}`),
    }
  }

  it('loses no acknowledged push when a node is killed (kill -9) in the middle of a batch', withLogs(async (t) => {
    const TOTAL = 48
    const PARALLEL = 6
    const KILL_AFTER_ACKS = 6
    const VICTIM = 1
    const images = Array.from({ length: TOTAL }, (_, i) => randomImage(`library/fault-${i % 4}`, `p${i}`, [512 * KiB + i, 1536 * KiB + i]))
    let killedAt = -1
    const logStart = c().lb.logs().length
    const t0 = Date.now()
    // When HAProxy takes the dead node out of the rotation (polled every 50 ms, for 20 s at most).
    let downAt = -1
    const watcher = (async () => {
      while (downAt < 0 && Date.now() - t0 < 20_000) {
        const s = await c().lb.servers().catch(() => [])
        if (killedAt >= 0 && s[VICTIM]?.status.startsWith('DOWN') === true) downAt = Date.now() - t0
        await sleep(50)
      }
    })()
    const { outcomes, failedAt } = await pushBatch(images, PARALLEL, t0, (acks) => {
      if (acks !== KILL_AFTER_ACKS) return
      killedAt = Date.now() - t0
      c().kill(VICTIM)
    })
    const batchMs = Date.now() - t0
    assert.ok(killedAt >= 0, 'the node was killed during the batch')
    // HAProxy notices (2 failed checks 500 ms apart); from then on the cluster runs on two nodes.
    await watcher
    assert.ok(downAt >= 0, `haproxy never marked node${VICTIM} DOWN: ${JSON.stringify(await c().lb.servers())}`)
    const batchLog = failuresInHaproxyLog(c().lb.logs().slice(logStart))
    // Pushes that failed before the node was marked DOWN and after (after: none expected).
    const failedAfterDown = [...failedAt].filter(([, at]) => at > downAt).length
    const checked = await checkBatch(t, images, outcomes)
    const fault = { ...checked, killedAfterAcks: KILL_AFTER_ACKS, killedAtMs: killedAt, markedDownAtMs: downAt, batchMs, failedAfterDown, haproxy: batchLog }
    figures.faultInjection = fault
    t.diagnostic(`fault injection: ${JSON.stringify(fault)}`)
    pushed.push(...images)

    // Back to three nodes (same data dir) for the next tests.
    await c().restartNode(VICTIM)
  }))

  it('loses no acknowledged push when Redis is stopped in the middle of a batch, and uses it again once restarted', withLogs(async (t) => {
    const TOTAL = 24
    const PARALLEL = 6
    const STOP_AFTER_ACKS = 4
    const RESTART_AFTER_ACKS = 14
    const images = Array.from({ length: TOTAL }, (_, i) => randomImage(`library/redis-fault-${i % 3}`, `r${i}`, [256 * KiB + i, 768 * KiB + i]))
    const t0 = Date.now()
    const events: Record<string, number> = {}
    const { outcomes } = await pushBatch(images, PARALLEL, t0, async (acks) => {
      if (acks === STOP_AFTER_ACKS) {
        events.redisStoppedAtMs = Date.now() - t0
        await redis!.stop()
      } else if (acks === RESTART_AFTER_ACKS) {
        events.redisRestartedAtMs = Date.now() - t0
        await redis!.start()
      }
    })
    const batchMs = Date.now() - t0
    assert.ok(events.redisRestartedAtMs !== undefined, 'Redis was stopped and restarted during the batch')
    const checked = await checkBatch(t, images, outcomes)

    // Every node finds Redis again by itself and says so in its health.
    const until = Date.now() + 20_000
    for (const node of c().nodes) {
      for (;;) {
        const h = (await (await fetch(`${node.url}/api/v2.0/health`)).json()) as { components: { name: string; status: string }[] }
        if (h.components.find((x) => x.name === 'redis')?.status === 'healthy') break
        assert.ok(Date.now() < until, `node ${node.url} does not report Redis healthy again: ${JSON.stringify(h)}`)
        await sleep(100)
      }
    }
    events.allHealthyAtMs = Date.now() - t0
    // And the shared cache is coherent again: a tag moved through one node is served moved by every node.
    const first = images[0]!
    for (const node of c().nodes) assert.equal((await getManifest(node.url, auth, first.repo, first.tag)).res.status, 200)
    const moved = randomImage(first.repo, first.tag, [64 * KiB])
    assert.ok((await pushRaw(c().nodes[0]!.url, auth, moved)).ok)
    for (const node of c().nodes) {
      const { res, bytes } = await getManifest(node.url, auth, moved.repo, moved.tag)
      assert.equal(res.status, 200)
      assert.equal(sha256(bytes), moved.manifestDigest, `${node.url} serves the moved tag`)
    }
    const fault = { ...checked, stoppedAfterAcks: STOP_AFTER_ACKS, restartedAfterAcks: RESTART_AFTER_ACKS, batchMs, ...events }
    figures.redisFault = fault
    t.diagnostic(`redis fault: ${JSON.stringify(fault)}`)
    pushed.push(...images.slice(1))
  }))

  it('serves at once from a node restarted on an empty data dir', withLogs(async (t) => {
    const I = 2
    const t0 = Date.now()
    const node = await c().restartNode(I, { emptyDisk: true })
    const restartMs = Date.now() - t0
    assert.notEqual(node.dataDir, undefined)
    // Earlier images, pulled from that node directly.
    assert.ok(single)
    await assertFixturePullable(node.url, auth, single.repo, single.tag, single.src, single.img)
    for (const img of pushed.slice(0, 4)) await assertPullable(node.url, auth, img)
    // A push through it, then pulled from every node.
    const img = randomImage('library/fresh-node', 'v1', [300 * KiB])
    const outcome = await pushRaw(node.url, auth, img)
    assert.ok(outcome.ok, JSON.stringify(outcome))
    for (const other of c().nodes) await assertPullable(other.url, auth, img)
    await assertPullable(c().url, auth, img)
    const timing = c().lastRestart
    figures.emptyDiskRestart = { totalMs: restartMs, ...timing }
    t.diagnostic(`node${I} restarted on an empty data dir in ${restartMs} ms: ${JSON.stringify(timing)} (stop includes the 2 s drain)`)
  }))

  it('keeps serving pulls through a rolling restart', withLogs(async (t) => {
    const img = pushed[0] ?? randomImage('library/rolling', 'v1', [512 * KiB])
    if (pushed.length === 0) assert.ok((await pushRaw(c().url, auth, img)).ok)
    const layer = img.blobs[img.blobs.length - 1]!

    /** Pull loop: manifest by tag, then its biggest layer, checked; counts and the reason of each failure. */
    const loop = (stop: () => boolean) => {
      const stats = { ok: 0, failed: 0, reasons: [] as string[] }
      const worker = async () => {
        while (!stop()) {
          try {
            const m = await getManifest(c().url, auth, img.repo, img.tag)
            if (m.res.status !== 200) throw new Error(`manifest ${m.res.status} ${m.bytes.toString('utf8').slice(0, 200)}`)
            if (sha256(m.bytes) !== img.manifestDigest) throw new Error('manifest digest')
            const res = await fetch(`${c().url}/v2/${img.repo}/blobs/${layer.digest}`, { headers: { authorization: auth }, signal: AbortSignal.timeout(10_000) })
            const bytes = Buffer.from(await res.arrayBuffer())
            if (res.status !== 200) throw new Error(`blob ${res.status} ${bytes.toString('utf8').slice(0, 200)}`)
            if (sha256(bytes) !== layer.digest) throw new Error('blob digest')
            stats.ok++
          } catch (e) {
            stats.failed++
            stats.reasons.push(String((e as Error).cause ?? (e as Error).message))
          }
        }
      }
      return { stats, done: Promise.all([worker(), worker(), worker()]) }
    }

    const phases: Record<string, unknown> = {}
    for (const drain of [false, true]) {
      let stopping = false
      const { stats, done } = loop(() => stopping)
      const logStart = c().lb.logs().length
      const t0 = Date.now()
      const restarts = []
      try {
        for (let i = 0; i < NODES; i++) {
          await c().restartNode(i, { drain })
          restarts.push(c().lastRestart)
        }
      } finally {
        // Also when a restart fails: the pull loop must end, or the test process never exits.
        stopping = true
        await done
      }
      const ms = Date.now() - t0
      const reasons = [...new Set(stats.reasons)]
      const phase = { pulls: stats.ok + stats.failed, failed: stats.failed, ms, restarts, reasons, haproxy: failuresInHaproxyLog(c().lb.logs().slice(logStart)) }
      phases[drain ? 'drainFirst' : 'healthChecksOnly'] = phase
      t.diagnostic(`rolling restart (${drain ? 'drain, then stop' : 'stop; health checks only'}): ${JSON.stringify(phase)}`)
      assert.ok(stats.ok > 0, 'the pull loop ran')
      // Without help from the operator: on SIGTERM a node answers /readyz 503 for 2 s before it
      // stops listening, so haproxy (2 failed checks 500 ms apart) has moved away before then.
      // Drained first (haproxy `drain`), no new request reaches a stopping node at all.
      assert.equal(stats.failed, 0, `failed pulls (${drain ? 'drain first' : 'health checks only'}): ${reasons.join(' | ')}`)
    }
    figures.rollingRestart = phases
    // Everything from before is still there after all three nodes were replaced.
    await assertPullable(c().url, auth, img)
  }))
})
}

clusterSuite('folder')
clusterSuite('s3')

