// /v2/<name>/blobs/uploads/: monolithic and chunked pushes, upload sessions, and cross-repository mounts.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import { describe, it } from 'node:test'
import { DIALECTS, dialectSkip } from '../../../test/support/databases.js'
import { ADMIN_AUTH, basicAuth } from '../../../test/support/berth-app.js'
import {
  assertOciError,
  assertStatus,
  bytesOf,
  getBlob,
  header,
  pushBlob,
  sha256,
  sha512,
  startUpload,
  useBerth,
  withAuthorization,
  withQuery,
  type App,
  type Response,
} from './oci-test-support.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

function patch(app: App, location: string, chunk: Buffer, range?: string, extra: Record<string, string> = {}): Promise<Response> {
  return app.inject({
    method: 'PATCH',
    url: location,
    headers: { 'content-type': 'application/octet-stream', ...(range === undefined ? {} : { 'content-range': range }), ...extra },
    payload: chunk,
  })
}

function status(app: App, location: string): Promise<Response> {
  return app.inject({ method: 'GET', url: location })
}

const pathOf = (location: string) => location.split('?')[0]!

/** Asserts a 202/204 upload-state answer: Location (same session), Range and Docker-Upload-UUID. */
function assertUploadState(res: Response, code: number, location: string, range: string): void {
  assertStatus(res, code)
  assert.equal(pathOf(header(res, 'location') ?? ''), pathOf(location))
  assert.equal(header(res, 'range'), range)
  assert.equal(header(res, 'docker-upload-uuid'), pathOf(location).split('/').pop())
}

