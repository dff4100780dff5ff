// Short confirmations and failures of actions ("Project created"), shown in a corner for a few
// seconds and announced to screen readers.
import { createContext, useCallback, useContext, useState, type ReactNode } from 'react'
import { Alert, AlertActionCloseButton, AlertGroup } from '@patternfly/react-core'
import { useTranslation } from 'react-i18next'
import { ALERT_LABEL } from './alert-label'

type Variant = 'success' | 'danger' | 'info' | 'warning'
interface Toast {
  id: number
  variant: Variant
  title: string
}
const ToastContext = createContext<(variant: Variant, title: string) => void>(() => {})

export function ToastProvider({ children }: { children: ReactNode }) {
  const { t } = useTranslation()
  const [toasts, setToasts] = useState<Toast[]>([])
  const push = useCallback((variant: Variant, title: string) => {
    const id = Date.now() + Math.random()
    setToasts((prev) => [...prev.slice(-4), { id, variant, title }])
    setTimeout(() => setToasts((prev) => prev.filter((x) => x.id !== id)), 6000)
  }, [])
  return (
    <ToastContext.Provider value={push}>
      {children}
      <AlertGroup isToast isLiveRegion>
        {toasts.map((x) => (
          <Alert
            key={x.id}
            variant={x.variant}
            variantLabel={t(ALERT_LABEL[x.variant])}
            title={x.title}
            actionClose={<AlertActionCloseButton aria-label={t('common.closeAlert', { title: x.title })} onClose={() => setToasts((prev) => prev.filter((y) => y.id !== x.id))} />}
          />
        ))}
      </AlertGroup>
    </ToastContext.Provider>
  )
}

export function useToast(): (variant: Variant, title: string) => void {
  return useContext(ToastContext)
}
