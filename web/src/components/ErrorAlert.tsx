// A failed request, with the server's own message (Harbor's errors[0].message).
import { Alert } from '@patternfly/react-core'
import { useTranslation } from 'react-i18next'
import { ApiError } from '../api/client'
import { ALERT_LABEL } from './alert-label'

export function ErrorAlert({ error, title }: { error: unknown; title?: string }) {
  const { t } = useTranslation()
  const message = error instanceof ApiError ? error.message : error instanceof Error ? error.message : String(error)
  const heading = title ?? (error instanceof ApiError && error.status === 403 ? t('common.error.forbidden') : t('common.error.title'))
  return (
    <Alert variant="danger" variantLabel={t(ALERT_LABEL.danger)} isInline title={heading} role="alert">
      {message}
    </Alert>
  )
}
