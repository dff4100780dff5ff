// A project's audit log (tab "Logs").
import { useTranslation } from 'react-i18next'
import { PageSection, Title } from '@patternfly/react-core'
import { useProject } from '../projects/project-context'
import { AuditLogList } from './AuditLogList'

export default function ProjectLogs() {
  const { t } = useTranslation()
  const { project } = useProject()
  return (
    <PageSection>
      <Title headingLevel="h2">{t('access.logs.projectTitle')}</Title>
      <AuditLogList projectId={project.project_id} label={t('access.logs.projectTitle')} />
    </PageSection>
  )
}
