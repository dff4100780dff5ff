// Parsing and validating manifests and indexes (OCI image spec v1.1, Docker schema 2).
import { BerthError } from '../lib/errors.js'
import { isDigest, type Digest } from './digest.js'
import {
  MANIFEST_MEDIA_TYPES,
  MediaType,
  bareMediaType,
  isIndexMediaType,
  isManifestMediaType,
  isNonDistributable,
  type ManifestMediaType,
} from './media-types.js'

export interface Descriptor {
  mediaType: string
  digest: Digest
  size: number
  artifactType?: string
  annotations?: Record<string, string>
  urls?: string[]
  platform?: Record<string, unknown>
}

/** What the registry needs to know about a manifest it stores. */
export interface ParsedManifest {
  mediaType: ManifestMediaType
  /** Blobs that must exist in the repository (config and layers). */
  blobs: Descriptor[]
  /** Manifests that must exist in the repository (children of an index). */
  manifests: Descriptor[]
  subject?: Descriptor
  /** The artifactType the referrers API reports (manifest's, else the config's media type). */
  artifactType?: string
  annotations?: Record<string, string>
}

function invalid(message: string, detail?: unknown): BerthError {
  return new BerthError('MANIFEST_INVALID', message, detail)
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function stringMap(value: unknown, field: string): Record<string, string> | undefined {
  if (value === undefined) return undefined
  if (!isObject(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    throw invalid(`${field} must be an object of strings`)
  }
  return value as Record<string, string>
}

function descriptor(value: unknown, field: string): Descriptor {
  if (!isObject(value)) throw invalid(`${field} must be a descriptor object`)
  const { mediaType, digest, size, artifactType, annotations, urls } = value
  if (typeof mediaType !== 'string' || mediaType === '') throw invalid(`${field}.mediaType is required`)
  if (typeof digest !== 'string' || !isDigest(digest)) throw invalid(`${field}.digest is not a valid digest`)
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw invalid(`${field}.size must be a non-negative integer`)
  }
  if (artifactType !== undefined && typeof artifactType !== 'string') throw invalid(`${field}.artifactType must be a string`)
  if (urls !== undefined && (!Array.isArray(urls) || !urls.every((u) => typeof u === 'string'))) {
    throw invalid(`${field}.urls must be an array of strings`)
  }
  const d: Descriptor = { mediaType, digest, size }
  if (artifactType !== undefined) d.artifactType = artifactType
  const a = stringMap(annotations, `${field}.annotations`)
  if (a !== undefined) d.annotations = a
  if (urls !== undefined) d.urls = urls as string[]
  // An index's children say which platform they are for (kept as given; the API shows it).
  if (isObject(value.platform)) d.platform = value.platform
  return d
}

function descriptors(value: unknown, field: string): Descriptor[] {
  if (!Array.isArray(value)) throw invalid(`${field} must be an array`)
  return value.map((v, i) => descriptor(v, `${field}[${i}]`))
}

/**
 * Parses manifest bytes. The media type comes from the body's `mediaType` field, else from the
 * request's Content-Type, else from the shape; the two must agree when both are given.
 * Docker schema 1 is refused by name.
 */
export function parseManifest(bytes: Buffer, contentType: string | undefined): ParsedManifest {
  let doc: unknown
  try {
    doc = JSON.parse(bytes.toString('utf8'))
  } catch {
    throw invalid('manifest is not valid JSON')
  }
  if (!isObject(doc)) throw invalid('manifest must be a JSON object')
  const header = bareMediaType(contentType)
  const field = doc.mediaType
  if (field !== undefined && typeof field !== 'string') throw invalid('mediaType must be a string')
  if (
    doc.schemaVersion === 1 ||
    [field, header].some((t) => t === MediaType.dockerSchema1 || t === MediaType.dockerSchema1Signed)
  ) {
    throw invalid('Docker image manifest schema 1 is not supported; push with schema 2 or OCI (e.g. docker push with a current Docker)')
  }
  if (doc.schemaVersion !== 2) throw invalid('schemaVersion must be 2')
  let mediaType: string | undefined = field
  if (field !== undefined && header !== undefined && header !== 'application/json' && header !== field) {
    throw invalid('Content-Type does not match the manifest mediaType', { contentType: header, mediaType: field })
  }
  if (mediaType === undefined) {
    if (header !== undefined && isManifestMediaType(header)) mediaType = header
    else if (Array.isArray(doc.manifests)) mediaType = MediaType.ociIndex
    else if (doc.config !== undefined) mediaType = MediaType.ociManifest
  }
  if (mediaType === undefined || !isManifestMediaType(mediaType)) {
    throw invalid('unsupported manifest media type', { mediaType: mediaType ?? header ?? null, supported: MANIFEST_MEDIA_TYPES })
  }
  if (doc.artifactType !== undefined && typeof doc.artifactType !== 'string') throw invalid('artifactType must be a string')
  // The referrers API treats an empty artifactType as a missing one.
  const artifactType = doc.artifactType === '' ? undefined : (doc.artifactType as string | undefined)
  const annotations = stringMap(doc.annotations, 'annotations')
  const subject = doc.subject === undefined ? undefined : descriptor(doc.subject, 'subject')
  const parsed: ParsedManifest = { mediaType, blobs: [], manifests: [] }
  if (annotations !== undefined) parsed.annotations = annotations
  if (subject !== undefined) parsed.subject = subject

  if (isIndexMediaType(mediaType)) {
    parsed.manifests = descriptors(doc.manifests, 'manifests')
    if (artifactType !== undefined) parsed.artifactType = artifactType
  } else {
    const config = descriptor(doc.config, 'config')
    const layers = descriptors(doc.layers ?? [], 'layers')
    if (mediaType === MediaType.dockerManifest && doc.layers === undefined) throw invalid('layers is required')
    parsed.blobs = [config, ...layers.filter((l) => !(isNonDistributable(l.mediaType) && l.urls !== undefined))]
    parsed.artifactType = artifactType ?? config.mediaType
  }
  return parsed
}

/**
 * The descriptors an index lists (`manifests`), as another registry sent them: entries that are
 * not valid descriptors are left out rather than failing the whole list (a referrers answer
 * with one bad entry still names the good ones). Not for manifests being stored: those go
 * through parseManifest.
 */
export function listedDescriptors(index: unknown): Descriptor[] {
  const manifests = isObject(index) ? index.manifests : undefined
  if (!Array.isArray(manifests)) return []
  return manifests.flatMap((d, i) => {
    try {
      return [descriptor(d, `manifests[${i}]`)]
    } catch {
      return []
    }
  })
}

/**
 * A manifest Berth already stores (it passed parseManifest when it was pushed): the same parser,
 * for reading its children, blobs and config. The stored media type is the content type.
 */
export function storedManifest(m: { body: Buffer; mediaType: string }): ParsedManifest {
  return parseManifest(m.body, m.mediaType)
}

/** The config descriptor of an image manifest (the first of its blobs), undefined for an index. */
export function configOf(parsed: ParsedManifest): Descriptor | undefined {
  return isIndexMediaType(parsed.mediaType) ? undefined : parsed.blobs[0]
}
