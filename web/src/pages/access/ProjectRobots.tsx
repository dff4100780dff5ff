// A project's robot accounts (tab "Robot accounts").
import { useTranslation } from 'react-i18next'
import { PageSection, Title } from '@patternfly/react-core'
import { useProject } from '../projects/project-context'
import { RobotList } from './RobotList'

export default function ProjectRobots() {
  const { t } = useTranslation()
  const { project, can } = useProject()
  return (
    <PageSection>
      <Title headingLevel="h2">{t('access.robots.projectTitle')}</Title>
      <RobotList level="project" project={{ id: project.project_id, name: project.name }} canCreate={can('robot', 'create')} canUpdate={can('robot', 'update')} canDelete={can('robot', 'delete')} />
    </PageSection>
  )
}
