// /v2/<name>/referrers/<digest>: the manifests and indexes whose subject is a digest, and the artifactType filter.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { DIALECTS, dialectSkip } from '../../../test/support/databases.js'
import {
  OCI_INDEX,
  OCI_MANIFEST,
  assertOciError,
  assertStatus,
  descriptorOf,
  header,
  indexText,
  manifestText,
  pushImage,
  pushManifest,
  sha256,
  useBerth,
  type App,
  type Descriptor,
  type Response,
} from './oci-test-support.js'

const SBOM = 'application/vnd.example.sbom.v1'
const SIGNATURE_CONFIG = 'application/vnd.example.signature.config.v1+json'
const BUNDLE = 'application/vnd.example.bundle.v1'

interface ReferrersIndex {
  schemaVersion: number
  mediaType: string
  manifests: Descriptor[]
}

function byDigest(a: Descriptor, b: Descriptor): number {
  return a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0
}

async function referrers(app: App, repo: string, digest: string, artifactType?: string): Promise<{ res: Response; index: ReferrersIndex }> {
  const query = artifactType === undefined ? '' : `?artifactType=${encodeURIComponent(artifactType)}`
  const res = await app.inject({ method: 'GET', url: `/v2/${repo}/referrers/${digest}${query}` })
  assertStatus(res, 200)
  // Parameters are checked once, in their own test, so that they do not hide the rest.
  assert.equal(header(res, 'content-type')?.split(';')[0]!.trim(), OCI_INDEX)
  const index = res.json() as ReferrersIndex
  assert.equal(index.schemaVersion, 2)
  assert.equal(index.mediaType, OCI_INDEX)
  assert.ok(Array.isArray(index.manifests))
  return { res, index }
}

/** The descriptor the referrers API must report for a pushed manifest. */
function expected(mediaType: string, text: string, artifactType: string | undefined, annotations: Record<string, string> | undefined): Descriptor {
  const d: Descriptor = { mediaType, digest: sha256(text), size: Buffer.byteLength(text) }
  if (artifactType !== undefined) d.artifactType = artifactType
  if (annotations !== undefined) d.annotations = annotations
  return d
}

