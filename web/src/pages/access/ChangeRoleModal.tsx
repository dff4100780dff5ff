// Give one or more members another role.
import { useState, type FormEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { Button, Form, FormGroup, FormSelect, FormSelectOption, Modal, ModalBody, ModalFooter, ModalHeader } from '@patternfly/react-core'
import { ErrorAlert } from '../../components/ErrorAlert'
import { ROLE_KEYS } from '../projects/ProjectList'
import { ROLE_ORDER, roleChangeBody, type RoleChange } from './member-body'
import { ModalClose } from '../../components/ModalClose'

export interface ChangeRoleModalProps {
  /** Who changes role (their names, for the title). */
  names: string[]
  /** The role offered first: the members' current one when they share it. */
  currentRole?: number
  /** Sends the body for every member; rejects with the first refusal. */
  save(body: RoleChange): Promise<void>
  onClose(): void
}

export function ChangeRoleModal({ names, currentRole, save, onClose }: ChangeRoleModalProps) {
  const { t } = useTranslation()
  const [role, setRole] = useState(currentRole ?? 2)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      await save(roleChangeBody(role))
      onClose()
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  return (
    <Modal isOpen variant="small" onEscapePress={onClose} aria-labelledby="member-role-title">
      <ModalClose onClose={onClose} />
      <ModalHeader title={names.length === 1 ? t('access.members.role.titleOne', { name: names[0] }) : t('access.members.role.titleMany', { count: names.length })} labelId="member-role-title" />
      <ModalBody>
        <Form id="member-role" onSubmit={submit}>
          {error !== null && <ErrorAlert error={error} />}
          <FormGroup label={t('access.members.role.label')} fieldId="member-role-select">
            <FormSelect id="member-role-select" value={String(role)} onChange={(_e, v) => setRole(Number(v))}>
              {ROLE_ORDER.map((id) => (
                <FormSelectOption key={id} value={String(id)} label={t(ROLE_KEYS[id]!)} />
              ))}
            </FormSelect>
          </FormGroup>
        </Form>
      </ModalBody>
      <ModalFooter>
        <Button type="submit" form="member-role" isLoading={busy} isDisabled={busy}>
          {t('access.members.role.submit')}
        </Button>
        <Button variant="link" onClick={onClose}>
          {t('common.cancel')}
        </Button>
      </ModalFooter>
    </Modal>
  )
}
