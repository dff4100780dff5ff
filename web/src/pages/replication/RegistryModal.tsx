// Add or change a registry endpoint: type, name, URL, access id and secret, TLS verification,
// and a connection test whose outcome shows in place. A stored secret is never shown: an
// empty secret field on edit keeps it.
import { useState, type FormEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { useQuery } from '@tanstack/react-query'
import { Button, Checkbox, Form, FormGroup, FormHelperText, FormSelect, FormSelectOption, HelperText, HelperTextItem, Modal, ModalBody, ModalFooter, ModalHeader, TextInput } from '@patternfly/react-core'
import { api, ok } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'
import type { Registry } from './api-types'
import { createBody, pingBody, registryFormOf, registryUrlValid, updateBody, type RegistryForm } from './registry-form'
import { REGISTRY_TYPE } from './status'
import { ModalClose } from '../../components/ModalClose'
import { useAction } from '../../components/use-action'
import { SealedSecretField, TestResult, useConnectionTest } from '../../components/connection-test'

/** The address a type suggests when the URL field is still empty. */
const DEFAULT_URL: Record<string, string> = { 'docker-hub': 'https://hub.docker.com' }

export function RegistryModal({ registry, onClose, onSaved }: { registry?: Registry; onClose(): void; onSaved(name: string): Promise<unknown> | void }) {
  const { t } = useTranslation()
  const editing = registry !== undefined
  const adapters = useQuery({ queryKey: ['replication', 'adapters'], queryFn: async () => ok(await api.GET('/api/v2.0/replication/adapters')), staleTime: 300_000 })
  const [form, setForm] = useState<RegistryForm>(() => registryFormOf(registry))
  const { busy, error, run } = useAction()
  const { testing, outcome, test, reset } = useConnectionTest(async () => ok(await api.POST('/api/v2.0/registries/ping', { body: pingBody(form, registry?.id) })))
  const hasStoredSecret = registry?.credential.access_secret === '*****'
  const urlInvalid = form.url !== '' && !registryUrlValid(form.url)
  const incomplete = form.name.trim() === '' || form.url === '' || urlInvalid
  // A changed connection field makes an earlier test's outcome stale.
  const set = <K extends keyof RegistryForm>(k: K, v: RegistryForm[K]) => {
    setForm((prev) => ({ ...prev, [k]: v }))
    if (k !== 'name' && k !== 'description') reset()
  }

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    await run(async () => {
      if (editing) ok(await api.PUT('/api/v2.0/registries/{id}', { params: { path: { id: String(registry.id) } }, body: updateBody(form) }))
      else ok(await api.POST('/api/v2.0/registries', { body: createBody(form) }))
      await onSaved(form.name.trim())
      onClose()
    })
  }

  return (
    <Modal isOpen variant="medium" onEscapePress={onClose} aria-labelledby="registry-modal-title">
      <ModalClose onClose={onClose} />
      <ModalHeader title={editing ? t('replication.registry.editTitle') : t('replication.registry.createTitle')} labelId="registry-modal-title" />
      <ModalBody>
        <Form id="registry-form" onSubmit={submit}>
          {error !== null && <ErrorAlert error={error} />}
          <FormGroup label={t('replication.registry.type')} isRequired fieldId="registry-type">
            <FormSelect
              id="registry-type"
              value={form.type}
              isDisabled={editing}
              onChange={(_e, v) => {
                set('type', v)
                if (form.url === '' && DEFAULT_URL[v] !== undefined) set('url', DEFAULT_URL[v])
              }}
            >
              {(adapters.data ?? [form.type]).map((a) => (
                <FormSelectOption key={a} value={a} label={REGISTRY_TYPE[a] !== undefined ? t(REGISTRY_TYPE[a]) : a} />
              ))}
            </FormSelect>
          </FormGroup>
          <FormGroup label={t('replication.registry.name')} isRequired fieldId="registry-name">
            <TextInput id="registry-name" isRequired value={form.name} maxLength={255} onChange={(_e, v) => set('name', v)} autoFocus={!editing} />
          </FormGroup>
          <FormGroup label={t('replication.registry.description')} fieldId="registry-description">
            <TextInput id="registry-description" value={form.description} maxLength={1024} onChange={(_e, v) => set('description', v)} />
          </FormGroup>
          <FormGroup label={t('replication.registry.url')} isRequired fieldId="registry-url">
            <TextInput id="registry-url" type="url" isRequired value={form.url} onChange={(_e, v) => set('url', v)} validated={urlInvalid ? 'error' : 'default'} />
            <FormHelperText>
              <HelperText>
                <HelperTextItem variant={urlInvalid ? 'error' : 'default'}>{t('replication.registry.urlHelp')}</HelperTextItem>
              </HelperText>
            </FormHelperText>
          </FormGroup>
          <FormGroup label={t('replication.registry.accessKey')} fieldId="registry-access-key">
            <TextInput id="registry-access-key" value={form.accessKey} autoComplete="off" onChange={(_e, v) => set('accessKey', v)} />
          </FormGroup>
          <SealedSecretField
            id="registry-access-secret"
            label={t('replication.registry.accessSecret')}
            value={form.secret}
            onChange={(v) => set('secret', v)}
            kept={hasStoredSecret}
            keptPlaceholder={t('replication.registry.secretKept')}
            keptHelp={t('replication.registry.secretHelp')}
          />
          <FormGroup fieldId="registry-insecure">
            <Checkbox id="registry-insecure" label={t('replication.registry.insecure')} description={t('replication.registry.insecureHelp')} isChecked={form.insecure} onChange={(_e, v) => set('insecure', v)} />
          </FormGroup>
          <TestResult outcome={outcome} okTitle={t('replication.registry.pingOk')} failedTitle={t('replication.registry.pingFailed')} />
        </Form>
      </ModalBody>
      <ModalFooter>
        <Button type="submit" form="registry-form" isLoading={busy} isDisabled={busy || incomplete}>
          {editing ? t('common.save') : t('replication.registry.create')}
        </Button>
        <Button variant="secondary" onClick={() => void test()} isLoading={testing} isDisabled={testing || form.url === '' || urlInvalid}>
          {t('replication.registry.test')}
        </Button>
        <Button variant="link" onClick={onClose}>
          {t('common.cancel')}
        </Button>
      </ModalFooter>
    </Modal>
  )
}
