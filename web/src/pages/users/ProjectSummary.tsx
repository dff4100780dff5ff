// A project's summary tab: how many repositories, its members by role (for those who may list
// members), storage used against its quota, and the prefix its images are pulled by.
import { useTranslation } from 'react-i18next'
import { useQuery } from '@tanstack/react-query'
import { Link } from 'react-router'
import {
  Card,
  CardBody,
  CardTitle,
  ClipboardCopy,
  Content,
  DescriptionList,
  DescriptionListDescription,
  DescriptionListGroup,
  DescriptionListTerm,
  Gallery,
  PageSection,
  Progress,
  ProgressMeasureLocation,
  ProgressVariant,
} from '@patternfly/react-core'
import { api, ok } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'
import { Loading } from '../../app/App'
import { useFormat } from '../../lib/format'
import { useProject } from '../projects/project-context'
import { useSystemInfo } from '../../api/system-info'
import { ProxyCacheSource } from '../projects/ProxyCache'

/** Summary fields by role, in Harbor's order of rank, with the projects area's role names. */
const ROLE_COUNTS = [
  ['project_admin_count', 'projects.role.admin'],
  ['maintainer_count', 'projects.role.maintainer'],
  ['developer_count', 'projects.role.developer'],
  ['guest_count', 'projects.role.guest'],
  ['limited_guest_count', 'projects.role.limitedGuest'],
] as const

/** Storage used against a quota: the bar turns amber past 80 % and red when full. */
export function quotaState(used: number, hard: number): { fraction: number; variant?: ProgressVariant } | null {
  if (hard < 0) return null
  const fraction = hard === 0 ? 1 : used / hard
  return { fraction, ...(fraction >= 1 ? { variant: ProgressVariant.danger } : fraction >= 0.8 ? { variant: ProgressVariant.warning } : {}) }
}

export default function ProjectSummary() {
  const { t } = useTranslation()
  const f = useFormat()
  const { project } = useProject()
  const info = useSystemInfo()
  const id = String(project.project_id)
  const q = useQuery({
    queryKey: ['project', id, 'summary'],
    queryFn: async () => ok(await api.GET('/api/v2.0/projects/{project}/summary', { params: { path: { project: id } }, headers: { 'X-Is-Resource-Name': 'false' } })),
  })
  if (q.error !== null)
    return (
      <PageSection>
        <ErrorAlert error={q.error} />
      </PageSection>
    )
  if (q.data === undefined) return <Loading />
  const s = q.data
  const used = s.quota.used.storage
  const hard = s.quota.hard.storage
  const quota = quotaState(used, hard)
  const host = typeof info.data?.registry_url === 'string' ? info.data.registry_url : window.location.host
  const prefix = `${host}/${project.name}`
  return (
    <PageSection>
      <Gallery hasGutter minWidths={{ default: '18rem' }}>
        <Card>
          <CardTitle component="h2">{t('users.summary.repositories')}</CardTitle>
          <CardBody>
            <Content component="p">
              <Link to={`/projects/${id}/repositories`}>{t('users.summary.repoCount', { count: s.repo_count })}</Link>
            </Content>
          </CardBody>
        </Card>
        {s.project_admin_count !== undefined && (
          <Card>
            <CardTitle component="h2">{t('users.summary.members')}</CardTitle>
            <CardBody>
              <DescriptionList isHorizontal isCompact>
                {ROLE_COUNTS.map(([field, label]) => (
                  <DescriptionListGroup key={field}>
                    <DescriptionListTerm>{t(label)}</DescriptionListTerm>
                    <DescriptionListDescription>{f.number(s[field] ?? 0)}</DescriptionListDescription>
                  </DescriptionListGroup>
                ))}
              </DescriptionList>
            </CardBody>
          </Card>
        )}
        <Card>
          <CardTitle component="h2">{t('users.summary.quota')}</CardTitle>
          <CardBody>
            {quota === null ? (
              <Content component="p">{t('users.summary.usedUnlimited', { used: f.bytes(used) })}</Content>
            ) : (
              <Progress
                value={Math.min(100, quota.fraction * 100)}
                aria-label={t('users.summary.storage')}
                label={t('users.summary.usedOf', { used: f.bytes(used), limit: f.bytes(hard), percent: f.percent(quota.fraction) })}
                valueText={t('users.summary.usedOf', { used: f.bytes(used), limit: f.bytes(hard), percent: f.percent(quota.fraction) })}
                measureLocation={ProgressMeasureLocation.outside}
                {...(quota.variant !== undefined ? { variant: quota.variant } : {})}
              />
            )}
          </CardBody>
        </Card>
        {project.registry_id !== undefined && project.registry_id > 0 && (
          <Card>
            <CardTitle component="h2">{t('projects.proxy.label')}</CardTitle>
            <CardBody>
              <Content component="p">
                <ProxyCacheSource registryId={project.registry_id} />
              </Content>
            </CardBody>
          </Card>
        )}
        <Card>
          <CardTitle component="h2">{t('users.summary.pull')}</CardTitle>
          <CardBody>
            <ClipboardCopy isReadOnly hoverTip={t('users.summary.copy')} clickTip={t('users.summary.copied')} textAriaLabel={t('users.summary.pullPrefix')} toggleAriaLabel={t('users.summary.copy')}>
              {prefix}
            </ClipboardCopy>
            <Content component="p">
              <small>{t('users.summary.pullHelp')}</small>
              <br />
              <code className="berth-mono">{t('users.summary.pullExample', { prefix })}</code>
            </Content>
          </CardBody>
        </Card>
      </Gallery>
    </PageSection>
  )
}
