// /v2/<name>/manifests/<reference>: push, pull, negotiation, validation and deletion of manifests and indexes.
import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { before, describe, it } from 'node:test'
import { DIALECTS, dialectSkip } from '../../../test/support/databases.js'
import {
  DOCKER_CONFIG,
  DOCKER_LAYER,
  DOCKER_LIST,
  DOCKER_MANIFEST,
  OCI_CONFIG,
  OCI_INDEX,
  OCI_LAYER,
  OCI_MANIFEST,
  assertOciError,
  assertStatus,
  bytesOf,
  descriptorOf,
  header,
  indexText,
  manifestText,
  pushBlob,
  pushImage,
  pushManifest,
  putManifest,
  sha256,
  sha512,
  useBerth,
  type App,
  type Descriptor,
} from './oci-test-support.js'

type Kind = 'OCI manifest' | 'OCI index' | 'Docker manifest' | 'Docker manifest list'

/** Pushes whatever a manifest of `kind` needs into `repo` and returns its text (not pushed). */
async function prepare(app: App, repo: string, kind: Kind): Promise<{ text: string; mediaType: string }> {
  switch (kind) {
    case 'OCI manifest':
    case 'Docker manifest': {
      const docker = kind === 'Docker manifest'
      const configBytes = JSON.stringify({ kind, architecture: 'arm64', os: 'linux' })
      const layerBytes = bytesOf(`layer:${repo}:${kind}`, 1000)
      await pushBlob(app, repo, configBytes)
      await pushBlob(app, repo, layerBytes)
      const mediaType = docker ? DOCKER_MANIFEST : OCI_MANIFEST
      const doc: Record<string, unknown> = {
        schemaVersion: 2,
        mediaType,
        config: descriptorOf(docker ? DOCKER_CONFIG : OCI_CONFIG, configBytes),
        layers: [descriptorOf(docker ? DOCKER_LAYER : OCI_LAYER, layerBytes)],
      }
      if (!docker) doc.annotations = { 'org.example.kind': kind }
      return { text: manifestText(doc), mediaType }
    }
    case 'OCI index':
    case 'Docker manifest list': {
      const docker = kind === 'Docker manifest list'
      const children: Descriptor[] = []
      for (const arch of ['amd64', 'arm64']) {
        const child = await pushImage(app, repo, `child-${arch}`, `${repo}:${kind}:${arch}`, { docker })
        children.push(descriptorOf(docker ? DOCKER_MANIFEST : OCI_MANIFEST, child.text, { platform: { architecture: arch, os: 'linux' } }))
      }
      const mediaType = docker ? DOCKER_LIST : OCI_INDEX
      return { text: indexText(mediaType, children), mediaType }
    }
  }
}