for (const dialect of DIALECTS) {
  describe(`/v2/ uploads (${dialect})`, await dialectSkip(dialect), () => {
    const t = useBerth(dialect)
    const repo = 'library/uploads'

    describe('monolithic POST ?digest=', () => {
      it('is 201 with Location and Docker-Content-Digest, and the blob is readable at Location', async () => {
        const bytes = bytesOf('mono-post', 5000)
        const digest = sha256(bytes)
        const res = await t.app.inject({
          method: 'POST',
          url: `/v2/${repo}/blobs/uploads/?digest=${digest}`,
          headers: { 'content-type': 'application/octet-stream' },
          payload: bytes,
        })
        assertStatus(res, 201)
        assert.equal(header(res, 'location'), `/v2/${repo}/blobs/${digest}`)
        assert.equal(header(res, 'docker-content-digest'), digest)
        const got = await t.app.inject({ method: 'GET', url: header(res, 'location')! })
        assertStatus(got, 200)
        assert.ok(got.rawPayload.equals(bytes))
      })

      it('pushing the same blob twice is 201 both times', async () => {
        const bytes = bytesOf('mono-twice')
        await pushBlob(t.app, repo, bytes)
        await pushBlob(t.app, repo, bytes)
        assert.ok((await getBlob(t.app, repo, sha256(bytes))).equals(bytes))
      })

      it('a digest that does not match the bytes is 400 DIGEST_INVALID and nothing is visible', async () => {
        const bytes = bytesOf('mono-wrong-digest')
        const claimed = sha256('something else entirely')
        const res = await t.app.inject({ method: 'POST', url: `/v2/${repo}/blobs/uploads/?digest=${claimed}`, payload: bytes })
        assertOciError(res, 400, 'DIGEST_INVALID')
        assertStatus(await t.app.inject({ method: 'HEAD', url: `/v2/${repo}/blobs/${claimed}` }), 404)
        assertStatus(await t.app.inject({ method: 'HEAD', url: `/v2/${repo}/blobs/${sha256(bytes)}` }), 404)
      })

      it('a failed first push creates no repository', async () => {
        const r = 'library/uploads-never-created'
        const res = await t.app.inject({ method: 'POST', url: `/v2/${r}/blobs/uploads/?digest=${sha256('x')}`, payload: 'y' })
        assertOciError(res, 400, 'DIGEST_INVALID')
        assertOciError(await t.app.inject({ method: 'GET', url: `/v2/${r}/tags/list` }), 404, 'NAME_UNKNOWN')
      })

      for (const [what, length] of [
        ['larger', 5000],
        ['smaller', 10],
      ] as const) {
        it(`a Content-Length ${what} than the body is 400 SIZE_INVALID and nothing is visible`, async () => {
          const bytes = bytesOf(`mono-length-${what}`, 100)
          const digest = sha256(bytes)
          const res = await t.app.inject({
            method: 'POST',
            url: `/v2/${repo}/blobs/uploads/?digest=${digest}`,
            headers: { 'content-length': String(length) },
            payload: bytes,
          })
          assertOciError(res, 400, 'SIZE_INVALID')
          assertStatus(await t.app.inject({ method: 'HEAD', url: `/v2/${repo}/blobs/${digest}` }), 404)
        })
      }

      it('a malformed digest is 400 DIGEST_INVALID, an unsupported algorithm 400 UNSUPPORTED', async () => {
        const bytes = bytesOf('mono-bad-digest')
        for (const d of ['sha256:nothex', `sha256:${'0'.repeat(10)}`]) {
          assertOciError(await t.app.inject({ method: 'POST', url: `/v2/${repo}/blobs/uploads/?digest=${d}`, payload: bytes }), 400, 'DIGEST_INVALID')
        }
        const md5 = `md5:${'0'.repeat(32)}`
        assertOciError(await t.app.inject({ method: 'POST', url: `/v2/${repo}/blobs/uploads/?digest=${md5}`, payload: bytes }), 400, 'UNSUPPORTED')
      })

      it('an empty ?digest= is 400 DIGEST_INVALID', async () => {
        const res = await t.app.inject({ method: 'POST', url: `/v2/${repo}/blobs/uploads/?digest=`, payload: 'abc' })
        assertOciError(res, 400, 'DIGEST_INVALID')
      })
    })

    describe('sessions', () => {
      /** Sends the rest of the blob (`head` is already in the session) and checks the stored bytes. */
      const assertCompletes = async (location: string, head: Buffer) => {
        const rest = Buffer.from('-the rest of the blob')
        const end = head.length + rest.length - 1
        assertUploadState(await patch(t.app, location, rest, `${head.length}-${end}`), 202, location, `0-${end}`)
        const whole = Buffer.concat([head, rest])
        assertStatus(await t.app.inject({ method: 'PUT', url: withQuery(location, { digest: sha256(whole) }) }), 201)
        assert.ok((await getBlob(t.app, repo, sha256(whole))).equals(whole), 'a refused chunk left bytes behind')
      }

      it('POST opens a session: 202, Location under the repository, Range 0-0, Docker-Upload-UUID', async () => {
        const res = await t.app.inject({ method: 'POST', url: `/v2/${repo}/blobs/uploads/`, headers: { 'content-length': '0' } })
        assertStatus(res, 202)
        const location = header(res, 'location')!
        assert.match(location, new RegExp(`^/v2/${repo}/blobs/uploads/[^/?]+`))
        assert.match(header(res, 'docker-upload-uuid') ?? '', UUID)
        assert.equal(pathOf(location).split('/').pop(), header(res, 'docker-upload-uuid'))
        assert.equal(header(res, 'range'), '0-0')
        assertUploadState(await status(t.app, location), 204, location, '0-0')
      })

      it('each POST opens a different session', async () => {
        const a = await startUpload(t.app, repo)
        const b = await startUpload(t.app, repo)
        assert.notEqual(a, b)
      })

      it('POST then PUT with the whole body is 201, and the session is closed', async () => {
        const bytes = bytesOf('post-put', 2000)
        const digest = sha256(bytes)
        const location = await startUpload(t.app, repo)
        const res = await t.app.inject({
          method: 'PUT',
          url: withQuery(location, { digest }),
          headers: { 'content-type': 'application/octet-stream' },
          payload: bytes,
        })
        assertStatus(res, 201)
        assert.equal(header(res, 'location'), `/v2/${repo}/blobs/${digest}`)
        assert.equal(header(res, 'docker-content-digest'), digest)
        assert.ok((await getBlob(t.app, repo, digest)).equals(bytes))
        assertOciError(await status(t.app, location), 404, 'BLOB_UPLOAD_UNKNOWN')
        assertOciError(await patch(t.app, location, Buffer.from('more')), 404, 'BLOB_UPLOAD_UNKNOWN')
      })

      it('chunked PATCHes with Content-Range, a status GET, then PUT without a body', async () => {
        const bytes = bytesOf('chunked', 25)
        const digest = sha256(bytes)
        const location = await startUpload(t.app, repo)

        const first = await patch(t.app, location, bytes.subarray(0, 10), '0-9')
        assertUploadState(first, 202, location, '0-9')
        assert.equal(header(first, 'content-length'), '0')
        const second = await patch(t.app, header(first, 'location')!, bytes.subarray(10, 20), '10-19')
        assertUploadState(second, 202, location, '0-19')
        assertUploadState(await status(t.app, location), 204, location, '0-19')
        // The spec's "bytes a-b/total" form is accepted too.
        const third = await patch(t.app, location, bytes.subarray(20), 'bytes 20-24/25')
        assertUploadState(third, 202, location, '0-24')

        // Not a blob until the session is closed.
        assertOciError(await t.app.inject({ method: 'GET', url: `/v2/${repo}/blobs/${digest}` }), 404, 'BLOB_UNKNOWN')
        const done = await t.app.inject({ method: 'PUT', url: withQuery(location, { digest }) })
        assertStatus(done, 201)
        assert.equal(header(done, 'location'), `/v2/${repo}/blobs/${digest}`)
        assert.equal(header(done, 'docker-content-digest'), digest)
        assert.ok((await getBlob(t.app, repo, digest)).equals(bytes))
      })

      it('PATCH without Content-Range appends a streamed chunk', async () => {
        const bytes = bytesOf('streamed-chunks', 300)
        const location = await startUpload(t.app, repo)
        assertUploadState(await patch(t.app, location, bytes.subarray(0, 100)), 202, location, '0-99')
        assertUploadState(await patch(t.app, location, bytes.subarray(100)), 202, location, '0-299')
        const digest = sha256(bytes)
        assertStatus(await t.app.inject({ method: 'PUT', url: withQuery(location, { digest }) }), 201)
        assert.ok((await getBlob(t.app, repo, digest)).equals(bytes))
      })

      it('an out-of-order chunk is 416 and leaves the session as it was', async () => {
        const bytes = bytesOf('out-of-order', 30)
        const location = await startUpload(t.app, repo)
        assertUploadState(await patch(t.app, location, bytes.subarray(0, 10), '0-9'), 202, location, '0-9')

        const gap = await patch(t.app, location, bytes.subarray(15, 20), '15-19')
        assertOciError(gap, 416, 'BLOB_UPLOAD_INVALID')
        assert.equal(header(gap, 'range'), '0-9')
        assert.equal(pathOf(header(gap, 'location') ?? ''), pathOf(location))
        assertUploadState(await status(t.app, location), 204, location, '0-9')

        // The upload continues from where it really is, and the skipped bytes never got in.
        assertUploadState(await patch(t.app, location, bytes.subarray(10), '10-29'), 202, location, '0-29')
        const digest = sha256(bytes)
        assertStatus(await t.app.inject({ method: 'PUT', url: withQuery(location, { digest }) }), 201)
        assert.ok((await getBlob(t.app, repo, digest)).equals(bytes))
      })

      it('a repeated (stale) chunk is 416 and is not appended twice', async () => {
        const bytes = bytesOf('stale-chunk', 20)
        const location = await startUpload(t.app, repo)
        assertUploadState(await patch(t.app, location, bytes.subarray(0, 10), '0-9'), 202, location, '0-9')
        assertUploadState(await patch(t.app, location, bytes.subarray(10, 20), '10-19'), 202, location, '0-19')
        const again = await patch(t.app, location, bytes.subarray(10, 20), '10-19')
        assertOciError(again, 416, 'BLOB_UPLOAD_INVALID')
        assert.equal(header(again, 'range'), '0-19')
        assertOciError(await patch(t.app, location, bytes.subarray(0, 10), '0-9'), 416, 'BLOB_UPLOAD_INVALID')
        assertUploadState(await status(t.app, location), 204, location, '0-19')
        const digest = sha256(bytes)
        assertStatus(await t.app.inject({ method: 'PUT', url: withQuery(location, { digest }) }), 201)
        assert.ok((await getBlob(t.app, repo, digest)).equals(bytes))
      })

      it('a first chunk that does not start at 0 is 416', async () => {
        const location = await startUpload(t.app, repo)
        assertOciError(await patch(t.app, location, Buffer.from('abcde'), '5-9'), 416, 'BLOB_UPLOAD_INVALID')
        assertUploadState(await status(t.app, location), 204, location, '0-0')
      })

      it('PUT may carry the final chunk with its Content-Range', async () => {
        const bytes = bytesOf('final-chunk-in-put', 50)
        const digest = sha256(bytes)
        const location = await startUpload(t.app, repo)
        assertUploadState(await patch(t.app, location, bytes.subarray(0, 30), '0-29'), 202, location, '0-29')
        const done = await t.app.inject({
          method: 'PUT',
          url: withQuery(location, { digest }),
          headers: { 'content-type': 'application/octet-stream', 'content-range': '30-49' },
          payload: bytes.subarray(30),
        })
        assertStatus(done, 201)
        assert.equal(header(done, 'docker-content-digest'), digest)
        assert.ok((await getBlob(t.app, repo, digest)).equals(bytes))
      })

      it('a PUT whose final chunk is out of order is 416 and the session survives', async () => {
        const bytes = bytesOf('put-out-of-order', 20)
        const location = await startUpload(t.app, repo)
        assertUploadState(await patch(t.app, location, bytes.subarray(0, 10), '0-9'), 202, location, '0-9')
        const res = await t.app.inject({
          method: 'PUT',
          url: withQuery(location, { digest: sha256(bytes) }),
          headers: { 'content-range': '12-21' },
          payload: bytes.subarray(10),
        })
        assertOciError(res, 416, 'BLOB_UPLOAD_INVALID')
        assertUploadState(await status(t.app, location), 204, location, '0-9')
      })

      it('chunked uploads close with a sha512 digest too', async () => {
        const bytes = bytesOf('sha512-chunked', 40)
        const digest = sha512(bytes)
        const location = await startUpload(t.app, repo)
        assertUploadState(await patch(t.app, location, bytes.subarray(0, 20), '0-19'), 202, location, '0-19')
        const done = await t.app.inject({
          method: 'PUT',
          url: withQuery(location, { digest }),
          headers: { 'content-range': '20-39' },
          payload: bytes.subarray(20),
        })
        assertStatus(done, 201)
        assert.equal(header(done, 'docker-content-digest'), digest)
        assert.ok((await getBlob(t.app, repo, digest)).equals(bytes))
      })

      it('PUT without a digest is 400 DIGEST_INVALID', async () => {
        const location = await startUpload(t.app, repo)
        assertStatus(await patch(t.app, location, Buffer.from('data'), '0-3'), 202)
        assertOciError(await t.app.inject({ method: 'PUT', url: location }), 400, 'DIGEST_INVALID')
        assertOciError(await t.app.inject({ method: 'PUT', url: withQuery(location, { digest: 'sha256:zz' }) }), 400, 'DIGEST_INVALID')
      })

      it('PUT with the wrong digest is 400 DIGEST_INVALID and the session is gone', async () => {
        const bytes = bytesOf('put-wrong-digest', 40)
        const wrong = sha256('not these bytes')
        const location = await startUpload(t.app, repo)
        assertStatus(await patch(t.app, location, bytes, '0-39'), 202)
        assertOciError(await t.app.inject({ method: 'PUT', url: withQuery(location, { digest: wrong }) }), 400, 'DIGEST_INVALID')
        assertOciError(await status(t.app, location), 404, 'BLOB_UPLOAD_UNKNOWN')
        assertOciError(await patch(t.app, location, Buffer.from('x')), 404, 'BLOB_UPLOAD_UNKNOWN')
        assertOciError(await t.app.inject({ method: 'PUT', url: withQuery(location, { digest: sha256(bytes) }) }), 404, 'BLOB_UPLOAD_UNKNOWN')
        assertStatus(await t.app.inject({ method: 'HEAD', url: `/v2/${repo}/blobs/${wrong}` }), 404)
        assertStatus(await t.app.inject({ method: 'HEAD', url: `/v2/${repo}/blobs/${sha256(bytes)}` }), 404)
      })

      it('PUT with the wrong digest and a final chunk is 400 DIGEST_INVALID and the session is gone', async () => {
        const location = await startUpload(t.app, repo)
        const res = await t.app.inject({ method: 'PUT', url: withQuery(location, { digest: sha256('other') }), payload: 'final bytes' })
        assertOciError(res, 400, 'DIGEST_INVALID')
        assertOciError(await status(t.app, location), 404, 'BLOB_UPLOAD_UNKNOWN')
      })

      it('DELETE cancels a session: 204, then 404 BLOB_UPLOAD_UNKNOWN for every method', async () => {
        const location = await startUpload(t.app, repo)
        assertStatus(await patch(t.app, location, Buffer.from('doomed'), '0-5'), 202)
        const del = await t.app.inject({ method: 'DELETE', url: location })
        assertStatus(del, 204)
        assertOciError(await status(t.app, location), 404, 'BLOB_UPLOAD_UNKNOWN')
        assertOciError(await patch(t.app, location, Buffer.from('x'), '6-6'), 404, 'BLOB_UPLOAD_UNKNOWN')
        assertOciError(await t.app.inject({ method: 'PUT', url: withQuery(location, { digest: sha256('doomed') }) }), 404, 'BLOB_UPLOAD_UNKNOWN')
        assertOciError(await t.app.inject({ method: 'DELETE', url: location }), 404, 'BLOB_UPLOAD_UNKNOWN')
      })

      for (const [what, id] of [
        ['an unknown id', randomUUID()],
        ['a garbage id', 'not-an-upload'],
        ['an upper-case id', randomUUID().toUpperCase()],
        ['an injection attempt', "x'%20OR%20'1'%3D'1"],
      ] as const) {
        it(`${what} is 404 BLOB_UPLOAD_UNKNOWN for GET, PATCH, PUT and DELETE`, async () => {
          const location = `/v2/${repo}/blobs/uploads/${id}`
          assertOciError(await status(t.app, location), 404, 'BLOB_UPLOAD_UNKNOWN')
          assertOciError(await patch(t.app, location, Buffer.from('x'), '0-0'), 404, 'BLOB_UPLOAD_UNKNOWN')
          assertOciError(await t.app.inject({ method: 'PUT', url: withQuery(location, { digest: sha256('x') }), payload: 'x' }), 404, 'BLOB_UPLOAD_UNKNOWN')
          assertOciError(await t.app.inject({ method: 'DELETE', url: location }), 404, 'BLOB_UPLOAD_UNKNOWN')
        })
      }

      it('a session of one repository is unknown under another name', async () => {
        const bytes = bytesOf('cross-repo-session', 12)
        const location = await startUpload(t.app, repo)
        assertStatus(await patch(t.app, location, bytes.subarray(0, 6), '0-5'), 202)
        const foreign = location.replace(`/v2/${repo}/`, '/v2/library/uploads-other/')
        assert.notEqual(foreign, location)
        assertOciError(await status(t.app, foreign), 404, 'BLOB_UPLOAD_UNKNOWN')
        assertOciError(await patch(t.app, foreign, bytes.subarray(6), '6-11'), 404, 'BLOB_UPLOAD_UNKNOWN')
        assertOciError(await t.app.inject({ method: 'PUT', url: withQuery(foreign, { digest: sha256(bytes.subarray(0, 6)) }) }), 404, 'BLOB_UPLOAD_UNKNOWN')
        assertOciError(await t.app.inject({ method: 'DELETE', url: foreign }), 404, 'BLOB_UPLOAD_UNKNOWN')
        assertStatus(await t.app.inject({ method: 'HEAD', url: `/v2/library/uploads-other/blobs/${sha256(bytes.subarray(0, 6))}` }), 404)
        // The owner's session is untouched.
        assertUploadState(await status(t.app, location), 204, location, '0-5')
        assertStatus(await patch(t.app, location, bytes.subarray(6), '6-11'), 202)
        assertStatus(await t.app.inject({ method: 'PUT', url: withQuery(location, { digest: sha256(bytes) }) }), 201)
      })

      for (const range of ['abc', '0-', '-5', 'bytes 0-x', '0-1-2', '1.5-3']) {
        it(`a malformed Content-Range (${range}) is 400 BLOB_UPLOAD_INVALID`, async () => {
          const location = await startUpload(t.app, repo)
          assertOciError(await patch(t.app, location, Buffer.from('abc'), range), 400, 'BLOB_UPLOAD_INVALID')
          assertUploadState(await status(t.app, location), 204, location, '0-0')
        })
      }

      it('a chunk longer than its Content-Range is 400 SIZE_INVALID and not appended', async () => {
        const location = await startUpload(t.app, repo)
        assertStatus(await patch(t.app, location, Buffer.from('0123456789'), '0-9'), 202)
        const res = await t.app.inject({
          method: 'PATCH',
          url: location,
          headers: { 'content-range': '10-12', 'transfer-encoding': 'chunked' },
          payload: Readable.from([Buffer.from('abcdefgh')]), // no Content-Length: only the range limits it
        })
        assertOciError(res, 400, 'SIZE_INVALID')
        assertUploadState(await status(t.app, location), 204, location, '0-9')
        await assertCompletes(location, Buffer.from('0123456789'))
      })

      it('streamed bodies without Content-Length work for POST, PATCH and PUT', async () => {
        // What a client streaming over HTTP/1.1 sends instead of a Content-Length.
        const chunked = { 'transfer-encoding': 'chunked' }
        const bytes = bytesOf('streamed-bodies', 3000)
        const digest = sha256(bytes)
        const mono = await t.app.inject({
          method: 'POST',
          url: `/v2/${repo}/blobs/uploads/?digest=${digest}`,
          headers: chunked,
          payload: Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]),
        })
        assertStatus(mono, 201)
        assert.ok((await getBlob(t.app, repo, digest)).equals(bytes))

        const other = bytesOf('streamed-bodies-2', 3000)
        const location = await startUpload(t.app, repo)
        const chunk = await t.app.inject({ method: 'PATCH', url: location, headers: chunked, payload: Readable.from([other.subarray(0, 500), other.subarray(500, 2000)]) })
        assertUploadState(chunk, 202, location, '0-1999')
        const done = await t.app.inject({ method: 'PUT', url: withQuery(location, { digest: sha256(other) }), headers: chunked, payload: Readable.from([other.subarray(2000)]) })
        assertStatus(done, 201)
        assert.ok((await getBlob(t.app, repo, sha256(other))).equals(other))
      })

      it('a blob of over 2 MiB in 1 MiB chunks arrives intact', async () => {
        const MiB = 1 << 20
        const bytes = bytesOf('large-chunked', 2 * MiB + 123)
        const digest = sha256(bytes)
        const location = await startUpload(t.app, repo)
        for (let offset = 0; offset < bytes.length; offset += MiB) {
          const chunk = bytes.subarray(offset, Math.min(offset + MiB, bytes.length))
          const res = await patch(t.app, location, chunk, `${offset}-${offset + chunk.length - 1}`)
          assertUploadState(res, 202, location, `0-${offset + chunk.length - 1}`)
        }
        assertStatus(await t.app.inject({ method: 'PUT', url: withQuery(location, { digest }) }), 201)
        const got = await t.app.inject({ method: 'GET', url: `/v2/${repo}/blobs/${digest}` })
        assert.equal(header(got, 'content-length'), String(bytes.length))
        assert.equal(sha256(got.rawPayload), digest)
        const boundary = await t.app.inject({ method: 'GET', url: `/v2/${repo}/blobs/${digest}`, headers: { range: `bytes=${MiB - 5}-${MiB + 4}` } })
        assertStatus(boundary, 206)
        assert.ok(boundary.rawPayload.equals(bytes.subarray(MiB - 5, MiB + 5)), 'wrong bytes across a chunk boundary')
      })

      it('a Content-Range and Content-Length that disagree are 400 SIZE_INVALID', async () => {
        const location = await startUpload(t.app, repo)
        assertStatus(await patch(t.app, location, Buffer.from('0123456789'), '0-9'), 202)
        const res = await patch(t.app, location, Buffer.from('abcde'), '10-19', { 'content-length': '5' })
        assertOciError(res, 400, 'SIZE_INVALID')
        assertUploadState(await status(t.app, location), 204, location, '0-9')
        await assertCompletes(location, Buffer.from('0123456789'))
      })

      it('a chunk shorter than its Content-Range is 400 SIZE_INVALID and not appended', async () => {
        const location = await startUpload(t.app, repo)
        assertStatus(await patch(t.app, location, Buffer.from('0123456789'), '0-9'), 202)
        const res = await t.app.inject({
          method: 'PATCH',
          url: location,
          headers: { 'content-range': '10-19', 'content-length': '10' },
          payload: Buffer.from('abc'),
        })
        assertOciError(res, 400, 'SIZE_INVALID')
        assertUploadState(await status(t.app, location), 204, location, '0-9')
        await assertCompletes(location, Buffer.from('0123456789'))
      })
    })

    describe('concurrency', () => {
      it('of concurrent chunks at the same offset exactly one is appended', async () => {
        const location = await startUpload(t.app, repo)
        const chunks = [0, 1, 2, 3].map((i) => bytesOf(`race-chunk-${i}`, 10))
        const results = await Promise.all(chunks.map((c) => patch(t.app, location, c, '0-9')))
        const winners = results.flatMap((r, i) => (r.statusCode === 202 ? [i] : []))
        assert.equal(winners.length, 1, `statuses: ${results.map((r) => r.statusCode).join(', ')}`)
        for (const [i, r] of results.entries()) if (i !== winners[0]) assertOciError(r, 416, 'BLOB_UPLOAD_INVALID')
        assertUploadState(await status(t.app, location), 204, location, '0-9')
        const won = chunks[winners[0]!]!
        assertStatus(await t.app.inject({ method: 'PUT', url: withQuery(location, { digest: sha256(won) }) }), 201)
        assert.ok((await getBlob(t.app, repo, sha256(won))).equals(won))
      })

      it('concurrent first pushes into a new repository all succeed and create it once', async () => {
        const r = 'library/uploads-concurrent'
        const blobs = [...[0, 1, 2, 3, 4, 5].map((i) => bytesOf(`concurrent-${i}`)), bytesOf('concurrent-same'), bytesOf('concurrent-same')]
        const results = await Promise.all(
          blobs.map((b) => t.app.inject({ method: 'POST', url: `/v2/${r}/blobs/uploads/?digest=${sha256(b)}`, payload: b })),
        )
        for (const res of results) assertStatus(res, 201)
        for (const b of blobs) assert.ok((await getBlob(t.app, r, sha256(b))).equals(b))
        const catalog = await t.app.inject({ method: 'GET', url: '/v2/_catalog?n=10000' })
        assert.equal((catalog.json() as { repositories: string[] }).repositories.filter((x) => x === r).length, 1)
      })
    })

    describe('mount', () => {
      it('mounting an existing blob from another repository is 201, and the target can read it', async () => {
        const bytes = bytesOf('mount-me', 700)
        const digest = await pushBlob(t.app, 'library/mount-source', bytes)
        const target = 'library/mount-target'
        assertStatus(await t.app.inject({ method: 'HEAD', url: `/v2/${target}/blobs/${digest}` }), 404)
        const res = await t.app.inject({ method: 'POST', url: `/v2/${target}/blobs/uploads/?mount=${digest}&from=library/mount-source` })
        assertStatus(res, 201)
        assert.equal(header(res, 'location'), `/v2/${target}/blobs/${digest}`)
        assert.equal(header(res, 'docker-content-digest'), digest)
        const got = await t.app.inject({ method: 'GET', url: header(res, 'location')! })
        assertStatus(got, 200)
        assert.equal(header(got, 'content-length'), '700')
        assert.ok(got.rawPayload.equals(bytes))
      })

      it('mounting from a repository that lacks the blob falls back to a new session (202)', async () => {
        const bytes = bytesOf('mount-fallback')
        const digest = await pushBlob(t.app, 'library/mount-has-it', bytes)
        await pushBlob(t.app, 'library/mount-lacks-it', bytesOf('mount-other'))
        const target = 'library/mount-fallback-target'
        const res = await t.app.inject({ method: 'POST', url: `/v2/${target}/blobs/uploads/?mount=${digest}&from=library/mount-lacks-it` })
        assertStatus(res, 202)
        const location = header(res, 'location')!
        assert.match(location, new RegExp(`^/v2/${target}/blobs/uploads/[^/?]+`))
        assert.match(header(res, 'docker-upload-uuid') ?? '', UUID)
        assertStatus(await t.app.inject({ method: 'HEAD', url: `/v2/${target}/blobs/${digest}` }), 404)
        // The fallback session is a real one.
        assertStatus(await t.app.inject({ method: 'PUT', url: withQuery(location, { digest }), payload: bytes }), 201)
        assert.ok((await getBlob(t.app, target, digest)).equals(bytes))
      })

      it('mounting from a repository that does not exist falls back to a new session (202)', async () => {
        const digest = await pushBlob(t.app, 'library/mount-exists', bytesOf('mount-from-nowhere'))
        const target = 'library/mount-nowhere-target'
        const res = await t.app.inject({ method: 'POST', url: `/v2/${target}/blobs/uploads/?mount=${digest}&from=library/no-such-repo` })
        assertStatus(res, 202)
        assert.match(header(res, 'location') ?? '', new RegExp(`^/v2/${target}/blobs/uploads/`))
        assertStatus(await t.app.inject({ method: 'HEAD', url: `/v2/${target}/blobs/${digest}` }), 404)
      })

      it('the challenge of a mount asks pull on its source too, and a token holding both scopes mounts', async () => {
        await t.app.inject({ method: 'POST', url: '/api/v2.0/projects', payload: { project_name: 'mount-private' } })
        await t.app.inject({ method: 'POST', url: '/api/v2.0/projects', payload: { project_name: 'mount-dst' } })
        await t.app.inject({ method: 'POST', url: '/api/v2.0/users', payload: { username: 'mounter', password: 'Mounter-Passw0rd', email: 'mounter@example.com' } })
        assertStatus(await t.app.inject({ method: 'POST', url: '/api/v2.0/projects/mount-dst/members', payload: { role_id: 2, member_user: { username: 'mounter' } } }), 201)
        const digest = await pushBlob(t.app, 'mount-private/src', bytesOf('mount-private-src'))
        const url = `/v2/mount-dst/app/blobs/uploads/?mount=${digest}&from=mount-private/src`
        const challenged = await t.anonymous.inject({ method: 'POST', url })
        assertOciError(challenged, 401, 'UNAUTHORIZED')
        const m = /scope="([^"]*)"/.exec(header(challenged, 'www-authenticate') ?? '')
        assert.equal(m?.[1], 'repository:mount-dst/app:pull,push repository:mount-private/src:pull')
        // What a token client does with it: one scope parameter per space-separated scope.
        const tokenFor = async (authorization: string) => {
          const query = m![1]!.split(' ').map((sc) => `scope=${encodeURIComponent(sc)}`).join('&')
          const res = await t.anonymous.inject({ method: 'GET', url: `/service/token?service=berth-registry&${query}`, headers: { authorization } })
          assertStatus(res, 200)
          return `Bearer ${res.json().token as string}`
        }
        // Without pull on the source (mounter is no member of mount-private), the mount falls back to an upload.
        const fallback = await t.anonymous.inject({ method: 'POST', url, headers: { authorization: await tokenFor(basicAuth('mounter', 'Mounter-Passw0rd')) } })
        assertStatus(fallback, 202)
        assertStatus(await t.app.inject({ method: 'HEAD', url: `/v2/mount-dst/app/blobs/${digest}` }), 404)
        const mounted = await t.anonymous.inject({ method: 'POST', url, headers: { authorization: await tokenFor(ADMIN_AUTH) } })
        assertStatus(mounted, 201)
        assert.equal(header(mounted, 'location'), `/v2/mount-dst/app/blobs/${digest}`)
        assertStatus(await t.app.inject({ method: 'HEAD', url: `/v2/mount-dst/app/blobs/${digest}` }), 200)
      })

      it('mounting without from finds the blob in any repository (201)', async () => {
        const bytes = bytesOf('mount-anywhere')
        const digest = await pushBlob(t.app, 'library/mount-anywhere-source', bytes)
        const target = 'library/mount-anywhere-target'
        const res = await t.app.inject({ method: 'POST', url: `/v2/${target}/blobs/uploads/?mount=${digest}` })
        assertStatus(res, 201)
        assert.equal(header(res, 'location'), `/v2/${target}/blobs/${digest}`)
        assert.equal(header(res, 'docker-content-digest'), digest)
        assert.ok((await getBlob(t.app, target, digest)).equals(bytes))
      })

      it('mounting a blob that exists nowhere falls back to a new session (202)', async () => {
        const digest = sha256('exists nowhere')
        const res = await t.app.inject({ method: 'POST', url: `/v2/${repo}/blobs/uploads/?mount=${digest}` })
        assertStatus(res, 202)
        assert.match(header(res, 'location') ?? '', new RegExp(`^/v2/${repo}/blobs/uploads/`))
        assertStatus(await t.app.inject({ method: 'HEAD', url: `/v2/${repo}/blobs/${digest}` }), 404)
      })

      it('a malformed from is 400 NAME_INVALID', async () => {
        const digest = await pushBlob(t.app, 'library/mount-bad-from', bytesOf('mount-bad-from'))
        for (const from of ['Library/x', 'single', 'library/../x', 'library//x']) {
          const res = await t.app.inject({
            method: 'POST',
            url: `/v2/${repo}/blobs/uploads/?${new URLSearchParams({ mount: digest, from }).toString()}`,
          })
          assertOciError(res, 400, 'NAME_INVALID')
        }
      })

      it('a malformed mount digest is 400 DIGEST_INVALID', async () => {
        const res = await t.app.inject({ method: 'POST', url: `/v2/${repo}/blobs/uploads/?mount=sha256:nope&from=library/mount-source` })
        assertOciError(res, 400, 'DIGEST_INVALID')
      })

      it('mounting from a repository that deleted the blob falls back to a new session (202)', async () => {
        const digest = await pushBlob(t.app, 'library/mount-deleted-source', bytesOf('mount-deleted'))
        assertStatus(await t.app.inject({ method: 'DELETE', url: `/v2/library/mount-deleted-source/blobs/${digest}` }), 202)
        const target = 'library/mount-deleted-target'
        const res = await t.app.inject({ method: 'POST', url: `/v2/${target}/blobs/uploads/?mount=${digest}&from=library/mount-deleted-source` })
        assertStatus(res, 202)
        assertStatus(await t.app.inject({ method: 'HEAD', url: `/v2/${target}/blobs/${digest}` }), 404)
      })

      it('a mounted blob stays readable in the target after the source deletes it', async () => {
        const bytes = bytesOf('mount-then-delete')
        const digest = await pushBlob(t.app, 'library/mount-del-source', bytes)
        const target = 'library/mount-del-target'
        assertStatus(await t.app.inject({ method: 'POST', url: `/v2/${target}/blobs/uploads/?mount=${digest}&from=library/mount-del-source` }), 201)
        assertStatus(await t.app.inject({ method: 'DELETE', url: `/v2/library/mount-del-source/blobs/${digest}` }), 202)
        assert.ok((await getBlob(t.app, target, digest)).equals(bytes))
      })
    })
  })

  describe(`/v2/ open upload sessions per caller (${dialect})`, await dialectSkip(dialect), () => {
    const CAP = 3
    const t = useBerth(dialect, { registry: { max_open_uploads: CAP } })
    const repo = 'library/capped'
    const post = (app: App, name = repo, query = '') => app.inject({ method: 'POST', url: `/v2/${name}/blobs/uploads/${query}`, headers: { 'content-length': '0' } })
    /** Ends every open session, as the idle purge does once they are old enough. */
    const purgeAll = () => t.berth.blobService.purgeIdleUploads(new Date(Date.now() + 60_000))
    const assertCapped = (res: Response) => {
      assertOciError(res, 429, 'TOOMANYREQUESTS')
      assert.equal(header(res, 'retry-after'), '10')
    }

    it('past the cap a new session, a monolithic push or a mount fallback is 429 TOOMANYREQUESTS with Retry-After; other callers go on', async () => {
      await purgeAll()
      for (let i = 0; i < CAP; i++) assertStatus(await post(t.app), 202)
      assertCapped(await post(t.app))
      assertCapped(await post(t.app, 'library/elsewhere'))
      const bytes = bytesOf('capped-monolithic')
      const monolithic = await t.app.inject({ method: 'POST', url: `/v2/${repo}/blobs/uploads/?digest=${sha256(bytes)}`, headers: { 'content-type': 'application/octet-stream' }, payload: bytes })
      assertCapped(monolithic)
      assertCapped(await post(t.app, repo, `?mount=${sha256('nowhere')}`))

      // Another user has slots of their own.
      const admin = (method: 'POST', path: string, payload: object) => t.app.inject({ method, url: `/api/v2.0${path}`, payload })
      assertStatus(await admin('POST', '/users', { username: 'capped-bob', password: 'Capped-Bob-Passw0rd', email: 'bob@example.com', realname: 'Bob' }), 201)
      const bob = withAuthorization(t.anonymous, basicAuth('capped-bob', 'Capped-Bob-Passw0rd'))
      assertStatus(await bob.inject({ method: 'POST', url: '/api/v2.0/projects', payload: { project_name: 'bobs' } }), 201)
      assertStatus(await post(bob, 'bobs/app'), 202)
    })

    it('completed, cancelled and purged sessions free their slot', async () => {
      await purgeAll()
      const open: string[] = []
      for (let i = 0; i < CAP; i++) open.push(await startUpload(t.app, repo))
      assertCapped(await post(t.app))
      // Cancelled.
      assertStatus(await t.app.inject({ method: 'DELETE', url: pathOf(open.shift()!) }), 204)
      open.push(await startUpload(t.app, repo))
      assertCapped(await post(t.app))
      // Completed.
      const bytes = bytesOf('capped-complete')
      const done = await t.app.inject({ method: 'PUT', url: withQuery(open.shift()!, { digest: sha256(bytes) }), headers: { 'content-type': 'application/octet-stream' }, payload: bytes })
      assertStatus(done, 201)
      open.push(await startUpload(t.app, repo))
      assertCapped(await post(t.app))
      // Abandoned, then purged by age.
      assert.equal(await purgeAll(), CAP)
      for (let i = 0; i < CAP; i++) assertStatus(await post(t.app), 202)
    })

    it('a burst of parallel openings by one caller stops at the cap', async () => {
      await purgeAll()
      const answers = await Promise.all(Array.from({ length: 20 }, () => post(t.app)))
      const opened = answers.filter((r) => r.statusCode === 202).length
      // One node serialises one caller's openings: the cap holds exactly here.
      assert.equal(opened, CAP)
      for (const r of answers.filter((x) => x.statusCode !== 202)) assertCapped(r)
    })
  })
}
