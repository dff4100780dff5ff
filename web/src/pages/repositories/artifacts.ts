// What the repository pages compute rather than fetch: names in URLs, pull commands, the label
// changes a multi-selection asks for, the platforms of an index, and the layer each build step made.
import type { paths } from '../../api/schema'

type ArtifactsPath = paths['/api/v2.0/projects/{project_name}/repositories/{repository_name}/artifacts']['get']
export type Artifact = ArtifactsPath['responses'][200]['content']['application/json'][number]
export type Repository = paths['/api/v2.0/projects/{project_name}/repositories']['get']['responses'][200]['content']['application/json'][number]
export type Reference = Artifact['references'][number]
export type Label = NonNullable<Artifact['labels']>[number]

/**
 * The path parameters of a repository in the API. Harbor wants a repository's inner '/' as
 * %252F: the client encodes each parameter once, so '/' goes in as %2F.
 */
export function repoParams(projectName: string, repo: string): { project_name: string; repository_name: string } {
  return { project_name: projectName, repository_name: repo.replaceAll('/', '%2F') }
}

/** A repository's name without its project ("library/team/app" -> "team/app"). */
export function repoInProject(fullName: string, projectName: string): string {
  return fullName.startsWith(`${projectName}/`) ? fullName.slice(projectName.length + 1) : fullName
}

/** The console's URL of a repository, or of one of its artifacts: the repository is one path segment. */
export function repoUrl(projectId: number | string, repo: string, reference?: string): string {
  const base = `/projects/${projectId}/repositories/${encodeURIComponent(repo)}`
  return reference === undefined ? base : `${base}/artifacts/${encodeURIComponent(reference)}`
}

/** "sha256:0123456789abcdef…" -> "sha256:0123456789ab". */
export function shortDigest(digest: string): string {
  const colon = digest.indexOf(':')
  return colon < 0 ? digest.slice(0, 12) : digest.slice(0, colon + 13)
}

/**
 * The host clients pull from: systeminfo's registry_url (external_url without its scheme, for
 * signed-in users) when there is one, else the host the console was loaded from.
 */
export function registryHost(registryUrl: unknown, locationHost: string): string {
  if (typeof registryUrl === 'string' && registryUrl.trim() !== '') return registryUrl.trim().replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '')
  return locationHost
}

export type PullTool = 'docker' | 'podman'
export type PullRef = { tag: string } | { digest: string }

/** `docker pull host/project/repo:tag` or `...@sha256:...`; `fullName` includes the project. */
export function pullCommand(tool: PullTool, host: string, fullName: string, ref: PullRef): string {
  const suffix = 'tag' in ref ? `:${ref.tag}` : `@${ref.digest}`
  return `${tool} pull ${host}/${fullName}${suffix}`
}

/** Whether all, some or none of the selected artifacts carry a label. */
export type LabelState = 'all' | 'some' | 'none'

export function labelState(selected: readonly Pick<Artifact, 'labels'>[], labelId: number): LabelState {
  const n = selected.filter((a) => (a.labels ?? []).some((l) => l.id === labelId)).length
  return n === 0 ? 'none' : n === selected.length ? 'all' : 'some'
}

export interface LabelChange {
  digest: string
  labelId: number
}

/**
 * The requests that make a selection match what was asked: a label set to true is added to each
 * artifact without it, one set to false is removed from each artifact with it, and a label not
 * in `wanted` (left as it was, mixed included) is not touched.
 */
export function labelChanges(selected: readonly Pick<Artifact, 'digest' | 'labels'>[], wanted: ReadonlyMap<number, boolean>): { add: LabelChange[]; remove: LabelChange[] } {
  const add: LabelChange[] = []
  const remove: LabelChange[] = []
  for (const [labelId, on] of wanted) {
    for (const a of selected) {
      const has = (a.labels ?? []).some((l) => l.id === labelId)
      if (on && !has) add.push({ digest: a.digest, labelId })
      if (!on && has) remove.push({ digest: a.digest, labelId })
    }
  }
  return { add, remove }
}

/** "linux/arm64/v8", or null when the descriptor gives no platform. */
export function platformText(platform: Record<string, unknown> | undefined): string | null {
  if (platform === undefined) return null
  const parts = [platform.os, platform.architecture, platform.variant].filter((x): x is string => typeof x === 'string' && x !== '')
  return parts.length === 0 ? null : parts.join('/')
}

/** Build attestations (buildx's provenance and SBOM manifests) travel in an index beside the images. */
function isAttestation(r: Reference): boolean {
  return r.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' || (r.platform?.os === 'unknown' && r.platform?.architecture === 'unknown')
}

/** An index's platforms, each once and sorted, and how many attestation manifests it also holds. */
export function summariseIndex(references: readonly Reference[]): { platforms: string[]; attestations: number } {
  const platforms = new Set<string>()
  let attestations = 0
  for (const r of references) {
    if (isAttestation(r)) attestations++
    else {
      const p = platformText(r.platform)
      if (p !== null) platforms.add(p)
    }
  }
  return { platforms: [...platforms].sort(), attestations }
}

/** A step of the image config's `history`. */
export interface HistoryEntry {
  created?: string
  created_by?: string
  author?: string
  comment?: string
  empty_layer?: boolean
}

export interface Descriptor {
  mediaType?: string
  digest: string
  size: number
  annotations?: Record<string, string>
  platform?: Record<string, unknown>
}

/** Each build step with the layer it made (steps marked empty_layer made none), in order. */
export function historyWithLayers(history: readonly HistoryEntry[], layers: readonly Descriptor[]): { step: HistoryEntry; layer: Descriptor | null }[] {
  let next = 0
  return history.map((step) => ({ step, layer: step.empty_layer === true ? null : (layers[next++] ?? null) }))
}

/** The parts of a manifest the artifact page shows. */
export interface ManifestDoc {
  mediaType?: string
  artifactType?: string
  config?: Descriptor
  layers?: Descriptor[]
  manifests?: Descriptor[]
  subject?: Descriptor
  annotations?: Record<string, string>
}
