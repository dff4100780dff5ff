// Garbage collection (/admin/gc): run it now or as a dry run, its schedule with the untagged
// deletion and workers, and the history of runs with what each freed and its log.
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { useQuery } from '@tanstack/react-query'
import { Card, CardBody, CardTitle, Checkbox, Form, FormGroup, FormSelect, FormSelectOption, PageSection, Title } from '@patternfly/react-core'
import { api, ok, page } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'
import { PageTitle } from '../../components/PageTitle'
import { pagingQuery } from '../../components/list-params'
import { useFormat } from '../../lib/format'
import { JobHistory } from './JobHistory'
import { choiceOf, parametersOf, type ScheduleChoice } from './schedule'
import { ScheduleActions, useScheduledJob, type JobAction } from './scheduled-job'
import './system.css'

const HISTORY = ['system', 'gc', 'history'] as const
const SCHEDULE = ['system', 'gc', 'schedule'] as const
const WORKERS = [1, 2, 3, 4, 5] as const

type Schedule = Awaited<ReturnType<typeof loadSchedule>>
async function loadSchedule() {
  return ok(await api.GET('/api/v2.0/system/gc/schedule'))
}

function GcForm({ current }: { current: Schedule }) {
  const { t } = useTranslation()
  const f = useFormat()
  const saved = parametersOf(current.job_parameters)
  const [deleteUntagged, setDeleteUntagged] = useState(saved.delete_untagged === true)
  const [workers, setWorkers] = useState(typeof saved.workers === 'number' ? saved.workers : 1)
  const [choice, setChoice] = useState<ScheduleChoice>(choiceOf(current.schedule))
  const { busy, error, act } = useScheduledJob<{ delete_untagged: boolean; workers: number }>({
    scheduleKey: SCHEDULE,
    historyKey: HISTORY,
    saveSchedule: (body) => api.PUT('/api/v2.0/system/gc/schedule', { body }),
    runNow: (body) => api.POST('/api/v2.0/system/gc/schedule', { body }),
    started: (dry, id) => (dry ? t('system.gc.dryRunStarted', { id }) : t('system.gc.started', { id })),
  })
  const run = (what: JobAction) => void act(what, choice, { delete_untagged: deleteUntagged, workers })

  return (
    <Card>
      <CardTitle component="h2">{t('system.gc.settings')}</CardTitle>
      <CardBody>
        <Form
          maxWidth="40rem"
          onSubmit={(e) => {
            e.preventDefault()
            run('save')
          }}
        >
          {error !== null && <ErrorAlert error={error} />}
          <FormGroup fieldId="gc-delete-untagged">
            <Checkbox id="gc-delete-untagged" label={t('system.gc.deleteUntagged')} description={t('system.gc.deleteUntaggedHelp')} isChecked={deleteUntagged} onChange={(_e, v) => setDeleteUntagged(v)} />
          </FormGroup>
          <FormGroup label={t('system.gc.workers')} fieldId="gc-workers">
            <FormSelect id="gc-workers" value={workers} onChange={(_e, v) => setWorkers(Number(v))}>
              {WORKERS.map((n) => (
                <FormSelectOption key={n} value={n} label={f.number(n)} />
              ))}
            </FormSelect>
          </FormGroup>
          <ScheduleActions id="gc-schedule" choice={choice} onChoice={setChoice} next={current.schedule?.next_scheduled_time} busy={busy} invalid={false} runLabel={t('system.gc.runNow')} onAct={run} />
        </Form>
      </CardBody>
    </Card>
  )
}

export default function GcPage() {
  const { t } = useTranslation()
  const f = useFormat()
  const schedule = useQuery({ queryKey: SCHEDULE, queryFn: loadSchedule })
  return (
    <>
      <PageTitle title={t('app.nav.gc')} description={t('system.gc.intro')} />
      <PageSection>
        {schedule.error !== null && <ErrorAlert error={schedule.error} />}
        {schedule.data !== undefined && <GcForm key={schedule.dataUpdatedAt} current={schedule.data} />}
      </PageSection>
      <PageSection>
        <Title headingLevel="h2">{t('system.history.title')}</Title>
        <JobHistory
          label={t('system.gc.history')}
          queryKey={HISTORY}
          emptyText={t('system.gc.empty')}
          fetchPage={async (params) => page(await api.GET('/api/v2.0/system/gc', { params: { query: pagingQuery(params) } }))}
          loadLog={async (id) => ok(await api.GET('/api/v2.0/system/gc/{gc_id}/log', { params: { path: { gc_id: String(id) } }, parseAs: 'text' }))}
          stop={async (id) => {
            ok(await api.PUT('/api/v2.0/system/gc/{gc_id}', { params: { path: { gc_id: String(id) } } }))
          }}
          results={{
            title: t('system.gc.freedColumn'),
            render: (p) =>
              typeof p.freed_space === 'number'
                ? t(p.dry_run === true ? 'system.gc.wouldFree' : 'system.gc.freed', { size: f.bytes(p.freed_space), blobs: typeof p.purged_blobs === 'number' ? p.purged_blobs : 0 })
                : '—',
          }}
        />
      </PageSection>
    </>
  )
}
