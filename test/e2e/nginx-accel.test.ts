// The X-Accel-Redirect hand-off with a real nginx (Debian's) running the sample configuration
// deploy/nginx/berth.conf: Berth authorizes each blob GET and answers with headers only; nginx
// sends the bytes from the storage root (and answers Range from the file). Pushes, pulls, refusals,
// the internal location and pull counting, each through nginx, on SQLite and PostgreSQL.
import assert from 'node:assert/strict'
import { chmod, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { AddressInfo } from 'node:net'
import { resolvedPaths } from '../../src/app/config.js'
import { ADMIN_AUTH, basicAuth, createTestBerth, type TestBerth } from '../support/berth-app.js'
import { DIALECTS, dialectSkip } from '../support/databases.js'
import { missingNginx, sampleConfig, startNginx, type Nginx } from '../support/nginx.js'
import { pushRaw, randomImage, sha256 } from '../support/raw-images.js'
import { manifestAccept } from '../fixtures/oci-layout.js'

const PREFIX = '/_berth_blobs/'
const PASSWORD = 'Nginx-Accel-Passw0rd'
const nginxSkip = missingNginx()

type Got = { status: number; headers: Headers; bytes: Buffer }

async function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Got> {
  const res = await fetch(url, { method, headers, redirect: 'manual', signal: AbortSignal.timeout(30_000) })
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) }
}

function errorCode(got: Got): string | undefined {
  assert.match(got.headers.get('content-type') ?? '', /^application\/json/, `not a JSON error: ${got.status} ${got.bytes.toString('utf8').slice(0, 200)}`)
  return (JSON.parse(got.bytes.toString('utf8')) as { errors?: { code: string }[] }).errors?.[0]?.code
}

function blobFile(digest: string): string {
  const hex = digest.slice('sha256:'.length)
  return `blobs/sha256/${hex.slice(0, 2)}/${hex}`
}

