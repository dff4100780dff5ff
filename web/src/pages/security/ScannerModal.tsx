// Add or change a scanner registration: name, description, the adapter's URL, its auth scheme
// with the credential it needs, TLS verification, and a connection test (POST /scanners/ping,
// which reads the adapter's metadata) whose outcome shows in place.
import { useState, type FormEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { Button, Checkbox, Form, FormGroup, FormHelperText, FormSelect, FormSelectOption, HelperText, HelperTextItem, Modal, ModalBody, ModalFooter, ModalHeader, TextInput } from '@patternfly/react-core'
import { api, ok } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'
import { ModalClose } from '../../components/ModalClose'
import { useAction } from '../../components/use-action'
import { SealedSecretField, TestResult, useConnectionTest } from '../../components/connection-test'
import { EMPTY_SCANNER, SCANNER_AUTHS, scannerBody, scannerFormOf, scannerProblems, type ScannerAuth, type ScannerForm } from './scanner-form'
import type { Scanner } from './api-types'

const AUTH_KEYS: Record<ScannerAuth, string> = {
  '': 'security.scanner.authNone',
  Basic: 'security.scanner.authBasic',
  Bearer: 'security.scanner.authBearer',
  'X-ScannerAdapter-API-Key': 'security.scanner.authApiKey',
}
const SECRET_KEYS: Record<ScannerAuth, string> = { '': '', Basic: 'security.scanner.password', Bearer: 'security.scanner.token', 'X-ScannerAdapter-API-Key': 'security.scanner.apiKey' }

export function ScannerModal({ scanner, onClose, onSaved }: { scanner?: Scanner; onClose(): void; onSaved(name: string): Promise<unknown> | void }) {
  const { t } = useTranslation()
  const editing = scanner !== undefined
  const saved = scanner !== undefined ? scannerFormOf(scanner).auth : null
  const [form, setForm] = useState<ScannerForm>(() => (scanner !== undefined ? scannerFormOf(scanner) : EMPTY_SCANNER))
  const { busy, error, run } = useAction()
  const { testing, outcome, test, reset } = useConnectionTest(async () => ok(await api.POST('/api/v2.0/scanners/ping', { body: scannerBody(form) })))
  const problems = scannerProblems(form, saved)
  const keepsSecret = saved !== null && saved !== '' && saved === form.auth
  const set = <K extends keyof ScannerForm>(k: K, v: ScannerForm[K]) => {
    setForm((prev) => ({ ...prev, [k]: v }))
    if (k !== 'name' && k !== 'description') reset()
  }

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    if (problems.length > 0) return
    await run(async () => {
      if (editing) ok(await api.PUT('/api/v2.0/scanners/{registration_id}', { params: { path: { registration_id: scanner.uuid } }, body: { ...scannerBody(form), disabled: scanner.disabled } }))
      else ok(await api.POST('/api/v2.0/scanners', { body: scannerBody(form) }))
      await onSaved(form.name.trim())
      onClose()
    })
  }
  const urlBad = form.url !== '' && problems.includes('url')

  return (
    <Modal isOpen variant="medium" onEscapePress={onClose} aria-labelledby="scanner-modal-title">
      <ModalClose onClose={onClose} />
      <ModalHeader title={editing ? t('security.scanner.editTitle') : t('security.scanner.createTitle')} labelId="scanner-modal-title" />
      <ModalBody>
        <Form id="scanner-form" onSubmit={submit}>
          {error !== null && <ErrorAlert error={error} />}
          <FormGroup label={t('security.scanner.name')} isRequired fieldId="scanner-name">
            <TextInput id="scanner-name" isRequired value={form.name} maxLength={255} onChange={(_e, v) => set('name', v)} autoFocus={!editing} />
          </FormGroup>
          <FormGroup label={t('security.scanner.description')} fieldId="scanner-description">
            <TextInput id="scanner-description" value={form.description} maxLength={1024} onChange={(_e, v) => set('description', v)} />
          </FormGroup>
          <FormGroup label={t('security.scanner.url')} isRequired fieldId="scanner-url">
            <TextInput id="scanner-url" type="url" isRequired value={form.url} onChange={(_e, v) => set('url', v)} validated={urlBad ? 'error' : 'default'} />
            <FormHelperText>
              <HelperText>
                <HelperTextItem variant={urlBad ? 'error' : 'default'}>{t('security.scanner.urlHelp')}</HelperTextItem>
              </HelperText>
            </FormHelperText>
          </FormGroup>
          <FormGroup label={t('security.scanner.auth')} fieldId="scanner-auth">
            <FormSelect id="scanner-auth" value={form.auth} onChange={(_e, v) => set('auth', v as ScannerAuth)}>
              {SCANNER_AUTHS.map((a) => (
                <FormSelectOption key={a} value={a} label={t(AUTH_KEYS[a])} />
              ))}
            </FormSelect>
          </FormGroup>
          {form.auth === 'Basic' && (
            <FormGroup label={t('security.scanner.username')} isRequired={!keepsSecret} fieldId="scanner-username">
              <TextInput id="scanner-username" value={form.username} autoComplete="off" onChange={(_e, v) => set('username', v)} validated={form.username !== '' && problems.includes('username') ? 'error' : 'default'} />
            </FormGroup>
          )}
          {form.auth !== '' && (
            <SealedSecretField
              id="scanner-secret"
              label={t(SECRET_KEYS[form.auth])}
              isRequired={!keepsSecret}
              value={form.secret}
              onChange={(v) => set('secret', v)}
              kept={keepsSecret}
              keptPlaceholder={t('security.scanner.secretKept')}
              keptHelp={t('security.scanner.secretHelp')}
            />
          )}
          <FormGroup fieldId="scanner-skip-verify">
            <Checkbox id="scanner-skip-verify" label={t('security.scanner.skipVerify')} description={t('security.scanner.skipVerifyHelp')} isChecked={form.skipCertVerify} onChange={(_e, v) => set('skipCertVerify', v)} />
          </FormGroup>
          <TestResult outcome={outcome} okTitle={t('security.scanner.pingOk')} failedTitle={t('security.scanner.pingFailed')} />
        </Form>
      </ModalBody>
      <ModalFooter>
        <Button type="submit" form="scanner-form" isLoading={busy} isDisabled={busy || problems.length > 0}>
          {editing ? t('common.save') : t('security.scanner.create')}
        </Button>
        <Button variant="secondary" onClick={() => void test()} isLoading={testing} isDisabled={testing || problems.includes('url')}>
          {t('security.scanner.test')}
        </Button>
        <Button variant="link" onClick={onClose}>
          {t('common.cancel')}
        </Button>
      </ModalFooter>
    </Modal>
  )
}
