// What the garbage-collection and audit-purge pages share: saving a system job's schedule,
// running it now or as a dry run (the toast names the run), and the schedule picker with its
// three buttons (two for a job without a dry run, such as scan-all). Each page keeps its own
// parameters and endpoints.
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { useQueryClient } from '@tanstack/react-query'
import { ActionGroup, Button, Content } from '@patternfly/react-core'
import { ok } from '../../api/client'
import { useToast } from '../../components/Toasts'
import { useFormat } from '../../lib/format'
import { SchedulePicker } from './SchedulePicker'
import { cronProblem, runNowBody, scheduleBody, type ScheduleBody, type ScheduleChoice } from './schedule'
import { runIdOf } from './run-id'

export type JobAction = 'save' | 'run' | 'dry'

export interface ScheduledJob<P extends Record<string, unknown>> {
  scheduleKey: readonly unknown[]
  historyKey: readonly unknown[]
  /** PUT of the job's schedule. */
  saveSchedule(body: ScheduleBody<P>): Promise<{ response: Response; error?: unknown }>
  /** POST of a manual run; the answer's Location names the run. */
  runNow(body: ScheduleBody<P & { dry_run: boolean }>): Promise<{ response: Response; error?: unknown }>
  /** The toast of a started run. */
  started(dry: boolean, id: number): string
}

/** The action in progress (which button spins), its failure, and the way to start one. */
export function useScheduledJob<P extends Record<string, unknown>>(job: ScheduledJob<P>) {
  const { t } = useTranslation()
  const client = useQueryClient()
  const toast = useToast()
  const [busy, setBusy] = useState<JobAction | null>(null)
  const [error, setError] = useState<unknown>(null)
  const act = async (what: JobAction, choice: ScheduleChoice, parameters: P) => {
    setBusy(what)
    setError(null)
    try {
      if (what === 'save') {
        ok(await job.saveSchedule(scheduleBody(choice, parameters)))
        toast('success', t('system.schedule.saved'))
        await client.invalidateQueries({ queryKey: job.scheduleKey })
      } else {
        const answer = await job.runNow(runNowBody({ ...parameters, dry_run: what === 'dry' }))
        ok(answer)
        toast('success', job.started(what === 'dry', runIdOf(answer.response.headers.get('location')) ?? 0))
        await client.invalidateQueries({ queryKey: job.historyKey })
      }
    } catch (e) {
      setError(e)
    } finally {
      setBusy(null)
    }
  }
  return { busy, error, act }
}

export interface ScheduleActionsProps {
  id: string
  choice: ScheduleChoice
  onChoice(choice: ScheduleChoice): void
  /** When the saved schedule runs next, if it does. */
  next: string | undefined
  busy: JobAction | null
  /** The job's own fields are not valid: nothing can be started or saved. */
  invalid: boolean
  runLabel: string
  onAct(what: JobAction): void
  /** Whether the job has a dry run (default true). */
  dryRun?: boolean
}

/** The schedule picker, the next run, and Save / Run now / Dry run (Save is the form's submit). */
export function ScheduleActions(p: ScheduleActionsProps) {
  const { t } = useTranslation()
  const f = useFormat()
  return (
    <>
      <SchedulePicker id={p.id} value={p.choice} onChange={p.onChoice} />
      {p.next !== undefined && p.choice.kind !== 'None' && <Content component="p">{t('system.schedule.next', { time: f.dateTime(p.next) })}</Content>}
      <ActionGroup>
        <Button type="submit" variant="primary" isLoading={p.busy === 'save'} isDisabled={p.busy !== null || p.invalid || (p.choice.kind === 'Custom' && cronProblem(p.choice.cron) !== null)}>
          {t('system.schedule.save')}
        </Button>
        <Button variant="secondary" onClick={() => p.onAct('run')} isLoading={p.busy === 'run'} isDisabled={p.busy !== null || p.invalid}>
          {p.runLabel}
        </Button>
        {p.dryRun !== false && (
          <Button variant="secondary" onClick={() => p.onAct('dry')} isLoading={p.busy === 'dry'} isDisabled={p.busy !== null || p.invalid}>
            {t('system.dryRun')}
          </Button>
        )}
      </ActionGroup>
    </>
  )
}
