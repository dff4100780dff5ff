// Crash safety: a server killed with SIGKILL mid-upload restarts with no partial blob visible,
// and a chunked upload resumes from its last acknowledged chunk.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { startBerth, type BerthProcess } from '../support/berth-process.js'

const MiB = 1 << 20
const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`

/** Starts a request that sends `sent` of a body declared as `length` bytes, then stalls. */
function stalledUpload(url: string, method: string, headers: Record<string, string>, length: number, sent: Buffer) {
  const req = request(url, { method, headers: { ...headers, 'content-length': String(length) } })
  const done = new Promise<void>((resolve) => {
    req.on('error', () => resolve())
    req.on('response', (res) => {
      res.resume()
      resolve()
    })
  })
  req.write(sent)
  return done
}

async function uploadFiles(dataDir: string): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  const dir = join(dataDir, 'storage', 'uploads')
  for (const id of await readdir(dir).catch(() => [] as string[])) {
    const s = await stat(join(dir, id, 'data')).catch(() => null)
    if (s !== null) out.set(id, s.size)
  }
  return out
}

async function waitFor(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

describe('crash safety (SIGKILL mid-upload)', () => {
  let dataDir: string
  let server: BerthProcess | undefined
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'berth-crash-'))
  })
  after(async () => {
    await server?.stop()
    await rm(dataDir, { recursive: true, force: true })
  })

  it('leaves no partial blob and resumes chunked uploads from the acknowledged offset', async () => {
    server = await startBerth({ dataDir })
    // The admin's password is the same after the restart: it is set on the data dir's first start.
    const auth = { authorization: server.authorization }
    const chunk1 = randomBytes(MiB)
    const chunk2 = randomBytes(MiB)
    const whole = Buffer.concat([chunk1, chunk2])
    const mono = randomBytes(4 * MiB)

    // A chunked upload with one acknowledged chunk.
    const post = await fetch(`${server.url}/v2/library/crash/blobs/uploads/`, { method: 'POST', headers: auth })
    assert.equal(post.status, 202)
    const uploadPath = post.headers.get('location')!
    let location = new URL(uploadPath, server.url).toString()
    const id = post.headers.get('docker-upload-uuid')!
    const patch1 = await fetch(location, { method: 'PATCH', body: chunk1, headers: { ...auth, 'content-range': `0-${MiB - 1}`, 'content-type': 'application/octet-stream' } })
    assert.equal(patch1.status, 202)

    // The second chunk and a monolithic push are half sent when the server dies.
    const stalled = [
      stalledUpload(location, 'PATCH', { ...auth, 'content-range': `${MiB}-${2 * MiB - 1}` }, MiB, chunk2.subarray(0, MiB / 2)),
      stalledUpload(`${server.url}/v2/library/crash/blobs/uploads/?digest=${sha256(mono)}`, 'POST', auth, mono.length, mono.subarray(0, 2 * MiB)),
    ]
    await waitFor('both partial uploads to reach storage', async () => {
      const files = await uploadFiles(dataDir)
      return (files.get(id) ?? 0) > MiB && [...files.entries()].some(([k, v]) => k !== id && v > 0)
    })
    process.kill(server.pid, 'SIGKILL')
    await Promise.all(stalled)
    await server.stop()

    server = await startBerth({ dataDir })
    location = new URL(uploadPath, server.url).toString()
    // The half-sent monolithic blob is not visible.
    const head = await fetch(`${server.url}/v2/library/crash/blobs/${sha256(mono)}`, { method: 'HEAD', headers: auth })
    assert.equal(head.status, 404)
    const hex = sha256(mono).slice(7)
    await assert.rejects(stat(join(dataDir, 'storage', 'blobs', 'sha256', hex.slice(0, 2), hex)))

    // The chunked upload reports only its acknowledged chunk, and resumes from there.
    const status = await fetch(location, { headers: auth })
    assert.equal(status.status, 204)
    assert.equal(status.headers.get('range'), `0-${MiB - 1}`)
    const patch2 = await fetch(location, { method: 'PATCH', body: chunk2, headers: { ...auth, 'content-range': `${MiB}-${2 * MiB - 1}` } })
    assert.equal(patch2.status, 202)
    assert.equal(patch2.headers.get('range'), `0-${2 * MiB - 1}`)
    const put = await fetch(`${location}?digest=${sha256(whole)}`, { method: 'PUT', headers: auth })
    assert.equal(put.status, 201)
    const got = Buffer.from(await (await fetch(`${server.url}/v2/library/crash/blobs/${sha256(whole)}`, { headers: auth })).arrayBuffer())
    assert.equal(sha256(got), sha256(whole))
  })
})
