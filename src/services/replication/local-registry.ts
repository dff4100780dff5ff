// This registry as a replication endpoint: reads and writes go through the same services the
// /v2 routes use (the caller is replication itself, so no access checks), and writes carry the
// replication path so that this instance records where the content came from.
import { pipeline, Transform, type Readable } from 'node:stream'
import { BerthError, isBerthError } from '../../lib/errors.js'
import { isDigest, type Digest } from '../../oci/digest.js'
import { parseReference, parseRepoName, projectOf, type RepoName } from '../../oci/names.js'
import type { BlobService } from '../registry/blob-service.js'
import type { ManifestService } from '../registry/manifest-service.js'
import type { Stores } from '../../metadata/stores.js'
import type { Descriptor } from '../../oci/manifest.js'
import type { ManifestDoc, RegistryEndpoint, WriteOptions } from '../../remote/endpoint.js'

const PAGE = 500

export class LocalRegistry implements RegistryEndpoint {
  constructor(
    private readonly o: {
      manifests: ManifestService
      blobs: BlobService
      stores: Stores
      /** Creates a missing project (pull replication into a namespace that does not exist yet). */
      ensureProject(name: string): Promise<void>
    },
  ) {}

  async *repositories(): AsyncIterable<string> {
    let last: string | undefined
    for (;;) {
      const page = await this.o.manifests.catalog({ all: true }, PAGE, last)
      yield* page.items
      if (!page.more) return
      last = page.items[page.items.length - 1]
    }
  }

  async tags(repository: string): Promise<string[]> {
    const out: string[] = []
    let last: string | undefined
    for (;;) {
      let page
      try {
        page = await this.o.manifests.listTags(parseRepoName(repository), PAGE, last)
      } catch (err) {
        if (isBerthError(err, 'NAME_UNKNOWN')) return []
        throw err
      }
      out.push(...page.items)
      if (!page.more) return out
      last = page.items[page.items.length - 1]
    }
  }

  async manifest(repository: string, reference: string): Promise<ManifestDoc | null> {
    try {
      const m = await this.o.manifests.get(parseRepoName(repository), parseReference(reference))
      return { digest: m.digest, mediaType: m.mediaType, body: m.body }
    } catch (err) {
      if (isBerthError(err, 'MANIFEST_UNKNOWN') || isBerthError(err, 'NAME_UNKNOWN')) return null
      throw err
    }
  }

  async manifestDigest(repository: string, reference: string): Promise<string | null> {
    try {
      return (await this.o.manifests.stat(parseRepoName(repository), parseReference(reference))).digest
    } catch (err) {
      if (isBerthError(err, 'MANIFEST_UNKNOWN') || isBerthError(err, 'NAME_UNKNOWN')) return null
      throw err
    }
  }

  async putManifest(repository: string, reference: string, m: ManifestDoc, o?: WriteOptions): Promise<void> {
    const name = parseRepoName(repository)
    await this.o.ensureProject(projectOf(name))
    await this.o.manifests.put(name, parseReference(reference), m.body, m.mediaType, { path: o?.path ?? [] })
  }

  async deleteManifest(repository: string, reference: string, o?: WriteOptions): Promise<boolean> {
    try {
      await this.o.manifests.delete(parseRepoName(repository), parseReference(reference), { path: o?.path ?? [] })
      return true
    } catch (err) {
      if (isBerthError(err, 'MANIFEST_UNKNOWN') || isBerthError(err, 'NAME_UNKNOWN')) return false
      throw err
    }
  }

  /** Like a client's HEAD: a blob found is claimed against garbage collection until the manifest follows. */
  async hasBlob(repository: string, digest: string): Promise<boolean> {
    if (!isDigest(digest)) return false
    try {
      await this.o.blobs.stat(parseRepoName(repository), digest as Digest)
      return true
    } catch (err) {
      if (isBerthError(err, 'BLOB_UNKNOWN') || isBerthError(err, 'NAME_INVALID')) return false
      throw err
    }
  }

  async mountBlob(repository: string, digest: string, from: string): Promise<boolean> {
    if (!isDigest(digest)) return false
    const name = parseRepoName(repository)
    await this.o.ensureProject(projectOf(name))
    const source = from === '' ? undefined : parseRepoName(from)
    return (await this.o.blobs.mount(name, digest as Digest, source, () => true)) !== null
  }

  async openBlob(repository: string, digest: string, offset = 0): Promise<{ stream: Readable; size: number }> {
    const name = parseRepoName(repository)
    const info = await this.o.blobs.stat(name, digest as Digest)
    const stream = await this.o.blobs.open(name, digest as Digest, offset > 0 ? { offset, length: info.size - offset } : undefined)
    return { stream, size: info.size }
  }

  async pushBlob(repository: string, digest: string, size: number, open: (offset: number) => Promise<Readable>, o?: WriteOptions & { onBytes?: (n: number) => void }): Promise<void> {
    if (!isDigest(digest)) throw new BerthError('DIGEST_INVALID', `invalid digest ${digest}`)
    const name = parseRepoName(repository)
    if (await this.hasBlob(name, digest)) return
    await this.o.ensureProject(projectOf(name))
    const source = await open(0)
    const onBytes = o?.onBytes
    const body =
      onBytes === undefined
        ? source
        : pipeline(
            source,
            new Transform({
              transform(chunk: Buffer, _enc, done) {
                onBytes(chunk.length)
                done(null, chunk)
              },
            }),
            () => {},
          )
    await this.o.blobs.push(name, digest as Digest, body, { contentLength: size, ...(o?.signal !== undefined ? { signal: o.signal } : {}) })
  }

  async referrers(repository: string, digest: string): Promise<Descriptor[]> {
    if (!isDigest(digest)) return []
    return (await this.o.manifests.referrers(parseRepoName(repository) as RepoName, digest as Digest)).map((d) => ({
      mediaType: d.mediaType,
      digest: d.digest,
      size: d.size,
      ...(d.artifactType !== undefined ? { artifactType: d.artifactType } : {}),
    }))
  }
}