for (const dialect of DIALECTS) {
  describe(`/v2/ referrers (${dialect})`, await dialectSkip(dialect), () => {
    const t = useBerth(dialect)
    const repo = 'library/referrers'
    let subject: Descriptor
    const all: Descriptor[] = []

    it('lists manifests and indexes whose subject is the digest, with artifactType and annotations', async () => {
      const target = await pushImage(t.app, repo, 'v1', 'referrers-subject')
      subject = descriptorOf(OCI_MANIFEST, target.text)

      // An artifact with its own artifactType.
      const sbomAnnotations = { 'org.opencontainers.image.created': '2024-01-01T00:00:00Z', 'org.example.sbom.format': 'json' }
      const sbom = await pushImage(t.app, repo, 'sbom', 'referrers-sbom', {
        artifactType: SBOM,
        configMediaType: 'application/vnd.oci.empty.v1+json',
        subject,
        annotations: sbomAnnotations,
        noLayers: true,
      })
      all.push(expected(OCI_MANIFEST, sbom.text, SBOM, sbomAnnotations))

      // No artifactType: the config's media type stands in for it.
      const signature = await pushImage(t.app, repo, 'signature', 'referrers-signature', {
        configMediaType: SIGNATURE_CONFIG,
        subject,
        annotations: { 'org.example.signature.fingerprint': 'abcd' },
      })
      all.push(expected(OCI_MANIFEST, signature.text, SIGNATURE_CONFIG, { 'org.example.signature.fingerprint': 'abcd' }))

      // An index without artifactType: reported without one.
      const child = await pushImage(t.app, repo, 'index-child', 'referrers-index-child')
      const plainIndex = indexText(OCI_INDEX, [descriptorOf(OCI_MANIFEST, child.text)], { subject, annotations: { 'org.example.kind': 'plain' } })
      await pushManifest(t.app, repo, 'plain-index', plainIndex, OCI_INDEX)
      all.push(expected(OCI_INDEX, plainIndex, undefined, { 'org.example.kind': 'plain' }))

      // An index with artifactType and no annotations.
      const bundle = indexText(OCI_INDEX, [descriptorOf(OCI_MANIFEST, child.text)], { artifactType: BUNDLE, subject })
      await pushManifest(t.app, repo, sha256(bundle), bundle, OCI_INDEX) // by digest, untagged
      all.push(expected(OCI_INDEX, bundle, BUNDLE, undefined))

      // Not referrers of the subject: another subject, and the same subject in another repository.
      await pushImage(t.app, repo, 'unrelated', 'referrers-unrelated', { subject: descriptorOf(OCI_MANIFEST, child.text) })
      await pushImage(t.app, 'library/referrers-elsewhere', 'sig', 'referrers-elsewhere', { subject })

      const { res, index } = await referrers(t.app, repo, subject.digest)
      assert.equal(header(res, 'oci-filters-applied'), undefined)
      assert.deepEqual([...index.manifests].sort(byDigest), [...all].sort(byDigest))
    })

    it('the Content-Type is exactly the OCI index media type, without parameters', async () => {
      for (const query of ['', `?artifactType=${SBOM}`]) {
        const res = await t.app.inject({ method: 'GET', url: `/v2/${repo}/referrers/${subject.digest}${query}` })
        assertStatus(res, 200)
        assert.equal(header(res, 'content-type'), OCI_INDEX)
      }
    })

    it('?artifactType= filters and says so in OCI-Filters-Applied', async () => {
      for (const [artifactType, want] of [
        [SBOM, [all[0]!]],
        [SIGNATURE_CONFIG, [all[1]!]],
        [BUNDLE, [all[3]!]],
        ['application/vnd.example.nothing', []],
      ] as const) {
        const { res, index } = await referrers(t.app, repo, subject.digest, artifactType)
        assert.equal(header(res, 'oci-filters-applied'), 'artifactType')
        assert.deepEqual(index.manifests, want, artifactType)
      }
    })

    it('a referrer pushed before its subject is listed, before and after the subject arrives', async () => {
      const r = 'library/referrers-order'
      const base = await pushImage(t.app, r, 'base', 'referrers-order-base', { noLayers: true })
      const subjectText = manifestText({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: base.config, layers: [] })
      const future = descriptorOf(OCI_MANIFEST, subjectText)
      const early = await pushImage(t.app, r, 'early', 'referrers-early', { subject: future, artifactType: SBOM })
      const want = [expected(OCI_MANIFEST, early.text, SBOM, undefined)]
      assert.deepEqual((await referrers(t.app, r, future.digest)).index.manifests, want)
      await pushManifest(t.app, r, 'subject', subjectText, OCI_MANIFEST)
      assert.deepEqual((await referrers(t.app, r, future.digest)).index.manifests, want)
    })

    it('a digest without referrers is 200 with an empty list, in known and unknown repositories', async () => {
      for (const r of [repo, 'library/referrers-no-such-repo']) {
        const { res, index } = await referrers(t.app, r, sha256('nobody refers to this'))
        assert.deepEqual(index.manifests, [])
        assert.equal(header(res, 'oci-filters-applied'), undefined)
      }
    })

    for (const [bad, code] of [
      ['sha256:abc', 'DIGEST_INVALID'],
      ['latest', 'DIGEST_INVALID'],
      [`sha256:${'A'.repeat(64)}`, 'DIGEST_INVALID'],
      [`md5:${'0'.repeat(32)}`, 'UNSUPPORTED'],
    ] as const) {
      it(`a malformed digest (${bad.slice(0, 14)}) is 400 ${code}`, async () => {
        assertOciError(await t.app.inject({ method: 'GET', url: `/v2/${repo}/referrers/${bad}` }), 400, code)
      })
    }

    it('untagging a referrer keeps it listed; deleting it removes it', async () => {
      const sbom = all[0]!
      assertStatus(await t.app.inject({ method: 'DELETE', url: `/v2/${repo}/manifests/sbom` }), 202)
      assert.ok((await referrers(t.app, repo, subject.digest)).index.manifests.some((d) => d.digest === sbom.digest))
      assertStatus(await t.app.inject({ method: 'DELETE', url: `/v2/${repo}/manifests/${sbom.digest}` }), 202)
      const { index } = await referrers(t.app, repo, subject.digest)
      assert.deepEqual([...index.manifests].sort(byDigest), all.slice(1).sort(byDigest))
      assert.deepEqual((await referrers(t.app, repo, subject.digest, SBOM)).index.manifests, [])
    })

    it('an empty artifactType counts as missing: the config media type for a manifest, none for an index', async () => {
      const r = 'library/referrers-empty-type'
      const target = await pushImage(t.app, r, 'v1', 'empty-type-subject')
      const s = descriptorOf(OCI_MANIFEST, target.text)
      const manifest = await pushImage(t.app, r, 'empty-manifest', 'empty-type-manifest', { artifactType: '', configMediaType: SIGNATURE_CONFIG, subject: s })
      const index = indexText(OCI_INDEX, [s], { artifactType: '', subject: s })
      await pushManifest(t.app, r, 'empty-index', index, OCI_INDEX)
      const { index: list } = await referrers(t.app, r, s.digest)
      assert.deepEqual(
        [...list.manifests].sort(byDigest),
        [expected(OCI_MANIFEST, manifest.text, SIGNATURE_CONFIG, undefined), expected(OCI_INDEX, index, undefined, undefined)].sort(byDigest),
      )
    })
  })
}
