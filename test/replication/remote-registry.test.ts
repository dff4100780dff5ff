// RemoteRegistry against real registries: the CNCF distribution registry (anonymous, and htpasswd
// Basic auth), a Berth server (Bearer tokens), scripted HTTP servers for throttling, retries and
// redirects; and the outbound guard's rules, also on resolved addresses.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createServer as createHttpsServer } from 'node:https'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { isBerthError, type ErrorCode } from '../../src/lib/errors.js'
import type { ManifestDoc } from '../../src/remote/endpoint.js'
import { OutboundGuard } from '../../src/remote/outbound-guard.js'
import { RemoteRegistry, type RemoteRegistryOptions } from '../../src/remote/remote-registry.js'
import { missingTools, startBerth, type BerthProcess } from '../support/berth-process.js'
import { startDistributionRegistry, type DistributionRegistry } from '../support/distribution-registry.js'
import { selfSignedCertificate } from '../support/tls.js'

const KiB = 1024
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
const EMPTY_CONFIG = 'application/vnd.oci.empty.v1+json'
const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`
const randomDigest = () => sha256(randomBytes(32))
const fromBuffer = (b: Buffer) => async (offset: number) => Readable.from([b.subarray(offset)])
const TEST = { timeout: 60_000 }

async function readAll(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of s) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

type Image = { config: Buffer; layer: Buffer; manifest: ManifestDoc }

function descriptor(mediaType: string, b: Buffer) {
  return { mediaType, digest: sha256(b), size: b.length }
}

function manifestDoc(doc: object): ManifestDoc {
  const body = Buffer.from(JSON.stringify(doc))
  return { digest: sha256(body), mediaType: OCI_MANIFEST, body }
}

/** A config blob, one layer of random bytes and the OCI manifest over them. */
function image(layerBytes = 50 * KiB): Image {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', nonce: randomBytes(8).toString('hex') }))
  const layer = randomBytes(layerBytes)
  const manifest = manifestDoc({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: descriptor('application/vnd.oci.image.config.v1+json', config),
    layers: [descriptor('application/vnd.oci.image.layer.v1.tar', layer)],
  })
  return { config, layer, manifest }
}

async function pushImage(reg: RemoteRegistry, repo: string, ref: string, img: Image, path?: string[]): Promise<void> {
  for (const b of [img.config, img.layer]) await reg.pushBlob(repo, sha256(b), b.length, fromBuffer(b))
  await reg.putManifest(repo, ref, img.manifest, path === undefined ? {} : { path })
}

/** Reads an image back and checks every byte and digest. */
async function assertImage(reg: RemoteRegistry, repo: string, tag: string, img: Image): Promise<void> {
  const byTag = await reg.manifest(repo, tag)
  assert.ok(byTag !== null, `${repo}:${tag} is there`)
  assert.deepEqual(byTag, img.manifest)
  assert.deepEqual(await reg.manifest(repo, img.manifest.digest), img.manifest)
  assert.equal(await reg.manifestDigest(repo, tag), img.manifest.digest)
  assert.equal(await reg.manifestDigest(repo, img.manifest.digest), img.manifest.digest)
  for (const b of [img.config, img.layer]) {
    assert.equal(await reg.hasBlob(repo, sha256(b)), true)
    const { stream, size } = await reg.openBlob(repo, sha256(b))
    assert.equal(size, b.length)
    assert.ok((await readAll(stream)).equals(b), 'blob bytes round-trip')
  }
}

async function assertRejects(p: Promise<unknown>, code: ErrorCode, message: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isBerthError(err), `a BerthError, got ${String(err)}`)
    assert.equal(err.code, code, err.message)
    assert.match(err.message, message)
    return true
  })
}

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = []
  for await (const x of it) out.push(x)
  return out
}

/** A source whose first stream fails after `failAfter` bytes; records every offset it is opened at. */
function failingOnce(b: Buffer, failAfter: number): { open: (offset: number) => Promise<Readable>; opens: number[] } {
  const opens: number[] = []
  const open = async (offset: number) => {
    opens.push(offset)
    if (opens.length > 1) return Readable.from([b.subarray(offset)])
    return Readable.from(
      (async function* () {
        for (let at = offset; at < b.length; at += 16 * KiB) {
          if (at >= failAfter) throw new Error('source broke')
          yield b.subarray(at, Math.min(at + 16 * KiB, b.length))
          await sleep(5)
        }
      })(),
    )
  }
  return { open, opens }
}

type Handler = (req: IncomingMessage, res: ServerResponse, seen: number) => void

/** An HTTP server on 127.0.0.1 answering with `handler`; `seen` counts earlier requests to the same method and path. */
async function scriptedServer(handler: Handler): Promise<{ url: string; server: Server; requests: IncomingMessage[] }> {
  const requests: IncomingMessage[] = []
  const counts = new Map<string, number>()
  const server = createServer((req, res) => {
    requests.push(req)
    const key = `${req.method} ${req.url}`
    const seen = counts.get(key) ?? 0
    counts.set(key, seen + 1)
    handler(req, res, seen)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, requests }
}

const closeServer = (s: Server) => new Promise<void>((r) => {
  s.closeAllConnections()
  s.close(() => r())
})

describe('RemoteRegistry against the CNCF distribution registry', { skip: missingTools(['docker-registry']), timeout: 180_000 }, () => {
  let dist: DistributionRegistry
  const guard = new OutboundGuard({ allow: [], deny: [] })
  const remote = (o: Partial<RemoteRegistryOptions> = {}) => new RemoteRegistry({ url: dist.url, guard, ...o })

  before(async () => {
    dist = await startDistributionRegistry()
  })
  after(async () => {
    await dist?.destroy()
    await guard.close()
  })

  it('pushes an image and reads it back byte for byte; absent things are null or []', TEST, async () => {
    const reg = remote()
    const img = image()
    await pushImage(reg, 'team/app', 'v1', img)
    await assertImage(reg, 'team/app', 'v1', img)
    assert.deepEqual(await reg.tags('team/app'), ['v1'])
    assert.equal(await reg.manifest('team/app', 'nope'), null)
    assert.equal(await reg.manifestDigest('team/app', 'nope'), null)
    assert.equal(await reg.manifest('team/app', randomDigest()), null)
    assert.equal(await reg.hasBlob('team/app', randomDigest()), false)
    assert.deepEqual(await reg.tags('no/such-repo'), [])
    await assertRejects(reg.openBlob('team/app', randomDigest()), 'BLOB_UNKNOWN', /blob unknown/)
    await reg.ping()
    assert.equal(await reg.instanceId(), null, 'not a Berth peer')
  })

  it('follows Link pagination of the catalog and of tag lists', TEST, async () => {
    const reg = remote({ pageSize: 2 })
    const img = image(1 * KiB)
    const repos = ['page/a', 'page/b', 'page/c', 'page/d', 'page/e']
    for (const r of repos) await pushImage(reg, r, 'v1', img)
    const tags = ['t1', 't2', 't3', 't4', 't5']
    for (const t of tags) await reg.putManifest('page/a', t, img.manifest)
    const listed = await collect(reg.repositories())
    for (const r of repos) assert.ok(listed.includes(r), `${r} listed in ${JSON.stringify(listed)}`)
    assert.deepEqual((await reg.tags('page/a')).sort(), [...tags, 'v1'].sort())
  })

  it('mounts a blob from another repository; a blob it cannot mount is false and its upload cancelled', TEST, async () => {
    const reg = remote()
    const img = image()
    await pushImage(reg, 'mount/from', 'v1', img)
    const layer = sha256(img.layer)
    assert.equal(await reg.hasBlob('mount/to', layer), false)
    assert.equal(await reg.mountBlob('mount/to', layer, 'mount/from'), true)
    assert.equal(await reg.hasBlob('mount/to', layer), true)
    assert.equal(await reg.mountBlob('mount/other', randomDigest(), 'mount/from'), false)
    // No `from`: the distribution registry opens an upload instead (and it is cancelled).
    assert.equal(await reg.mountBlob('mount/third', layer, ''), false)
  })

  it('deletes a manifest by digest (then false); deleting a tag is UNSUPPORTED there', TEST, async () => {
    const reg = remote()
    const img = image(1 * KiB)
    await pushImage(reg, 'del/app', 'v1', img)
    await assertRejects(reg.deleteManifest('del/app', 'v1', { path: ['berth-a'] }), 'UNSUPPORTED', /does not delete tags.*DELETE .*\/v2\/del\/app\/manifests\/v1 answered 400: DIGEST_INVALID/)
    assert.equal(await reg.deleteManifest('del/app', img.manifest.digest, { path: ['berth-a'] }), true)
    assert.equal(await reg.manifest('del/app', img.manifest.digest), null)
    assert.equal(await reg.deleteManifest('del/app', img.manifest.digest), false)
  })

  it('sends a large blob in PATCH chunks, reporting each acknowledged chunk', TEST, async () => {
    const reg = remote({ chunkBytes: 64 * KiB })
    const blob = randomBytes(300 * KiB)
    const acked: number[] = []
    let opens = 0
    await reg.pushBlob('chunks/app', sha256(blob), blob.length, async (offset) => (opens++, Readable.from([blob.subarray(offset)])), { onBytes: (n) => acked.push(n) })
    assert.deepEqual(acked, [64 * KiB, 64 * KiB, 64 * KiB, 64 * KiB, 44 * KiB])
    assert.equal(opens, 1, 'one source stream, sliced into chunks')
    const { stream, size } = await reg.openBlob('chunks/app', sha256(blob))
    assert.equal(size, blob.length)
    assert.equal(sha256(await readAll(stream)), sha256(blob))
    // Pushing it again is a HEAD and nothing else.
    await reg.pushBlob('chunks/app', sha256(blob), blob.length, async () => assert.fail('a blob that is there is not read'))
  })

  it('completes a chunked upload whose source broke in the second chunk (this registry drops the session: it starts over)', TEST, async () => {
    const reg = remote({ chunkBytes: 64 * KiB })
    const blob = randomBytes(300 * KiB)
    const source = failingOnce(blob, 96 * KiB)
    let acked = 0
    await reg.pushBlob('resume/app', sha256(blob), blob.length, source.open, { onBytes: (n) => (acked += n) })
    // distribution 2.8 cancels an upload whose PATCH broke midway ("upload resumed at wrong offset"),
    // so the status GET finds no session and the blob is sent again from a new one.
    assert.deepEqual(source.opens, [0, 0])
    assert.equal(acked, 64 * KiB + blob.length, 'the first chunk and then the whole blob were acknowledged')
    const { stream } = await reg.openBlob('resume/app', sha256(blob))
    assert.equal(sha256(await readAll(stream)), sha256(blob))
  })

  it('resumes a small blob whose single PUT failed', TEST, async () => {
    const reg = remote({ chunkBytes: 64 * KiB })
    const blob = randomBytes(40 * KiB)
    const source = failingOnce(blob, 16 * KiB)
    await reg.pushBlob('resume/small', sha256(blob), blob.length, source.open)
    assert.equal(source.opens.length, 2)
    assert.equal(sha256(await readAll((await reg.openBlob('resume/small', sha256(blob))).stream)), sha256(blob))
  })

  it('reads a blob from an offset: the rest of the bytes, and the whole size', TEST, async () => {
    const reg = remote()
    const img = image(100 * KiB)
    await pushImage(reg, 'range/app', 'v1', img)
    const { stream, size } = await reg.openBlob('range/app', sha256(img.layer), 70_000)
    assert.equal(size, img.layer.length)
    assert.ok((await readAll(stream)).equals(img.layer.subarray(70_000)))
  })

  it('retries a read while the registry is down and comes back', TEST, async () => {
    const reg = remote()
    const img = image(1 * KiB)
    await pushImage(reg, 'restart/app', 'v1', img)
    await dist.stop()
    const read = reg.manifestDigest('restart/app', 'v1')
    await sleep(300)
    await dist.start()
    assert.equal(await read, img.manifest.digest)
  })

  it('limits bandwidth', TEST, async () => {
    const reg = remote({ bandwidthBytesPerSec: 100 * KiB })
    const blob = randomBytes(250 * KiB)
    const started = performance.now()
    await reg.pushBlob('slow/app', sha256(blob), blob.length, fromBuffer(blob))
    // One second's worth passes at once, the other 150 KiB at 100 KiB/s.
    assert.ok(performance.now() - started >= 1300, `took ${performance.now() - started} ms`)
  })

  describe('with htpasswd Basic auth', () => {
    let secured: DistributionRegistry
    const auth = { username: 'replicator', password: 'Repl1cate-me' }
    before(async () => {
      secured = await startDistributionRegistry({ auth })
    })
    after(async () => {
      await secured?.destroy()
    })

    it('pushes and reads back with the credentials', TEST, async () => {
      const reg = new RemoteRegistry({ url: secured.url, guard, ...auth, chunkBytes: 32 * KiB })
      await reg.ping()
      const img = image()
      await pushImage(reg, 'basic/app', 'v1', img)
      await assertImage(reg, 'basic/app', 'v1', img)
      assert.deepEqual(await reg.tags('basic/app'), ['v1'])
      assert.ok((await collect(reg.repositories())).includes('basic/app'))
      assert.equal(await reg.deleteManifest('basic/app', img.manifest.digest), true)
    })

    it('fails with UNAUTHORIZED without the right credentials', TEST, async () => {
      const none = new RemoteRegistry({ url: secured.url, guard })
      await assertRejects(none.tags('basic/app'), 'UNAUTHORIZED', /GET .*\/v2\/basic\/app\/tags\/list answered 401: UNAUTHORIZED/)
      const wrong = new RemoteRegistry({ url: secured.url, guard, username: auth.username, password: 'wrong' })
      await assertRejects(wrong.ping(), 'UNAUTHORIZED', /answered 401/)
    })
  })
})

describe('RemoteRegistry against Berth (Bearer tokens)', { timeout: 120_000 }, () => {
  let berth: BerthProcess
  const guard = new OutboundGuard({ allow: ['127.0.0.1/32'], deny: [] })
  const remote = (o: Partial<RemoteRegistryOptions> = {}) => new RemoteRegistry({ url: berth.url, guard, username: berth.username, password: berth.password, ...o })

  before(async () => {
    berth = await startBerth()
  })
  after(async () => {
    await berth?.stop()
    await guard.close()
  })

  it('pushes (with the replication path header) and pulls an image through the token flow', TEST, async () => {
    const reg = remote({ chunkBytes: 16 * KiB })
    await reg.ping()
    assert.match((await reg.instanceId()) ?? '', /^\S+$/, 'a Berth peer names itself')
    const img = image()
    await pushImage(reg, 'library/remote-app', 'v1', img, ['berth-a', 'berth-b'])
    await assertImage(reg, 'library/remote-app', 'v1', img)
    const { stream, size } = await reg.openBlob('library/remote-app', sha256(img.layer), 1000)
    assert.equal(size, img.layer.length)
    assert.ok((await readAll(stream)).equals(img.layer.subarray(1000)))
    // library is public: an anonymous token reads it, and cannot write.
    const anonymous = new RemoteRegistry({ url: berth.url, guard })
    assert.equal(await anonymous.manifestDigest('library/remote-app', 'v1'), img.manifest.digest)
    await assertRejects(anonymous.putManifest('library/remote-app', 'v2', img.manifest), 'UNAUTHORIZED', /PUT .*\/v2\/library\/remote-app\/manifests\/v2 answered 401/)
  })

  it('lists tags and the catalog page by page, mounts, and deletes tags and manifests', TEST, async () => {
    const reg = remote({ pageSize: 2 })
    const img = image(2 * KiB)
    for (const r of ['library/list-a', 'library/list-b', 'library/list-c']) await pushImage(reg, r, 'v1', img)
    for (const t of ['v2', 'v3']) await reg.putManifest('library/list-a', t, img.manifest)
    assert.deepEqual((await reg.tags('library/list-a')).sort(), ['v1', 'v2', 'v3'])
    assert.deepEqual(await reg.tags('library/nothing-here'), [])
    const repos = await collect(reg.repositories())
    for (const r of ['library/list-a', 'library/list-b', 'library/list-c']) assert.ok(repos.includes(r), `${r} in ${JSON.stringify(repos)}`)
    assert.equal(await reg.mountBlob('library/list-d', sha256(img.layer), 'library/list-a'), true)
    assert.equal(await reg.hasBlob('library/list-d', sha256(img.layer)), true)
    assert.equal(await reg.deleteManifest('library/list-a', 'v3', { path: ['berth-a'] }), true)
    assert.equal(await reg.deleteManifest('library/list-a', 'v3'), false)
    assert.deepEqual((await reg.tags('library/list-a')).sort(), ['v1', 'v2'])
    assert.equal(await reg.deleteManifest('library/list-b', img.manifest.digest), true)
    assert.equal(await reg.manifest('library/list-b', 'v1'), null)
  })

  it('resumes a chunked upload whose source broke in the second chunk from what Berth acknowledged', TEST, async () => {
    const reg = remote({ chunkBytes: 64 * KiB })
    const blob = randomBytes(300 * KiB)
    const source = failingOnce(blob, 96 * KiB)
    let acked = 0
    await reg.pushBlob('library/resumed', sha256(blob), blob.length, source.open, { onBytes: (n) => (acked += n) })
    assert.equal(source.opens.length, 2)
    assert.ok(source.opens[1]! >= 64 * KiB && source.opens[1]! <= 96 * KiB, `reopened at ${source.opens[1]}, not from the start`)
    assert.equal(acked, blob.length, 'no byte acknowledged twice')
    const { stream } = await reg.openBlob('library/resumed', sha256(blob))
    assert.equal(sha256(await readAll(stream)), sha256(blob))
  })

  it('finds referrers of a manifest', TEST, async () => {
    const reg = remote()
    const img = image(1 * KiB)
    await pushImage(reg, 'library/signed', 'v1', img)
    assert.deepEqual(await reg.referrers('library/signed', img.manifest.digest), [])
    const empty = Buffer.from('{}')
    await reg.pushBlob('library/signed', sha256(empty), empty.length, fromBuffer(empty))
    const sbom = manifestDoc({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: 'application/vnd.example.sbom',
      config: descriptor(EMPTY_CONFIG, empty),
      layers: [descriptor(EMPTY_CONFIG, empty)],
      subject: { mediaType: OCI_MANIFEST, digest: img.manifest.digest, size: img.manifest.body.length },
    })
    await reg.putManifest('library/signed', sbom.digest, sbom)
    assert.deepEqual(await reg.referrers('library/signed', img.manifest.digest), [
      { mediaType: OCI_MANIFEST, digest: sbom.digest, size: sbom.body.length, artifactType: 'application/vnd.example.sbom' },
    ])
  })
})

describe('RemoteRegistry against scripted servers', { timeout: 60_000 }, () => {
  const guard = new OutboundGuard({ allow: [], deny: [] })
  after(() => guard.close())
  const manifest = manifestDoc({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: descriptor(EMPTY_CONFIG, Buffer.from('{}')), layers: [] })
  const serveManifest = (res: ServerResponse) => {
    res.writeHead(200, { 'content-type': OCI_MANIFEST, 'docker-content-digest': manifest.digest, 'content-length': manifest.body.length })
    res.end(manifest.body)
  }

  it('verifies TLS certificates unless the registry is marked insecure', TEST, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-tls-'))
    const { key, cert } = selfSignedCertificate(dir)
    const server = createHttpsServer({ key, cert }, (req, res) => {
      res.writeHead(req.url === '/v2/' ? 200 : 404, { 'content-type': 'application/json' })
      res.end('{}')
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      await assert.rejects(new RemoteRegistry({ url, guard }).ping(), /certificate/i)
      await new RemoteRegistry({ url, guard, insecure: true }).ping()
    } finally {
      server.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('fetches a Bearer token for the scope from the realm, reuses it until it expires', TEST, async () => {
    const tokenRequests: { url: URL; authorization: string | undefined }[] = []
    const s = await scriptedServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x')
      if (url.pathname === '/token') {
        tokenRequests.push({ url, authorization: req.headers.authorization })
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: `t${tokenRequests.length}`, expires_in: 60 }))
      }
      if (req.headers.authorization !== `Bearer t${tokenRequests.length}`) {
        return void res.writeHead(401, { 'www-authenticate': `Bearer realm="${s.url}/token",service="scripted",scope="repository:x/app:pull"` }).end()
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"name":"x/app","tags":["v1"]}')
    })
    try {
      let clock = 1_000_000
      const reg = new RemoteRegistry({ url: s.url, guard, username: 'u', password: 'p', now: () => clock })
      assert.deepEqual(await reg.tags('x/app'), ['v1'])
      assert.deepEqual(await reg.tags('x/app'), ['v1'])
      assert.equal(tokenRequests.length, 1)
      assert.equal(tokenRequests[0]!.url.searchParams.get('service'), 'scripted')
      assert.deepEqual(tokenRequests[0]!.url.searchParams.getAll('scope'), ['repository:x/app:pull'])
      assert.equal(tokenRequests[0]!.authorization, `Basic ${Buffer.from('u:p').toString('base64')}`)
      clock += 61_000
      assert.deepEqual(await reg.tags('x/app'), ['v1'])
      assert.equal(tokenRequests.length, 2, 'an expired token is replaced')
      // Anonymous, 401, with the token; then the token twice without a 401.
      assert.equal(s.requests.filter((r) => r.url?.startsWith('/v2/')).length, 4)
    } finally {
      await closeServer(s.server)
    }
  })

  it('waits out 429 + Retry-After and then succeeds', TEST, async () => {
    const s = await scriptedServer((_req, res, seen) => {
      if (seen < 2) return void res.writeHead(429, { 'retry-after': '1' }).end()
      serveManifest(res)
    })
    try {
      const started = performance.now()
      const got = await new RemoteRegistry({ url: s.url, guard }).manifest('busy/app', 'v1')
      assert.deepEqual(got, manifest)
      assert.ok(performance.now() - started >= 1900, `waited ${performance.now() - started} ms`)
      assert.equal(s.requests.length, 3)
    } finally {
      await closeServer(s.server)
    }
  })

  it('stops waiting when the signal aborts, and caps Retry-After at maxRetryAfterMs', TEST, async () => {
    const s = await scriptedServer((_req, res, seen) => {
      if (_req.url?.includes('capped') === true && seen >= 1) return serveManifest(res)
      res.writeHead(429, { 'retry-after': '30' }).end()
    })
    try {
      const started = performance.now()
      await assert.rejects(new RemoteRegistry({ url: s.url, guard }).manifest('busy/app', 'v1', AbortSignal.timeout(300)), { name: /AbortError|TimeoutError/ })
      assert.ok(performance.now() - started < 2000, `aborted after ${performance.now() - started} ms`)
      const capped = performance.now()
      assert.deepEqual(await new RemoteRegistry({ url: s.url, guard, maxRetryAfterMs: 200 }).manifest('capped/app', 'v1'), manifest)
      assert.ok(performance.now() - capped < 2000)
    } finally {
      await closeServer(s.server)
    }
  })

  it('retries a GET after a 5xx; reports the registry error code and message of a failure', TEST, async () => {
    const s = await scriptedServer((req, res, seen) => {
      if (req.url?.includes('flaky') === true) return seen === 0 ? void res.writeHead(500).end() : serveManifest(res)
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'NAME_INVALID', message: 'invalid repository name' }] }))
    })
    try {
      const reg = new RemoteRegistry({ url: s.url, guard })
      assert.deepEqual(await reg.manifest('flaky/app', 'v1'), manifest)
      await assertRejects(reg.manifest('bad/app', 'v1'), 'NAME_INVALID', new RegExp(`^GET ${s.url}/v2/bad/app/manifests/v1 answered 400: NAME_INVALID: invalid repository name$`))
    } finally {
      await closeServer(s.server)
    }
  })

  it('refuses manifest bytes that do not match the digest asked for', TEST, async () => {
    const s = await scriptedServer((_req, res) => serveManifest(res))
    try {
      await assertRejects(new RemoteRegistry({ url: s.url, guard }).manifest('x/app', randomDigest()), 'DIGEST_INVALID', /the bytes hash to/)
    } finally {
      await closeServer(s.server)
    }
  })

  it('follows a blob redirect to another origin without the credentials, and the guard checks the target', TEST, async () => {
    const blob = randomBytes(10 * KiB)
    const storage = await scriptedServer((req, res) => {
      res.writeHead(200, { 'content-length': blob.length }).end(blob)
    })
    const registry = await scriptedServer((req, res) => {
      if (req.headers.authorization === undefined) return void res.writeHead(401, { 'www-authenticate': 'Basic realm="test"' }).end()
      const target = req.url?.includes('metadata') === true ? 'http://169.254.169.254/latest' : `${storage.url}/presigned?sig=1`
      res.writeHead(307, { location: target }).end()
    })
    try {
      const reg = new RemoteRegistry({ url: registry.url, guard, username: 'u', password: 'p' })
      const { stream, size } = await reg.openBlob('r/app', sha256(blob))
      assert.equal(size, blob.length)
      assert.ok((await readAll(stream)).equals(blob))
      assert.equal(storage.requests.length, 1)
      assert.equal(storage.requests[0]!.headers.authorization, undefined, 'no credentials for another origin')
      await assertRejects(reg.openBlob('metadata/app', sha256(blob)), 'BAD_REQUEST', /outbound request to 169\.254\.169\.254 refused/)
    } finally {
      await closeServer(registry.server)
      await closeServer(storage.server)
    }
  })
})

describe('OutboundGuard', () => {
  const refused = (g: OutboundGuard, host: string, addresses: string[], why: RegExp) =>
    assert.throws(() => g.check(host, addresses), (err: unknown) => {
      assert.ok(isBerthError(err, 'BAD_REQUEST'))
      assert.match(err.message, new RegExp(`^outbound request to ${host.replace(/\./g, '\\.')} refused: `))
      assert.match(err.message, why)
      return true
    })

  it('denies IPv4 and IPv6 networks and addresses, IPv4-mapped ones too', () => {
    const g = new OutboundGuard({ allow: [], deny: ['10.0.0.0/8', 'fd00::/8', '192.0.2.7'] })
    refused(g, 'a.test', ['10.1.2.3'], /10\.1\.2\.3 is denied/)
    refused(g, 'a.test', ['::ffff:10.9.9.9'], /is denied/)
    refused(g, 'b.test', ['fd12:3456::1'], /fd12:3456::1 is denied/)
    refused(g, '192.0.2.7', ['192.0.2.7'], /denied/)
    g.check('c.test', ['11.0.0.1', '2001:db8::1', '192.0.2.8'])
  })

  it('matches host names exactly or by *.suffix, case-insensitively', () => {
    const g = new OutboundGuard({ allow: [], deny: ['*.internal.example.com', 'evil.test'] })
    refused(g, 'a.internal.example.com', ['203.0.113.1'], /is denied/)
    refused(g, 'x.y.Internal.Example.com', ['203.0.113.1'], /is denied/)
    refused(g, 'EVIL.test.', ['203.0.113.1'], /evil\.test is denied/)
    g.check('internal.example.com', ['203.0.113.1'])
    g.check('notevil.test', ['203.0.113.1'])
  })

  it('lets only the allow list through, by name or by every address; deny wins', () => {
    const g = new OutboundGuard({ allow: ['registry.example.com', '192.168.0.0/16', '*.mirror.test'], deny: ['192.168.66.0/24'] })
    g.check('registry.example.com', ['8.8.8.8'])
    g.check('eu.mirror.test', ['8.8.8.8'])
    g.check('other.test', ['192.168.1.1'])
    refused(g, 'other.test', ['8.8.8.8'], /8\.8\.8\.8 is not in the allow list/)
    refused(g, 'other.test', ['192.168.1.1', '8.8.8.8'], /8\.8\.8\.8 is not in the allow list/)
    refused(g, 'registry.example.com', ['192.168.66.5'], /192\.168\.66\.5 is denied/)
  })

  it('refuses cloud metadata endpoints unless allowMetadata', () => {
    const g = new OutboundGuard({ allow: [], deny: [] })
    for (const a of ['169.254.169.254', '169.254.170.2', '100.100.100.200', 'fd00:ec2::254']) refused(g, a, [a], /cloud metadata address/)
    refused(g, 'metadata.google.internal', ['10.0.0.1'], /cloud metadata endpoint/)
    refused(g, 'sneaky.test', ['169.254.169.254'], /169\.254\.169\.254 is a cloud metadata address/)
    const open = new OutboundGuard({ allow: [], deny: [], allowMetadata: true })
    open.check('metadata.google.internal', ['169.254.169.254'])
    g.check('localhost', ['127.0.0.1', '::1'])
  })

  it('talks to registry-1.docker.io for Docker Hub URLs (and refuses a denied name before resolving it)', async () => {
    const g = new OutboundGuard({ allow: [], deny: ['registry-1.docker.io'] })
    try {
      for (const url of ['https://hub.docker.com', 'https://docker.io/']) {
        await assertRejects(new RemoteRegistry({ url, guard: g }).tags('alpine'), 'BAD_REQUEST', /^outbound request to registry-1\.docker\.io refused: registry-1\.docker\.io is denied$/)
      }
    } finally {
      await g.close()
    }
  })

  it('rejects malformed rules', () => {
    assert.throws(() => new OutboundGuard({ allow: ['10.0.0.0/33'], deny: [] }), /not a valid CIDR/)
    assert.throws(() => new OutboundGuard({ allow: [], deny: ['bad host!'] }), /not a CIDR, an address or a host name/)
  })

  it('checks the addresses a name resolves to when connecting, and literal addresses before connecting', { timeout: 20_000 }, async () => {
    const s = await scriptedServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"name":"x","tags":["v1"]}'))
    const port = new URL(s.url).port
    const open = new OutboundGuard({ allow: [], deny: [] })
    const closed = new OutboundGuard({ allow: [], deny: ['127.0.0.0/8'] })
    try {
      assert.deepEqual(await new RemoteRegistry({ url: `http://localhost:${port}`, guard: open }).tags('x'), ['v1'])
      const before = s.requests.length
      await assertRejects(new RemoteRegistry({ url: `http://localhost:${port}`, guard: closed }).tags('x'), 'BAD_REQUEST', /^outbound request to localhost refused: 127\.0\.0\.1 is denied$/)
      assert.equal(s.requests.length, before, 'no request reached the server')
      const started = performance.now()
      await assertRejects(new RemoteRegistry({ url: 'http://169.254.169.254/', guard: open }).tags('x'), 'BAD_REQUEST', /^outbound request to 169\.254\.169\.254 refused: 169\.254\.169\.254 is a cloud metadata address$/)
      assert.ok(performance.now() - started < 1000, 'refused without trying to connect')
    } finally {
      await Promise.all([open.close(), closed.close(), closeServer(s.server)])
    }
  })
})

