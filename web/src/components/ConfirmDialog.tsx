// Asks before something that cannot be undone (delete...), names what it acts on, and shows the
// server's refusal in place instead of closing.
import { useState, type ReactNode } from 'react'
import { Button, Modal, ModalBody, ModalFooter, ModalHeader } from '@patternfly/react-core'
import { useTranslation } from 'react-i18next'
import { ErrorAlert } from './ErrorAlert'
import { ModalClose } from './ModalClose'

export interface ConfirmDialogProps {
  title: string
  children: ReactNode
  confirmLabel: string
  /** Danger styling for destructive actions (default true). */
  danger?: boolean
  onConfirm(): Promise<unknown>
  onClose(): void
}

export function ConfirmDialog(p: ConfirmDialogProps) {
  const { t } = useTranslation()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const confirm = async () => {
    setBusy(true)
    setError(null)
    try {
      await p.onConfirm()
      p.onClose()
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }
  return (
    <Modal isOpen variant="small" onEscapePress={p.onClose} aria-labelledby="confirm-title">
      <ModalClose onClose={p.onClose} />
      <ModalHeader title={p.title} labelId="confirm-title" titleIconVariant={p.danger === false ? undefined : 'warning'} />
      <ModalBody>
        {p.children}
        {error !== null && <ErrorAlert error={error} />}
      </ModalBody>
      <ModalFooter>
        <Button variant={p.danger === false ? 'primary' : 'danger'} onClick={confirm} isLoading={busy} isDisabled={busy}>
          {p.confirmLabel}
        </Button>
        <Button variant="link" onClick={p.onClose}>
          {t('common.cancel')}
        </Button>
      </ModalFooter>
    </Modal>
  )
}
