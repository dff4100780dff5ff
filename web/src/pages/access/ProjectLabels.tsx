// A project's labels (tab "Labels").
import { useTranslation } from 'react-i18next'
import { PageSection, Title } from '@patternfly/react-core'
import { useProject } from '../projects/project-context'
import { LabelList } from './LabelList'

export default function ProjectLabels() {
  const { t } = useTranslation()
  const { project, can } = useProject()
  return (
    <PageSection>
      <Title headingLevel="h2">{t('access.labels.projectTitle')}</Title>
      <LabelList projectId={project.project_id} title={t('access.labels.projectTitle')} canCreate={can('label', 'create')} canUpdate={can('label', 'update')} canDelete={can('label', 'delete')} />
    </PageSection>
  )
}
