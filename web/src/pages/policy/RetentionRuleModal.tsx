// Add or edit a tag retention rule: the template (from GET /retentions/metadatas) with its count
// or days, which repositories and tags it covers, and whether untagged artifacts count.
import { useState, type FormEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { Button, Checkbox, Form, FormGroup, FormHelperText, FormSelect, FormSelectOption, HelperText, HelperTextItem, Modal, ModalBody, ModalFooter, ModalHeader, TextInput } from '@patternfly/react-core'
import { ErrorAlert } from '../../components/ErrorAlert'
import { SelectorFields } from './SelectorFields'
import { retentionRuleBody, retentionRuleErrors, TEMPLATE_KEYS, type RetentionMetadata, type RetentionRuleBody, type RetentionRuleForm } from './rules'
import { ModalClose } from '../../components/ModalClose'

const UNIT_KEYS: Record<string, string> = { COUNT: 'policy.retention.unit.count', DAYS: 'policy.retention.unit.days' }

export function RetentionRuleModal({ metadata, initial, isNew, onSave, onClose }: {
  metadata: RetentionMetadata
  initial: RetentionRuleForm
  isNew: boolean
  onSave(rule: RetentionRuleBody): Promise<void>
  onClose(): void
}) {
  const { t } = useTranslation()
  const [form, setForm] = useState(initial)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const set = (patch: Partial<RetentionRuleForm>) => setForm((f) => ({ ...f, ...patch }))
  const template = metadata.templates.find((x) => x.rule_template === form.template)
  const param = template?.params[0]
  const errors = retentionRuleErrors(form, param !== undefined)
  const tagSelector = metadata.tag_selectors[0]
  const scopeSelector = metadata.scope_selectors[0]

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      await onSave(retentionRuleBody(form, param !== undefined))
      onClose()
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  return (
    <Modal isOpen variant="medium" onEscapePress={onClose} aria-labelledby="retention-rule-title">
      <ModalClose onClose={onClose} />
      <ModalHeader title={isNew ? t('policy.retention.rule.addTitle') : t('policy.retention.rule.editTitle')} labelId="retention-rule-title" />
      <ModalBody>
        <Form id="retention-rule" onSubmit={submit}>
          {error !== null && <ErrorAlert error={error} />}
          <SelectorFields form={form} set={set} errors={errors} idPrefix="retention" {...(scopeSelector !== undefined ? { repoDecorations: scopeSelector.decorations } : {})} {...(tagSelector !== undefined ? { tagDecorations: tagSelector.decorations } : {})} />
          <FormGroup fieldId="retention-untagged">
            <Checkbox id="retention-untagged" label={t('policy.retention.rule.untagged')} description={t('policy.retention.rule.untaggedHelp')} isChecked={form.includeUntagged} onChange={(_e, v) => set({ includeUntagged: v })} />
          </FormGroup>
          <FormGroup label={t('policy.retention.rule.template')} isRequired fieldId="retention-template">
            <FormSelect id="retention-template" value={form.template} onChange={(_e, v) => set({ template: v })}>
              {metadata.templates.map((x) => (
                <FormSelectOption key={x.rule_template} value={x.rule_template} label={TEMPLATE_KEYS[x.rule_template] !== undefined ? t(TEMPLATE_KEYS[x.rule_template]!.name) : x.display_text} />
              ))}
            </FormSelect>
          </FormGroup>
          {param !== undefined && (
            <FormGroup label={t(UNIT_KEYS[param.unit] ?? 'policy.retention.unit.count')} isRequired fieldId="retention-param">
              <TextInput id="retention-param" type="number" min={0} isRequired value={form.param} onChange={(_e, v) => set({ param: v })} validated={errors.param !== undefined ? 'error' : 'default'} />
              {errors.param !== undefined && (
                <FormHelperText>
                  <HelperText>
                    <HelperTextItem variant="error">{t(errors.param)}</HelperTextItem>
                  </HelperText>
                </FormHelperText>
              )}
            </FormGroup>
          )}
          <FormGroup fieldId="retention-disabled">
            <Checkbox id="retention-disabled" label={t('policy.rule.disabled')} isChecked={form.disabled} onChange={(_e, v) => set({ disabled: v })} />
          </FormGroup>
        </Form>
      </ModalBody>
      <ModalFooter>
        <Button type="submit" form="retention-rule" isLoading={busy} isDisabled={busy || Object.keys(errors).length > 0}>
          {isNew ? t('policy.add') : t('common.save')}
        </Button>
        <Button variant="link" onClick={onClose}>
          {t('common.cancel')}
        </Button>
      </ModalFooter>
    </Modal>
  )
}
