// Add a member to a project: a user (names suggested as one types) or an LDAP group by its DN,
// with a role.
import { useEffect, useState, type FormEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { useQuery } from '@tanstack/react-query'
import { Button, Form, FormGroup, FormHelperText, FormSelect, FormSelectOption, HelperText, HelperTextItem, Modal, ModalBody, ModalFooter, ModalHeader, Radio, TextInput } from '@patternfly/react-core'
import { api, ok } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'
import { ROLE_KEYS } from '../projects/ProjectList'
import { addMemberBody, ROLE_ORDER, type MemberCreation } from './member-body'
import { ModalClose } from '../../components/ModalClose'

export interface AddMemberModalProps {
  save(body: MemberCreation): Promise<void>
  onClose(): void
}

/** Users whose name contains what was typed (after a short pause), for the name field's suggestions. */
function useUserSuggestions(typed: string): string[] {
  const [wanted, setWanted] = useState('')
  useEffect(() => {
    const h = setTimeout(() => setWanted(typed.trim()), 250)
    return () => clearTimeout(h)
  }, [typed])
  const q = useQuery({
    queryKey: ['users', 'search', wanted],
    queryFn: async () => ok(await api.GET('/api/v2.0/users/search', { params: { query: { username: wanted, page_size: 10 } } })),
    enabled: wanted !== '',
    staleTime: 30_000,
  })
  return (q.data ?? []).map((u) => u.username)
}

export function AddMemberModal({ save, onClose }: AddMemberModalProps) {
  const { t } = useTranslation()
  const [kind, setKind] = useState<'user' | 'group'>('user')
  const [username, setUsername] = useState('')
  const [groupDn, setGroupDn] = useState('')
  const [role, setRole] = useState(2)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const suggestions = useUserSuggestions(kind === 'user' ? username : '')
  const complete = kind === 'user' ? username.trim() !== '' : groupDn.trim() !== ''

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      await save(addMemberBody(kind === 'user' ? { kind, username, roleId: role } : { kind, groupDn, roleId: role }))
      onClose()
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  return (
    <Modal isOpen variant="small" onEscapePress={onClose} aria-labelledby="add-member-title">
      <ModalClose onClose={onClose} />
      <ModalHeader title={t('access.members.add.title')} labelId="add-member-title" />
      <ModalBody>
        <Form id="add-member" onSubmit={submit}>
          {error !== null && <ErrorAlert error={error} />}
          <FormGroup role="radiogroup" isInline fieldId="member-kind" label={t('access.members.add.kind')}>
            <Radio id="member-kind-user" name="member-kind" label={t('access.members.add.user')} isChecked={kind === 'user'} onChange={() => setKind('user')} />
            <Radio id="member-kind-group" name="member-kind" label={t('access.members.add.group')} isChecked={kind === 'group'} onChange={() => setKind('group')} />
          </FormGroup>
          {kind === 'user' ? (
            <FormGroup label={t('access.members.add.username')} isRequired fieldId="member-username">
              <TextInput id="member-username" isRequired value={username} onChange={(_e, v) => setUsername(v)} list="member-username-suggestions" autoComplete="off" autoFocus />
              <datalist id="member-username-suggestions">
                {suggestions.map((name) => (
                  <option key={name} value={name} />
                ))}
              </datalist>
              <FormHelperText>
                <HelperText>
                  <HelperTextItem>{t('access.members.add.usernameHelp')}</HelperTextItem>
                </HelperText>
              </FormHelperText>
            </FormGroup>
          ) : (
            <FormGroup label={t('access.members.add.groupDn')} isRequired fieldId="member-group-dn">
              <TextInput id="member-group-dn" isRequired value={groupDn} onChange={(_e, v) => setGroupDn(v)} placeholder={t('access.members.add.groupDnPlaceholder')} />
              <FormHelperText>
                <HelperText>
                  <HelperTextItem>{t('access.members.add.groupDnHelp')}</HelperTextItem>
                </HelperText>
              </FormHelperText>
            </FormGroup>
          )}
          <FormGroup label={t('access.members.role.label')} fieldId="member-add-role">
            <FormSelect id="member-add-role" value={String(role)} onChange={(_e, v) => setRole(Number(v))}>
              {ROLE_ORDER.map((id) => (
                <FormSelectOption key={id} value={String(id)} label={t(ROLE_KEYS[id]!)} />
              ))}
            </FormSelect>
          </FormGroup>
        </Form>
      </ModalBody>
      <ModalFooter>
        <Button type="submit" form="add-member" isLoading={busy} isDisabled={busy || !complete}>
          {t('access.members.add.submit')}
        </Button>
        <Button variant="link" onClick={onClose}>
          {t('common.cancel')}
        </Button>
      </ModalFooter>
    </Modal>
  )
}
