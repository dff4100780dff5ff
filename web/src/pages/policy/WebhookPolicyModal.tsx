// Create or edit a webhook policy: name, description, the event types it sends, and its target
// (address, notify type, payload format, auth header, signing secret, certificate check). A stored
// secret is never shown: the field stays empty and says one is kept; typing replaces it. "Test"
// sends a test event to the target as the form has it, saving nothing.
import { useState, type FormEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { Button, Checkbox, Form, FormGroup, FormHelperText, FormSelect, FormSelectOption, Grid, GridItem, HelperText, HelperTextItem, Modal, ModalBody, ModalFooter, ModalHeader, Radio, TextArea, TextInput } from '@patternfly/react-core'
import { ErrorAlert } from '../../components/ErrorAlert'
import { EVENT_TYPE_KEYS, newWebhookForm, secretsLost, webhookBody, webhookErrors, webhookFormOf, type NotifyType, type PayloadFormat, type SecretForm, type WebhookForm, type WebhookPolicy, type WebhookPolicyBody } from './webhook-form'
import { ModalClose } from '../../components/ModalClose'

const NOTIFY_KEYS: Record<string, string> = { http: 'policy.webhooks.notify.http', slack: 'policy.webhooks.notify.slack' }
const FORMAT_KEYS: Record<string, string> = { Default: 'policy.webhooks.format.Default', CloudEvents: 'policy.webhooks.format.CloudEvents' }

function SecretField({ id, label, help, value, onChange }: { id: string; label: string; help: string; value: SecretForm; onChange(v: SecretForm): void }) {
  const { t } = useTranslation()
  return (
    <FormGroup label={label} fieldId={id}>
      <TextInput
        id={id}
        type="password"
        autoComplete="off"
        value={value.typed}
        onChange={(_e, v) => onChange({ ...value, typed: v })}
        placeholder={value.stored && !value.remove ? t('policy.webhooks.form.secretStored') : ''}
        isDisabled={value.remove}
      />
      <FormHelperText>
        <HelperText>
          <HelperTextItem>{value.stored ? t('policy.webhooks.form.secretKeepHelp') : help}</HelperTextItem>
        </HelperText>
      </FormHelperText>
      {value.stored && <Checkbox id={`${id}-remove`} label={t('policy.webhooks.form.secretRemove')} isChecked={value.remove} onChange={(_e, v) => onChange({ ...value, remove: v, typed: '' })} />}
    </FormGroup>
  )
}

export function WebhookPolicyModal({ original, eventTypes, notifyTypes, formats, onSave, onTest, onClose }: {
  original?: WebhookPolicy
  eventTypes: readonly string[]
  notifyTypes: readonly string[]
  formats: readonly string[]
  onSave(body: WebhookPolicyBody): Promise<void>
  onTest(body: WebhookPolicyBody): Promise<void>
  onClose(): void
}) {
  const { t } = useTranslation()
  const [form, setForm] = useState<WebhookForm>(() => (original === undefined ? newWebhookForm(eventTypes) : webhookFormOf(original)))
  const [busy, setBusy] = useState<'save' | 'test' | null>(null)
  const [error, setError] = useState<unknown>(null)
  const set = (patch: Partial<WebhookForm>) => setForm((f) => ({ ...f, ...patch }))
  const errors = webhookErrors(form)
  const lost = secretsLost(form, original)
  const invalid = Object.keys(errors).length > 0 || lost
  const touched = (field: 'name' | 'address') => form[field] !== ''

  const act = async (what: 'save' | 'test') => {
    setBusy(what)
    setError(null)
    try {
      const body = webhookBody(form, original)
      if (what === 'save') {
        await onSave(body)
        onClose()
      } else await onTest(body)
    } catch (err) {
      setError(err)
    } finally {
      setBusy(null)
    }
  }
  const submit = (e: FormEvent) => {
    e.preventDefault()
    void act('save')
  }
  const toggleType = (type: string, on: boolean) => set({ eventTypes: on ? [...form.eventTypes, type] : form.eventTypes.filter((x) => x !== type) })

  return (
    <Modal isOpen variant="medium" onEscapePress={onClose} aria-labelledby="webhook-title">
      <ModalClose onClose={onClose} />
      <ModalHeader title={original === undefined ? t('policy.webhooks.form.addTitle') : t('policy.webhooks.form.editTitle')} labelId="webhook-title" />
      <ModalBody>
        <Form id="webhook-form" onSubmit={submit}>
          {error !== null && <ErrorAlert error={error} />}
          <FormGroup label={t('policy.webhooks.form.name')} isRequired fieldId="webhook-name">
            <TextInput id="webhook-name" isRequired value={form.name} onChange={(_e, v) => set({ name: v })} validated={touched('name') && errors.name !== undefined ? 'error' : 'default'} />
          </FormGroup>
          <FormGroup label={t('policy.webhooks.form.description')} fieldId="webhook-description">
            <TextArea id="webhook-description" value={form.description} onChange={(_e, v) => set({ description: v })} resizeOrientation="vertical" />
          </FormGroup>
          <FormGroup label={t('policy.webhooks.form.notifyType')} role="radiogroup" isInline fieldId="webhook-type">
            {notifyTypes.map((n) => (
              <Radio key={n} id={`webhook-type-${n}`} name="webhook-type" label={t(NOTIFY_KEYS[n] ?? n)} isChecked={form.type === n} onChange={() => set({ type: n as NotifyType })} />
            ))}
          </FormGroup>
          <FormGroup label={t('policy.webhooks.form.eventTypes')} role="group" isRequired fieldId="webhook-events">
            <Grid hasGutter md={6}>
              {eventTypes.map((type) => (
                <GridItem key={type}>
                  <Checkbox id={`webhook-event-${type}`} label={t(EVENT_TYPE_KEYS[type] ?? type)} isChecked={form.eventTypes.includes(type)} onChange={(_e, on) => toggleType(type, on)} />
                </GridItem>
              ))}
            </Grid>
            {errors.eventTypes !== undefined && (
              <FormHelperText>
                <HelperText>
                  <HelperTextItem variant="error">{t(errors.eventTypes)}</HelperTextItem>
                </HelperText>
              </FormHelperText>
            )}
          </FormGroup>
          <FormGroup label={t('policy.webhooks.form.address')} isRequired fieldId="webhook-address">
            <TextInput id="webhook-address" type="url" isRequired value={form.address} onChange={(_e, v) => set({ address: v })} placeholder={t('policy.webhooks.form.addressPlaceholder')} validated={touched('address') && errors.address !== undefined ? 'error' : 'default'} />
            <FormHelperText>
              <HelperText>
                <HelperTextItem variant={touched('address') && errors.address !== undefined ? 'error' : 'default'}>{t(touched('address') && errors.address !== undefined ? errors.address : form.type === 'slack' ? 'policy.webhooks.form.addressSlackHelp' : 'policy.webhooks.form.addressHelp')}</HelperTextItem>
                {lost && <HelperTextItem variant="warning">{t('policy.webhooks.form.secretsMoved')}</HelperTextItem>}
              </HelperText>
            </FormHelperText>
          </FormGroup>
          {form.type === 'http' && (
            <FormGroup label={t('policy.webhooks.form.payloadFormat')} fieldId="webhook-format">
              <FormSelect id="webhook-format" value={form.payloadFormat} onChange={(_e, v) => set({ payloadFormat: v as PayloadFormat })}>
                {formats.map((x) => (
                  <FormSelectOption key={x} value={x} label={t(FORMAT_KEYS[x] ?? x)} />
                ))}
              </FormSelect>
            </FormGroup>
          )}
          <SecretField id="webhook-auth" label={t('policy.webhooks.form.authHeader')} help={t('policy.webhooks.form.authHeaderHelp')} value={form.authHeader} onChange={(v) => set({ authHeader: v })} />
          <SecretField id="webhook-signing" label={t('policy.webhooks.form.signingSecret')} help={t('policy.webhooks.form.signingSecretHelp')} value={form.signingSecret} onChange={(v) => set({ signingSecret: v })} />
          <FormGroup fieldId="webhook-skip-verify">
            <Checkbox id="webhook-skip-verify" label={t('policy.webhooks.form.skipCertVerify')} description={t('policy.webhooks.form.skipCertVerifyHelp')} isChecked={form.skipCertVerify} onChange={(_e, v) => set({ skipCertVerify: v })} />
          </FormGroup>
          <FormGroup fieldId="webhook-enabled">
            <Checkbox id="webhook-enabled" label={t('policy.webhooks.form.enabled')} isChecked={form.enabled} onChange={(_e, v) => set({ enabled: v })} />
          </FormGroup>
        </Form>
      </ModalBody>
      <ModalFooter>
        <Button type="submit" form="webhook-form" isLoading={busy === 'save'} isDisabled={busy !== null || invalid}>
          {original === undefined ? t('policy.add') : t('common.save')}
        </Button>
        <Button variant="secondary" onClick={() => void act('test')} isLoading={busy === 'test'} isDisabled={busy !== null || errors.address !== undefined || lost}>
          {t('policy.webhooks.test')}
        </Button>
        <Button variant="link" onClick={onClose}>
          {t('common.cancel')}
        </Button>
      </ModalFooter>
    </Modal>
  )
}
