// The project's Policy tab: tag retention (what a run keeps and deletes) and tag immutability
// (tags that may not be pushed over or deleted), one at a time, the choice in the URL.
import { useEffect } from 'react'
import { useSearchParams } from 'react-router'
import { useTranslation } from 'react-i18next'
import { Content, PageSection, Tab, Tabs, TabTitleText, Title } from '@patternfly/react-core'
import { useProject } from '../projects/project-context'
import { ImmutabilitySection } from './ImmutabilitySection'
import { RetentionSection } from './RetentionSection'

type Section = 'retention' | 'immutability'

export default function PolicyPage() {
  const { t } = useTranslation()
  const { project } = useProject()
  const [search, setSearch] = useSearchParams()
  const section: Section = search.get('section') === 'immutability' ? 'immutability' : 'retention'
  useEffect(() => {
    document.title = `${t('policy.title')} · ${project.name} · Berth`
  }, [t, project.name])

  return (
    <PageSection>
      <Title headingLevel="h2" className="pf-v6-u-screen-reader">
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
          <Content component="p" className="pf-v6-u-my-md">
            {t('policy.retention.help')}
          </Content>
          <RetentionSection />
        </Tab>
        <Tab eventKey="immutability" title={<TabTitleText>{t('policy.immutable.title')}</TabTitleText>}>
          <Content component="p" className="pf-v6-u-my-md">
            {t('policy.immutable.help')}
          </Content>
          <ImmutabilitySection />
        </Tab>
      </Tabs>
    </PageSection>
  )
}
