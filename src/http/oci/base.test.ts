// /v2/ HTTP: the base endpoint, unknown paths and methods, repository names, projects, request ids.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { DIALECTS, dialectSkip } from '../../../test/support/databases.js'
import {
  OCI_MANIFEST,
  assertOciError,
  assertStatus,
  bytesOf,
  descriptorOf,
  header,
  manifestText,
  pushBlob,
  putManifest,
  sha256,
  useBerth,
} from './oci-test-support.js'

for (const dialect of DIALECTS) {
  describe(`/v2/ base, names and request ids (${dialect})`, await dialectSkip(dialect), () => {
    const t = useBerth(dialect)

    describe('base endpoint', () => {
      it('GET /v2/ answers 200 with the API version header and a JSON body', async () => {
        const res = await t.app.inject({ method: 'GET', url: '/v2/' })
        assertStatus(res, 200)
        assert.equal(header(res, 'docker-distribution-api-version'), 'registry/2.0')
        assert.match(header(res, 'content-type') ?? '', /^application\/json/)
        assert.deepEqual(res.json(), {})
      })

      it('GET /v2 (no slash) and HEAD /v2/ answer 200 too', async () => {
        const a = await t.app.inject({ method: 'GET', url: '/v2' })
        assertStatus(a, 200)
        assert.equal(header(a, 'docker-distribution-api-version'), 'registry/2.0')
        const b = await t.app.inject({ method: 'HEAD', url: '/v2/' })
        assertStatus(b, 200)
        assert.equal(header(b, 'docker-distribution-api-version'), 'registry/2.0')
        assert.equal(b.body, '')
      })

      it('an unknown path under /v2/ is a 404 OCI error', async () => {
        for (const url of ['/v2/library/x/nothing', '/v2/library/x/blobs', '/v2/_unknown', '/v2/library/x/manifests/']) {
          const res = await t.app.inject({ method: 'GET', url })
          assertOciError(res, 404, 'UNSUPPORTED')
          assert.equal(header(res, 'docker-distribution-api-version'), 'registry/2.0', url)
        }
      })

      it('a method a known path does not serve is 405 with Allow', async () => {
        const digest = sha256('whatever')
        const cases: [string, string, string[]][] = [
          ['POST', '/v2/library/x/manifests/latest', ['GET', 'HEAD', 'PUT', 'DELETE']],
          ['PATCH', `/v2/library/x/blobs/${digest}`, ['GET', 'HEAD', 'DELETE']],
          ['PUT', `/v2/library/x/blobs/${digest}`, ['GET', 'HEAD', 'DELETE']],
          ['DELETE', '/v2/_catalog', ['GET']],
          ['PUT', '/v2/library/x/tags/list', ['GET']],
          ['GET', '/v2/library/x/blobs/uploads/', ['POST']],
          ['POST', `/v2/library/x/referrers/${digest}`, ['GET']],
        ]
        for (const [method, url, allowed] of cases) {
          const res = await t.app.inject({ method: method as 'GET', url })
          assertOciError(res, 405, 'UNSUPPORTED')
          const allow = (header(res, 'allow') ?? '').split(/,\s*/).sort()
          assert.deepEqual(allow, [...allowed].sort(), `${method} ${url}`)
        }
        for (const method of ['POST', 'PUT', 'DELETE', 'PATCH'] as const) {
          assertOciError(await t.app.inject({ method, url: '/v2/' }), 405, 'UNSUPPORTED')
        }
      })
    })

    describe('repository names', () => {
      // inject() parses URLs with WHATWG URL, which resolves dot segments, '%2e%2e' included
      // ('library/../etc' arrives as 'etc'); behind encoded slashes, or encoded twice, the dots
      // reach the name parser intact, as they would from a raw HTTP client.
      const hostile: [string, string][] = [
        ['dot segments', 'library/../etc'],
        ['percent-encoded dot segments', 'library/%2e%2e/etc'],
        ['dot segments behind encoded slashes', 'library%2F..%2Fetc'],
        ['encoded dots', 'library/%252e%252e'],
        ['a dot component', 'library%2F.%2Fx'],
        ['upper case', 'LIBRARY/x'],
        ['upper case in the repository', 'library/Hello'],
        ['a single component', 'hello'],
        ['an empty component', 'library//x'],
        ['a trailing slash', 'library/x/'],
        ['a leading separator', 'library/-x'],
        ['a trailing separator', 'library/x_'],
        ['a space', 'library/a%20b'],
        ['256 characters', `library/${'a'.repeat(248)}`],
        ['a NUL byte', 'library/x%00'],
      ]
      const digest = sha256('names')

      for (const [what, name] of hostile) {
        it(`refuses a name with ${what} on every endpoint (400 NAME_INVALID)`, async () => {
          const requests: [string, string][] = [
            ['GET', `/v2/${name}/tags/list`],
            ['GET', `/v2/${name}/manifests/latest`],
            ['HEAD', `/v2/${name}/manifests/latest`],
            ['PUT', `/v2/${name}/manifests/latest`],
            ['DELETE', `/v2/${name}/manifests/latest`],
            ['GET', `/v2/${name}/blobs/${digest}`],
            ['DELETE', `/v2/${name}/blobs/${digest}`],
            ['POST', `/v2/${name}/blobs/uploads/`],
            ['GET', `/v2/${name}/referrers/${digest}`],
          ]
          for (const [method, url] of requests) {
            const res = await t.app.inject({
              method: method as 'GET',
              url,
              ...(method === 'PUT' ? { headers: { 'content-type': OCI_MANIFEST }, payload: '{}' } : {}),
            })
            if (method === 'HEAD') assertStatus(res, 400)
            else assertOciError(res, 400, 'NAME_INVALID')
          }
        })
      }

      it('accepts a name of exactly 255 characters (unknown, so 404 NAME_UNKNOWN)', async () => {
        const name = `library/${'a'.repeat(247)}`
        assert.equal(name.length, 255)
        assertOciError(await t.app.inject({ method: 'GET', url: `/v2/${name}/tags/list` }), 404, 'NAME_UNKNOWN')
      })

      it('accepts nested names with every allowed separator', async () => {
        const name = 'library/a.b/c_d/e__f/g-h/i--j'
        const bytes = bytesOf('nested-name')
        await pushBlob(t.app, name, bytes)
        assertStatus(await t.app.inject({ method: 'HEAD', url: `/v2/${name}/blobs/${sha256(bytes)}` }), 200)
      })
    })

    describe('projects', () => {
      it('a push to a project that does not exist is 403 DENIED, even for an administrator, and creates nothing', async () => {
        const catalog = async () => {
          const res = await t.app.inject({ method: 'GET', url: '/v2/_catalog' })
          assertStatus(res, 200)
          return res.json() as { repositories: string[] }
        }
        const before = await catalog()
        const bytes = bytesOf('nope-project')
        const digest = sha256(bytes)

        assertOciError(await t.app.inject({ method: 'POST', url: '/v2/nope/x/blobs/uploads/' }), 403, 'DENIED')
        assertOciError(
          await t.app.inject({ method: 'POST', url: `/v2/nope/x/blobs/uploads/?digest=${digest}`, payload: bytes }),
          403,
          'DENIED',
        )
        // The blob exists elsewhere: mounting it into the missing project must still fail.
        await pushBlob(t.app, 'library/nope-source', bytes)
        assertOciError(
          await t.app.inject({ method: 'POST', url: `/v2/nope/x/blobs/uploads/?mount=${digest}&from=library/nope-source` }),
          403,
          'DENIED',
        )
        const manifest = manifestText({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          config: descriptorOf('application/vnd.oci.image.config.v1+json', bytes),
          layers: [],
        })
        assertOciError(await putManifest(t.app, 'nope/x', 'latest', manifest, OCI_MANIFEST), 403, 'DENIED')
        assertOciError(await putManifest(t.app, 'nope/x', sha256(manifest), manifest, OCI_MANIFEST), 403, 'DENIED')

        const afterwards = await catalog()
        assert.deepEqual(afterwards.repositories, [...before.repositories, 'library/nope-source'].sort())
        assert.ok(!afterwards.repositories.some((r) => r.startsWith('nope/')))
        assertOciError(await t.app.inject({ method: 'GET', url: '/v2/nope/x/tags/list' }), 403, 'DENIED')
        assertOciError(await t.app.inject({ method: 'GET', url: `/v2/nope/x/blobs/${digest}` }), 403, 'DENIED')
      })
    })

    describe('request ids', () => {
      it('every response carries an x-request-id, a fresh one per request', async () => {
        const requests: { method: 'GET' | 'POST' | 'PATCH'; url: string }[] = [
          { method: 'GET', url: '/v2/' },
          { method: 'GET', url: '/v2/library/x/nothing' },
          { method: 'PATCH', url: '/v2/library/x/manifests/latest' },
          { method: 'GET', url: '/v2/LIBRARY/x/tags/list' },
          { method: 'GET', url: '/v2/library/never/manifests/latest' },
          { method: 'POST', url: '/v2/library/request-ids/blobs/uploads/' },
          { method: 'GET', url: '/livez' },
          { method: 'GET', url: '/not-an-api' },
        ]
        const seen = new Set<string>()
        for (const r of requests) {
          const res = await t.app.inject(r)
          const id = header(res, 'x-request-id')
          assert.ok(id !== undefined && id.length > 0, `${r.method} ${r.url} (${res.statusCode}) has no x-request-id`)
          seen.add(id)
        }
        assert.equal(seen.size, requests.length, 'request ids repeat')
      })

      it('echoes a valid incoming X-Request-Id', async () => {
        for (const id of ['abc-123', 'trace.1:span_2', 'A'.repeat(128)]) {
          const res = await t.app.inject({ method: 'GET', url: '/v2/', headers: { 'x-request-id': id } })
          assert.equal(header(res, 'x-request-id'), id)
          const err = await t.app.inject({ method: 'GET', url: '/v2/library/none/tags/list', headers: { 'x-request-id': id } })
          assert.equal(err.statusCode, 404)
          assert.equal(header(err, 'x-request-id'), id)
        }
      })

      it('replaces an invalid incoming X-Request-Id with its own', async () => {
        for (const id of ['has space', 'A'.repeat(129), 'semi;colon', '']) {
          const res = await t.app.inject({ method: 'GET', url: '/v2/', headers: { 'x-request-id': id } })
          const got = header(res, 'x-request-id')
          assert.ok(got !== undefined && got !== '' && got !== id, `invalid id ${JSON.stringify(id)} was echoed as ${got}`)
          assert.match(got, /^[A-Za-z0-9._:-]{1,128}$/)
        }
      })
    })
  })
  describe(`/v2/ URLs under external_url (${dialect})`, await dialectSkip(dialect), () => {
    const base = 'https://registry.example.com'
    const t = useBerth(dialect, { external_url: base })
    const repo = 'library/external'

    it('Location and Link headers are absolute under external_url', async () => {
      const upload = await t.app.inject({ method: 'POST', url: `/v2/${repo}/blobs/uploads/` })
      assertStatus(upload, 202)
      assert.match(header(upload, 'location') ?? '', new RegExp(`^${base}/v2/${repo}/blobs/uploads/[^/?]+`))

      const bytes = bytesOf('external-url')
      const digest = sha256(bytes)
      const blob = await t.app.inject({ method: 'POST', url: `/v2/${repo}/blobs/uploads/?digest=${digest}`, payload: bytes })
      assertStatus(blob, 201)
      assert.equal(header(blob, 'location'), `${base}/v2/${repo}/blobs/${digest}`)

      const manifest = manifestText({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: descriptorOf('application/vnd.oci.image.config.v1+json', bytes), layers: [] })
      for (const tag of ['a', 'b']) {
        const res = await putManifest(t.app, repo, tag, manifest, OCI_MANIFEST)
        assertStatus(res, 201)
        assert.equal(header(res, 'location'), `${base}/v2/${repo}/manifests/${sha256(manifest)}`)
      }
      const tags = await t.app.inject({ method: 'GET', url: `/v2/${repo}/tags/list?n=1` })
      assert.equal(header(tags, 'link'), `<${base}/v2/${repo}/tags/list?n=1&last=a>; rel="next"`)
    })
  })
}
