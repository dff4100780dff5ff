// Garbage collection (/admin/gc): run it now or as a dry run, its schedule with the untagged
// deletion and workers, and the history of runs with what each freed and its log.
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { ActionGroup, Button, Card, CardBody, CardTitle, Checkbox, Content, Form, FormGroup, FormSelect, FormSelectOption, PageSection, Title } from '@patternfly/react-core'
import { api, ok, page } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'
import { PageTitle } from '../../components/PageTitle'
import { pagingQuery } from '../../components/list-params'
import { useToast } from '../../components/Toasts'
import { useFormat } from '../../lib/format'
import { JobHistory } from './JobHistory'
import { SchedulePicker } from './SchedulePicker'
import { choiceOf, cronProblem, parametersOf, runNowBody, scheduleBody, type ScheduleChoice } from './schedule'
import { runIdOf } from './run-id'
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
  const client = useQueryClient()
  const toast = useToast()
  const saved = parametersOf(current.job_parameters)
  const [deleteUntagged, setDeleteUntagged] = useState(saved.delete_untagged === true)
  const [workers, setWorkers] = useState(typeof saved.workers === 'number' ? saved.workers : 1)
  const [choice, setChoice] = useState<ScheduleChoice>(choiceOf(current.schedule))
  const [busy, setBusy] = useState<'save' | 'run' | 'dry' | null>(null)
  const [error, setError] = useState<unknown>(null)
  const parameters = { delete_untagged: deleteUntagged, workers }

  const act = async (what: 'save' | 'run' | 'dry') => {
    setBusy(what)
    setError(null)
    try {
      if (what === 'save') {
        ok(await api.PUT('/api/v2.0/system/gc/schedule', { body: scheduleBody(choice, parameters) }))
        toast('success', t('system.schedule.saved'))
        await client.invalidateQueries({ queryKey: SCHEDULE })
      } else {
        const answer = await api.POST('/api/v2.0/system/gc/schedule', { body: runNowBody({ ...parameters, dry_run: what === 'dry' }) })
        ok(answer)
        const id = runIdOf(answer.response.headers.get('location'))
        toast('success', what === 'dry' ? t('system.gc.dryRunStarted', { id: id ?? 0 }) : t('system.gc.started', { id: id ?? 0 }))
        await client.invalidateQueries({ queryKey: HISTORY })
      }
    } catch (e) {
      setError(e)
    } finally {
      setBusy(null)
    }
  }

  return (
    <Card>
      <CardTitle component="h2">{t('system.gc.settings')}</CardTitle>
      <CardBody>
        <Form
          maxWidth="40rem"
          onSubmit={(e) => {
            e.preventDefault()
            void act('save')
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
          <SchedulePicker id="gc-schedule" value={choice} onChange={setChoice} />
          {current.schedule?.next_scheduled_time !== undefined && choice.kind !== 'None' && (
            <Content component="p">{t('system.schedule.next', { time: f.dateTime(current.schedule.next_scheduled_time) })}</Content>
          )}
          <ActionGroup>
            <Button type="submit" variant="primary" isLoading={busy === 'save'} isDisabled={busy !== null || (choice.kind === 'Custom' && cronProblem(choice.cron) !== null)}>
              {t('system.schedule.save')}
            </Button>
            <Button variant="secondary" onClick={() => void act('run')} isLoading={busy === 'run'} isDisabled={busy !== null}>
              {t('system.gc.runNow')}
            </Button>
            <Button variant="secondary" onClick={() => void act('dry')} isLoading={busy === 'dry'} isDisabled={busy !== null}>
              {t('system.dryRun')}
            </Button>
          </ActionGroup>
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
