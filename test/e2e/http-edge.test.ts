// Behaviour only a real socket shows: errors before the body is read, and clients that vanish.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { startBerth, type BerthProcess } from '../support/berth-process.js'

/** Sends `chunks` with chunked transfer encoding and resolves with the response. */
function chunkedRequest(url: string, method: string, headers: Record<string, string>, chunks: Buffer[]) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = request(url, { method, headers: { ...headers, 'transfer-encoding': 'chunked' } }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (d) => (body += d)).on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }))
    })
    req.on('error', reject)
    const write = (i: number) => {
      if (i === chunks.length) return void req.end()
      if (!req.write(chunks[i])) req.once('drain', () => write(i + 1))
      else setImmediate(() => write(i + 1))
    }
    write(0)
  })
}

describe('HTTP edge over a real socket', () => {
  let server: BerthProcess
  let auth: Record<string, string>
  before(async () => {
    server = await startBerth({ env: { BERTH_REGISTRY_MAX_MANIFEST_BYTES: '4096' } })
    auth = { authorization: server.authorization }
  })
  after(() => server?.stop())

  it('a streamed manifest over the limit is answered 413, not a reset connection', async () => {
    const big = Buffer.from(JSON.stringify({ schemaVersion: 2, pad: 'x'.repeat(64 * 1024) }))
    const chunks = Array.from({ length: Math.ceil(big.length / 1024) }, (_, i) => big.subarray(i * 1024, (i + 1) * 1024))
    const res = await chunkedRequest(`${server.url}/v2/library/edge/manifests/big`, 'PUT', { ...auth, 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, chunks)
    assert.equal(res.status, 413)
    assert.equal(JSON.parse(res.body).errors[0].code, 'MANIFEST_INVALID')
    const after = await fetch(`${server.url}/v2/library/edge/manifests/big`, { headers: auth })
    assert.equal(after.status, 404)
  })

  it('a client that disconnects mid-chunk leaves the upload at its previous offset', async () => {
    const post = await fetch(`${server.url}/v2/library/edge/blobs/uploads/`, { method: 'POST', headers: auth })
    const location = new URL(post.headers.get('location')!, server.url).toString()
    const first = randomBytes(1000)
    assert.equal((await fetch(location, { method: 'PATCH', body: first, headers: { ...auth, 'content-range': '0-999' } })).status, 202)
    await new Promise<void>((resolve) => {
      const req = request(location, { method: 'PATCH', headers: { ...auth, 'content-range': '1000-1999999', 'content-length': '1999000' } })
      req.on('error', () => resolve())
      req.write(randomBytes(500_000), () => setTimeout(() => {
        req.destroy()
        resolve()
      }, 200))
    })
    // The server notices the disconnect and undoes the partial chunk.
    let range: string | null = null
    for (let i = 0; i < 50; i++) {
      const status = await fetch(location, { headers: auth })
      assert.equal(status.status, 204)
      range = status.headers.get('range')
      if (range === '0-999') break
      await sleep(50)
    }
    assert.equal(range, '0-999')
    const rest = randomBytes(10)
    assert.equal((await fetch(location, { method: 'PATCH', body: rest, headers: { ...auth, 'content-range': '1000-1009' } })).status, 202)
  })
})
