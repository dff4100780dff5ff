// The audit log of the whole registry (administration).
import { useTranslation } from 'react-i18next'
import { PageSection } from '@patternfly/react-core'
import { PageTitle } from '../../components/PageTitle'
import { AuditLogList } from './AuditLogList'

export default function AuditLogs() {
  const { t } = useTranslation()
  return (
    <>
      <PageTitle title={t('access.logs.title')} />
      <PageSection>
        <AuditLogList label={t('access.logs.title')} />
      </PageSection>
    </>
  )
}
