// Change a project's storage limit (PUT /quotas/{id}): a number and a unit, or no limit (-1).
import { useState, type FormEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { Button, Checkbox, Form, FormGroup, FormHelperText, FormSelect, FormSelectOption, HelperText, HelperTextItem, InputGroup, InputGroupItem, Modal, ModalBody, ModalFooter, ModalHeader, TextInput } from '@patternfly/react-core'
import { api, ok } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'
import { useFormat } from '../../lib/format'
import { fromBytes, QUOTA_UNITS, toBytes, UNLIMITED, type QuotaUnit } from './quota'
import './system.css'

export interface QuotaTarget {
  id: number
  name: string
  used: number
  hard: number
}

export function EditQuotaModal({ quota, onClose, onSaved }: { quota: QuotaTarget; onClose(): void; onSaved(): Promise<unknown> | void }) {
  const { t } = useTranslation()
  const f = useFormat()
  const initial = fromBytes(quota.hard)
  const [unlimited, setUnlimited] = useState(quota.hard < 0)
  const [value, setValue] = useState(initial.value)
  const [unit, setUnit] = useState<QuotaUnit>(initial.unit)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const bytes = unlimited ? UNLIMITED : toBytes(value, unit)
  const invalid = bytes === null

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    if (bytes === null) return
    setBusy(true)
    setError(null)
    try {
      ok(await api.PUT('/api/v2.0/quotas/{id}', { params: { path: { id: String(quota.id) } }, body: { hard: { storage: bytes } } }))
      await onSaved()
      onClose()
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  return (
    <Modal isOpen variant="small" onEscapePress={onClose} aria-labelledby="edit-quota-title">
      <ModalHeader title={t('system.quota.editTitle', { name: quota.name })} labelId="edit-quota-title" />
      <ModalBody>
        <Form id="edit-quota" onSubmit={submit}>
          {error !== null && <ErrorAlert error={error} />}
          <FormGroup fieldId="quota-unlimited">
            <Checkbox id="quota-unlimited" label={t('system.quota.unlimited')} isChecked={unlimited} onChange={(_e, v) => setUnlimited(v)} />
          </FormGroup>
          <FormGroup label={t('system.quota.limit')} isRequired={!unlimited} fieldId="quota-limit">
            <InputGroup>
              <InputGroupItem isFill>
                <TextInput id="quota-limit" type="number" min={0} step="any" value={value} isDisabled={unlimited} onChange={(_e, v) => setValue(v)} validated={!unlimited && invalid ? 'error' : 'default'} />
              </InputGroupItem>
              <InputGroupItem>
                <FormSelect className="berth-unit-select" value={unit} isDisabled={unlimited} onChange={(_e, v) => setUnit(v as QuotaUnit)} aria-label={t('system.quota.unit')}>
                  {QUOTA_UNITS.map(([u]) => (
                    <FormSelectOption key={u} value={u} label={u} />
                  ))}
                </FormSelect>
              </InputGroupItem>
            </InputGroup>
            <FormHelperText>
              <HelperText>
                <HelperTextItem variant={!unlimited && invalid ? 'error' : 'default'}>{t('system.quota.limitHelp', { used: f.bytes(quota.used) })}</HelperTextItem>
              </HelperText>
            </FormHelperText>
          </FormGroup>
        </Form>
      </ModalBody>
      <ModalFooter>
        <Button type="submit" form="edit-quota" isLoading={busy} isDisabled={busy || invalid}>
          {t('common.save')}
        </Button>
        <Button variant="link" onClick={onClose}>
          {t('common.cancel')}
        </Button>
      </ModalFooter>
    </Modal>
  )
}
