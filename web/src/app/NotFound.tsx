import { EmptyState, EmptyStateBody, PageSection } from '@patternfly/react-core'
import { Link } from 'react-router'
import { useTranslation } from 'react-i18next'

export function NotFound() {
  const { t } = useTranslation()
  return (
    <PageSection>
      <EmptyState titleText={t('app.notFound.title')} headingLevel="h1">
        <EmptyStateBody>
          <Link to="/projects">{t('app.notFound.back')}</Link>
        </EmptyStateBody>
      </EmptyState>
    </PageSection>
  )
}
