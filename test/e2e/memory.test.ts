// End-to-end: a 2 GiB blob goes through Berth (chunked push, streamed pull) while the server's RSS stays bounded.
import assert from 'node:assert/strict'
import { createCipheriv, createHash, type Hash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { once } from 'node:events'
import { request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { after, before, describe, it } from 'node:test'
import { startBerth, withServerLogs, type BerthProcess } from '../support/berth-process.js'

const MiB = 1024 * 1024
const totalBytes = 2 * 1024 * MiB
const chunkBytes = 256 * MiB
const blockBytes = MiB
const rssLimitBytes = 250 * 1000 * 1000 // 250 MB
const repo = 'library/e2e/memory'

/**
 * The blob's bytes: AES-128-CTR keystream from a fixed key, made 1 MiB at a time. Deterministic,
 * incompressible, and never held whole: a consumer pulls `length` bytes, block by block.
 */
class BlobSource {
  private readonly cipher = createCipheriv('aes-128-ctr', createHash('sha256').update('berth-memory-e2e').digest().subarray(0, 16), Buffer.alloc(16))
  private readonly zeros = Buffer.alloc(blockBytes)
  readonly hash: Hash = createHash('sha256')
  produced = 0

  /** The next `length` bytes, hashed as they are handed out. */
  async *take(length: number): AsyncGenerator<Buffer> {
    for (let left = length; left > 0; ) {
      const n = Math.min(left, blockBytes)
      const block = this.cipher.update(n === blockBytes ? this.zeros : this.zeros.subarray(0, n))
      this.hash.update(block)
      this.produced += n
      left -= n
      yield block
    }
  }
}

type Reply = { status: number; headers: IncomingHttpHeaders; res: IncomingMessage }

/** One HTTP request with a streamed body (or none); resolves when the response head arrives and the body is sent. */
async function send(method: string, url: URL, headers: Record<string, string>, body?: AsyncIterable<Buffer>): Promise<Reply> {
  const req = request(url, { method, headers })
  const response = once(req, 'response') as Promise<[IncomingMessage]>
  // A server that refuses early may close the socket mid-body: keep the send error as a value so the
  // response it gave (e.g. 413 with an error body) is what the test reports.
  const sent: Promise<unknown> =
    body === undefined ? (req.end(), Promise.resolve(null)) : pipeline(Readable.from(body), req).then(() => null, (e: unknown) => e)
  const [res] = await response
  const sendError = await sent
  const status = res.statusCode ?? 0
  if (sendError !== null && status < 300) throw sendError
  return { status, headers: res.headers, res }
}

async function text(res: IncomingMessage): Promise<string> {
  let s = ''
  res.setEncoding('utf8')
  for await (const chunk of res) s += chunk as string
  return s
}

function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name]
  return Array.isArray(v) ? v[0] : v
}

type MemorySample = { rss: number; hwm: number }

/** VmRSS and VmHWM of `pid` in bytes, from /proc/<pid>/status; null once the process is gone. */
function readMemory(pid: number): MemorySample | null {
  let status: string
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8')
  } catch {
    return null
  }
  const kib = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)
    return m?.[1] === undefined ? 0 : Number(m[1]) * 1024
  }
  return { rss: kib('VmRSS'), hwm: kib('VmHWM') }
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(1)

// RSS is read from /proc: Linux only.
const skip = process.platform === 'linux' ? false : 'needs /proc/<pid>/status (Linux)'

