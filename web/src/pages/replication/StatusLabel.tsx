// An execution's or task's status as a coloured label.
import { Label } from '@patternfly/react-core'
import { useTranslation } from 'react-i18next'
import { statusLook } from './status'

export function StatusLabel({ status }: { status: string }) {
  const { t } = useTranslation()
  const look = statusLook(status)
  return <Label color={look.color}>{look.key === null ? status : t(look.key)}</Label>
}
