// The global labels (administration), which any project's artifacts may carry.
import { useTranslation } from 'react-i18next'
import { PageSection } from '@patternfly/react-core'
import { PageTitle } from '../../components/PageTitle'
import { LabelList } from './LabelList'

export default function GlobalLabels() {
  const { t } = useTranslation()
  return (
    <>
      <PageTitle title={t('access.labels.globalTitle')} description={t('access.labels.globalHelp')} />
      <PageSection>
        <LabelList title={t('access.labels.globalTitle')} canCreate canUpdate canDelete />
      </PageSection>
    </>
  )
}
