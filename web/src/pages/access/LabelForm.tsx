// Create or edit a label: name, colour from the palette, description.
import { useState, type FormEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { Button, Flex, FlexItem, Form, FormGroup, Label, Modal, ModalBody, ModalFooter, ModalHeader, Radio, TextArea, TextInput } from '@patternfly/react-core'
import { ErrorAlert } from '../../components/ErrorAlert'
import { PALETTE, paletteColor } from './label-colors'
import { ModalClose } from '../../components/ModalClose'

export interface LabelValues {
  name: string
  color: string
  description: string
}

export function LabelForm({ initial, save, onClose }: { initial?: LabelValues; save(v: LabelValues): Promise<void>; onClose(): void }) {
  const { t } = useTranslation()
  const [name, setName] = useState(initial?.name ?? '')
  const [color, setColor] = useState(paletteColor(initial?.color ?? PALETTE[0]!.hex).hex)
  const [description, setDescription] = useState(initial?.description ?? '')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      await save({ name: name.trim(), color, description })
      onClose()
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  const shown = paletteColor(color)
  return (
    <Modal isOpen variant="small" onEscapePress={onClose} aria-labelledby="label-form-title">
      <ModalClose onClose={onClose} />
      <ModalHeader title={initial === undefined ? t('access.labels.form.createTitle') : t('access.labels.form.editTitle', { name: initial.name })} labelId="label-form-title" />
      <ModalBody>
        <Form id="label-form" onSubmit={submit}>
          {error !== null && <ErrorAlert error={error} />}
          <FormGroup label={t('access.labels.form.name')} isRequired fieldId="label-name">
            <TextInput id="label-name" isRequired value={name} maxLength={128} onChange={(_e, v) => setName(v)} autoFocus />
          </FormGroup>
          <FormGroup role="radiogroup" isInline fieldId="label-color" label={t('access.labels.form.color')}>
            {PALETTE.map((p) => (
              <Radio key={p.color} id={`label-color-${p.color}`} name="label-color" isChecked={color === p.hex} onChange={() => setColor(p.hex)} label={<Label color={p.color}>{t(p.key)}</Label>} />
            ))}
          </FormGroup>
          <FormGroup label={t('access.labels.form.description')} fieldId="label-description">
            <TextArea id="label-description" value={description} maxLength={1024} onChange={(_e, v) => setDescription(v)} resizeOrientation="vertical" />
          </FormGroup>
          <Flex alignItems={{ default: 'alignItemsCenter' }}>
            <FlexItem>{t('access.labels.form.preview')}</FlexItem>
            <FlexItem>
              <Label color={shown.color}>{name.trim() === '' ? t('access.labels.form.previewEmpty') : name.trim()}</Label>
            </FlexItem>
          </Flex>
        </Form>
      </ModalBody>
      <ModalFooter>
        <Button type="submit" form="label-form" isLoading={busy} isDisabled={busy || name.trim() === ''}>
          {initial === undefined ? t('access.labels.form.create') : t('common.save')}
        </Button>
        <Button variant="link" onClick={onClose}>
          {t('common.cancel')}
        </Button>
      </ModalFooter>
    </Modal>
  )
}
