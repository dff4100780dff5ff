// Harbor's schedules of system jobs (GC, audit-log purge): what the picker shows, the body of
// PUT .../schedule it becomes, and back. Harbor's crons have six fields, seconds first.
export type ScheduleKind = 'None' | 'Hourly' | 'Daily' | 'Weekly' | 'Custom'

export interface ScheduleChoice {
  kind: ScheduleKind
  /** The cron of a Custom schedule. */
  cron: string
}

export const SCHEDULE_KINDS: readonly ScheduleKind[] = ['None', 'Hourly', 'Daily', 'Weekly', 'Custom']

/** Harbor's crons of its named schedules. */
export const PRESET_CRONS: Record<'Hourly' | 'Daily' | 'Weekly', string> = { Hourly: '0 0 * * * *', Daily: '0 0 0 * * *', Weekly: '0 0 0 * * 0' }

export interface ScheduleBody<P> {
  schedule: { type: ScheduleKind | 'Manual'; cron?: string }
  parameters: P
}

/** Why a custom cron cannot be sent, or null: Harbor's six fields (seconds minutes hours day month weekday). */
export function cronProblem(cron: string): 'empty' | 'fields' | null {
  const fields = cron.trim().split(/\s+/).filter((f) => f !== '')
  if (fields.length === 0) return 'empty'
  if (fields.length !== 6 || fields.some((f) => !/^[0-9*,/?LW#A-Za-z-]+$/.test(f))) return 'fields'
  return null
}

/** The body of PUT .../schedule for a choice; the job's parameters go with it (also for None: the server checks them). */
export function scheduleBody<P>(choice: ScheduleChoice, parameters: P): ScheduleBody<P> {
  if (choice.kind === 'None') return { schedule: { type: 'None' }, parameters }
  if (choice.kind === 'Custom') return { schedule: { type: 'Custom', cron: choice.cron.trim().replace(/\s+/g, ' ') }, parameters }
  return { schedule: { type: choice.kind, cron: PRESET_CRONS[choice.kind] }, parameters }
}

/** The body of POST .../schedule that runs the job once, now. */
export function runNowBody<P>(parameters: P): ScheduleBody<P> {
  return { schedule: { type: 'Manual' }, parameters }
}

/** What the picker shows for the schedule the server has (Harbor's generic `Schedule` type is a custom cron). */
export function choiceOf(schedule: { type?: string; cron?: string } | null | undefined): ScheduleChoice {
  const type = schedule?.type ?? 'None'
  const cron = schedule?.cron ?? ''
  if (type === 'Hourly' || type === 'Daily' || type === 'Weekly') return { kind: type, cron: '' }
  if (type === 'None' || type === 'Manual' || type === '') return { kind: 'None', cron: '' }
  return { kind: 'Custom', cron }
}

/** A job's parameters as its history stores them (JSON text); {} when unreadable. */
export function parametersOf(jobParameters: string | undefined): Record<string, unknown> {
  try {
    const v = JSON.parse(jobParameters ?? '{}') as unknown
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}
