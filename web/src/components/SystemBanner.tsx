// The configured banner (Harbor's banner_message) above the sign-in form and every signed-in
// page. A closable banner, once closed, stays closed for the rest of the browser session, until
// an administrator sets another message. While the registry is read-only (systeminfo's
// read_only) a warning says so above it, and cannot be closed.
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { Alert, AlertActionCloseButton } from '@patternfly/react-core'
import { parseBanner } from '../lib/banner'
import { ALERT_LABEL } from './alert-label'

const CLOSED = 'berth.banner.closed'

function closedMessage(): string | null {
  try {
    return sessionStorage.getItem(CLOSED)
  } catch {
    return null
  }
}

export function SystemBanner({ raw, readOnly = false, className }: { raw: unknown; readOnly?: boolean; className?: string }) {
  const { t } = useTranslation()
  const notice = readOnly ? <Alert className={className} variant="warning" variantLabel={t(ALERT_LABEL.warning)} isInline title={t('common.readOnlyBanner')} /> : null
  return (
    <>
      {notice}
      <ConfiguredBanner raw={raw} className={className} />
    </>
  )
}

function ConfiguredBanner({ raw, className }: { raw: unknown; className?: string | undefined }) {
  const { t } = useTranslation()
  const [closed, setClosed] = useState(closedMessage)
  const banner = parseBanner(raw)
  if (banner === null || (banner.closable && closed === banner.message)) return null
  const close = () => {
    try {
      sessionStorage.setItem(CLOSED, banner.message)
    } catch {
      // storage refused (private mode): closed for this page only
    }
    setClosed(banner.message)
  }
  return (
    <Alert
      className={className}
      variant={banner.type}
      variantLabel={t(ALERT_LABEL[banner.type])}
      isInline
      title={banner.message}
      actionClose={banner.closable ? <AlertActionCloseButton aria-label={t('common.closeAlert', { title: banner.message })} onClose={close} /> : undefined}
    />
  )
}