describe('OutboundGuard: an address is judged by what it reaches', { timeout: 30_000 }, () => {
  const LOOPBACK = ['127.0.0.0/8', '::1/128']
  /** Every spelling of loopback a URL can carry. */
  const SPELLINGS = ['0.0.0.0', '0', '[::]', '[::ffff:0.0.0.0]', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '[::127.0.0.1]', '[0:0:0:0:0:ffff:7f00:1]', '2130706433', '0x7f.1', '0177.0.0.1', '127.1', '0x7f000001', '127.0.0.1.', '[::1]', 'localhost']

  /** A listener on 127.0.0.1 and on ::1 (one port) answering GET /v2/ with 200; counts connections and requests. */
  async function loopbackListener(): Promise<{ port: number; connections: () => number; requests: () => number; close: () => Promise<void> }> {
    let connections = 0
    let requests = 0
    const handler = (_req: IncomingMessage, res: ServerResponse) => {
      requests++
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    }
    const v4 = createServer(handler).on('connection', () => connections++)
    const v6 = createServer(handler).on('connection', () => connections++)
    await new Promise<void>((r) => v4.listen(0, '127.0.0.1', r))
    const port = (v4.address() as AddressInfo).port
    await new Promise<void>((r, reject) => v6.once('error', reject).listen(port, '::1', r))
    return { port, connections: () => connections, requests: () => requests, close: async () => void (await Promise.all([closeServer(v4), closeServer(v6)])) }
  }

  it('refuses 0.0.0.0, ::, IPv4 in IPv6 and every other spelling of loopback, before any connection', async () => {
    const l = await loopbackListener()
    const closed = new OutboundGuard({ allow: [], deny: LOOPBACK })
    const open = new OutboundGuard({ allow: [], deny: [] })
    try {
      for (const host of SPELLINGS) {
        const url = `http://${host}:${l.port}`
        await assert.rejects(closed.checkUrl(url), /refused: .* is denied$/, `${host} when stored`)
        await assertRejects(new RemoteRegistry({ url, guard: closed }).ping(), 'BAD_REQUEST', /^outbound request to .* refused: .* is denied$/)
      }
      assert.equal(l.connections() + l.requests(), 0, 'no spelling reached the listener')
      // The same listener, allowed: each spelling that reaches it does (the allowed case works).
      for (const host of ['127.0.0.1', '0.0.0.0', '[::]', '[::ffff:127.0.0.1]', '2130706433', '[::1]', 'localhost']) {
        const before = l.requests()
        await open.checkUrl(`http://${host}:${l.port}`)
        await new RemoteRegistry({ url: `http://${host}:${l.port}`, guard: open }).ping()
        assert.equal(l.requests(), before + 1, `${host} reached the listener when allowed`)
      }
    } finally {
      await Promise.all([closed.close(), open.close(), l.close()])
    }
  })

  it('names what an address reaches in the refusal', async () => {
    const g = new OutboundGuard({ allow: [], deny: LOOPBACK })
    await assert.rejects(g.checkUrl('http://0.0.0.0:5000'), /^BerthError: outbound request to 0\.0\.0\.0 refused: 0\.0\.0\.0 \(127\.0\.0\.1\) is denied$/)
    await assert.rejects(g.checkUrl('http://[::]:5000'), /:: \(::1\) is denied/)
    await assert.rejects(g.checkUrl('http://[::ffff:0.0.0.0]:5000'), /::ffff:0:0 \(127\.0\.0\.1\) is denied/)
    await g.close()
  })

  it('normalises addresses a name resolves to at connect time (a DNS answer of 0.0.0.0 is loopback)', async () => {
    const l = await loopbackListener()
    const answers: Record<string, string[]> = {
      'zero.test': ['0.0.0.0'],
      'any6.test': ['::'],
      'mapped.test': ['::ffff:7f00:1'],
      'mapped-zero.test': ['::ffff:0:0'],
      'zoned.test': ['::1%lo'],
      'fine.test': ['127.0.0.1'],
    }
    const resolve = async (hostname: string) => (answers[hostname] ?? []).map((address) => ({ address: address.replace(/%.*$/, ''), family: address.includes(':') ? 6 : 4 }))
    const zoned = async (hostname: string) => (answers[hostname] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))
    const closed = new OutboundGuard({ allow: [], deny: LOOPBACK, resolve })
    const checkOnly = new OutboundGuard({ allow: [], deny: LOOPBACK, resolve: zoned })
    const open = new OutboundGuard({ allow: [], deny: [], resolve })
    try {
      for (const name of Object.keys(answers)) {
        await assertRejects(new RemoteRegistry({ url: `http://${name}:${l.port}`, guard: closed }).ping(), 'BAD_REQUEST', new RegExp(`^outbound request to ${name.replace('.', '\\.')} refused: .* is denied$`))
        assert.throws(() => checkOnly.check(name, answers[name]!), /is denied/, `${name} checked with its zone`)
      }
      assert.equal(l.connections() + l.requests(), 0, 'no resolved spelling reached the listener')
      await new RemoteRegistry({ url: `http://fine.test:${l.port}`, guard: open }).ping()
      await new RemoteRegistry({ url: `http://zero.test:${l.port}`, guard: open }).ping()
      assert.equal(l.requests(), 2, 'allowed names connect')
    } finally {
      await Promise.all([closed.close(), checkOnly.close(), open.close(), l.close()])
    }
  })

  it('reads allow and deny entries in any spelling, and metadata addresses inside IPv6', () => {
    const g = new OutboundGuard({ allow: [], deny: ['0x7f.1', '::ffff:10.0.0.1', '0177.0.0.0/8'] })
    assert.throws(() => g.check('127.0.0.1', ['127.0.0.1']), /127\.0\.0\.1 is denied/)
    assert.throws(() => g.check('127.2.3.4', ['127.2.3.4']), /is denied/)
    assert.throws(() => g.check('10.0.0.1', ['10.0.0.1']), /10\.0\.0\.1 is denied/)
    const m = new OutboundGuard({ allow: [], deny: [] })
    assert.throws(() => m.check('::ffff:a9fe:a9fe', ['::ffff:a9fe:a9fe']), /\(169\.254\.169\.254\) is a cloud metadata address/)
    assert.throws(() => m.check('sneaky.test', ['::ffff:169.254.169.254']), /cloud metadata address/)
    const allowed = new OutboundGuard({ allow: ['10.0.0.0/8'], deny: [] })
    allowed.check('mapped.test', ['::ffff:10.1.2.3'])
    assert.throws(() => allowed.check('zero.test', ['0.0.0.0']), /0\.0\.0\.0 \(127\.0\.0\.1\) is not in the allow list/)
  })
})

