// A run's or a component's status as a coloured label with an icon, in the console's words.
import { Label } from '@patternfly/react-core'
import { useTranslation } from 'react-i18next'
import type { StatusLook } from './status'

export function StatusLabel({ look, raw }: { look: StatusLook | null; raw: string }) {
  const { t } = useTranslation()
  if (look === null) return <Label isCompact>{raw === '' ? '—' : raw}</Label>
  return (
    <Label isCompact {...(look.tone === 'neutral' ? {} : { status: look.tone })}>
      {t(look.key)}
    </Label>
  )
}
