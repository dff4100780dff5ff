// JSON shapes of repositories, artifacts, tags and labels, with Harbor's field names.
import { Type, type Static } from '@sinclair/typebox'
import type { RepositoryDetail, TagDetail, ArtifactDetail } from '../../metadata/catalog-store.js'
import type { Label } from '../../metadata/label-store.js'
import type { ArtifactView } from '../../services/registry/content-service.js'

const strict = { additionalProperties: false } as const
const Strings = Type.Record(Type.String(), Type.String())

export const RepositoryJson = Type.Object({
  id: Type.Integer(),
  project_id: Type.Integer(),
  name: Type.String(),
  description: Type.String(),
  artifact_count: Type.Integer(),
  pull_count: Type.Integer(),
  creation_time: Type.String(),
  update_time: Type.String(),
})

/** Clients generated from Harbor's swagger send the whole repository; its read-only fields are ignored. */
export const RepositoryUpdateBody = Type.Object(
  {
    description: Type.String({ maxLength: 4096 }),
    name: Type.Optional(Type.String()),
    id: Type.Optional(Type.Integer()),
    project_id: Type.Optional(Type.Integer()),
    artifact_count: Type.Optional(Type.Integer()),
    pull_count: Type.Optional(Type.Integer()),
    creation_time: Type.Optional(Type.String()),
    update_time: Type.Optional(Type.String()),
  },
  strict,
)

export const TagJson = Type.Object({
  id: Type.Integer(),
  repository_id: Type.Integer(),
  artifact_id: Type.Integer(),
  name: Type.String(),
  push_time: Type.String(),
  pull_time: Type.String(),
  immutable: Type.Boolean(),
  signed: Type.Optional(Type.Boolean()),
})

export const NewTagBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: true })

export const LabelJson = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  description: Type.String(),
  color: Type.String(),
  scope: Type.String(),
  project_id: Type.Integer(),
  creation_time: Type.String(),
  update_time: Type.String(),
})

export const LabelCreationBody = Type.Object(
  {
    name: Type.String({ maxLength: 128 }),
    description: Type.Optional(Type.String({ maxLength: 1024 })),
    color: Type.Optional(Type.String({ maxLength: 16 })),
    scope: Type.Union([Type.Literal('g'), Type.Literal('p')]),
    project_id: Type.Optional(Type.Integer()),
  },
  strict,
)

export const LabelUpdateBody = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 128 })),
    description: Type.Optional(Type.String({ maxLength: 1024 })),
    color: Type.Optional(Type.String({ maxLength: 16 })),
    id: Type.Optional(Type.Integer()),
    scope: Type.Optional(Type.String()),
    project_id: Type.Optional(Type.Integer()),
    creation_time: Type.Optional(Type.String()),
    update_time: Type.Optional(Type.String()),
  },
  strict,
)

export const LabelRefBody = Type.Object({ id: Type.Integer() }, { additionalProperties: true })

const ReferenceJson = Type.Object({
  parent_id: Type.Integer(),
  child_id: Type.Integer(),
  child_digest: Type.String(),
  platform: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  annotations: Type.Optional(Strings),
  urls: Type.Optional(Type.Array(Type.String())),
})

const AccessoryJson = Type.Object({
  id: Type.Integer(),
  artifact_id: Type.Integer(),
  subject_artifact_id: Type.Integer(),
  subject_artifact_digest: Type.String(),
  subject_artifact_repo: Type.String(),
  size: Type.Integer(),
  digest: Type.String(),
  type: Type.String(),
  creation_time: Type.String(),
})

export const ArtifactJson = Type.Object({
  id: Type.Integer(),
  type: Type.String(),
  media_type: Type.String(),
  manifest_media_type: Type.String(),
  artifact_type: Type.String(),
  project_id: Type.Integer(),
  repository_id: Type.Integer(),
  repository_name: Type.String(),
  digest: Type.String(),
  size: Type.Integer(),
  push_time: Type.String(),
  pull_time: Type.String(),
  extra_attrs: Type.Record(Type.String(), Type.Unknown()),
  annotations: Strings,
  references: Type.Array(ReferenceJson),
  tags: Type.Optional(Type.Array(TagJson)),
  labels: Type.Optional(Type.Array(LabelJson)),
  accessories: Type.Optional(Type.Array(AccessoryJson)),
  addition_links: Type.Record(Type.String(), Type.Unknown()),
  scan_overview: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'with_scan_overview: the report summary by report MIME type' })),
  sbom_overview: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'with_sbom_overview: the SBOM generation summary' })),
})

/** Harbor sends "0001-01-01T00:00:00.000Z" for a time that never happened (no pull yet). */
const NEVER = '0001-01-01T00:00:00.000Z'

