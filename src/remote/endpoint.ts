// What replication needs of a registry, local or remote: list, read and write manifests and
// blobs, delete, and find referrers. The local endpoint goes through Berth's own services; the
// remote one speaks the distribution API over HTTP (Berth, Harbor, the CNCF distribution
// registry, Docker Hub).
import type { Readable } from 'node:stream'
import type { Descriptor } from '../oci/manifest.js'

export interface ManifestDoc {
  digest: string
  mediaType: string
  body: Buffer
}

/** Options of a write that replication makes: the instances the content travelled through. */
export interface WriteOptions {
  /** Berth instance ids, oldest first; sent to Berth peers, which refuse to send it back along it. */
  path?: readonly string[]
  signal?: AbortSignal
}

export interface RegistryEndpoint {
  /** Repository names, in any order (a pull policy's candidates). UNSUPPORTED where the registry has no catalog. */
  repositories(signal?: AbortSignal): AsyncIterable<string>
  /** Tags of a repository; [] when the repository does not exist. */
  tags(repository: string, signal?: AbortSignal): Promise<string[]>
  /** A manifest by tag or digest, with its exact bytes; null when absent. */
  manifest(repository: string, reference: string, signal?: AbortSignal): Promise<ManifestDoc | null>
  /** The digest a tag or digest resolves to (HEAD), or null when absent. */
  manifestDigest(repository: string, reference: string, signal?: AbortSignal): Promise<string | null>
  /** Stores a manifest (its blobs and children must be there) under a tag or its digest. */
  putManifest(repository: string, reference: string, m: ManifestDoc, o?: WriteOptions): Promise<void>
  /** Deletes a tag or a manifest by digest; false when it was not there. */
  deleteManifest(repository: string, reference: string, o?: WriteOptions): Promise<boolean>
  hasBlob(repository: string, digest: string, signal?: AbortSignal): Promise<boolean>
  /** Links a blob the registry has in `from` into `repository` without sending it; false when it cannot. */
  mountBlob(repository: string, digest: string, from: string, signal?: AbortSignal): Promise<boolean>
  /** A blob's bytes from `offset` (for a resumed copy), and its whole size. */
  openBlob(repository: string, digest: string, offset?: number, signal?: AbortSignal): Promise<{ stream: Readable; size: number }>
  /**
   * Sends a blob of `size` bytes, reading it through `open(offset)`; large blobs go in chunks,
   * and a chunk that fails is resumed from what the registry acknowledged.
   */
  pushBlob(repository: string, digest: string, size: number, open: (offset: number) => Promise<Readable>, o?: WriteOptions & { onBytes?: (n: number) => void }): Promise<void>
  /** Manifests whose subject is `digest` (signatures, SBOMs); [] where unsupported. */
  referrers(repository: string, digest: string, signal?: AbortSignal): Promise<Descriptor[]>
}

/** The header a Berth peer reads the replication path from (comma-separated instance ids). */
export const PATH_HEADER = 'x-berth-replication-path'

