// Manifest media types the registry accepts, and the ones it refuses by name.
export const MediaType = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
} as const

export type ManifestMediaType =
  | typeof MediaType.ociManifest
  | typeof MediaType.ociIndex
  | typeof MediaType.dockerManifest
  | typeof MediaType.dockerManifestList

export const MANIFEST_MEDIA_TYPES: readonly ManifestMediaType[] = [
  MediaType.ociManifest,
  MediaType.ociIndex,
  MediaType.dockerManifest,
  MediaType.dockerManifestList,
]

export function isManifestMediaType(value: string): value is ManifestMediaType {
  return (MANIFEST_MEDIA_TYPES as readonly string[]).includes(value)
}

export function isIndexMediaType(value: string): boolean {
  return value === MediaType.ociIndex || value === MediaType.dockerManifestList
}

/** Layers that registries are not expected to hold (their bytes live at `urls`). */
export function isNonDistributable(mediaType: string): boolean {
  return (
    mediaType.startsWith('application/vnd.oci.image.layer.nondistributable.') ||
    mediaType.startsWith('application/vnd.docker.image.rootfs.foreign.')
  )
}

/** "type/subtype; params" -> "type/subtype", lower-cased. */
export function bareMediaType(header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  const bare = header.split(';')[0]!.trim().toLowerCase()
  return bare === '' ? undefined : bare
}
