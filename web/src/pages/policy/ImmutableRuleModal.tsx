// Add or edit a tag immutability rule: which repositories and tags may not be overwritten or deleted.
import { useState, type FormEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { Button, Form, Modal, ModalBody, ModalFooter, ModalHeader } from '@patternfly/react-core'
import { ErrorAlert } from '../../components/ErrorAlert'
import { SelectorFields } from './SelectorFields'
import { selectorErrors, type SelectorForm } from './rules'
import { ModalClose } from '../../components/ModalClose'

export function ImmutableRuleModal({ initial, isNew, onSave, onClose }: { initial: SelectorForm; isNew: boolean; onSave(form: SelectorForm): Promise<void>; onClose(): void }) {
  const { t } = useTranslation()
  const [form, setForm] = useState(initial)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const errors = selectorErrors(form)

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      await onSave(form)
      onClose()
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  return (
    <Modal isOpen variant="medium" onEscapePress={onClose} aria-labelledby="immutable-rule-title">
      <ModalClose onClose={onClose} />
      <ModalHeader title={isNew ? t('policy.immutable.addTitle') : t('policy.immutable.editTitle')} description={t('policy.immutable.help')} labelId="immutable-rule-title" />
      <ModalBody>
        <Form id="immutable-rule" onSubmit={submit}>
          {error !== null && <ErrorAlert error={error} />}
          <SelectorFields form={form} set={(patch) => setForm((f) => ({ ...f, ...patch }))} errors={errors} idPrefix="immutable" />
        </Form>
      </ModalBody>
      <ModalFooter>
        <Button type="submit" form="immutable-rule" isLoading={busy} isDisabled={busy || Object.keys(errors).length > 0}>
          {isNew ? t('policy.add') : t('common.save')}
        </Button>
        <Button variant="link" onClick={onClose}>
          {t('common.cancel')}
        </Button>
      </ModalFooter>
    </Modal>
  )
}
