// Scan-all on the interrogation services page (Harbor's "Vulnerability" tab): scan every
// artifact now, or on a schedule (the shared schedule piece), and the latest run's progress by
// status, which refreshes while the run goes on and can be stopped.
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { Button, Card, CardBody, CardTitle, Content, Form, Label, LabelGroup, Progress } from '@patternfly/react-core'
import { api, ok } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'
import { useToast } from '../../components/Toasts'
import { useFormat } from '../../lib/format'
import { choiceOf, type ScheduleChoice } from '../system/schedule'
import { ScheduleActions, useScheduledJob, type JobAction } from '../system/scheduled-job'
import { SCAN_POLL_MS } from './ScanActions'

const SCHEDULE = ['scan-all', 'schedule'] as const
const METRICS = ['scan-all', 'metrics'] as const
/** A run started elsewhere (its schedule, another administrator) shows up within this. */
const IDLE_POLL_MS = 10_000

type Schedule = Awaited<ReturnType<typeof loadSchedule>>
async function loadSchedule() {
  return ok(await api.GET('/api/v2.0/system/scanAll/schedule'))
}

function ScanAllForm({ current }: { current: Schedule }) {
  const { t } = useTranslation()
  const [choice, setChoice] = useState<ScheduleChoice>(choiceOf(current.schedule))
  const hasSchedule = current.schedule.type !== 'None'
  const { busy, error, act } = useScheduledJob<Record<string, never>>({
    scheduleKey: SCHEDULE,
    historyKey: METRICS,
    // Harbor's scan-all takes POST for a first schedule and PUT to change it.
    saveSchedule: (body) => (hasSchedule ? api.PUT('/api/v2.0/system/scanAll/schedule', { body }) : api.POST('/api/v2.0/system/scanAll/schedule', { body })),
    runNow: (body) => api.POST('/api/v2.0/system/scanAll/schedule', { body: { schedule: body.schedule } }),
    started: () => t('security.scanAll.started'),
  })
  const run = (what: JobAction) => void act(what, choice, {})
  return (
    <Form
      maxWidth="40rem"
      onSubmit={(e) => {
        e.preventDefault()
        run('save')
      }}
    >
      {error !== null && <ErrorAlert error={error} />}
      <ScheduleActions id="scan-all-schedule" choice={choice} onChoice={setChoice} next={current.schedule.next_scheduled_time} busy={busy} invalid={false} runLabel={t('security.scanAll.runNow')} onAct={run} dryRun={false} />
    </Form>
  )
}

function Progressing() {
  const { t } = useTranslation()
  const f = useFormat()
  const toast = useToast()
  const client = useQueryClient()
  const q = useQuery({ queryKey: METRICS, queryFn: async () => ok(await api.GET('/api/v2.0/scans/all/metrics')), refetchInterval: (query) => (query.state.data?.ongoing === true ? SCAN_POLL_MS : IDLE_POLL_MS) })
  if (q.error !== null) return <ErrorAlert error={q.error} />
  const m = q.data
  if (m === undefined) return null
  if (m.total === 0 && !m.ongoing) return <Content component="p">{t('security.scanAll.never')}</Content>
  const stop = async () => {
    try {
      ok(await api.POST('/api/v2.0/system/scanAll/stop'))
      toast('success', t('security.scanAll.stopRequested'))
      await client.invalidateQueries({ queryKey: METRICS })
    } catch (e) {
      toast('danger', (e as Error).message)
    }
  }
  const fraction = m.total === 0 ? 1 : m.completed / m.total
  const text = t('security.scanAll.progress', { completed: m.completed, total: m.total })
  return (
    <>
      <Progress value={fraction * 100} title={m.ongoing ? t('security.scanAll.ongoing') : t('security.scanAll.latest')} label={text} valueText={text} aria-label={t('security.scanAll.latest')} />
      <LabelGroup aria-label={t('security.scanAll.byStatus')} numLabels={8}>
        {Object.entries(m.metrics).map(([status, n]) => (
          <Label key={status} isCompact>
            {t('security.scanAll.statusCount', { status, count: n })}
          </Label>
        ))}
      </LabelGroup>
      {m.ongoing && (
        <Button variant="secondary" onClick={() => void stop()}>
          {t('security.scanAll.stop')}
        </Button>
      )}
      <Content component="p" className="berth-scan-note">
        {t('security.scanAll.percent', { percent: f.percent(fraction) })}
      </Content>
    </>
  )
}

function ScanAllBody() {
  const schedule = useQuery({ queryKey: SCHEDULE, queryFn: loadSchedule })
  return (
    <>
      <Progressing />
      {schedule.error !== null && <ErrorAlert error={schedule.error} />}
      {schedule.data !== undefined && <ScanAllForm key={schedule.dataUpdatedAt} current={schedule.data} />}
    </>
  )
}

/** Scan-all needs a default scanner: without any registration it only says so. */
export function ScanAll({ scanners }: { scanners: number | undefined }) {
  const { t } = useTranslation()
  return (
    <Card>
      <CardTitle component="h2">{t('security.scanAll.title')}</CardTitle>
      <CardBody>{scanners === undefined ? null : scanners === 0 ? <Content component="p">{t('security.scanAll.noScanner')}</Content> : <ScanAllBody />}</CardBody>
    </Card>
  )
}