describe('RemoteRegistry: listings are bounded', { timeout: 60_000 }, () => {
  const guard = new OutboundGuard({ allow: [], deny: [] })
  after(() => guard.close())

  /** A registry whose tag list and catalog never end: every page links to the next one. */
  async function endless(pageOf: (i: number) => string[]): Promise<Awaited<ReturnType<typeof scriptedServer>>> {
    return scriptedServer((req, res) => {
      const url = new URL(req.url!, 'http://x')
      if (url.pathname === '/v2/') return void res.writeHead(200).end('{}')
      const i = Number(url.searchParams.get('last') ?? 0)
      const key = url.pathname === '/v2/_catalog' ? 'repositories' : 'tags'
      res.writeHead(200, { 'content-type': 'application/json', link: `<${url.pathname}?n=100&last=${i + 1}>; rel="next"` })
      res.end(JSON.stringify({ name: 'hostile/app', [key]: pageOf(i) }))
    })
  }

  it('stops a tag list or catalog at maxItems, maxPages or maxBytes, naming the setting', async () => {
    const full = await endless((i) => Array.from({ length: 100 }, (_, k) => `t${i}-${k}`))
    const empty = await endless(() => [])
    const fat = await endless((i) => [`${'x'.repeat(100_000)}-${i}`])
    try {
      const limited = (url: string) => new RemoteRegistry({ url, guard, listLimits: { maxPages: 50, maxItems: 1_000, maxBytes: 1 << 20 } })
      await assertRejects(limited(full.url).tags('hostile/app'), 'SIZE_INVALID', /^the tags of hostile\/app at http:\/\/127\.0\.0\.1:\d+ has more than 1000 items \(replication\.remote_max_items\): stopped reading it$/)
      assert.equal(full.requests.length, 10 + 1, 'ten full pages and the one past the bound')
      await assertRejects(collect(limited(full.url).repositories()), 'SIZE_INVALID', /^the catalog at .* has more than 1000 items \(replication\.remote_max_items\)/)
      await assertRejects(limited(empty.url).tags('hostile/app'), 'SIZE_INVALID', /has more than 50 pages \(replication\.remote_max_pages\)/)
      assert.equal(empty.requests.length, 50, 'no request past the page bound')
      await assertRejects(limited(fat.url).tags('hostile/app'), 'SIZE_INVALID', /has more than 1048576 bytes \(replication\.remote_max_list_bytes\)/)
      assert.ok(fat.requests.length <= 11, `${fat.requests.length} requests for 1 MiB of 100 kB pages`)
    } finally {
      await Promise.all([full, empty, fat].map((s) => closeServer(s.server)))
    }
  })

  it('bounds a referrers list by items and bytes', async () => {
    const many = Array.from({ length: 50 }, (_, i) => ({ mediaType: OCI_MANIFEST, digest: sha256(Buffer.from(String(i))), size: 10 }))
    const s = await scriptedServer((req, res) => {
      if (req.url === '/v2/') return void res.writeHead(200).end('{}')
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.index.v1+json' }).end(JSON.stringify({ schemaVersion: 2, manifests: many }))
    })
    try {
      assert.equal((await new RemoteRegistry({ url: s.url, guard }).referrers('a/b', sha256(Buffer.from('x')))).length, 50)
      await assertRejects(new RemoteRegistry({ url: s.url, guard, listLimits: { maxItems: 49 } }).referrers('a/b', sha256(Buffer.from('x'))), 'SIZE_INVALID', /more than 49 items \(replication\.remote_max_items\)/)
      await assertRejects(new RemoteRegistry({ url: s.url, guard, listLimits: { maxBytes: 1000 } }).referrers('a/b', sha256(Buffer.from('x'))), 'SIZE_INVALID', /more than 1000 bytes \(replication\.remote_max_list_bytes\)/)
    } finally {
      await closeServer(s.server)
    }
  })

  it('stops reading a listing as soon as its signal aborts', async () => {
    const slow = await scriptedServer((req, res) => {
      const url = new URL(req.url!, 'http://x')
      if (url.pathname === '/v2/') return void res.writeHead(200).end('{}')
      const i = Number(url.searchParams.get('last') ?? 0)
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json', link: `<${url.pathname}?last=${i + 1}>; rel="next"` }).end(JSON.stringify({ tags: [`t${i}`] })), 20)
    })
    try {
      const ac = new AbortController()
      const reading = new RemoteRegistry({ url: slow.url, guard }).tags('hostile/app', ac.signal)
      await sleep(300)
      ac.abort(new Error('stopped'))
      const atStop = slow.requests.length
      await assert.rejects(reading, /stopped|abort/i)
      await sleep(300)
      assert.ok(atStop >= 3, `${atStop} pages read before the stop`)
      assert.ok(slow.requests.length <= atStop + 1, `${slow.requests.length - atStop} requests after the stop`)
    } finally {
      await closeServer(slow.server)
    }
  })
})
