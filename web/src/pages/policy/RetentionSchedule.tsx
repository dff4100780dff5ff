// When a retention policy runs by itself: none, hourly, daily, weekly or a custom cron.
import { useEffect, useState, type FormEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { Button, Flex, FlexItem, Form, FormGroup, FormHelperText, FormSelect, FormSelectOption, HelperText, HelperTextItem, TextInput, Title } from '@patternfly/react-core'
import { ErrorAlert } from '../../components/ErrorAlert'
import { cronLooksValid, cronOf, SCHEDULE_CHOICES, SCHEDULE_KEYS, scheduleChoiceOf, type ScheduleChoice } from './schedule'

export function RetentionSchedule({ cron, editable, onSave }: { cron: string; editable: boolean; onSave(cron: string): Promise<void> }) {
  const { t } = useTranslation()
  const [choice, setChoice] = useState<ScheduleChoice>(scheduleChoiceOf(cron))
  const [custom, setCustom] = useState(cron)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  // A saved change (or another user's) shows as the stored value.
  useEffect(() => {
    setChoice(scheduleChoiceOf(cron))
    setCustom(cron)
  }, [cron])
  const next = cronOf(choice, custom)
  const invalid = choice === 'custom' && !cronLooksValid(custom)

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      await onSave(next)
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  return (
    <Form id="retention-schedule" onSubmit={submit}>
      <Title headingLevel="h3">{t('policy.schedule.title')}</Title>
      {error !== null && <ErrorAlert error={error} />}
      <Flex alignItems={{ default: 'alignItemsFlexStart' }}>
        <FlexItem>
          <FormGroup label={t('policy.schedule.runs')} fieldId="retention-schedule-choice">
            <FormSelect id="retention-schedule-choice" value={choice} onChange={(_e, v) => setChoice(v as ScheduleChoice)} isDisabled={!editable}>
              {SCHEDULE_CHOICES.map((c) => (
                <FormSelectOption key={c} value={c} label={t(SCHEDULE_KEYS[c])} />
              ))}
            </FormSelect>
          </FormGroup>
        </FlexItem>
        {choice === 'custom' && (
          <FlexItem>
            <FormGroup label={t('policy.schedule.cron')} isRequired fieldId="retention-schedule-cron">
              <TextInput id="retention-schedule-cron" value={custom} onChange={(_e, v) => setCustom(v)} validated={invalid ? 'error' : 'default'} isDisabled={!editable} placeholder="0 0 3 * * *" />
              <FormHelperText>
                <HelperText>
                  <HelperTextItem variant={invalid ? 'error' : 'default'}>{t('policy.schedule.cronHelp')}</HelperTextItem>
                </HelperText>
              </FormHelperText>
            </FormGroup>
          </FlexItem>
        )}
        {editable && (
          <FlexItem alignSelf={{ default: 'alignSelfFlexStart' }} className="berth-schedule-save">
            <Button type="submit" variant="secondary" isLoading={busy} isDisabled={busy || invalid || next === cron}>
              {t('policy.schedule.save')}
            </Button>
          </FlexItem>
        )}
      </Flex>
    </Form>
  )
}
