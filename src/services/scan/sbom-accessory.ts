// An SBOM stored as Harbor stores it: an OCI 1.1 referrer of the scanned artifact in the same
// repository (artifactType application/vnd.goharbor.harbor.sbom.v1), an empty config and one layer
// holding the SBOM document. A new SBOM of the same artifact replaces the previous one.
import { Readable } from 'node:stream'
import { createHash } from 'node:crypto'
import { BerthError } from '../../lib/errors.js'
import type { Digest } from '../../oci/digest.js'
import { parseReference, type RepoName } from '../../oci/names.js'
import type { BlobService } from '../registry/blob-service.js'
import type { ManifestService } from '../registry/manifest-service.js'
import type { SbomWriter } from './scan-service.js'

export const SBOM_ARTIFACT_TYPE = 'application/vnd.goharbor.harbor.sbom.v1'
const EMPTY_CONFIG = { mediaType: 'application/vnd.oci.empty.v1+json', bytes: Buffer.from('{}') }
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'

const digestOf = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest

export class SbomAccessories implements SbomWriter {
  constructor(private readonly o: { manifests: ManifestService; blobs: BlobService }) {}

  async write(repository: RepoName, subject: { digest: string; mediaType: string; size: number }, document: Buffer, mediaType: string, replaces: string | null): Promise<string> {
    for (const b of [EMPTY_CONFIG.bytes, document]) await this.o.blobs.push(repository, digestOf(b), Readable.from([b]), { contentLength: b.length })
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: SBOM_ARTIFACT_TYPE,
        config: { mediaType: EMPTY_CONFIG.mediaType, digest: digestOf(EMPTY_CONFIG.bytes), size: EMPTY_CONFIG.bytes.length },
        layers: [{ mediaType, digest: digestOf(document), size: document.length }],
        subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
        annotations: { 'created-by': 'Berth', 'org.opencontainers.artifact.description': 'SPDX JSON SBOM', 'org.opencontainers.artifact.created': new Date().toISOString() },
      }),
    )
    const digest = digestOf(manifest)
    await this.o.manifests.put(repository, parseReference(digest), manifest, OCI_MANIFEST, { operator: '' })
    // Earlier SBOMs of the subject (this one's generation or Harbor-style ones) give way to the new one.
    const earlier: Digest[] = (await this.o.manifests.referrers(repository, subject.digest as Digest, SBOM_ARTIFACT_TYPE)).map((d) => d.digest as Digest).filter((d) => d !== digest)
    if (replaces !== null && replaces !== digest && !earlier.includes(replaces as Digest)) earlier.push(replaces as Digest)
    for (const old of earlier.slice(0, 100)) {
      await this.o.manifests.delete(repository, parseReference(old), { operator: '' }).catch((err: unknown) => {
        if (!(err instanceof BerthError && err.code === 'MANIFEST_UNKNOWN')) throw err
      })
    }
    return digest
  }
}