for (const dialect of DIALECTS) {
  const skip = nginxSkip || (await dialectSkip(dialect)).skip || false
  describe(`blob GETs handed to nginx with X-Accel-Redirect (${dialect})`, { skip, timeout: 180_000 }, () => {
    let berth: TestBerth | undefined
    let nginx: Nginx | undefined
    let direct = ''
    let proxied = ''
    let storageRoot = ''
    const img = randomImage('library/accel', 'v1', [3 << 20, 70_001])
    const secret = randomImage('hidden/app', 'v1', [200_000])
    const layer = img.blobs[1]!

    const api = async (method: string, path: string, body?: object) => {
      const res = await fetch(`${proxied}/api/v2.0${path}`, {
        method,
        headers: { authorization: ADMIN_AUTH, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(30_000),
      })
      const text = await res.text()
      return { status: res.status, json: () => JSON.parse(text) as unknown, text }
    }

    before(async () => {
      berth = await createTestBerth(dialect, {
        storage: { accel_redirect_prefix: PREFIX },
        http: { trust_proxy: '127.0.0.1' },
        events: { pull_flush_seconds: 0.2 },
      })
      // As root, nginx's workers run as nobody: the storage under the data dir must be readable by others.
      await chmod(berth.dataDir, 0o755)
      await berth.app.listen({ host: '127.0.0.1', port: 0 })
      direct = `http://127.0.0.1:${(berth.app.server.address() as AddressInfo).port}`
      storageRoot = resolvedPaths(berth.config).storageRoot
      const upstream = new URL(direct).host
      nginx = await startNginx((port) => sampleConfig({ port, upstream, storageRoot }))
      proxied = nginx.url
    })

    after(async () => {
      if (nginx !== undefined) {
        await nginx.stop()
      }
      await berth?.destroy()
    })

    it('takes pushes through nginx: monolithic and chunked uploads, then the manifest', async () => {
      const pushed = await pushRaw(proxied, ADMIN_AUTH, img)
      assert.deepEqual(pushed, { ok: true })

      // A chunked upload: the PATCH bodies stream through (proxy_request_buffering off) to Berth.
      const bytes = Buffer.alloc(2 << 20, 7)
      const start = await fetch(`${proxied}/v2/library/accel/blobs/uploads/`, { method: 'POST', headers: { authorization: ADMIN_AUTH } })
      assert.equal(start.status, 202)
      let location = start.headers.get('location')!
      for (const [from, to] of [[0, 1 << 20], [1 << 20, 2 << 20]] as const) {
        const res = await fetch(new URL(location, proxied), {
          method: 'PATCH',
          headers: { authorization: ADMIN_AUTH, 'content-type': 'application/octet-stream', 'content-range': `${from}-${to - 1}` },
          body: bytes.subarray(from, to),
        })
        assert.equal(res.status, 202, await res.text())
        location = res.headers.get('location')!
      }
      const put = await fetch(new URL(`${location}${location.includes('?') ? '&' : '?'}digest=${sha256(bytes)}`, proxied), { method: 'PUT', headers: { authorization: ADMIN_AUTH } })
      assert.equal(put.status, 201, await put.text())
      const back = await get(`${proxied}/v2/library/accel/blobs/${sha256(bytes)}`, { authorization: ADMIN_AUTH })
      assert.equal(back.status, 200)
      assert.ok(back.bytes.equals(bytes), 'the chunked blob read back differs')
    })

    it('serves every blob through nginx from the file, with the headers Berth gives it', async () => {
      for (const blob of img.blobs) {
        const got = await get(`${proxied}/v2/${img.repo}/blobs/${blob.digest}`, { authorization: ADMIN_AUTH })
        assert.equal(got.status, 200, got.bytes.toString('utf8').slice(0, 300))
        assert.equal(sha256(got.bytes), blob.digest)
        assert.ok(got.bytes.equals(blob.bytes))
        assert.equal(got.headers.get('content-length'), String(blob.bytes.length))
        assert.equal(got.headers.get('content-type'), 'application/octet-stream')
        assert.equal(got.headers.get('docker-content-digest'), blob.digest)
        assert.equal(got.headers.get('etag'), `"${blob.digest}"`)
        assert.equal(got.headers.get('docker-distribution-api-version'), 'registry/2.0')
        assert.equal(got.headers.get('x-accel-redirect'), null, 'nginx must not pass the internal path on')
        // Last-Modified comes from nginx's static file module: Berth never sends it.
        assert.notEqual(got.headers.get('last-modified'), null, 'the bytes were not sent by nginx')
      }
    })

    it('answers Berth directly with the hand-off only: the file under the prefix, no body', async () => {
      const got = await get(`${direct}/v2/${img.repo}/blobs/${layer.digest}`, { authorization: ADMIN_AUTH })
      assert.equal(got.status, 200)
      assert.equal(got.headers.get('x-accel-redirect'), `${PREFIX}${blobFile(layer.digest)}`)
      assert.equal(got.headers.get('docker-content-digest'), layer.digest)
      assert.equal(got.headers.get('etag'), `"${layer.digest}"`)
      assert.equal(got.headers.get('content-length'), '0')
      assert.equal(got.bytes.length, 0)
    })

    it('answers Range requests from the file (206 with Content-Range; 416 past the end)', async () => {
      const size = layer.bytes.length
      const url = `${proxied}/v2/${img.repo}/blobs/${layer.digest}`
      for (const [range, from, to] of [['bytes=100-1099', 100, 1099], ['bytes=-500', size - 500, size - 1], [`bytes=${size - 10}-`, size - 10, size - 1]] as const) {
        const got = await get(url, { authorization: ADMIN_AUTH, range })
        assert.equal(got.status, 206, range)
        assert.equal(got.headers.get('content-range'), `bytes ${from}-${to}/${size}`, range)
        assert.ok(got.bytes.equals(layer.bytes.subarray(from, to + 1)), `${range}: other bytes`)
        assert.equal(got.headers.get('docker-content-digest'), layer.digest)
      }
      const past = await get(url, { authorization: ADMIN_AUTH, range: `bytes=${size + 10}-` })
      assert.equal(past.status, 416)
      assert.equal(past.headers.get('content-range'), `bytes */${size}`)
    })

    it('answers HEAD itself, as without nginx: the size, no hand-off', async () => {
      for (const base of [proxied, direct]) {
        const got = await get(`${base}/v2/${img.repo}/blobs/${layer.digest}`, { authorization: ADMIN_AUTH }, 'HEAD')
        assert.equal(got.status, 200)
        assert.equal(got.headers.get('content-length'), String(layer.bytes.length))
        assert.equal(got.headers.get('docker-content-digest'), layer.digest)
        assert.equal(got.headers.get('x-accel-redirect'), null)
      }
    })

    it('hands off only pulls Berth authorized: anonymous 401, a wrong password 401, an outsider 403, a guest 200', async () => {
      assert.equal((await api('POST', '/projects', { project_name: 'hidden', metadata: { public: 'false' } })).status, 201)
      for (const username of ['guest', 'outsider']) {
        assert.equal((await api('POST', '/users', { username, password: PASSWORD, email: `${username}@example.com` })).status, 201)
      }
      assert.equal((await api('POST', '/projects/hidden/members', { role_id: 3, member_user: { username: 'guest' } })).status, 201)
      assert.deepEqual(await pushRaw(proxied, ADMIN_AUTH, secret), { ok: true })
      const blob = secret.blobs[1]!
      const path = `/v2/${secret.repo}/blobs/${blob.digest}`

      const refused: [string, Record<string, string>, number, string][] = [
        ['anonymous', {}, 401, 'UNAUTHORIZED'],
        ['a wrong password', { authorization: basicAuth('guest', 'wrong-password') }, 401, 'UNAUTHORIZED'],
        ['a user who is not a member', { authorization: basicAuth('outsider', PASSWORD) }, 403, 'DENIED'],
      ]
      for (const [who, headers, status, code] of refused) {
        for (const base of [proxied, direct]) {
          const got = await get(`${base}${path}`, headers)
          assert.equal(got.status, status, `${who} via ${base}`)
          assert.equal(errorCode(got), code, `${who} via ${base}`)
          assert.equal(got.headers.get('x-accel-redirect'), null, `${who} via ${base}: handed off`)
          assert.ok(got.bytes.length < 1000 && !got.bytes.includes(blob.bytes.subarray(0, 64)), `${who} via ${base}: blob bytes in the answer`)
        }
      }
      const anonymous = await get(`${proxied}${path}`)
      assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Bearer realm=/)

      const guest = await get(`${proxied}${path}`, { authorization: basicAuth('guest', PASSWORD) })
      assert.equal(guest.status, 200)
      assert.ok(guest.bytes.equals(blob.bytes))
    })

    it('refuses a client request for the internal location (nginx: 404), with or without credentials', async () => {
      for (const headers of [{}, { authorization: ADMIN_AUTH }] as Record<string, string>[]) {
        const got = await get(`${proxied}${PREFIX}${blobFile(layer.digest)}`, headers)
        assert.equal(got.status, 404)
        assert.ok(!got.bytes.includes(layer.bytes.subarray(0, 64)), 'blob bytes in the 404')
      }
      const root = await get(`${proxied}${PREFIX}`, { authorization: ADMIN_AUTH })
      assert.equal(root.status, 404)
    })

    it('hands off nothing for a digest that is malformed, unknown, or not in this repository', async () => {
      const otherRepoBlob = secret.blobs[1]!.digest
      // Slashes, even encoded, never reach the digest: such a path names no endpoint (404 UNSUPPORTED).
      const cases: [string, number, string][] = [
        [`sha256:${'..%2F'.repeat(8)}etc%2Fpasswd`, 404, 'UNSUPPORTED'],
        [`sha256:${'%2e%2e%2f'.repeat(8)}etc%2fpasswd`, 404, 'UNSUPPORTED'],
        ['sha256:..', 400, 'DIGEST_INVALID'],
        [`sha256:${'A'.repeat(64)}`, 400, 'DIGEST_INVALID'],
        [`sha256:${'a'.repeat(63)}%00`, 400, 'DIGEST_INVALID'],
        [`sha256:${'0'.repeat(64)}`, 404, 'BLOB_UNKNOWN'],
        [otherRepoBlob, 404, 'BLOB_UNKNOWN'],
      ]
      for (const [digest, status, code] of cases) {
        const got = await get(`${direct}/v2/${img.repo}/blobs/${digest}`, { authorization: ADMIN_AUTH })
        assert.equal(got.headers.get('x-accel-redirect'), null, digest)
        assert.equal(got.status, status, digest)
        assert.equal(errorCode(got), code, digest)
      }
      const viaNginx = await get(`${proxied}/v2/${img.repo}/blobs/${otherRepoBlob}`, { authorization: ADMIN_AUTH })
      assert.equal(viaNginx.status, 404)
      assert.equal(errorCode(viaNginx), 'BLOB_UNKNOWN')
    })

    it("answers BLOB_UNKNOWN itself when a blob's bytes are missing from storage, not nginx's page", async () => {
      const lost = randomImage('library/lost', 'v1', [5_000])
      assert.deepEqual(await pushRaw(proxied, ADMIN_AUTH, lost), { ok: true })
      const blob = lost.blobs[1]!
      await rm(join(storageRoot, blobFile(blob.digest)))
      const got = await get(`${proxied}/v2/${lost.repo}/blobs/${blob.digest}`, { authorization: ADMIN_AUTH })
      assert.equal(got.status, 404)
      assert.equal(errorCode(got), 'BLOB_UNKNOWN')
    })

    it('counts pulls through nginx: pull_count and the audit log', async () => {
      // Listing the audit log writes the pulls kept in memory first.
      const flush = async () => assert.equal((await api('GET', '/audit-logs?page_size=1')).status, 200)
      const pullCount = async () => ((await api('GET', '/projects/library/repositories/accel')).json() as { pull_count: number }).pull_count
      await flush()
      const before = await pullCount()
      const pullsBefore = ((await api('GET', `/audit-logs?page_size=100&q=${encodeURIComponent('operation=pull,resource=library/accel:v1')}`)).json() as unknown[]).length

      const manifest = await get(`${proxied}/v2/${img.repo}/manifests/${img.tag}`, { authorization: ADMIN_AUTH, accept: manifestAccept })
      assert.equal(manifest.status, 200)
      assert.ok(manifest.bytes.equals(img.manifest))
      for (const blob of img.blobs) assert.equal(sha256((await get(`${proxied}/v2/${img.repo}/blobs/${blob.digest}`, { authorization: ADMIN_AUTH })).bytes), blob.digest)

      await flush()
      assert.equal(await pullCount(), before + 1)
      const pulls = (await api('GET', `/audit-logs?page_size=100&q=${encodeURIComponent('operation=pull,resource=library/accel:v1')}`)).json() as { username: string }[]
      assert.equal(pulls.length, pullsBefore + 1)
      assert.equal(pulls[0]!.username, 'admin')
    })
  })
}
