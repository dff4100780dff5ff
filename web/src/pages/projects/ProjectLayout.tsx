// A project's frame: its name, public/private, and the tabs of its pages (each tab a route).
import { Outlet, useLocation, useNavigate, useParams } from 'react-router'
import { useTranslation } from 'react-i18next'
import { useQuery } from '@tanstack/react-query'
import { Breadcrumb, BreadcrumbItem, Label, PageSection, Tab, Tabs, TabTitleText, Title, Flex, FlexItem } from '@patternfly/react-core'
import { Link } from 'react-router'
import { ErrorAlert } from '../../components/ErrorAlert'
import { Loading } from '../../app/App'
import { projectQuery } from './project-context'
import { ProxyCacheLabel } from './ProxyCache'

/** The project's tabs, in order: path under /projects/:id and catalogue key. */
export const PROJECT_TABS = [
  ['summary', 'projects.tab.summary'],
  ['repositories', 'projects.tab.repositories'],
  ['members', 'projects.tab.members'],
  ['robots', 'projects.tab.robots'],
  ['labels', 'projects.tab.labels'],
  ['policy', 'projects.tab.policy'],
  ['scanner', 'projects.tab.scanner'],
  ['trusted-keys', 'projects.tab.trustedKeys'],
  ['webhooks', 'projects.tab.webhooks'],
  ['logs', 'projects.tab.logs'],
  ['configuration', 'projects.tab.configuration'],
] as const

/** The element the tabs control: the page of the chosen tab. */
const PANEL = 'project-tab-panel'

export default function ProjectLayout() {
  const { t } = useTranslation()
  const { projectId } = useParams()
  const location = useLocation()
  const navigate = useNavigate()
  const q = useQuery(projectQuery(projectId!))
  if (q.error !== null) {
    return (
      <PageSection>
        <ErrorAlert error={q.error} />
      </PageSection>
    )
  }
  if (q.data === undefined) return <Loading />
  const project = q.data
  const base = `/projects/${projectId}`
  const active = location.pathname.slice(base.length + 1).split('/')[0] ?? 'summary'
  const isPublic = project.metadata?.public === 'true'
  return (
    <>
      <PageSection>
        <Breadcrumb aria-label={t('common.breadcrumb')}>
          <BreadcrumbItem render={() => <Link to="/projects">{t('projects.title')}</Link>} />
          <BreadcrumbItem isActive>{project.name}</BreadcrumbItem>
        </Breadcrumb>
        <Flex alignItems={{ default: 'alignItemsCenter' }}>
          <FlexItem>
            <Title headingLevel="h1">{project.name}</Title>
          </FlexItem>
          <FlexItem>
            <Label color={isPublic ? 'green' : 'grey'}>{isPublic ? t('projects.public') : t('projects.private')}</Label>
          </FlexItem>
          <FlexItem>
            <ProxyCacheLabel registryId={project.registry_id} />
          </FlexItem>
        </Flex>
      </PageSection>
      <PageSection type="tabs">
        <Tabs activeKey={active} onSelect={(e, key) => {
            e.preventDefault()
            navigate(`${base}/${String(key)}`)
          }} aria-label={t('projects.tabsLabel')} component="nav" mountOnEnter>
          {PROJECT_TABS.map(([path, key]) => (
            <Tab key={path} eventKey={path} title={<TabTitleText>{t(key)}</TabTitleText>} href={`${base}/${path}`} tabContentId={PANEL} />
          ))}
        </Tabs>
      </PageSection>
      <div id={PANEL} role="tabpanel" aria-label={t(PROJECT_TABS.find(([p]) => p === active)?.[1] ?? 'projects.tab.summary')}>
        <Outlet />
      </div>
    </>
  )
}