for (const dialect of DIALECTS) {
  describe(`/v2/ manifests (${dialect})`, await dialectSkip(dialect), () => {
    const t = useBerth(dialect)

    for (const kind of ['OCI manifest', 'OCI index', 'Docker manifest', 'Docker manifest list'] as const) {
      describe(kind, () => {
        const repo = `library/manifests-${kind.toLowerCase().replaceAll(' ', '-')}`
        let text = ''
        let mediaType = ''
        let digest = ''

        it('PUT by tag is 201 with Location and Docker-Content-Digest', async () => {
          ;({ text, mediaType } = await prepare(t.app, repo, kind))
          digest = sha256(text)
          const res = await putManifest(t.app, repo, 'v1', text, mediaType)
          assertStatus(res, 201)
          assert.equal(header(res, 'location'), `/v2/${repo}/manifests/${digest}`)
          assert.equal(header(res, 'docker-content-digest'), digest)
          assert.equal(header(res, 'oci-subject'), undefined)
        })

        it('GET by tag and by digest return the exact bytes with the pushed Content-Type', async () => {
          for (const ref of ['v1', digest]) {
            const res = await t.app.inject({ method: 'GET', url: `/v2/${repo}/manifests/${ref}` })
            assertStatus(res, 200)
            assert.equal(header(res, 'content-type'), mediaType)
            assert.equal(header(res, 'docker-content-digest'), digest)
            assert.equal(header(res, 'content-length'), String(Buffer.byteLength(text)))
            assert.equal(res.body, text, 'manifest bytes changed')
          }
        })

        it('HEAD by tag and by digest return the headers and no body', async () => {
          for (const ref of ['v1', digest]) {
            const res = await t.app.inject({ method: 'HEAD', url: `/v2/${repo}/manifests/${ref}` })
            assertStatus(res, 200)
            assert.equal(header(res, 'content-type'), mediaType)
            assert.equal(header(res, 'docker-content-digest'), digest)
            assert.equal(header(res, 'content-length'), String(Buffer.byteLength(text)))
            assert.equal(res.rawPayload.length, 0)
          }
        })

        it('PUT by digest is 201, and pushing it again is idempotent', async () => {
          for (let i = 0; i < 2; i++) {
            const res = await putManifest(t.app, repo, digest, text, mediaType)
            assertStatus(res, 201)
            assert.equal(header(res, 'location'), `/v2/${repo}/manifests/${digest}`)
            assert.equal(header(res, 'docker-content-digest'), digest)
          }
          assertStatus(await putManifest(t.app, repo, 'v1', text, mediaType), 201)
          const tags = await t.app.inject({ method: 'GET', url: `/v2/${repo}/tags/list` })
          assert.ok((tags.json() as { tags: string[] }).tags.includes('v1'))
        })

        it('DELETE by digest is 202, then the digest and its tags are 404 MANIFEST_UNKNOWN', async () => {
          assertStatus(await t.app.inject({ method: 'DELETE', url: `/v2/${repo}/manifests/${digest}` }), 202)
          for (const ref of ['v1', digest]) {
            assertOciError(await t.app.inject({ method: 'GET', url: `/v2/${repo}/manifests/${ref}` }), 404, 'MANIFEST_UNKNOWN')
            assertStatus(await t.app.inject({ method: 'HEAD', url: `/v2/${repo}/manifests/${ref}` }), 404)
          }
        })
      })
    }

    describe('digests and references', () => {
      const repo = 'library/manifests-refs'
      let valid = '' // a valid manifest whose blobs are in `repo`
      before(async () => {
        ;({ text: valid } = await prepare(t.app, repo, 'OCI manifest'))
        await pushManifest(t.app, repo, 'exists', valid, OCI_MANIFEST)
      })

      it('PUT by a digest the bytes do not have is 400 DIGEST_INVALID and nothing is stored', async () => {
        const text = valid.replace('{', '{ ') // the same manifest in other bytes, never pushed
        for (const wrong of [sha256(valid), sha256('other bytes')]) {
          assertOciError(await putManifest(t.app, repo, wrong, text, OCI_MANIFEST), 400, 'DIGEST_INVALID')
        }
        const wrong = sha256('other bytes')
        assertOciError(await t.app.inject({ method: 'GET', url: `/v2/${repo}/manifests/${wrong}` }), 404, 'MANIFEST_UNKNOWN')
        assertOciError(await t.app.inject({ method: 'GET', url: `/v2/${repo}/manifests/${sha256(text)}` }), 404, 'MANIFEST_UNKNOWN')
        assert.equal((await t.app.inject({ method: 'GET', url: `/v2/${repo}/manifests/${sha256(valid)}` })).body, valid)
      })

      it('PUT by a sha512 digest stores the manifest under that digest', async () => {
        const { text, mediaType } = await prepare(t.app, 'library/manifests-sha512', 'OCI manifest')
        const digest = sha512(text)
        const res = await putManifest(t.app, 'library/manifests-sha512', digest, text, mediaType)
        assertStatus(res, 201)
        assert.equal(header(res, 'docker-content-digest'), digest)
        assert.equal(header(res, 'location'), `/v2/library/manifests-sha512/manifests/${digest}`)
        const got = await t.app.inject({ method: 'GET', url: `/v2/library/manifests-sha512/manifests/${digest}` })
        assertStatus(got, 200)
        assert.equal(header(got, 'docker-content-digest'), digest)
        assert.equal(got.body, text)
      })

      for (const [bad, code] of [
        ['sha256:abc', 'DIGEST_INVALID'],
        [`sha256:${'A'.repeat(64)}`, 'DIGEST_INVALID'],
        [`sha256:${'a'.repeat(63)}g`, 'DIGEST_INVALID'],
        [`sha512:${'a'.repeat(64)}`, 'DIGEST_INVALID'],
        [`md5:${'a'.repeat(32)}`, 'UNSUPPORTED'],
      ] as const) {
        it(`a malformed digest reference (${bad.slice(0, 16)}…) is 400 ${code} on GET, HEAD, PUT and DELETE`, async () => {
          const url = `/v2/${repo}/manifests/${bad}`
          assertOciError(await t.app.inject({ method: 'GET', url }), 400, code)
          assertStatus(await t.app.inject({ method: 'HEAD', url }), 400)
          assertOciError(await putManifest(t.app, repo, bad, valid, OCI_MANIFEST), 400, code)
          assertOciError(await t.app.inject({ method: 'DELETE', url }), 400, code)
        })
      }

      for (const bad of ['-lead', '.lead', '.INVALID_MANIFEST_NAME', 'a'.repeat(129), 'bad!', 'sp%20ace', 'plus+sign']) {
        it(`an invalid tag (${bad.slice(0, 12)}) is 404 MANIFEST_UNKNOWN on GET, HEAD and DELETE, 400 MANIFEST_INVALID on PUT`, async () => {
          const url = `/v2/${repo}/manifests/${bad}`
          assertOciError(await t.app.inject({ method: 'GET', url }), 404, 'MANIFEST_UNKNOWN')
          assertStatus(await t.app.inject({ method: 'HEAD', url }), 404)
          assertOciError(await putManifest(t.app, repo, bad, valid, OCI_MANIFEST), 400, 'MANIFEST_INVALID')
          assertOciError(await t.app.inject({ method: 'DELETE', url }), 404, 'MANIFEST_UNKNOWN')
        })
      }

      it('a tag of 128 characters with every allowed character works', async () => {
        const tag = `_A-z.9${'x'.repeat(122)}`
        assert.equal(tag.length, 128)
        const image = await pushImage(t.app, repo, tag, 'long-tag')
        const res = await t.app.inject({ method: 'GET', url: `/v2/${repo}/manifests/${tag}` })
        assertStatus(res, 200)
        assert.equal(header(res, 'docker-content-digest'), image.digest)
      })

      it('GET of an unknown tag or digest is 404 MANIFEST_UNKNOWN; of an unknown repository 404 NAME_UNKNOWN', async () => {
        await pushImage(t.app, repo, 'known', 'refs-known')
        assertOciError(await t.app.inject({ method: 'GET', url: `/v2/${repo}/manifests/unknown` }), 404, 'MANIFEST_UNKNOWN')
        assertOciError(await t.app.inject({ method: 'GET', url: `/v2/${repo}/manifests/${sha256('unknown')}` }), 404, 'MANIFEST_UNKNOWN')
        const head = await t.app.inject({ method: 'HEAD', url: `/v2/${repo}/manifests/unknown` })
        assertStatus(head, 404)
        assert.equal(head.rawPayload.length, 0)
        assertOciError(await t.app.inject({ method: 'GET', url: '/v2/library/no-such-repo/manifests/latest' }), 404, 'NAME_UNKNOWN')
        assertOciError(await t.app.inject({ method: 'GET', url: `/v2/library/no-such-repo/manifests/${sha256('x')}` }), 404, 'NAME_UNKNOWN')
        assertOciError(await t.app.inject({ method: 'DELETE', url: '/v2/library/no-such-repo/manifests/latest' }), 404, 'NAME_UNKNOWN')
        assertOciError(await t.app.inject({ method: 'DELETE', url: `/v2/${repo}/manifests/unknown` }), 404, 'MANIFEST_UNKNOWN')
        assertOciError(await t.app.inject({ method: 'DELETE', url: `/v2/${repo}/manifests/${sha256('unknown')}` }), 404, 'MANIFEST_UNKNOWN')
      })

      it("a manifest of repository A is unknown in repository B", async () => {
        const image = await pushImage(t.app, 'library/manifests-a', 'v1', 'only-in-a')
        await pushImage(t.app, 'library/manifests-b', 'v1', 'only-in-b')
        assertOciError(await t.app.inject({ method: 'GET', url: `/v2/library/manifests-b/manifests/${image.digest}` }), 404, 'MANIFEST_UNKNOWN')
        assertOciError(await t.app.inject({ method: 'DELETE', url: `/v2/library/manifests-b/manifests/${image.digest}` }), 404, 'MANIFEST_UNKNOWN')
        assertStatus(await t.app.inject({ method: 'GET', url: `/v2/library/manifests-a/manifests/${image.digest}` }), 200)
      })
    })

    describe('references to blobs and manifests', () => {
      const repo = 'library/manifests-refs-check'

      it('a manifest with a missing layer is 400 MANIFEST_BLOB_UNKNOWN naming it, and nothing is stored', async () => {
        const configBytes = JSON.stringify({ missing: 'layer' })
        await pushBlob(t.app, repo, configBytes)
        const missingLayer = descriptorOf(OCI_LAYER, bytesOf('never-pushed-layer'))
        const text = manifestText({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: descriptorOf(OCI_CONFIG, configBytes), layers: [missingLayer] })
        const err = assertOciError(await putManifest(t.app, repo, 'broken', text, OCI_MANIFEST), 400, 'MANIFEST_BLOB_UNKNOWN')
        assert.ok(JSON.stringify(err.detail ?? '').includes(missingLayer.digest), `detail does not name the blob: ${JSON.stringify(err)}`)
        assert.ok(!JSON.stringify(err.detail ?? '').includes(sha256(configBytes)), 'detail names a blob that exists')
        assertOciError(await t.app.inject({ method: 'GET', url: `/v2/${repo}/manifests/broken` }), 404, 'MANIFEST_UNKNOWN')
        assertOciError(await t.app.inject({ method: 'GET', url: `/v2/${repo}/manifests/${sha256(text)}` }), 404, 'MANIFEST_UNKNOWN')
        const tags = await t.app.inject({ method: 'GET', url: `/v2/${repo}/tags/list` })
        assertStatus(tags, 200)
        assert.deepEqual((tags.json() as { tags: string[] }).tags, [])
      })

      it('a manifest with a missing config is 400 MANIFEST_BLOB_UNKNOWN', async () => {
        const layer = bytesOf('config-missing-layer')
        await pushBlob(t.app, repo, layer)
        const config = descriptorOf(OCI_CONFIG, '{"never":"pushed"}')
        const text = manifestText({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [descriptorOf(OCI_LAYER, layer)] })
        const err = assertOciError(await putManifest(t.app, repo, 'no-config', text, OCI_MANIFEST), 400, 'MANIFEST_BLOB_UNKNOWN')
        assert.ok(JSON.stringify(err.detail ?? '').includes(config.digest))
      })

      it("a blob present only in another repository does not satisfy a manifest", async () => {
        const configBytes = JSON.stringify({ other: 'repo' })
        await pushBlob(t.app, 'library/manifests-elsewhere', configBytes)
        const text = manifestText({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: descriptorOf(OCI_CONFIG, configBytes), layers: [] })
        assertOciError(await putManifest(t.app, repo, 'elsewhere', text, OCI_MANIFEST), 400, 'MANIFEST_BLOB_UNKNOWN')
      })

      it('an index with a missing child is 400 MANIFEST_BLOB_UNKNOWN naming it, and nothing is stored', async () => {
        const present = await pushImage(t.app, repo, 'present-child', 'present-child')
        const absent = descriptorOf(OCI_MANIFEST, manifestText({ schemaVersion: 2, absent: true }))
        const text = indexText(OCI_INDEX, [descriptorOf(OCI_MANIFEST, present.text), absent])
        const err = assertOciError(await putManifest(t.app, repo, 'broken-index', text, OCI_INDEX), 400, 'MANIFEST_BLOB_UNKNOWN')
        assert.ok(JSON.stringify(err.detail ?? '').includes(absent.digest), `detail does not name the child: ${JSON.stringify(err)}`)
        assertOciError(await t.app.inject({ method: 'GET', url: `/v2/${repo}/manifests/broken-index` }), 404, 'MANIFEST_UNKNOWN')
        assertOciError(await t.app.inject({ method: 'GET', url: `/v2/${repo}/manifests/${sha256(text)}` }), 404, 'MANIFEST_UNKNOWN')
      })

      it('an index whose child is only in another repository is 400 MANIFEST_BLOB_UNKNOWN', async () => {
        const child = await pushImage(t.app, 'library/manifests-child-elsewhere', 'v1', 'child-elsewhere')
        const text = indexText(OCI_INDEX, [descriptorOf(OCI_MANIFEST, child.text)])
        assertOciError(await putManifest(t.app, repo, 'foreign-child', text, OCI_INDEX), 400, 'MANIFEST_BLOB_UNKNOWN')
      })

      it('a non-distributable layer with urls need not be in the registry', async () => {
        const configBytes = JSON.stringify({ foreign: 'layer' })
        await pushBlob(t.app, repo, configBytes)
        const foreign = descriptorOf('application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', bytesOf('foreign-layer'), {
          urls: ['https://example.com/layer.tar.gz'],
        })
        const text = manifestText({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: descriptorOf(OCI_CONFIG, configBytes), layers: [foreign] })
        await pushManifest(t.app, repo, 'foreign', text, OCI_MANIFEST)
      })
    })

    describe('validation', () => {
      const repo = 'library/manifests-invalid'
      const configBytes = JSON.stringify({ validation: true })
      const config = descriptorOf(OCI_CONFIG, configBytes)
      const valid = { schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [] }
      before(async () => {
        await pushBlob(t.app, repo, configBytes)
      })

      const cases: [string, string, string | undefined][] = [
        ['invalid JSON', '{"schemaVersion": 2,', OCI_MANIFEST],
        ['a JSON array', '[]', OCI_MANIFEST],
        ['a JSON string', '"manifest"', OCI_MANIFEST],
        ['an empty body', '', OCI_MANIFEST],
        ['schemaVersion 3', manifestText({ ...valid, schemaVersion: 3 }), OCI_MANIFEST],
        ['no schemaVersion', manifestText({ mediaType: OCI_MANIFEST, config, layers: [] }), OCI_MANIFEST],
        ['schemaVersion "2"', manifestText({ ...valid, schemaVersion: '2' }), OCI_MANIFEST],
        ['a mediaType that contradicts Content-Type', manifestText(valid), DOCKER_MANIFEST],
        ['an unknown media type', manifestText({ ...valid, mediaType: 'application/vnd.example.thing+json' }), 'application/vnd.example.thing+json'],
        ['no config', manifestText({ schemaVersion: 2, mediaType: OCI_MANIFEST, layers: [] }), OCI_MANIFEST],
        ['a config with a bad digest', manifestText({ ...valid, config: { ...config, digest: 'sha256:nope' } }), OCI_MANIFEST],
        ['a negative size', manifestText({ ...valid, config: { ...config, size: -1 } }), OCI_MANIFEST],
        ['layers that are not an array', manifestText({ ...valid, layers: {} }), OCI_MANIFEST],
        ['non-string annotations', manifestText({ ...valid, annotations: { a: 1 } }), OCI_MANIFEST],
        ['a Docker manifest without layers', manifestText({ schemaVersion: 2, mediaType: DOCKER_MANIFEST, config: { ...config, mediaType: DOCKER_CONFIG } }), DOCKER_MANIFEST],
        ['an index without manifests', manifestText({ schemaVersion: 2, mediaType: OCI_INDEX }), OCI_INDEX],
        ['a subject that is not a descriptor', manifestText({ ...valid, subject: 'sha256:abc' }), OCI_MANIFEST],
      ]
      for (const [what, body, contentType] of cases) {
        it(`${what} is 400 MANIFEST_INVALID and nothing is stored`, async () => {
          assertOciError(await putManifest(t.app, repo, 'bad', body, contentType), 400, 'MANIFEST_INVALID')
          assertOciError(await t.app.inject({ method: 'GET', url: `/v2/${repo}/manifests/bad` }), 404, 'MANIFEST_UNKNOWN')
        })
      }

      it('Content-Type parameters are ignored, and GET answers the bare type', async () => {
        const text = manifestText(valid)
        assertStatus(await putManifest(t.app, repo, 'params', text, `${OCI_MANIFEST}; charset=utf-8`), 201)
        const res = await t.app.inject({ method: 'GET', url: `/v2/${repo}/manifests/params` })
        assertStatus(res, 200)
        assert.equal(header(res, 'content-type'), OCI_MANIFEST)
      })

      it('without Content-Type the mediaType field decides the type', async () => {
        const text = manifestText({ ...valid, annotations: { no: 'content-type' } })
        assertStatus(await putManifest(t.app, repo, 'no-content-type', text), 201)
        const res = await t.app.inject({ method: 'GET', url: `/v2/${repo}/manifests/no-content-type` })
        assert.equal(header(res, 'content-type'), OCI_MANIFEST)
        assert.equal(res.body, text)
      })

      const schema1 = manifestText({
        schemaVersion: 1,
        name: 'library/x',
        tag: 'latest',
        architecture: 'amd64',
        fsLayers: [{ blobSum: sha256('layer') }],
        history: [{ v1Compatibility: '{}' }],
        signatures: [],
      })
      for (const [what, contentType] of [
        ['as signed schema 1', 'application/vnd.docker.distribution.manifest.v1+prettyjws'],
        ['as unsigned schema 1', 'application/vnd.docker.distribution.manifest.v1+json'],
        ['as application/json', 'application/json'],
        ['without Content-Type', undefined],
      ] as const) {
        it(`Docker schema 1 ${what} is 400 MANIFEST_INVALID saying schema 1 is not supported`, async () => {
          const err = assertOciError(await putManifest(t.app, repo, 'schema1', schema1, contentType), 400, 'MANIFEST_INVALID')
          assert.match(err.message ?? '', /schema ?1/i)
          assert.match(err.message ?? '', /not supported/i)
        })
      }

      it('a schema 2 body sent as schema 1 is refused as schema 1', async () => {
        const res = await putManifest(t.app, repo, 'schema1-type', manifestText({ schemaVersion: 2, config, layers: [] }), 'application/vnd.docker.distribution.manifest.v1+prettyjws')
        const err = assertOciError(res, 400, 'MANIFEST_INVALID')
        assert.match(err.message ?? '', /schema ?1/i)
      })
    })

    describe('subject', () => {
      const repo = 'library/manifests-subject'

      it('a manifest whose subject does not exist yet is 201 with OCI-Subject', async () => {
        const subject = descriptorOf(OCI_MANIFEST, manifestText({ schemaVersion: 2, notPushed: true }))
        const image = await pushImage(t.app, repo, 'sig', 'subject-missing', { subject, artifactType: 'application/vnd.example.sig' })
        const res = await putManifest(t.app, repo, image.digest, image.text, OCI_MANIFEST)
        assertStatus(res, 201)
        assert.equal(header(res, 'oci-subject'), subject.digest)
        assertStatus(await t.app.inject({ method: 'GET', url: `/v2/${repo}/manifests/${image.digest}` }), 200)
      })

      it('a manifest whose subject exists is 201 with OCI-Subject', async () => {
        const target = await pushImage(t.app, repo, 'target', 'subject-target')
        const subject = descriptorOf(OCI_MANIFEST, target.text)
        const configBytes = JSON.stringify({ sbom: true })
        await pushBlob(t.app, repo, configBytes)
        const text = manifestText({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          artifactType: 'application/vnd.example.sbom',
          config: descriptorOf('application/vnd.oci.empty.v1+json', configBytes),
          layers: [],
          subject,
        })
        const res = await putManifest(t.app, repo, 'sbom', text, OCI_MANIFEST)
        assertStatus(res, 201)
        assert.equal(header(res, 'oci-subject'), subject.digest)
      })

      it('an index with a subject is 201 with OCI-Subject', async () => {
        const child = await pushImage(t.app, repo, 'child', 'subject-index-child')
        const subject = descriptorOf(OCI_MANIFEST, manifestText({ schemaVersion: 2, alsoNotPushed: true }))
        const text = indexText(OCI_INDEX, [descriptorOf(OCI_MANIFEST, child.text)], { subject })
        const res = await putManifest(t.app, repo, 'index-with-subject', text, OCI_INDEX)
        assertStatus(res, 201)
        assert.equal(header(res, 'oci-subject'), subject.digest)
      })
    })

    describe('Accept negotiation', () => {
      const repo = 'library/manifests-accept'
      let digest = ''

      it('the manifest under negotiation is pushed', async () => {
        digest = (await pushImage(t.app, repo, 'v1', 'accept')).digest
      })

      for (const accept of [
        DOCKER_MANIFEST,
        `${DOCKER_MANIFEST}, ${DOCKER_LIST}`,
        'application/json',
        `${OCI_INDEX}, ${OCI_MANIFEST};q=0`,
        // Only the stored type, refused with q=0 (RFC 9110 12.4.2: "0 means not acceptable").
        `${OCI_MANIFEST};q=0`,
      ]) {
        it(`Accept: ${accept} excludes the stored type: 404 MANIFEST_UNKNOWN`, async () => {
          for (const ref of ['v1', digest]) {
            const url = `/v2/${repo}/manifests/${ref}`
            assertOciError(await t.app.inject({ method: 'GET', url, headers: { accept } }), 404, 'MANIFEST_UNKNOWN')
            assertStatus(await t.app.inject({ method: 'HEAD', url, headers: { accept } }), 404)
          }
        })
      }

      for (const accept of [
        OCI_MANIFEST,
        `${DOCKER_MANIFEST}, ${OCI_MANIFEST}`,
        `${DOCKER_MANIFEST};q=0.9, ${OCI_MANIFEST};q=0.5`,
        OCI_MANIFEST.toUpperCase(),
        '*/*',
        'application/*',
        `${DOCKER_MANIFEST}, */*;q=0.1`,
        undefined,
      ]) {
        it(`Accept: ${accept ?? '(none)'} allows the stored type: 200`, async () => {
          for (const method of ['GET', 'HEAD'] as const) {
            const res = await t.app.inject({ method, url: `/v2/${repo}/manifests/v1`, headers: accept === undefined ? {} : { accept } })
            assertStatus(res, 200)
            assert.equal(header(res, 'content-type'), OCI_MANIFEST)
            assert.equal(header(res, 'docker-content-digest'), digest)
          }
        })
      }
    })

    describe('deletion', () => {
      it('DELETE by tag is 202: the tag is gone, the manifest stays reachable by digest and other tags', async () => {
        const repo = 'library/manifests-untag'
        const image = await pushImage(t.app, repo, 'a', 'untag')
        await pushManifest(t.app, repo, 'b', image.text, OCI_MANIFEST)
        assertStatus(await t.app.inject({ method: 'DELETE', url: `/v2/${repo}/manifests/a` }), 202)
        assertOciError(await t.app.inject({ method: 'GET', url: `/v2/${repo}/manifests/a` }), 404, 'MANIFEST_UNKNOWN')
        assertStatus(await t.app.inject({ method: 'GET', url: `/v2/${repo}/manifests/${image.digest}` }), 200)
        assertStatus(await t.app.inject({ method: 'GET', url: `/v2/${repo}/manifests/b` }), 200)
        const tags = await t.app.inject({ method: 'GET', url: `/v2/${repo}/tags/list` })
        assert.deepEqual((tags.json() as { tags: string[] }).tags, ['b'])
        assertOciError(await t.app.inject({ method: 'DELETE', url: `/v2/${repo}/manifests/a` }), 404, 'MANIFEST_UNKNOWN')
      })

      it('DELETE by digest is 202 and every tag pointing at it is 404', async () => {
        const repo = 'library/manifests-delete'
        const image = await pushImage(t.app, repo, 'one', 'delete-by-digest')
        await pushManifest(t.app, repo, 'two', image.text, OCI_MANIFEST)
        const other = await pushImage(t.app, repo, 'other', 'delete-by-digest-other')
        assertStatus(await t.app.inject({ method: 'DELETE', url: `/v2/${repo}/manifests/${image.digest}` }), 202)
        for (const ref of ['one', 'two', image.digest]) {
          assertOciError(await t.app.inject({ method: 'GET', url: `/v2/${repo}/manifests/${ref}` }), 404, 'MANIFEST_UNKNOWN')
        }
        assertStatus(await t.app.inject({ method: 'GET', url: `/v2/${repo}/manifests/${other.digest}` }), 200)
        const tags = await t.app.inject({ method: 'GET', url: `/v2/${repo}/tags/list` })
        assert.deepEqual((tags.json() as { tags: string[] }).tags, ['other'])
        assertOciError(await t.app.inject({ method: 'DELETE', url: `/v2/${repo}/manifests/${image.digest}` }), 404, 'MANIFEST_UNKNOWN')
      })

      it('a deleted manifest can be pushed again', async () => {
        const repo = 'library/manifests-repush'
        const image = await pushImage(t.app, repo, 'v1', 'repush')
        assertStatus(await t.app.inject({ method: 'DELETE', url: `/v2/${repo}/manifests/${image.digest}` }), 202)
        await pushManifest(t.app, repo, 'v1', image.text, OCI_MANIFEST)
        const res = await t.app.inject({ method: 'GET', url: `/v2/${repo}/manifests/v1` })
        assertStatus(res, 200)
        assert.equal(res.body, image.text)
      })

      it('DELETE of a manifest an index in the repository lists is 405 UNSUPPORTED until the index is gone', async () => {
        const repo = 'library/manifests-child'
        const { text } = await prepare(t.app, repo, 'OCI index')
        const index = await pushManifest(t.app, repo, 'multi', text, OCI_INDEX)
        const children = (JSON.parse(text) as { manifests: Descriptor[] }).manifests
        for (const child of children) {
          assertOciError(await t.app.inject({ method: 'DELETE', url: `/v2/${repo}/manifests/${child.digest}` }), 405, 'UNSUPPORTED')
          assertStatus(await t.app.inject({ method: 'GET', url: `/v2/${repo}/manifests/${child.digest}` }), 200)
        }
        // Untagging a child is fine: the index still holds it by digest.
        assertStatus(await t.app.inject({ method: 'DELETE', url: `/v2/${repo}/manifests/child-amd64` }), 202)
        assertStatus(await t.app.inject({ method: 'DELETE', url: `/v2/${repo}/manifests/${index}` }), 202)
        for (const child of children) {
          assertStatus(await t.app.inject({ method: 'DELETE', url: `/v2/${repo}/manifests/${child.digest}` }), 202)
        }
      })

      it('deleting a manifest in one repository leaves the same manifest in another', async () => {
        const configBytes = JSON.stringify({ shared: 'manifest' })
        const layerBytes = bytesOf('shared-manifest-layer')
        const text = manifestText({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          config: descriptorOf(OCI_CONFIG, configBytes),
          layers: [descriptorOf(OCI_LAYER, layerBytes)],
        })
        for (const repo of ['library/manifests-same-a', 'library/manifests-same-b']) {
          await pushBlob(t.app, repo, configBytes)
          await pushBlob(t.app, repo, layerBytes)
          await pushManifest(t.app, repo, 'v1', text, OCI_MANIFEST)
        }
        assertStatus(await t.app.inject({ method: 'DELETE', url: `/v2/library/manifests-same-a/manifests/${sha256(text)}` }), 202)
        assertOciError(await t.app.inject({ method: 'GET', url: '/v2/library/manifests-same-a/manifests/v1' }), 404, 'MANIFEST_UNKNOWN')
        const res = await t.app.inject({ method: 'GET', url: '/v2/library/manifests-same-b/manifests/v1' })
        assertStatus(res, 200)
        assert.equal(res.body, text)
      })
    })

    it('concurrent pushes of one tag all succeed and leave it on one of them', async () => {
      const repo = 'library/manifests-race'
      const images = []
      for (const i of [0, 1, 2, 3]) images.push(await pushImage(t.app, repo, `image-${i}`, `race-${i}`))
      const results = await Promise.all(images.map((image) => putManifest(t.app, repo, 'race', image.text, OCI_MANIFEST)))
      for (const res of results) assertStatus(res, 201)
      const res = await t.app.inject({ method: 'GET', url: `/v2/${repo}/manifests/race` })
      assertStatus(res, 200)
      const winner = images.find((image) => image.digest === header(res, 'docker-content-digest'))
      assert.ok(winner !== undefined, 'the tag points at none of the pushed manifests')
      assert.equal(res.body, winner.text)
      const tags = await t.app.inject({ method: 'GET', url: `/v2/${repo}/tags/list` })
      assert.deepEqual((tags.json() as { tags: string[] }).tags, ['image-0', 'image-1', 'image-2', 'image-3', 'race'])
    })

    it('pushing a tag again moves it to the new manifest', async () => {
      const repo = 'library/manifests-move'
      const first = await pushImage(t.app, repo, 'latest', 'move-first')
      const second = await pushImage(t.app, repo, 'latest', 'move-second')
      assert.notEqual(first.digest, second.digest)
      const res = await t.app.inject({ method: 'GET', url: `/v2/${repo}/manifests/latest` })
      assertStatus(res, 200)
      assert.equal(header(res, 'docker-content-digest'), second.digest)
      assert.equal(res.body, second.text)
      assertStatus(await t.app.inject({ method: 'GET', url: `/v2/${repo}/manifests/${first.digest}` }), 200)
      const tags = await t.app.inject({ method: 'GET', url: `/v2/${repo}/tags/list` })
      assert.deepEqual((tags.json() as { tags: string[] }).tags, ['latest'])
    })
  })

  describe(`/v2/ manifests over the size limit (${dialect})`, await dialectSkip(dialect), () => {
    const limit = 2048
    const t = useBerth(dialect, { registry: { max_manifest_bytes: limit } })
    const repo = 'library/manifests-large'
    const configBytes = JSON.stringify({ large: true })
    const config = descriptorOf(OCI_CONFIG, configBytes)
    before(async () => {
      await pushBlob(t.app, repo, configBytes)
    })

    /** An OCI manifest of exactly `size` bytes (padded through an annotation). */
    function manifestOfSize(size: number): string {
      const doc = { schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [], annotations: { pad: '' } }
      const base = Buffer.byteLength(JSON.stringify(doc))
      assert.ok(base <= size)
      const text = JSON.stringify({ ...doc, annotations: { pad: 'x'.repeat(size - base) } })
      assert.equal(Buffer.byteLength(text), size)
      return text
    }

    it('a manifest of exactly the limit is accepted', async () => {
      const text = manifestOfSize(limit)
      await pushManifest(t.app, repo, 'at-limit', text, OCI_MANIFEST)
      const res = await t.app.inject({ method: 'GET', url: `/v2/${repo}/manifests/at-limit` })
      assert.equal(res.body, text)
    })

    it('a manifest one byte over the limit is 413 and not stored', async () => {
      const text = manifestOfSize(limit + 1)
      assertOciError(await putManifest(t.app, repo, 'over', text, OCI_MANIFEST), 413, 'MANIFEST_INVALID')
      assertOciError(await t.app.inject({ method: 'GET', url: `/v2/${repo}/manifests/over` }), 404, 'MANIFEST_UNKNOWN')
    })

    it('an oversized manifest streamed without Content-Length is 413', async () => {
      const text = manifestOfSize(limit * 3)
      const res = await t.app.inject({
        method: 'PUT',
        url: `/v2/${repo}/manifests/streamed`,
        headers: { 'content-type': OCI_MANIFEST, 'transfer-encoding': 'chunked' },
        payload: Readable.from([Buffer.from(text.slice(0, 1000)), Buffer.from(text.slice(1000))]),
      })
      assertOciError(res, 413, 'MANIFEST_INVALID')
      assertOciError(await t.app.inject({ method: 'GET', url: `/v2/${repo}/manifests/streamed` }), 404, 'MANIFEST_UNKNOWN')
    })
  })
}
