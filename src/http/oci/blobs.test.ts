// /v2/<name>/blobs/<digest>: GET, HEAD, Range, DELETE, digest validation and repository isolation.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { DIALECTS, dialectSkip } from '../../../test/support/databases.js'
import {
  assertOciError,
  assertStatus,
  bytesOf,
  getBlob,
  header,
  pushBlob,
  pushImage,
  sha256,
  sha512,
  useBerth,
} from './oci-test-support.js'

for (const dialect of DIALECTS) {
  describe(`/v2/ blobs (${dialect})`, await dialectSkip(dialect), () => {
    const t = useBerth(dialect)
    const repo = 'library/blobs'
    // Every byte value, so an encoding mistake (utf8, latin1) changes the body.
    const bytes = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), bytesOf('blobs-main', 44)])
    const size = bytes.length // 300
    const digest = sha256(bytes)
    const url = `/v2/${repo}/blobs/${digest}`

    it('GET returns the exact bytes with Content-Length and Docker-Content-Digest', async () => {
      await pushBlob(t.app, repo, bytes)
      const res = await t.app.inject({ method: 'GET', url })
      assertStatus(res, 200)
      assert.equal(header(res, 'content-length'), String(size))
      assert.equal(header(res, 'docker-content-digest'), digest)
      assert.ok(res.rawPayload.equals(bytes), 'body differs from the pushed bytes')
      assert.equal(header(res, 'docker-distribution-api-version'), 'registry/2.0')
    })

    it('HEAD returns the headers of GET and no body', async () => {
      const res = await t.app.inject({ method: 'HEAD', url })
      assertStatus(res, 200)
      assert.equal(header(res, 'content-length'), String(size))
      assert.equal(header(res, 'docker-content-digest'), digest)
      assert.equal(res.rawPayload.length, 0)
    })

    describe('Range', () => {
      const cases: [string, number, number][] = [
        ['bytes=2-5', 2, 5],
        ['bytes=0-0', 0, 0],
        ['bytes=250-', 250, size - 1],
        ['bytes=-10', size - 10, size - 1],
        ['bytes=-1000', 0, size - 1], // a suffix longer than the blob is the whole blob
        ['bytes=290-100000', 290, size - 1], // an end past the blob is clamped
        [`bytes=${size - 1}-${size - 1}`, size - 1, size - 1],
      ]
      for (const [range, start, end] of cases) {
        it(`${range} is 206 with Content-Range bytes ${start}-${end}/${size}`, async () => {
          const res = await t.app.inject({ method: 'GET', url, headers: { range } })
          assertStatus(res, 206)
          assert.equal(header(res, 'content-range'), `bytes ${start}-${end}/${size}`)
          assert.equal(header(res, 'content-length'), String(end - start + 1))
          assert.ok(res.rawPayload.equals(bytes.subarray(start, end + 1)), 'wrong bytes for the range')
        })
      }

      it('HEAD with a Range is 206 with the range length and no body', async () => {
        const res = await t.app.inject({ method: 'HEAD', url, headers: { range: 'bytes=10-19' } })
        assertStatus(res, 206)
        assert.equal(header(res, 'content-range'), `bytes 10-19/${size}`)
        assert.equal(header(res, 'content-length'), '10')
        assert.equal(res.rawPayload.length, 0)
      })

      // Past the end, reversed, or not a byte range at all: 416, never the whole blob in its place.
      for (const range of [`bytes=${size}-`, `bytes=${size + 50}-${size + 60}`, 'bytes=-0', 'bytes=20-10', 'bytes=9-3', 'bytes=-5-10', 'bytes=abc', 'bytes=-', 'bytes=', 'bytes=1-2-3']) {
        it(`${range} is 416 with Content-Range bytes */${size}`, async () => {
          const res = await t.app.inject({ method: 'GET', url, headers: { range } })
          assertOciError(res, 416, 'SIZE_INVALID')
          assert.equal(header(res, 'content-range'), `bytes */${size}`)
        })
      }

      for (const range of ['items=0-1', 'bytes=0-1,5-6', 'bytes=0-1, 5-6', '0-5']) {
        it(`multiple ranges and other units (${range}) get the whole blob (200)`, async () => {
          const res = await t.app.inject({ method: 'GET', url, headers: { range } })
          assertStatus(res, 200)
          assert.equal(header(res, 'content-range'), undefined)
          assert.equal(header(res, 'content-length'), String(size))
          assert.ok(res.rawPayload.equals(bytes))
        })
      }
    })

    it('an unknown blob is 404 BLOB_UNKNOWN (GET and HEAD)', async () => {
      const unknown = sha256('never pushed')
      assertOciError(await t.app.inject({ method: 'GET', url: `/v2/${repo}/blobs/${unknown}` }), 404, 'BLOB_UNKNOWN')
      const head = await t.app.inject({ method: 'HEAD', url: `/v2/${repo}/blobs/${unknown}` })
      assertStatus(head, 404)
      assert.equal(head.rawPayload.length, 0)
      // In a repository that does not exist either.
      assertOciError(await t.app.inject({ method: 'GET', url: `/v2/library/no-such-repo/blobs/${unknown}` }), 404, 'BLOB_UNKNOWN')
    })

    for (const bad of [
      'sha256:xyz',
      `sha256:${'a'.repeat(63)}`,
      `sha256:${'a'.repeat(65)}`,
      `sha256:${'A'.repeat(64)}`,
      `sha512:${'a'.repeat(64)}`,
      'nodigest',
      `:${'a'.repeat(64)}`,
      `sha256${'a'.repeat(64)}`,
    ]) {
      it(`a malformed digest (${bad.slice(0, 20)}…) is 400 DIGEST_INVALID on GET, HEAD and DELETE`, async () => {
        assertOciError(await t.app.inject({ method: 'GET', url: `/v2/${repo}/blobs/${bad}` }), 400, 'DIGEST_INVALID')
        assertStatus(await t.app.inject({ method: 'HEAD', url: `/v2/${repo}/blobs/${bad}` }), 400)
        assertOciError(await t.app.inject({ method: 'DELETE', url: `/v2/${repo}/blobs/${bad}` }), 400, 'DIGEST_INVALID')
      })
    }

    for (const unsupported of [`md5:${'a'.repeat(32)}`, `sha384:${'a'.repeat(96)}`, `blake3:${'a'.repeat(64)}`]) {
      it(`an unsupported algorithm (${unsupported.split(':')[0]}) is 400 UNSUPPORTED`, async () => {
        assertOciError(await t.app.inject({ method: 'GET', url: `/v2/${repo}/blobs/${unsupported}` }), 400, 'UNSUPPORTED')
        assertStatus(await t.app.inject({ method: 'HEAD', url: `/v2/${repo}/blobs/${unsupported}` }), 400)
        assertOciError(await t.app.inject({ method: 'DELETE', url: `/v2/${repo}/blobs/${unsupported}` }), 400, 'UNSUPPORTED')
      })
    }

    it('sha512 blobs are pushed and served under their sha512 digest', async () => {
      const b = bytesOf('sha512-blob', 1000)
      const d = sha512(b)
      const res = await t.app.inject({ method: 'POST', url: `/v2/${repo}/blobs/uploads/?digest=${d}`, payload: b })
      assertStatus(res, 201)
      assert.equal(header(res, 'docker-content-digest'), d)
      assert.equal(header(res, 'location'), `/v2/${repo}/blobs/${d}`)
      const got = await t.app.inject({ method: 'GET', url: `/v2/${repo}/blobs/${d}` })
      assertStatus(got, 200)
      assert.equal(header(got, 'docker-content-digest'), d)
      assert.ok(got.rawPayload.equals(b))
      const ranged = await t.app.inject({ method: 'GET', url: `/v2/${repo}/blobs/${d}`, headers: { range: 'bytes=990-' } })
      assertStatus(ranged, 206)
      assert.ok(ranged.rawPayload.equals(b.subarray(990)))
    })

    it('an empty blob is served with Content-Length 0 and no range fits it', async () => {
      const d = await pushBlob(t.app, repo, Buffer.alloc(0))
      assert.equal(d, 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
      const res = await t.app.inject({ method: 'GET', url: `/v2/${repo}/blobs/${d}` })
      assertStatus(res, 200)
      assert.equal(header(res, 'content-length'), '0')
      assert.equal(res.rawPayload.length, 0)
      const ranged = await t.app.inject({ method: 'GET', url: `/v2/${repo}/blobs/${d}`, headers: { range: 'bytes=0-' } })
      assertOciError(ranged, 416, 'SIZE_INVALID')
      assert.equal(header(ranged, 'content-range'), 'bytes */0')
    })

    it('DELETE is 202, then the blob is 404 and a second DELETE is 404', async () => {
      const b = bytesOf('delete-me')
      const d = await pushBlob(t.app, repo, b)
      const del = await t.app.inject({ method: 'DELETE', url: `/v2/${repo}/blobs/${d}` })
      assertStatus(del, 202)
      assertOciError(await t.app.inject({ method: 'GET', url: `/v2/${repo}/blobs/${d}` }), 404, 'BLOB_UNKNOWN')
      assertStatus(await t.app.inject({ method: 'HEAD', url: `/v2/${repo}/blobs/${d}` }), 404)
      assertOciError(await t.app.inject({ method: 'DELETE', url: `/v2/${repo}/blobs/${d}` }), 404, 'BLOB_UNKNOWN')
    })

    it('DELETE in a repository that does not exist is 404 NAME_UNKNOWN', async () => {
      const res = await t.app.inject({ method: 'DELETE', url: `/v2/library/no-such-repo/blobs/${digest}` })
      assertOciError(res, 404, 'NAME_UNKNOWN')
    })

    it('DELETE of a blob a manifest references is 405 UNSUPPORTED until the manifest is gone', async () => {
      const r = 'library/blobs-referenced'
      const image = await pushImage(t.app, r, 'v1', 'blobs-referenced')
      for (const blob of [image.config, ...image.layers]) {
        const res = await t.app.inject({ method: 'DELETE', url: `/v2/${r}/blobs/${blob.digest}` })
        assertOciError(res, 405, 'UNSUPPORTED')
        assertStatus(await t.app.inject({ method: 'HEAD', url: `/v2/${r}/blobs/${blob.digest}` }), 200)
      }
      assertStatus(await t.app.inject({ method: 'DELETE', url: `/v2/${r}/manifests/${image.digest}` }), 202)
      for (const blob of [image.config, ...image.layers]) {
        assertStatus(await t.app.inject({ method: 'DELETE', url: `/v2/${r}/blobs/${blob.digest}` }), 202)
      }
    })

    it("a blob of repository A is not readable through repository B until B has it", async () => {
      const a = 'library/blobs-a'
      const b = 'library/blobs-b'
      const mine = bytesOf('only-in-a')
      const d = await pushBlob(t.app, a, mine)
      await pushBlob(t.app, b, bytesOf('something-in-b')) // B exists
      assertOciError(await t.app.inject({ method: 'GET', url: `/v2/${b}/blobs/${d}` }), 404, 'BLOB_UNKNOWN')
      assertStatus(await t.app.inject({ method: 'HEAD', url: `/v2/${b}/blobs/${d}` }), 404)
      assertOciError(await t.app.inject({ method: 'DELETE', url: `/v2/${b}/blobs/${d}` }), 404, 'BLOB_UNKNOWN')
      assert.ok((await getBlob(t.app, a, d)).equals(mine), 'the DELETE through B touched A')
    })

    it('deleting a blob from one repository leaves it readable in another', async () => {
      const shared = bytesOf('shared-blob')
      const d = await pushBlob(t.app, 'library/blobs-c', shared)
      await pushBlob(t.app, 'library/blobs-d', shared)
      assertStatus(await t.app.inject({ method: 'DELETE', url: `/v2/library/blobs-c/blobs/${d}` }), 202)
      assertStatus(await t.app.inject({ method: 'HEAD', url: `/v2/library/blobs-c/blobs/${d}` }), 404)
      assert.ok((await getBlob(t.app, 'library/blobs-d', d)).equals(shared))
    })

    it('a blob pushed again after DELETE is readable again', async () => {
      const b = bytesOf('push-delete-push')
      const d = await pushBlob(t.app, repo, b)
      assertStatus(await t.app.inject({ method: 'DELETE', url: `/v2/${repo}/blobs/${d}` }), 202)
      await pushBlob(t.app, repo, b)
      assert.ok((await getBlob(t.app, repo, d)).equals(b))
    })
  })
}
