// Add or change a registry endpoint: type, name, URL, access id and secret, TLS verification,
// and a connection test whose outcome shows in place. A stored secret is never shown: an
// empty secret field on edit keeps it.
import { useState, type FormEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { useQuery } from '@tanstack/react-query'
import { Alert, Button, Checkbox, Form, FormGroup, FormHelperText, FormSelect, FormSelectOption, HelperText, HelperTextItem, Modal, ModalBody, ModalFooter, ModalHeader, TextInput } from '@patternfly/react-core'
import { api, ok } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'
import type { Registry } from './api-types'
import { REGISTRY_TYPE } from './status'

/** The address a type suggests when the URL field is still empty. */
const DEFAULT_URL: Record<string, string> = { 'docker-hub': 'https://hub.docker.com' }

type PingResult = { ok: true } | { ok: false; error: unknown } | null

export function registryUrlValid(url: string): boolean {
  try {
    const u = new URL(url)
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.username === '' && u.password === ''
  } catch {
    return false
  }
}

export function RegistryModal({ registry, onClose, onSaved }: { registry?: Registry; onClose(): void; onSaved(name: string): Promise<unknown> | void }) {
  const { t } = useTranslation()
  const editing = registry !== undefined
  const adapters = useQuery({ queryKey: ['replication', 'adapters'], queryFn: async () => ok(await api.GET('/api/v2.0/replication/adapters')), staleTime: 300_000 })
  const [type, setType] = useState(registry?.type ?? 'berth')
  const [name, setName] = useState(registry?.name ?? '')
  const [description, setDescription] = useState(registry?.description ?? '')
  const [url, setUrl] = useState(registry?.url ?? '')
  const [accessKey, setAccessKey] = useState(registry?.credential.access_key ?? '')
  const [secret, setSecret] = useState('')
  const [insecure, setInsecure] = useState(registry?.insecure ?? false)
  const [busy, setBusy] = useState(false)
  const [testing, setTesting] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [ping, setPing] = useState<PingResult>(null)
  const hasStoredSecret = registry?.credential.access_secret === '*****'
  const urlInvalid = url !== '' && !registryUrlValid(url)
  const incomplete = name.trim() === '' || url === '' || urlInvalid

  const test = async () => {
    setTesting(true)
    setPing(null)
    try {
      const given = secret !== '' ? { access_secret: secret } : {}
      const body = editing ? { id: registry.id, url, access_key: accessKey, insecure, ...given } : { type, url, credential_type: 'basic', access_key: accessKey, insecure, ...given }
      ok(await api.POST('/api/v2.0/registries/ping', { body }))
      setPing({ ok: true })
    } catch (e) {
      setPing({ ok: false, error: e })
    } finally {
      setTesting(false)
    }
  }

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      if (editing) {
        ok(
          await api.PUT('/api/v2.0/registries/{id}', {
            params: { path: { id: String(registry.id) } },
            body: { name: name.trim(), description, url, credential_type: 'basic', access_key: accessKey, insecure, ...(secret !== '' ? { access_secret: secret } : {}) },
          }),
        )
      } else {
        ok(await api.POST('/api/v2.0/registries', { body: { name: name.trim(), type, description, url, credential: { type: 'basic', access_key: accessKey, access_secret: secret }, insecure } }))
      }
      await onSaved(name.trim())
      onClose()
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  // A changed field makes an earlier test's outcome stale.
  const edit = <T,>(set: (v: T) => void) => (v: T) => {
    set(v)
    setPing(null)
  }

  return (
    <Modal isOpen variant="medium" onClose={onClose} aria-labelledby="registry-modal-title">
      <ModalHeader title={editing ? t('replication.registry.editTitle') : t('replication.registry.createTitle')} labelId="registry-modal-title" />
      <ModalBody>
        <Form id="registry-form" onSubmit={submit}>
          {error !== null && <ErrorAlert error={error} />}
          <FormGroup label={t('replication.registry.type')} isRequired fieldId="registry-type">
            <FormSelect
              id="registry-type"
              value={type}
              isDisabled={editing}
              onChange={(_e, v) => {
                edit(setType)(v)
                if (url === '' && DEFAULT_URL[v] !== undefined) setUrl(DEFAULT_URL[v])
              }}
            >
              {(adapters.data ?? [type]).map((a) => (
                <FormSelectOption key={a} value={a} label={REGISTRY_TYPE[a] !== undefined ? t(REGISTRY_TYPE[a]) : a} />
              ))}
            </FormSelect>
          </FormGroup>
          <FormGroup label={t('replication.registry.name')} isRequired fieldId="registry-name">
            <TextInput id="registry-name" isRequired value={name} maxLength={255} onChange={(_e, v) => setName(v)} autoFocus={!editing} />
          </FormGroup>
          <FormGroup label={t('replication.registry.description')} fieldId="registry-description">
            <TextInput id="registry-description" value={description} maxLength={1024} onChange={(_e, v) => setDescription(v)} />
          </FormGroup>
          <FormGroup label={t('replication.registry.url')} isRequired fieldId="registry-url">
            <TextInput id="registry-url" type="url" isRequired value={url} onChange={(_e, v) => edit(setUrl)(v)} validated={urlInvalid ? 'error' : 'default'} />
            <FormHelperText>
              <HelperText>
                <HelperTextItem variant={urlInvalid ? 'error' : 'default'}>{t('replication.registry.urlHelp')}</HelperTextItem>
              </HelperText>
            </FormHelperText>
          </FormGroup>
          <FormGroup label={t('replication.registry.accessKey')} fieldId="registry-access-key">
            <TextInput id="registry-access-key" value={accessKey} autoComplete="off" onChange={(_e, v) => edit(setAccessKey)(v)} />
          </FormGroup>
          <FormGroup label={t('replication.registry.accessSecret')} fieldId="registry-access-secret">
            <TextInput
              id="registry-access-secret"
              type="password"
              autoComplete="new-password"
              value={secret}
              onChange={(_e, v) => edit(setSecret)(v)}
              placeholder={hasStoredSecret ? t('replication.registry.secretKept') : ''}
            />
            {hasStoredSecret && (
              <FormHelperText>
                <HelperText>
                  <HelperTextItem>{t('replication.registry.secretHelp')}</HelperTextItem>
                </HelperText>
              </FormHelperText>
            )}
          </FormGroup>
          <FormGroup fieldId="registry-insecure">
            <Checkbox id="registry-insecure" label={t('replication.registry.insecure')} description={t('replication.registry.insecureHelp')} isChecked={insecure} onChange={(_e, v) => edit(setInsecure)(v)} />
          </FormGroup>
          <div aria-live="polite">
            {ping?.ok === true && <Alert variant="success" isInline title={t('replication.registry.pingOk')} />}
            {ping?.ok === false && <ErrorAlert error={ping.error} title={t('replication.registry.pingFailed')} />}
          </div>
        </Form>
      </ModalBody>
      <ModalFooter>
        <Button type="submit" form="registry-form" isLoading={busy} isDisabled={busy || incomplete}>
          {editing ? t('common.save') : t('replication.registry.create')}
        </Button>
        <Button variant="secondary" onClick={() => void test()} isLoading={testing} isDisabled={testing || url === '' || urlInvalid}>
          {t('replication.registry.test')}
        </Button>
        <Button variant="link" onClick={onClose}>
          {t('common.cancel')}
        </Button>
      </ModalFooter>
    </Modal>
  )
}
