// The project's Policy tab: tag retention (what a run keeps and deletes) and tag immutability
// (tags that may not be pushed over or deleted), one at a time, the choice in the URL.
import { useEffect } from 'react'
import { useSearchParams } from 'react-router'
import { useTranslation } from 'react-i18next'
import { Content, PageSection, Spinner, Stack, StackItem, Tab, Tabs, TabTitleText, Title } from '@patternfly/react-core'
import { useProject } from '../projects/project-context'
import { ImmutabilitySection } from './ImmutabilitySection'
import { usePermissionsLoading } from './permissions'
import './policy.css'
import { RetentionSection } from './RetentionSection'

type Section = 'retention' | 'immutability'

export default function PolicyPage() {
  const { t } = useTranslation()
  const { project } = useProject()
  const [search, setSearch] = useSearchParams()
  const loading = usePermissionsLoading()
  const section: Section = search.get('section') === 'immutability' ? 'immutability' : 'retention'
  useEffect(() => {
    document.title = `${t('policy.title')} · ${project.name} · Berth`
  }, [t, project.name])
  if (loading) return <Spinner size="lg" aria-label={t('common.loading')} aria-valuetext={t('common.loading')} />

  return (
    <PageSection>
      <Title headingLevel="h2" className="pf-v6-screen-reader">
        {t('policy.title')}
      </Title>
      <Tabs
        activeKey={section}
        onSelect={(_e, key) => setSearch(key === 'retention' ? {} : { section: String(key) })}
        aria-label={t('policy.sections')}
        isSubtab
        mountOnEnter
        unmountOnExit
      >
        <Tab eventKey="retention" title={<TabTitleText>{t('policy.retention.title')}</TabTitleText>}>
          <Stack hasGutter className="berth-tab-body">
            <StackItem>
              <Content component="p">{t('policy.retention.help')}</Content>
            </StackItem>
            <RetentionSection />
          </Stack>
        </Tab>
        <Tab eventKey="immutability" title={<TabTitleText>{t('policy.immutable.title')}</TabTitleText>}>
          <Stack hasGutter className="berth-tab-body">
            <StackItem>
              <Content component="p">{t('policy.immutable.help')}</Content>
            </StackItem>
            <StackItem>
              <ImmutabilitySection />
            </StackItem>
          </Stack>
        </Tab>
      </Tabs>
    </PageSection>
  )
}
