// The storage layout: the one place that says where bytes live under a driver's root.
//
//   blobs/<algorithm>/<first two hex chars>/<hex>      content-addressed bytes (layers, configs, manifests)
//   uploads/<upload id>/data                           bytes of an upload session in progress
//   exports/cve/<execution id>.csv                     a CVE export's file (Harbor's /export/cve), kept 24 h
//   exports/cve/<execution id>.<random>.part           that file while its job writes it
//
// Blob paths are written once (by an atomic move of a verified upload) and never modified.
// Uploads are plain files addressed by a random id, so any process that can reach the same
// storage can continue an upload begun by another.
import type { Digest } from '../oci/digest.js'

export function blobPath(digest: Digest): string {
  const i = digest.indexOf(':')
  const hex = digest.slice(i + 1)
  return `blobs/${digest.slice(0, i)}/${hex.slice(0, 2)}/${hex}`
}

export function uploadDir(id: string): string {
  return `uploads/${id}`
}

export function uploadDataPath(id: string): string {
  return `uploads/${id}/data`
}

/** The digest a blob path stores, or null for any other path. */
export function digestOfBlobPath(path: string): Digest | null {
  const m = /^blobs\/([a-z0-9]+)\/([0-9a-f]{2})\/([0-9a-f]+)$/.exec(path)
  return m === null || !m[3]!.startsWith(m[2]!) ? null : (`${m[1]}:${m[3]}` as Digest)
}

/** Where the CSV of a CVE export execution is published (garbage collection never looks here). */
export const EXPORTS_DIR = 'exports/cve'

export function exportPath(executionId: number): string {
  return `${EXPORTS_DIR}/${executionId}.csv`
}
