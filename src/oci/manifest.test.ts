// Manifest parsing: media type resolution, references, subject, artifactType, refusals.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { listedDescriptors, parseManifest } from './manifest.js'
import { MediaType } from './media-types.js'
import { digestOf } from './digest.js'
import { isBerthError } from '../lib/errors.js'

const desc = (s: string, mediaType = 'application/octet-stream') => ({ mediaType, digest: digestOf(Buffer.from(s)), size: s.length })
const bytes = (o: unknown) => Buffer.from(JSON.stringify(o))
const invalid = (e: unknown) => isBerthError(e, 'MANIFEST_INVALID')

describe('parseManifest', () => {
  const image = { schemaVersion: 2, mediaType: MediaType.ociManifest, config: desc('c', 'application/vnd.oci.image.config.v1+json'), layers: [desc('l1'), desc('l2')] }

  it('an OCI image: blobs are config and layers; artifactType falls back to the config type', () => {
    const m = parseManifest(bytes(image), MediaType.ociManifest)
    assert.equal(m.mediaType, MediaType.ociManifest)
    assert.deepEqual(m.blobs.map((b) => b.digest), [image.config.digest, image.layers[0]!.digest, image.layers[1]!.digest])
    assert.equal(m.artifactType, 'application/vnd.oci.image.config.v1+json')
  })

  it('an artifact with subject and artifactType', () => {
    const subject = desc('s', MediaType.ociManifest)
    const m = parseManifest(bytes({ ...image, artifactType: 'x/sbom', subject, annotations: { a: 'b' } }), undefined)
    assert.equal(m.artifactType, 'x/sbom')
    assert.deepEqual(m.subject, subject)
    assert.deepEqual(m.annotations, { a: 'b' })
  })

  it('indexes: children are manifests; artifactType only when given', () => {
    const idx = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [desc('m1', MediaType.ociManifest)] }
    const m = parseManifest(bytes(idx), MediaType.ociIndex)
    assert.deepEqual(m.manifests.map((x) => x.digest), [idx.manifests[0]!.digest])
    assert.equal(m.artifactType, undefined)
    const list = parseManifest(bytes({ ...idx, mediaType: MediaType.dockerManifestList }), MediaType.dockerManifestList)
    assert.equal(list.mediaType, MediaType.dockerManifestList)
  })

  it('Docker schema 2 needs layers', () => {
    const docker = { ...image, mediaType: MediaType.dockerManifest }
    assert.equal(parseManifest(bytes(docker), MediaType.dockerManifest).mediaType, MediaType.dockerManifest)
    assert.throws(() => parseManifest(bytes({ ...docker, layers: undefined }), MediaType.dockerManifest), invalid)
  })

  it('the media type comes from the body, else the header, else the shape', () => {
    const { mediaType: _, ...bare } = image
    assert.equal(parseManifest(bytes(bare), MediaType.dockerManifest).mediaType, MediaType.dockerManifest)
    assert.equal(parseManifest(bytes(bare), undefined).mediaType, MediaType.ociManifest)
    assert.equal(parseManifest(bytes({ schemaVersion: 2, manifests: [] }), 'application/json').mediaType, MediaType.ociIndex)
  })

  it('non-distributable layers with urls are not required to exist', () => {
    const foreign = { ...desc('f', 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip'), urls: ['https://example.com/f'] }
    const m = parseManifest(bytes({ ...image, layers: [foreign] }), undefined)
    assert.deepEqual(m.blobs.map((b) => b.digest), [image.config.digest])
  })

  it('refuses schema 1, bad JSON, wrong schemaVersion, mismatched Content-Type, bad descriptors', () => {
    assert.throws(() => parseManifest(bytes({ schemaVersion: 1, name: 'x', fsLayers: [] }), MediaType.dockerSchema1Signed), (e) => invalid(e) && /schema 1/.test((e as Error).message))
    assert.throws(() => parseManifest(Buffer.from('{nope'), undefined), invalid)
    assert.throws(() => parseManifest(Buffer.from('[]'), undefined), invalid)
    assert.throws(() => parseManifest(bytes({ ...image, schemaVersion: 3 }), undefined), invalid)
    assert.throws(() => parseManifest(bytes(image), MediaType.dockerManifest), invalid)
    assert.throws(() => parseManifest(bytes({ ...image, mediaType: 'text/plain' }), 'text/plain'), invalid)
    assert.throws(() => parseManifest(bytes({ ...image, config: { ...image.config, digest: 'sha256:zz' } }), undefined), invalid)
    assert.throws(() => parseManifest(bytes({ ...image, layers: [{ ...image.layers[0], size: -1 }] }), undefined), invalid)
    assert.throws(() => parseManifest(bytes({ ...image, annotations: { a: 1 } }), undefined), invalid)
    assert.throws(() => parseManifest(bytes({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: {} }), undefined), invalid)
  })
})

describe('listedDescriptors', () => {
  it('keeps the valid entries of a remote index and leaves out the rest', () => {
    const good = { ...desc('sig'), artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json' }
    const listed = listedDescriptors({ manifests: [good, { mediaType: 'x', digest: 'md5:abc', size: 1 }, { digest: good.digest }, 'junk', { ...desc('neg'), size: -1 }] })
    assert.deepEqual(listed, [good])
  })

  it('is empty for anything that is not an index', () => {
    for (const doc of [null, 'text', [], { manifests: 'no' }, {}]) assert.deepEqual(listedDescriptors(doc), [])
  })
})
