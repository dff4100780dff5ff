// What an artifact row shows beside its digest: its first tags (an artifact may have many
// thousands: only a few are fetched), its labels, its referrers and what kind of artifact it is.
import { Link } from 'react-router'
import { useTranslation } from 'react-i18next'
import { useQuery } from '@tanstack/react-query'
import { Label, LabelGroup } from '@patternfly/react-core'
import { api, page } from '../../api/client'
import './repositories.css'
import { repoParams, repoUrl, shortDigest, summariseIndex, type Artifact } from './artifacts'

/** How many tags a row shows; the artifact's page lists them all, paged. */
export const ROW_TAGS = 5

export function tagsQuery(projectName: string, repo: string, digest: string, pageSize = ROW_TAGS) {
  return {
    queryKey: ['artifact-tags', projectName, repo, digest, pageSize],
    queryFn: async () =>
      page(await api.GET('/api/v2.0/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}/tags', { params: { path: { ...repoParams(projectName, repo), reference: digest }, query: { page: 1, page_size: pageSize } } })),
    staleTime: 30_000,
  }
}

export function TagsCell({ projectName, projectId, repo, digest }: { projectName: string; projectId: number; repo: string; digest: string }) {
  const { t } = useTranslation()
  const q = useQuery(tagsQuery(projectName, repo, digest))
  if (q.data === undefined) return <>…</>
  if (q.data.total === 0) return <span className="berth-repo-muted">{t('repositories.artifacts.untagged')}</span>
  const more = q.data.total - q.data.items.length
  return (
    <LabelGroup numLabels={ROW_TAGS + 1} aria-label={t('repositories.artifacts.tagsOf', { digest: shortDigest(digest) })}>
      {q.data.items.map((tag) => (
        <Label key={tag.id} isCompact color="blue">
          {tag.name}
        </Label>
      ))}
      {more > 0 && (
        <Label isCompact variant="outline" isClickable render={({ className, content }) => <Link className={className} to={repoUrl(projectId, repo, digest)}>{content}</Link>}>
          {t('repositories.artifacts.moreTags', { count: more })}
        </Label>
      )}
    </LabelGroup>
  )
}

export function LabelsCell({ labels }: { labels: Artifact['labels'] }) {
  const { t } = useTranslation()
  if (labels === undefined || labels.length === 0) return <>—</>
  return (
    <LabelGroup numLabels={3} expandedText={t('repositories.artifacts.showLess')} collapsedText={t('repositories.artifacts.showMore', { count: labels.length - 3 })}>
      {labels.map((l) => (
        <Label key={l.id} isCompact variant="outline">
          {l.name}
        </Label>
      ))}
    </LabelGroup>
  )
}

/** Harbor's accessory types, and what the console calls them. */
const ACCESSORY_KEYS: Record<string, string> = {
  'signature.cosign': 'repositories.accessory.cosign',
  'signature.notation': 'repositories.accessory.notation',
  'sbom.harbor': 'repositories.accessory.sbom',
}

export function accessoryKey(type: string): string {
  return ACCESSORY_KEYS[type] ?? 'repositories.accessory.other'
}

/** The referrers of an artifact (signatures, SBOMs...), each a link to its own page. */
export function AccessoriesCell({ accessories, projectId, repo }: { accessories: Artifact['accessories']; projectId: number; repo: string }) {
  const { t } = useTranslation()
  if (accessories === undefined || accessories.length === 0) return <>—</>
  return (
    <LabelGroup numLabels={3} expandedText={t('repositories.artifacts.showLess')} collapsedText={t('repositories.artifacts.showMore', { count: accessories.length - 3 })}>
      {accessories.map((x) => (
        <Label key={x.id} isCompact isClickable color={x.type.startsWith('signature.') ? 'green' : 'purple'} render={({ className, content }) => <Link className={className} to={repoUrl(projectId, repo, x.digest)}>{content}</Link>}>
          {t(accessoryKey(x.type))}
        </Label>
      ))}
    </LabelGroup>
  )
}

/** An index with its platforms, an image, or another kind of artifact by its type. */
export function KindCell({ artifact }: { artifact: Artifact }) {
  const { t } = useTranslation()
  if (/index|manifest\.list/.test(artifact.manifest_media_type)) {
    const s = summariseIndex(artifact.references)
    return (
      <>
        {t('repositories.kind.index')}
        <LabelGroup numLabels={4} collapsedText={t('repositories.artifacts.showMore', { count: s.platforms.length - 4 })} expandedText={t('repositories.artifacts.showLess')}>
          {s.platforms.map((p) => (
            <Label key={p} isCompact>
              {p}
            </Label>
          ))}
        </LabelGroup>
        {s.attestations > 0 && <div className="berth-repo-note">{t('repositories.kind.attestations', { count: s.attestations })}</div>}
      </>
    )
  }
  if (artifact.type === 'IMAGE') return <>{t('repositories.kind.image')}</>
  if (artifact.type === 'CHART') return <>{t('repositories.kind.chart')}</>
  return <span className="berth-mono">{artifact.artifact_type || artifact.media_type}</span>
}
