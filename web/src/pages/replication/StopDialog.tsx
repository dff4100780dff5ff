// Asks before stopping a running execution: its pending tasks never run, running ones are aborted.
import { useTranslation } from 'react-i18next'
import { ConfirmDialog } from '../../components/ConfirmDialog'
import { useToast } from '../../components/Toasts'
import type { Execution } from './api-types'
import { stopExecution } from './execution-actions'

export function StopDialog({ execution, onClose, onStopped }: { execution: Execution; onClose(): void; onStopped(): Promise<unknown> }) {
  const { t } = useTranslation()
  const toast = useToast()
  return (
    <ConfirmDialog
      title={t('replication.execution.stopTitle')}
      confirmLabel={t('replication.execution.stop')}
      onClose={onClose}
      onConfirm={async () => {
        await stopExecution(execution.id)
        toast('success', t('replication.execution.stopped', { id: execution.id }))
        await onStopped()
      }}
    >
      {t('replication.execution.stopBody', { id: execution.id })}
    </ConfirmDialog>
  )
}
