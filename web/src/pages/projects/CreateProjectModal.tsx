// Create a project: name (checked by the server), public or private, a storage limit, and for
// administrators whether it is a proxy cache of a registry endpoint.
import { useState, type FormEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { Button, Checkbox, Form, FormGroup, FormHelperText, HelperText, HelperTextItem, Modal, ModalBody, ModalFooter, ModalHeader, TextInput, FormSelect, FormSelectOption, InputGroup, InputGroupItem } from '@patternfly/react-core'
import { api, ok } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'
import { ModalClose } from '../../components/ModalClose'
import { useAction } from '../../components/use-action'
import { useUser } from '../../auth/session'
import { RegistryPicker } from './ProxyCache'
import { creationBody } from './creation-body'

const UNITS = [
  ['MiB', 1024 ** 2],
  ['GiB', 1024 ** 3],
  ['TiB', 1024 ** 4],
] as const

/** Harbor's project names: lower case letters, digits and ._- , starting with a letter or digit. */
export const PROJECT_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/

export function CreateProjectModal({ onClose, onCreated }: { onClose(): void; onCreated(name: string): Promise<unknown> | void }) {
  const { t } = useTranslation()
  const [name, setName] = useState('')
  const [isPublic, setPublic] = useState(false)
  const [limit, setLimit] = useState('')
  const [unit, setUnit] = useState<string>('GiB')
  const user = useUser()
  const [proxy, setProxy] = useState(false)
  const [registryId, setRegistryId] = useState(0)
  const { busy, error, run } = useAction()
  const nameInvalid = name !== '' && (!PROJECT_NAME.test(name) || name.length > 255)
  const limitValue = limit.trim() === '' ? -1 : Number(limit)
  const limitInvalid = limit.trim() !== '' && !(Number.isFinite(limitValue) && limitValue > 0)

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    await run(async () => {
      const factor = UNITS.find(([u]) => u === unit)![1]
      ok(await api.POST('/api/v2.0/projects', { body: creationBody({ name, isPublic, limitBytes: limitValue < 0 ? -1 : Math.round(limitValue * factor), registryId: proxy ? registryId : 0 }) }))
      await onCreated(name)
      onClose()
    })
  }

  return (
    <Modal isOpen variant="small" onEscapePress={onClose} aria-labelledby="create-project-title">
      <ModalClose onClose={onClose} />
      <ModalHeader title={t('projects.create.title')} labelId="create-project-title" />
      <ModalBody>
        <Form id="create-project" onSubmit={submit}>
          {error !== null && <ErrorAlert error={error} />}
          <FormGroup label={t('projects.create.name')} isRequired fieldId="project-name">
            <TextInput id="project-name" isRequired value={name} onChange={(_e, v) => setName(v)} validated={nameInvalid ? 'error' : 'default'} autoFocus />
            <FormHelperText>
              <HelperText>
                <HelperTextItem variant={nameInvalid ? 'error' : 'default'}>{t('projects.create.nameHelp')}</HelperTextItem>
              </HelperText>
            </FormHelperText>
          </FormGroup>
          <FormGroup fieldId="project-public">
            <Checkbox id="project-public" label={t('projects.create.public')} description={t('projects.create.publicHelp')} isChecked={isPublic} onChange={(_e, v) => setPublic(v)} />
          </FormGroup>
          <FormGroup label={t('projects.create.limit')} fieldId="project-limit">
            <InputGroup>
              <InputGroupItem isFill>
                <TextInput id="project-limit" type="number" min={0} value={limit} onChange={(_e, v) => setLimit(v)} validated={limitInvalid ? 'error' : 'default'} placeholder={t('projects.create.unlimited')} />
              </InputGroupItem>
              <InputGroupItem>
                <FormSelect value={unit} onChange={(_e, v) => setUnit(v)} aria-label={t('projects.create.unit')}>
                  {UNITS.map(([u]) => (
                    <FormSelectOption key={u} value={u} label={u} />
                  ))}
                </FormSelect>
              </InputGroupItem>
            </InputGroup>
          </FormGroup>
          {user.sysadmin_flag && (
            <FormGroup fieldId="project-proxy">
              <Checkbox id="project-proxy" label={t('projects.proxy.label')} description={t('projects.proxy.enableHelp')} isChecked={proxy} onChange={(_e, v) => setProxy(v)} />
            </FormGroup>
          )}
          {proxy && <RegistryPicker value={registryId} onChange={setRegistryId} />}
        </Form>
      </ModalBody>
      <ModalFooter>
        <Button type="submit" form="create-project" isLoading={busy} isDisabled={busy || name === '' || nameInvalid || limitInvalid || (proxy && registryId === 0)}>
          {t('projects.create.submit')}
        </Button>
        <Button variant="link" onClick={onClose}>
          {t('common.cancel')}
        </Button>
      </ModalFooter>
    </Modal>
  )
}