describe('memory: a 2 GiB blob through one Berth process', { skip, timeout: 330_000 }, () => {
  let berth: BerthProcess | undefined
  const server = () => berth

  before(async () => {
    berth = await startBerth()
  })

  after(async () => {
    await berth?.stop()
  })

  it(
    'pushes in 256 MiB PATCH chunks and pulls back the same digest with peak RSS under 250 MB',
    { timeout: 300_000 },
    withServerLogs(server, async () => {
      assert.ok(berth)
      const base = berth.url
      const pid = berth.pid
      const auth = { Authorization: berth.authorization }
      const startRss = readMemory(pid)
      assert.ok(startRss, `/proc/${pid}/status is readable`)

      let peakRss = startRss.rss
      const sampler = setInterval(() => {
        const m = readMemory(pid)
        if (m !== null && m.rss > peakRss) peakRss = m.rss
      }, 100)
      try {
        // Push: POST opens an upload, each PATCH appends one chunk, PUT ?digest= commits.
        const t0 = performance.now()
        const opened = await send('POST', new URL(`/v2/${repo}/blobs/uploads/`, base), { ...auth, 'Content-Length': '0' })
        const openedBody = await text(opened.res)
        assert.equal(opened.status, 202, `POST blobs/uploads/: ${openedBody}`)
        let location = header(opened.headers, 'location')
        assert.ok(location, 'POST blobs/uploads/ answers a Location')

        const source = new BlobSource()
        for (let start = 0; start < totalBytes; start += chunkBytes) {
          const end = Math.min(start + chunkBytes, totalBytes) - 1
          const patched = await send(
            'PATCH',
            new URL(location, base),
            {
              ...auth,
              'Content-Type': 'application/octet-stream',
              'Content-Length': String(end - start + 1),
              'Content-Range': `${start}-${end}`,
            },
            source.take(end - start + 1),
          )
          const patchedBody = await text(patched.res)
          assert.equal(patched.status, 202, `PATCH ${start}-${end}: ${patchedBody}`)
          assert.equal(header(patched.headers, 'range'), `0-${end}`, `Range after PATCH ${start}-${end}`)
          location = header(patched.headers, 'location')
          assert.ok(location, `PATCH ${start}-${end} answers a Location`)
        }
        assert.equal(source.produced, totalBytes)
        const digest = `sha256:${source.hash.digest('hex')}`

        const commitUrl = new URL(location, base)
        commitUrl.searchParams.set('digest', digest)
        const committed = await send('PUT', commitUrl, { ...auth, 'Content-Length': '0' })
        const committedBody = await text(committed.res)
        assert.equal(committed.status, 201, `PUT ?digest=: ${committedBody}`)
        assert.ok(header(committed.headers, 'location'), 'PUT ?digest= answers a Location')
        const answered = header(committed.headers, 'docker-content-digest')
        if (answered !== undefined) assert.equal(answered, digest)
        const pushSeconds = (performance.now() - t0) / 1000

        const head = await send('HEAD', new URL(`/v2/${repo}/blobs/${digest}`, base), auth)
        head.res.resume()
        assert.equal(head.status, 200)
        assert.equal(header(head.headers, 'content-length'), String(totalBytes))

        // Pull: stream the blob and hash it on the way.
        const t1 = performance.now()
        let got = await send('GET', new URL(`/v2/${repo}/blobs/${digest}`, base), auth)
        const redirect = header(got.headers, 'location')
        if ([301, 302, 303, 307, 308].includes(got.status) && redirect !== undefined) {
          got.res.resume()
          // A redirect to another origin (object storage) must not carry the registry's credentials.
          const target = new URL(redirect, base)
          got = await send('GET', target, target.origin === new URL(base).origin ? auth : {})
        }
        assert.equal(got.status, 200, `GET blob answered ${got.status}`)
        assert.equal(header(got.headers, 'content-length'), String(totalBytes))
        const pulled = createHash('sha256')
        let pulledBytes = 0
        for await (const chunk of got.res) {
          pulled.update(chunk as Buffer)
          pulledBytes += (chunk as Buffer).length
        }
        const pullSeconds = (performance.now() - t1) / 1000
        assert.equal(pulledBytes, totalBytes)
        assert.equal(`sha256:${pulled.digest('hex')}`, digest, 'digest of the pulled blob')

        const end = readMemory(pid)
        assert.ok(end, 'server still running after the pull')
        peakRss = Math.max(peakRss, end.rss)
        const size = totalBytes / 1e6
        console.log(
          `memory e2e: push ${pushSeconds.toFixed(1)} s (${(size / pushSeconds).toFixed(0)} MB/s), ` +
            `pull ${pullSeconds.toFixed(1)} s (${(size / pullSeconds).toFixed(0)} MB/s); server RSS at start ` +
            `${mb(startRss.rss)} MB, peak sampled VmRSS ${mb(peakRss)} MB, VmHWM ${mb(end.hwm)} MB; ` +
            `client maxRSS ${mb(process.resourceUsage().maxRSS * 1024)} MB`,
        )
        assert.ok(peakRss < rssLimitBytes, `peak sampled VmRSS ${mb(peakRss)} MB must stay under ${mb(rssLimitBytes)} MB`)
        assert.ok(end.hwm < rssLimitBytes, `VmHWM ${mb(end.hwm)} MB must stay under ${mb(rssLimitBytes)} MB`)
      } finally {
        clearInterval(sampler)
      }
    }),
  )
})
