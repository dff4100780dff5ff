// When a system job runs by itself: none, hourly, daily, weekly, or a custom cron (Harbor's six
// fields, seconds first). The caller turns the choice into Harbor's body with scheduleBody().
import { FormGroup, FormHelperText, FormSelect, FormSelectOption, HelperText, HelperTextItem, TextInput } from '@patternfly/react-core'
import { useTranslation } from 'react-i18next'
import { cronProblem, PRESET_CRONS, SCHEDULE_KINDS, type ScheduleChoice, type ScheduleKind } from './schedule'

const KIND_KEYS: Record<ScheduleKind, string> = {
  None: 'system.schedule.none',
  Hourly: 'system.schedule.hourly',
  Daily: 'system.schedule.daily',
  Weekly: 'system.schedule.weekly',
  Custom: 'system.schedule.custom',
}

export function SchedulePicker({ id, value, onChange }: { id: string; value: ScheduleChoice; onChange(next: ScheduleChoice): void }) {
  const { t } = useTranslation()
  const problem = value.kind === 'Custom' ? cronProblem(value.cron) : null
  return (
    <>
      <FormGroup label={t('system.schedule.type')} fieldId={`${id}-type`}>
        <FormSelect id={`${id}-type`} value={value.kind} onChange={(_e, v) => onChange({ kind: v as ScheduleKind, cron: v === 'Custom' && value.cron === '' ? PRESET_CRONS.Daily : value.cron })}>
          {SCHEDULE_KINDS.map((k) => (
            <FormSelectOption key={k} value={k} label={t(KIND_KEYS[k])} />
          ))}
        </FormSelect>
        {value.kind !== 'None' && value.kind !== 'Custom' && (
          <FormHelperText>
            <HelperText>
              <HelperTextItem>{t('system.schedule.presetCron', { cron: PRESET_CRONS[value.kind] })}</HelperTextItem>
            </HelperText>
          </FormHelperText>
        )}
      </FormGroup>
      {value.kind === 'Custom' && (
        <FormGroup label={t('system.schedule.cron')} isRequired fieldId={`${id}-cron`}>
          <TextInput id={`${id}-cron`} isRequired value={value.cron} onChange={(_e, v) => onChange({ kind: 'Custom', cron: v })} validated={problem !== null ? 'error' : 'default'} />
          <FormHelperText>
            <HelperText>
              <HelperTextItem variant={problem !== null ? 'error' : 'default'}>{t('system.schedule.cronHelp')}</HelperTextItem>
            </HelperText>
          </FormHelperText>
        </FormGroup>
      )}
    </>
  )
}