export function repositoryJson(r: RepositoryDetail): Static<typeof RepositoryJson> {
  return { id: r.id, project_id: r.projectId, name: r.name, description: r.description, artifact_count: r.artifactCount, pull_count: r.pullCount, creation_time: r.createdAt, update_time: r.updatedAt }
}

export function tagJson(t: TagDetail & { immutable?: boolean }, signed?: boolean): Static<typeof TagJson> {
  return { id: t.id, repository_id: t.repositoryId, artifact_id: t.artifactId, name: t.name, push_time: t.updatedAt, pull_time: t.pullTime ?? NEVER, immutable: t.immutable ?? false, ...(signed !== undefined ? { signed } : {}) }
}

export function labelJson(l: Label): Static<typeof LabelJson> {
  return { id: l.id, name: l.name, description: l.description, color: l.color, scope: l.scope, project_id: l.projectId ?? 0, creation_time: l.createdAt, update_time: l.updatedAt }
}

const IMAGE_CONFIGS = new Set(['application/vnd.oci.image.config.v1+json', 'application/vnd.docker.container.image.v1+json'])

/** Harbor's artifact type: IMAGE, CHART, or UNKNOWN. */
function typeOf(a: ArtifactDetail): string {
  if (/index|manifest\.list/.test(a.mediaType)) return 'IMAGE'
  if (a.artifactType === null || IMAGE_CONFIGS.has(a.artifactType)) return 'IMAGE'
  if (a.artifactType === 'application/vnd.cncf.helm.config.v1+json') return 'CHART'
  return 'UNKNOWN'
}

/** Harbor's accessory types for the usual referrers; others keep their artifactType. */
function accessoryType(artifactType: string | null): string {
  if (artifactType === 'application/vnd.dev.cosign.artifact.sig.v1+json') return 'signature.cosign'
  if (artifactType === 'application/vnd.cncf.notary.signature') return 'signature.notation'
  if (artifactType !== null && /spdx|cyclonedx|sbom/i.test(artifactType)) return 'sbom.harbor'
  return artifactType ?? 'unknown'
}

/** Harbor's links to an artifact's additions: an image's build history. */
function additionLinks(a: ArtifactView): Record<string, unknown> {
  if (a.artifactType === null || !IMAGE_CONFIGS.has(a.artifactType)) return {}
  const slash = a.repositoryName.indexOf('/')
  // Harbor's clients send a repository's inner '/' as %252F.
  const repo = a.repositoryName.slice(slash + 1).replaceAll('/', '%252F')
  return { build_history: { absolute: false, href: `/api/v2.0/projects/${a.repositoryName.slice(0, slash)}/repositories/${repo}/artifacts/${a.digest}/additions/build_history` } }
}

export function isSignature(a: ArtifactDetail): boolean {
  return accessoryType(a.artifactType).startsWith('signature.')
}

export function artifactJson(a: ArtifactView, withSignature = false): Static<typeof ArtifactJson> {
  const signed = withSignature ? (a.accessories ?? []).some(isSignature) : undefined
  return {
    id: a.id,
    type: typeOf(a),
    media_type: a.artifactType ?? a.mediaType,
    manifest_media_type: a.mediaType,
    artifact_type: a.artifactType ?? '',
    project_id: a.projectId,
    repository_id: a.repositoryId,
    repository_name: a.repositoryName,
    digest: a.digest,
    size: a.size,
    push_time: a.createdAt,
    pull_time: a.pullTime ?? NEVER,
    extra_attrs: {},
    annotations: a.annotations ?? {},
    references: a.references.map((r) => ({
      parent_id: a.id,
      child_id: r.childId ?? 0,
      child_digest: r.childDigest,
      ...(r.platform !== undefined ? { platform: r.platform } : {}),
      ...(r.annotations !== undefined ? { annotations: r.annotations } : {}),
      ...(r.urls !== undefined ? { urls: r.urls } : {}),
    })),
    ...(a.tags !== undefined ? { tags: a.tags.map((t) => tagJson(t, signed)) } : {}),
    ...(a.labels !== undefined ? { labels: a.labels.map(labelJson) } : {}),
    ...(a.accessories !== undefined
      ? {
          accessories: a.accessories.map((x) => ({
            id: x.id,
            artifact_id: x.id,
            subject_artifact_id: a.id,
            subject_artifact_digest: a.digest,
            subject_artifact_repo: a.repositoryName,
            size: x.size,
            digest: x.digest,
            type: accessoryType(x.artifactType),
            creation_time: x.createdAt,
          })),
        }
      : {}),
    addition_links: additionLinks(a),
  }
}
