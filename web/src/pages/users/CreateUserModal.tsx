// Create a database user: name, e-mail, full name, password twice and a comment. The password
// rules are the server's (shown as help, checked as the user types); the server's refusal
// (a name or e-mail in use...) is shown in place.
import { useState, type FormEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { Button, Form, FormGroup, FormHelperText, HelperText, HelperTextItem, Modal, ModalBody, ModalFooter, ModalHeader, TextArea, TextInput } from '@patternfly/react-core'
import { api, ok } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'
import { PasswordFields } from './PasswordFields'
import { newPasswordProblem } from './password'
import { ModalClose } from '../../components/ModalClose'

export function CreateUserModal({ onClose, onCreated }: { onClose(): void; onCreated(username: string): Promise<unknown> | void }) {
  const { t } = useTranslation()
  const [username, setUsername] = useState('')
  const [email, setEmail] = useState('')
  const [realname, setRealname] = useState('')
  const [password, setPassword] = useState('')
  const [confirm, setConfirm] = useState('')
  const [comment, setComment] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const ready = username.trim() !== '' && newPasswordProblem(password, confirm) === null

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    if (!ready) return
    setBusy(true)
    setError(null)
    try {
      ok(await api.POST('/api/v2.0/users', { body: { username: username.trim(), email: email.trim(), realname, password, comment } }))
      await onCreated(username.trim())
      onClose()
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  return (
    <Modal isOpen variant="small" onEscapePress={onClose} aria-labelledby="create-user-title">
      <ModalClose onClose={onClose} />
      <ModalHeader title={t('users.create.title')} labelId="create-user-title" />
      <ModalBody>
        <Form id="create-user" onSubmit={submit}>
          {error !== null && <ErrorAlert error={error} />}
          <FormGroup label={t('users.field.username')} isRequired fieldId="user-username">
            <TextInput id="user-username" isRequired value={username} onChange={(_e, v) => setUsername(v)} autoComplete="off" autoFocus />
          </FormGroup>
          <FormGroup label={t('users.field.email')} fieldId="user-email">
            <TextInput id="user-email" type="email" value={email} onChange={(_e, v) => setEmail(v)} autoComplete="off" />
          </FormGroup>
          <FormGroup label={t('users.field.realname')} fieldId="user-realname">
            <TextInput id="user-realname" value={realname} onChange={(_e, v) => setRealname(v)} autoComplete="off" />
          </FormGroup>
          <PasswordFields idPrefix="user" password={password} confirm={confirm} onPassword={setPassword} onConfirm={setConfirm} />
          <FormGroup label={t('users.field.comment')} fieldId="user-comment">
            <TextArea id="user-comment" value={comment} onChange={(_e, v) => setComment(v)} resizeOrientation="vertical" rows={2} />
            <FormHelperText>
              <HelperText>
                <HelperTextItem>{t('users.field.commentHelp')}</HelperTextItem>
              </HelperText>
            </FormHelperText>
          </FormGroup>
        </Form>
      </ModalBody>
      <ModalFooter>
        <Button type="submit" form="create-user" isLoading={busy} isDisabled={busy || !ready}>
          {t('users.create.submit')}
        </Button>
        <Button variant="link" onClick={onClose}>
          {t('common.cancel')}
        </Button>
      </ModalFooter>
    </Modal>
  )
}
