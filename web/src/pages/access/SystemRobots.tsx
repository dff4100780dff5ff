// The system robot accounts (administration): robots with system permissions and access to
// any number of projects.
import { useTranslation } from 'react-i18next'
import { PageSection } from '@patternfly/react-core'
import { PageTitle } from '../../components/PageTitle'
import { RobotList } from './RobotList'

export default function SystemRobots() {
  const { t } = useTranslation()
  return (
    <>
      <PageTitle title={t('access.robots.systemTitle')} description={t('access.robots.systemHelp')} />
      <PageSection>
        <RobotList level="system" canCreate canUpdate canDelete />
      </PageSection>
    </>
  )
}
