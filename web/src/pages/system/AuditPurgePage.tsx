// Audit-log purge (/admin/audit-purge): delete entries older than a retention for chosen
// operations, now, as a dry run (only counted), or on a schedule; the history of runs with logs.
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { useQuery } from '@tanstack/react-query'
import { Card, CardBody, CardTitle, Checkbox, Form, FormGroup, FormHelperText, FormSelect, FormSelectOption, HelperText, HelperTextItem, InputGroup, InputGroupItem, PageSection, TextInput, Title } from '@patternfly/react-core'
import { api, ok, page } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'
import { PageTitle } from '../../components/PageTitle'
import { pagingQuery } from '../../components/list-params'
import { JobHistory } from './JobHistory'
import { choiceOf, parametersOf, type ScheduleChoice } from './schedule'
import { ScheduleActions, useScheduledJob, type JobAction } from './scheduled-job'
import { includeOperations, OPERATION_KEYS, OPERATIONS, operationsOf, retentionHours, retentionOf, type RetentionUnit } from './purge'
import './system.css'

const HISTORY = ['system', 'purge', 'history'] as const
const SCHEDULE = ['system', 'purge', 'schedule'] as const
/** Harbor's default retention: 30 days. */
const DEFAULT_HOURS = 720

type Schedule = Awaited<ReturnType<typeof loadSchedule>>
async function loadSchedule() {
  return ok(await api.GET('/api/v2.0/system/purgeaudit/schedule'))
}

function PurgeForm({ current }: { current: Schedule }) {
  const { t } = useTranslation()
  const saved = parametersOf(current.job_parameters)
  const initial = retentionOf(typeof saved.audit_retention_hour === 'number' ? saved.audit_retention_hour : DEFAULT_HOURS)
  const [value, setValue] = useState(initial.value)
  const [unit, setUnit] = useState<RetentionUnit>(initial.unit)
  const [ops, setOps] = useState<Set<string>>(operationsOf(saved.include_operations))
  const [choice, setChoice] = useState<ScheduleChoice>(choiceOf(current.schedule))
  const hours = retentionHours(value, unit)
  const invalid = hours === null || ops.size === 0
  const { busy, error, act } = useScheduledJob<{ audit_retention_hour: number; include_operations: string }>({
    scheduleKey: SCHEDULE,
    historyKey: HISTORY,
    saveSchedule: (body) => api.PUT('/api/v2.0/system/purgeaudit/schedule', { body }),
    runNow: (body) => api.POST('/api/v2.0/system/purgeaudit/schedule', { body }),
    started: (dry, id) => (dry ? t('system.purge.dryRunStarted', { id }) : t('system.purge.started', { id })),
  })
  const run = (what: JobAction) => {
    if (hours !== null) void act(what, choice, { audit_retention_hour: hours, include_operations: includeOperations(ops) })
  }

  const toggle = (op: string, on: boolean) =>
    setOps((prev) => {
      const next = new Set(prev)
      if (on) next.add(op)
      else next.delete(op)
      return next
    })

  return (
    <Card>
      <CardTitle component="h2">{t('system.purge.settings')}</CardTitle>
      <CardBody>
        <Form
          maxWidth="40rem"
          onSubmit={(e) => {
            e.preventDefault()
            run('save')
          }}
        >
          {error !== null && <ErrorAlert error={error} />}
          <FormGroup label={t('system.purge.retention')} isRequired fieldId="purge-retention">
            <InputGroup>
              <InputGroupItem isFill>
                <TextInput id="purge-retention" type="number" min={0} isRequired value={value} onChange={(_e, v) => setValue(v)} validated={hours === null ? 'error' : 'default'} />
              </InputGroupItem>
              <InputGroupItem>
                <FormSelect className="berth-unit-select" value={unit} onChange={(_e, v) => setUnit(v as RetentionUnit)} aria-label={t('system.purge.unit')}>
                  <FormSelectOption value="hours" label={t('system.purge.hours')} />
                  <FormSelectOption value="days" label={t('system.purge.days')} />
                </FormSelect>
              </InputGroupItem>
            </InputGroup>
            <FormHelperText>
              <HelperText>
                <HelperTextItem variant={hours === null ? 'error' : 'default'}>{t('system.purge.retentionHelp')}</HelperTextItem>
              </HelperText>
            </FormHelperText>
          </FormGroup>
          <FormGroup role="group" isInline label={t('system.purge.operations')} fieldId="purge-operations" isRequired>
            {OPERATIONS.map((op) => (
              <Checkbox key={op} id={`purge-op-${op}`} label={t(OPERATION_KEYS[op])} isChecked={ops.has(op)} onChange={(_e, on) => toggle(op, on)} />
            ))}
            {ops.size === 0 && (
              <FormHelperText>
                <HelperText>
                  <HelperTextItem variant="error">{t('system.purge.operationsRequired')}</HelperTextItem>
                </HelperText>
              </FormHelperText>
            )}
          </FormGroup>
          <ScheduleActions id="purge-schedule" choice={choice} onChoice={setChoice} next={current.schedule?.next_scheduled_time} busy={busy} invalid={invalid} runLabel={t('system.purge.runNow')} onAct={run} />
        </Form>
      </CardBody>
    </Card>
  )
}

export default function AuditPurgePage() {
  const { t } = useTranslation()
  const schedule = useQuery({ queryKey: SCHEDULE, queryFn: loadSchedule })
  return (
    <>
      <PageTitle title={t('app.nav.auditPurge')} description={t('system.purge.intro')} />
      <PageSection>
        {schedule.error !== null && <ErrorAlert error={schedule.error} />}
        {schedule.data !== undefined && <PurgeForm key={schedule.dataUpdatedAt} current={schedule.data} />}
      </PageSection>
      <PageSection>
        <Title headingLevel="h2">{t('system.history.title')}</Title>
        <JobHistory
          label={t('system.purge.history')}
          queryKey={HISTORY}
          emptyText={t('system.purge.empty')}
          fetchPage={async (params) => page(await api.GET('/api/v2.0/system/purgeaudit', { params: { query: pagingQuery(params) } }))}
          loadLog={async (id) => ok(await api.GET('/api/v2.0/system/purgeaudit/{purge_id}/log', { params: { path: { purge_id: String(id) } }, parseAs: 'text' }))}
          stop={async (id) => {
            ok(await api.PUT('/api/v2.0/system/purgeaudit/{purge_id}', { params: { path: { purge_id: String(id) } } }))
          }}
          results={{
            title: t('system.purge.purgedColumn'),
            render: (p) => (typeof p.purged === 'number' ? t(p.dry_run === true ? 'system.purge.wouldPurge' : 'system.purge.purged', { count: p.purged }) : '—'),
          }}
        />
      </PageSection>
    </>
  )
}
