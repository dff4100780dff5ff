// An administrator sets another user's password (no old password needed); every console
// session of that user ends with it.
import { useState, type FormEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { Button, Content, Form, Modal, ModalBody, ModalFooter, ModalHeader } from '@patternfly/react-core'
import { api, ok } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'
import { PasswordFields } from './PasswordFields'
import { newPasswordProblem } from './password'
import type { User } from './user-actions'
import { ModalClose } from '../../components/ModalClose'

export function ResetPasswordModal({ user, onClose, onDone }: { user: User; onClose(): void; onDone(): void }) {
  const { t } = useTranslation()
  const [password, setPassword] = useState('')
  const [confirm, setConfirm] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const ready = newPasswordProblem(password, confirm) === null

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    if (!ready) return
    setBusy(true)
    setError(null)
    try {
      ok(await api.PUT('/api/v2.0/users/{user_id}/password', { params: { path: { user_id: String(user.user_id) } }, body: { new_password: password } }))
      onDone()
      onClose()
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  return (
    <Modal isOpen variant="small" onEscapePress={onClose} aria-labelledby="reset-password-title">
      <ModalClose onClose={onClose} />
      <ModalHeader title={t('users.reset.title', { name: user.username })} labelId="reset-password-title" />
      <ModalBody>
        <Form id="reset-password" onSubmit={submit}>
          <Content component="p">{t('users.reset.body')}</Content>
          {error !== null && <ErrorAlert error={error} />}
          <PasswordFields idPrefix="reset" password={password} confirm={confirm} onPassword={setPassword} onConfirm={setConfirm} />
        </Form>
      </ModalBody>
      <ModalFooter>
        <Button type="submit" form="reset-password" isLoading={busy} isDisabled={busy || !ready}>
          {t('users.reset.submit')}
        </Button>
        <Button variant="link" onClick={onClose}>
          {t('common.cancel')}
        </Button>
      </ModalFooter>
    </Modal>
  )
}
